//! Refits of one specification on resampled units, with a null imposed: the inner loop of
//! the specification curve's joint inference (Simonsohn, Simmons and Nelson 2020), where
//! every specification of a multiverse is refit on the same cluster-bootstrap draws of
//! units, each on its own estimation sample.
//!
//! A draw is a list of unit ids with repetition. Rows of units not drawn are excluded; a
//! unit drawn `m` times contributes `m` copies of its rows, and each copy is its own level
//! of every FE dimension and cluster variable nested in the unit, while coarser variables
//! (a year, a province^year FE, a province cluster) keep their ids (Stata `bootstrap,
//! cluster() idcluster()`). The fit on that data is exactly [`crate::ols_fe_with`]
//! (reghdfe conventions: singletons dropped, small-sample factors, `G - 1` df for
//! clusters): [`RefitPath::General`] builds that data and calls it, and it is the
//! reference every other path is tested against.
//!
//! [`refit_draws`] solves each draw from per-unit moments when the design is a unit FE
//! plus one further FE observed at most once per unit (a year, or a year nested in groups
//! of units such as province^year, whose unit-level graph then has one component per
//! group), with an unadjusted, robust, unit-clustered or coarser-clustered VCE. With
//! `e_ct` the unit-demeaned variables (regressors, then the outcome), unit weights `w_c`
//! (copies) and `ι_t` the level of row `ct` in the second FE:
//!
//! ```text
//! K_w = Σ_c w_c (diag(o_c) - o_c o_c' / n_c)    block diagonal, one block per component
//! B_w = Σ_c w_c Σ_t ι_t e_ct'                    one level dropped per component
//! Γ_w = K_w⁻ B_w,   S_w = Σ_c w_c E_c - B_w' Γ_w,   b = S_xx⁻¹ S_xy
//! u_ct = e_ct'a - (Γ_w a)_t - mean_c(.),          a = (-b, 1)
//! ```
//!
//! and the focus coefficient's variance is `r' M r` with `r = S_xx⁻¹ e_focus` (the bread's
//! slope block is `S_xx⁻¹`: the constant is orthogonal to demeaned columns), so only the
//! scalar scores `z_ct u_ct`, `z = r'x̃`, are needed per row. `N`, `K` (the absorbed FE
//! counted as [`crate::absorb::Absorber::absorbed_dof`] counts them) and `G` follow from
//! the draw's copies, levels and components. Singleton dropping is followed exactly: its
//! fixed point is unique and the copies of a unit are interchangeable, so it is found on
//! the weighted units, and a unit that loses rows gets its moments recomputed on the rows
//! it keeps (a component made of one copy of one unit, a city alone in its province, is
//! all singletons and goes; a province-year seen by one city loses that row). A draw
//! costs `O(N q + G q² + Σ_blocks (T³ + T² q))` (`q` = regressors + 1).
//!
//! What this module must not do: give a result the general path would not give beyond
//! rounding. Anything it cannot decide exactly — a regressor collinear or near the
//! collinearity tolerance, too few degrees of freedom, a (near) perfect fit, fewer than
//! two clusters, a block that is not positive definite — is refit on the general path for
//! that draw, and designs it does not cover (two-way clustering, other than two FE
//! dimensions, no FE equal to the unit, a second FE repeated within a unit or nested in it, a
//! cluster finer than the unit, singletons kept) are refit on the general path for every
//! draw; [`RefitStats`] counts both. It never changes other modules' results, does no
//! I/O and draws nothing at random.
//!
//! Accuracy: the fast path agrees with the general path to about 1e-11 in `b`, `se` and
//! `p` when the general path's FE solver is run to a 1e-14 tolerance. At the default
//! 1e-12 the general path's iterative solver (unbalanced samples) leaves residuals off by
//! about the tolerance times the raw scale of the data, which can move a robust or
//! clustered `se` by 1e-8 relative on data with large unit effects; the fast path, which
//! never forms the raw-scale residuals, is the more accurate of the two there.

// q x q kernels read more clearly with explicit indices.
#![allow(clippy::needless_range_loop)]

use crate::absorb::{compact_codes, compact_ids, is_nested};
use crate::cluster_moments::cross_products;
use crate::linalg::{detect_collinear, dot, SpdFactor};
use crate::linear::check_len;
use crate::{dist, ols_fe_with, Design, EstimateError, FitOptions, Vce};
use rayon::prelude::*;
use serde::Serialize;

/// One specification's design on its own estimation sample, for refits on resampled
/// units. Every slice has one entry per row of that sample.
#[derive(Debug, Clone)]
pub struct RefitDesign<'a> {
    pub y: &'a [f64],
    pub x: Vec<(&'a str, &'a [f64])>,
    /// Fixed-effect id vectors, as in [`crate::Design`].
    pub fe: Vec<&'a [u32]>,
    pub vce: Vce<'a>,
    /// The resampled unit of each row: dense ids in `0..units`.
    pub unit: &'a [u32],
    /// Size of the universe of units shared by all specifications (draws index it).
    pub units: usize,
}

/// The focus coefficient of one refit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RefitDraw {
    pub b: f64,
    pub se: f64,
    pub t: f64,
    /// Two-sided p-value from Student t with `df` degrees of freedom.
    pub p: f64,
    /// `N - K` (unadjusted, robust) or `G - 1` (clustered; `min(G_1, G_2) - 1` two-way).
    pub df: f64,
    /// Observations after singletons.
    pub n: usize,
    /// Clusters (the smaller count for two-way clustering; 0 without clustering).
    pub clusters: usize,
}

/// How the draws were solved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RefitStats {
    /// Why the whole design takes the general path (`None`: the fast path applies).
    pub general_design: Option<String>,
    /// Draws solved from the per-unit moments.
    pub fast: usize,
    /// Draws refit on the general path (every draw when `general_design` is set; else
    /// the draws the fast path could not decide exactly).
    pub general: usize,
}

/// The refits in the order of the draws, each its own result, and how they were solved.
#[derive(Debug, Clone)]
pub struct Refits {
    pub draws: Vec<Result<RefitDraw, EstimateError>>,
    pub stats: RefitStats,
}

/// Which path [`refit_draws`] may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefitPath {
    /// Per-unit moments where the design and the draw allow it, else the general path.
    Fast,
    /// The general path for every draw: each draw's data is built (copies as their own
    /// levels of the variables nested in the unit) and fit with [`crate::ols_fe_with`].
    /// The reference; slow.
    General,
}

/// Refits `d` on every draw with the null `b_focus = null_b` imposed
/// (`y* = y - null_b x[focus]`), solving each draw from per-unit moments when `path` and
/// the design allow it and on the general path otherwise (see the module doc). A draw
/// whose fit fails gives `Err` in its own slot; the outer `Err` is for invalid inputs.
/// Draws run in parallel; results do not depend on the thread count.
pub fn refit_draws(
    d: &RefitDesign,
    focus: usize,
    null_b: f64,
    draws: &[Vec<u32>],
    opts: &FitOptions,
    path: RefitPath,
) -> Result<Refits, EstimateError> {
    let general = General::new(d, focus, null_b, draws)?;
    let fast = if path == RefitPath::Fast {
        FastPanel::new(d, &general, opts)
    } else {
        Err("the general path was asked for".into())
    };
    let results: Vec<(Result<RefitDraw, EstimateError>, bool)> = draws
        .par_iter()
        .map(|draw| {
            let solved = fast
                .as_ref()
                .ok()
                .and_then(|f| f.draw(&general.counts(draw)));
            match solved {
                Some(r) => (Ok(r), true),
                None => (general.draw(draw, opts), false),
            }
        })
        .collect();
    let fast_count = results.iter().filter(|r| r.1).count();
    Ok(Refits {
        stats: RefitStats {
            general_design: fast.err(),
            fast: fast_count,
            general: results.len() - fast_count,
        },
        draws: results.into_iter().map(|r| r.0).collect(),
    })
}

/// The validated design with its null outcome and the bookkeeping of the general path.
struct General<'a> {
    d: &'a RefitDesign<'a>,
    focus: usize,
    ystar: Vec<f64>,
    rows_of_unit: Vec<Vec<usize>>,
    /// Per FE dimension: every level lies within one unit (copies get their own levels).
    fe_nested: Vec<bool>,
    /// The same for each cluster variable.
    cluster_nested: Vec<bool>,
    /// Positional regressor names, so that the focus is found whatever the user names.
    names: Vec<String>,
}

impl<'a> General<'a> {
    fn new(
        d: &'a RefitDesign<'a>,
        focus: usize,
        null_b: f64,
        draws: &[Vec<u32>],
    ) -> Result<Self, EstimateError> {
        Design {
            y: d.y,
            x: d.x.clone(),
            fe: d.fe.clone(),
        }
        .validate()?;
        let n = d.y.len();
        if focus >= d.x.len() {
            return Err(EstimateError::InvalidArgument(format!(
                "focus regressor {focus} out of range ({} regressors)",
                d.x.len()
            )));
        }
        if !null_b.is_finite() {
            return Err(EstimateError::InvalidArgument(format!(
                "null value {null_b} is not finite"
            )));
        }
        for (f, v) in d.fe.iter().enumerate() {
            check_len(&format!("fixed effect {f}"), v.len(), n)?;
        }
        for (c, v) in cluster_vars(&d.vce).iter().enumerate() {
            check_len(&format!("cluster variable {c}"), v.len(), n)?;
        }
        check_len("unit", d.unit.len(), n)?;
        let out_of_range = |what: &str, u: u32| {
            EstimateError::InvalidArgument(format!(
                "{what} {u} outside the {} units of the universe",
                d.units
            ))
        };
        let mut rows_of_unit = vec![Vec::new(); d.units];
        for (r, &u) in d.unit.iter().enumerate() {
            rows_of_unit
                .get_mut(u as usize)
                .ok_or_else(|| out_of_range("unit id", u))?
                .push(r);
        }
        for draw in draws {
            if let Some(&u) = draw.iter().find(|&&u| u as usize >= d.units) {
                return Err(out_of_range("drawn unit", u));
            }
        }
        let xf = d.x[focus].1;
        let ystar = d.y.iter().zip(xf).map(|(y, x)| y - null_b * x).collect();
        Ok(Self {
            d,
            focus,
            ystar,
            rows_of_unit,
            fe_nested: d.fe.iter().map(|f| is_nested(f, d.unit)).collect(),
            cluster_nested: cluster_vars(&d.vce)
                .iter()
                .map(|c| is_nested(c, d.unit))
                .collect(),
            names: (0..d.x.len()).map(|j| format!("x{j}")).collect(),
        })
    }

    /// Copies of each unit in `draw`.
    fn counts(&self, draw: &[u32]) -> Vec<u32> {
        let mut w = vec![0u32; self.d.units];
        for &u in draw {
            w[u as usize] += 1;
        }
        w
    }

    /// The general path: the draw's data built row by row and fit by `ols_fe_with`.
    fn draw(&self, draw: &[u32], opts: &FitOptions) -> Result<RefitDraw, EstimateError> {
        let d = self.d;
        let (mut rows, mut copy) = (Vec::new(), Vec::new());
        for (k, &u) in draw.iter().enumerate() {
            for &r in &self.rows_of_unit[u as usize] {
                rows.push(r);
                copy.push(k as u64);
            }
        }
        if rows.is_empty() {
            return Err(EstimateError::EmptySample(
                "no drawn unit has rows in this sample".into(),
            ));
        }
        // A variable nested in the unit gets one level per (copy, id); others keep ids.
        let relabel = |v: &[u32], nested: bool| -> Vec<u32> {
            if nested {
                let codes: Vec<u64> = rows
                    .iter()
                    .zip(&copy)
                    .map(|(&r, &k)| (k << 32) | v[r] as u64)
                    .collect();
                compact_codes(&codes).0
            } else {
                rows.iter().map(|&r| v[r]).collect()
            }
        };
        let fe: Vec<Vec<u32>> =
            d.fe.iter()
                .zip(&self.fe_nested)
                .map(|(f, &nested)| relabel(f, nested))
                .collect();
        let clusters: Vec<Vec<u32>> = cluster_vars(&d.vce)
            .iter()
            .zip(&self.cluster_nested)
            .map(|(c, &nested)| relabel(c, nested))
            .collect();
        let gather = |v: &[f64]| -> Vec<f64> { rows.iter().map(|&r| v[r]).collect() };
        let y = gather(&self.ystar);
        let xs: Vec<Vec<f64>> = d.x.iter().map(|(_, v)| gather(v)).collect();
        let design = Design {
            y: &y,
            x: self
                .names
                .iter()
                .zip(&xs)
                .map(|(n, v)| (n.as_str(), v.as_slice()))
                .collect(),
            fe: fe.iter().map(|f| f.as_slice()).collect(),
        };
        let vce = match (&d.vce, clusters.as_slice()) {
            (Vce::Unadjusted, _) => Vce::Unadjusted,
            (Vce::Robust, _) => Vce::Robust,
            (Vce::Cluster(_), [c]) => Vce::Cluster(c),
            (Vce::TwoWayCluster(..), [a, b]) => Vce::TwoWayCluster(a, b),
            _ => unreachable!("one relabelled column per cluster variable"),
        };
        let fit = ols_fe_with(&design, vce, opts)?;
        let i = fit.index_of(&self.names[self.focus]).ok_or_else(|| {
            EstimateError::SingularDesign(format!(
                "focus regressor {} is collinear in this draw",
                d.x[self.focus].0
            ))
        })?;
        Ok(RefitDraw {
            b: fit.b[i],
            se: fit.se[i],
            t: fit.t[i],
            p: fit.p[i],
            df: fit.df_t,
            n: fit.n,
            clusters: fit.n_clusters.iter().copied().min().unwrap_or(0),
        })
    }
}

fn cluster_vars<'a>(vce: &Vce<'a>) -> Vec<&'a [u32]> {
    match *vce {
        Vce::Unadjusted | Vce::Robust => vec![],
        Vce::Cluster(c) => vec![c],
        Vce::TwoWayCluster(a, b) => vec![a, b],
    }
}

/// A unit outside every pattern (observed at most once: a singleton in every draw), or an
/// unset slot.
const NONE: u32 = u32::MAX;

/// The fast path accepts a regressor only when its pivot clears the collinearity
/// tolerance by this factor, so that rounding cannot make it decide otherwise than the
/// general path.
const COLLINEARITY_MARGIN: f64 = 2.0;

#[derive(Debug, Clone)]
enum Clustering {
    /// Unadjusted or robust.
    None { robust: bool },
    /// Clusters are the units: every copy is its own cluster.
    Unit,
    /// Clusters coarser than the unit: dense cluster of each unit, keeping its id.
    Coarse { of_unit: Vec<u32>, count: usize },
}

/// Per-unit moments of one specification for the fast path (see the module doc).
struct FastPanel {
    /// Regressors; the variables are the regressors then `y*` (`q = p + 1`).
    p: usize,
    q: usize,
    focus: usize,
    /// Levels of the second FE (dense).
    levels: usize,
    /// Observations of unit `c` at `offsets[c]..offsets[c + 1]` (none for units left
    /// out), in ascending level.
    offsets: Vec<usize>,
    /// Unit and level of each observation.
    obs_unit: Vec<u32>,
    level: Vec<u32>,
    /// Observations of each level at `level_obs[level_offsets[l]..level_offsets[l + 1]]`.
    level_offsets: Vec<usize>,
    level_obs: Vec<u32>,
    /// Raw values `[obs][j]` (for units trimmed by singleton dropping).
    raw: Vec<f64>,
    /// `e_ct` laid out `[obs][j]`: unit-demeaned, centred on the full-sample residual.
    e: Vec<f64>,
    /// `E_c` laid out `[c][j][k]`.
    moments: Vec<f64>,
    /// Raw unit means `[c][j]` and within sums of squares `[c][j]` (collinearity scale).
    unit_mean: Vec<f64>,
    within_ss: Vec<f64>,
    /// Level pattern of each unit (`NONE` when left out) and the levels of each pattern.
    pattern: Vec<u32>,
    patterns: Vec<Vec<u32>>,
    clustering: Clustering,
    collinearity_tolerance: f64,
}

/// One unit of a weighted sample as the moments see it: `w` copies of the rows at
/// `levels` (the unit's own rows, or what singleton dropping left of them).
struct View<'s> {
    unit: usize,
    w: u32,
    levels: &'s [u32],
    e: &'s [f64],
    moments: &'s [f64],
    mean: &'s [f64],
    within_ss: &'s [f64],
}

/// The moments of a unit that singleton dropping trimmed, on its remaining rows.
struct Trimmed {
    unit: usize,
    w: u32,
    levels: Vec<u32>,
    e: Vec<f64>,
    moments: Vec<f64>,
    mean: Vec<f64>,
    within_ss: Vec<f64>,
}

impl Trimmed {
    fn view(&self) -> View<'_> {
        View {
            unit: self.unit,
            w: self.w,
            levels: &self.levels,
            e: &self.e,
            moments: &self.moments,
            mean: &self.mean,
            within_ss: &self.within_ss,
        }
    }
}

/// The second-FE block of one weighted sample.
struct LevelBlock {
    /// `B_w` and `Γ_w`, laid out `[level][j]` (zero rows for absent and reference levels).
    b: Vec<f64>,
    gamma: Vec<f64>,
    /// Levels present, and connected components of the unit-level graph.
    present: usize,
    components: usize,
}

impl FastPanel {
    /// Moments of the design when it qualifies, else why not.
    fn new(d: &RefitDesign, g: &General, opts: &FitOptions) -> Result<Self, String> {
        if !opts.drop_singletons {
            return Err("singletons are kept".into());
        }
        if d.fe.len() != 2 {
            return Err(format!(
                "{} FE dimensions (the fast path takes 2)",
                d.fe.len()
            ));
        }
        let unit_dim = (0..2)
            .find(|&f| is_unit_partition(d.fe[f], d.unit, d.units))
            .ok_or("no FE dimension is the unit")?;
        let second = d.fe[1 - unit_dim];
        if g.fe_nested[1 - unit_dim] {
            return Err("the second FE is nested in the unit".into());
        }
        let clustering = match d.vce {
            Vce::Unadjusted => Clustering::None { robust: false },
            Vce::Robust => Clustering::None { robust: true },
            Vce::TwoWayCluster(..) => return Err("two-way clustering".into()),
            Vce::Cluster(c) => {
                if !is_nested(d.unit, c) {
                    return Err("a cluster is finer than the unit".into());
                }
                if g.cluster_nested[0] {
                    Clustering::Unit
                } else {
                    let (dense, count) = compact_ids(c);
                    let mut of_unit = vec![NONE; d.units];
                    for (&u, &k) in d.unit.iter().zip(&dense) {
                        of_unit[u as usize] = k;
                    }
                    Clustering::Coarse { of_unit, count }
                }
            }
        };
        let (dense_level, levels) = compact_ids(second);
        let p = d.x.len();
        let q = p + 1;
        let vars: Vec<&[f64]> =
            d.x.iter()
                .map(|(_, v)| *v)
                .chain(std::iter::once(g.ystar.as_slice()))
                .collect();
        let units = d.units;
        let mut offsets = Vec::with_capacity(units + 1);
        offsets.push(0);
        let (mut level, mut obs_unit, mut order) = (Vec::new(), Vec::new(), Vec::new());
        let mut pattern = vec![NONE; units];
        let mut patterns: Vec<Vec<u32>> = Vec::new();
        let mut pattern_of: std::collections::HashMap<Vec<u32>, u32> = Default::default();
        for (c, rows) in g.rows_of_unit.iter().enumerate() {
            // A unit seen once is a singleton in every draw: left out, as the general
            // path's singleton dropping leaves it out.
            if rows.len() >= 2 {
                let mut obs: Vec<(u32, usize)> =
                    rows.iter().map(|&r| (dense_level[r], r)).collect();
                obs.sort_unstable();
                if obs.windows(2).any(|w| w[0].0 == w[1].0) {
                    return Err("a level of the second FE repeats within a unit".into());
                }
                let seen: Vec<u32> = obs.iter().map(|o| o.0).collect();
                let next = patterns.len() as u32;
                let id = *pattern_of.entry(seen.clone()).or_insert(next);
                if id == next {
                    patterns.push(seen);
                }
                pattern[c] = id;
                level.extend(obs.iter().map(|o| o.0));
                obs_unit.extend(obs.iter().map(|_| c as u32));
                order.extend(obs.iter().map(|o| o.1));
            }
            offsets.push(level.len());
        }
        let mut level_offsets = vec![0usize; levels + 1];
        for &l in &level {
            level_offsets[l as usize + 1] += 1;
        }
        for l in 0..levels {
            level_offsets[l + 1] += level_offsets[l];
        }
        let mut level_obs = vec![0u32; level.len()];
        let mut next = level_offsets.clone();
        for (o, &l) in level.iter().enumerate() {
            level_obs[next[l as usize]] = o as u32;
            next[l as usize] += 1;
        }
        let mut raw = vec![0.0; level.len() * q];
        for (o, &r) in order.iter().enumerate() {
            for (j, v) in vars.iter().enumerate() {
                raw[o * q + j] = v[r];
            }
        }
        let mut unit_mean = vec![0.0; units * q];
        let mut within_ss = vec![0.0; units * q];
        let mut e = vec![0.0; level.len() * q];
        for c in 0..units {
            let obs = offsets[c]..offsets[c + 1];
            if !obs.is_empty() {
                demean_rows(
                    &raw[obs.start * q..obs.end * q],
                    q,
                    &mut e[obs.start * q..obs.end * q],
                    &mut unit_mean[c * q..(c + 1) * q],
                    &mut within_ss[c * q..(c + 1) * q],
                );
            }
        }
        let mut panel = Self {
            p,
            q,
            focus: g.focus,
            levels,
            offsets,
            obs_unit,
            level,
            level_offsets,
            level_obs,
            raw,
            e,
            moments: vec![0.0; units * q * q],
            unit_mean,
            within_ss,
            pattern,
            patterns,
            clustering,
            collinearity_tolerance: opts.collinearity_tolerance,
        };
        // The centring reads no moments (only `B` and `K`): they are formed after it.
        panel.centre();
        panel.moments = cross_products(&panel.e, &panel.offsets, q);
        Ok(panel)
    }

    /// Unit `c` with `w` copies, as stored.
    fn view(&self, c: usize, w: u32) -> View<'_> {
        let (q, obs) = (self.q, self.offsets[c]..self.offsets[c + 1]);
        View {
            unit: c,
            w,
            levels: &self.level[obs.clone()],
            e: &self.e[obs.start * q..obs.end * q],
            moments: &self.moments[c * q * q..(c + 1) * q * q],
            mean: &self.unit_mean[c * q..(c + 1) * q],
            within_ss: &self.within_ss[c * q..(c + 1) * q],
        }
    }

    /// Centres `e` on the full-sample two-way residual: subtracting a function in the FE
    /// span of every draw leaves every draw's fit unchanged, and makes `B_w` a sampling
    /// deviation (zero on the full sample), so `S_w = Σ w E - B'Γ` stays well conditioned.
    /// The second pass removes what rounding left of the level effects. Should a block
    /// not factor, `e` stays merely unit-demeaned, which is as exact, only less well
    /// conditioned.
    fn centre(&mut self) {
        let q = self.q;
        for _ in 0..2 {
            let kept: Vec<usize> = (0..self.pattern.len())
                .filter(|&c| self.pattern[c] != NONE)
                .collect();
            let mut weight = vec![0u32; self.patterns.len()];
            for &c in &kept {
                weight[self.pattern[c] as usize] += 1;
            }
            let patterns: Vec<(&[u32], u32)> = self
                .patterns
                .iter()
                .zip(&weight)
                .map(|(p, &w)| (p.as_slice(), w))
                .collect();
            let views: Vec<View> = kept.iter().map(|&c| self.view(c, 1)).collect();
            let Some(block) = self.level_block(&patterns, &views) else {
                return;
            };
            drop(views);
            for c in kept {
                let obs = self.offsets[c]..self.offsets[c + 1];
                for j in 0..q {
                    let g = |o: usize| block.gamma[self.level[o] as usize * q + j];
                    let avg = obs.clone().map(g).sum::<f64>() / obs.len() as f64;
                    for o in obs.clone() {
                        self.e[o * q + j] -= g(o) - avg;
                    }
                }
            }
        }
    }

    /// Singleton dropping on the sample with `w[c]` copies of unit `c`. The fixed point of
    /// iterated singleton dropping is unique (the largest subsample in which no level of
    /// any FE has exactly one row) and the copies of a unit are interchangeable, so every
    /// copy keeps the same rows and the fixed point can be found on the weighted units.
    /// Returns each unit that loses rows, ascending, with the observations it keeps
    /// (none when it loses all); most draws lose none.
    fn trim(&self, w: &[u32]) -> Vec<(usize, Vec<usize>)> {
        let l = self.levels;
        let mut count = vec![0u32; l];
        let mut pattern_weight = vec![0u32; self.patterns.len()];
        for (c, &wc) in w.iter().enumerate() {
            if wc > 0 && self.pattern[c] != NONE {
                pattern_weight[self.pattern[c] as usize] += wc;
            }
        }
        for (pat, &pw) in self.patterns.iter().zip(&pattern_weight) {
            if pw > 0 {
                for &s in pat {
                    count[s as usize] += pw;
                }
            }
        }
        let mut work: Vec<usize> = (0..l).filter(|&s| count[s] == 1).collect();
        if work.is_empty() {
            return Vec::new();
        }
        let mut dead = vec![false; self.level.len()];
        let mut alive_rows: Vec<u32> = (0..w.len())
            .map(|c| (self.offsets[c + 1] - self.offsets[c]) as u32)
            .collect();
        let mut touched = Vec::new();
        while let Some(s) = work.pop() {
            if count[s] != 1 {
                continue;
            }
            // The one row left in level `s` (its unit has a single copy).
            let Some(o) = self.level_obs[self.level_offsets[s]..self.level_offsets[s + 1]]
                .iter()
                .map(|&o| o as usize)
                .find(|&o| !dead[o] && w[self.obs_unit[o] as usize] > 0)
            else {
                continue;
            };
            let c = self.obs_unit[o] as usize;
            dead[o] = true;
            count[s] -= w[c];
            if alive_rows[c] == self.offsets[c + 1] as u32 - self.offsets[c] as u32 {
                touched.push(c);
            }
            alive_rows[c] -= 1;
            if alive_rows[c] == 1 {
                // The unit's last row is alone in its unit level in every copy.
                let last = (self.offsets[c]..self.offsets[c + 1])
                    .find(|&o| !dead[o])
                    .expect("one row alive");
                dead[last] = true;
                alive_rows[c] = 0;
                let t = self.level[last] as usize;
                count[t] -= w[c];
                if count[t] == 1 {
                    work.push(t);
                }
            }
        }
        touched.sort_unstable();
        touched
            .into_iter()
            .map(|c| {
                let rows = (self.offsets[c]..self.offsets[c + 1])
                    .filter(|&o| !dead[o])
                    .collect();
                (c, rows)
            })
            .collect()
    }

    /// The moments of unit `c` (`w` copies) on its rows `rows` (observation indices):
    /// `e` re-demeaned over them (still centred: what was subtracted stays in the FE
    /// span), raw means and within sums of squares from the raw values.
    fn trimmed(&self, c: usize, w: u32, rows: &[usize]) -> Trimmed {
        let q = self.q;
        let mut raw = Vec::with_capacity(rows.len() * q);
        let mut stored = Vec::with_capacity(rows.len() * q);
        for &o in rows {
            raw.extend_from_slice(&self.raw[o * q..(o + 1) * q]);
            stored.extend_from_slice(&self.e[o * q..(o + 1) * q]);
        }
        let (mut mean, mut within_ss) = (vec![0.0; q], vec![0.0; q]);
        let mut scratch = vec![0.0; rows.len() * q];
        demean_rows(&raw, q, &mut scratch, &mut mean, &mut within_ss);
        let mut e = vec![0.0; rows.len() * q];
        demean_rows(&stored, q, &mut e, &mut vec![0.0; q], &mut vec![0.0; q]);
        Trimmed {
            unit: c,
            w,
            levels: rows.iter().map(|&o| self.level[o]).collect(),
            moments: cross_products(&e, &[0, rows.len()], q),
            e,
            mean,
            within_ss,
        }
    }

    /// `B_w` and `Γ_w` of the sample made of `views`, whose level patterns (with their
    /// total weights) are `patterns`; `None` when a block does not factor. One level of
    /// each component of the unit-level graph is the reference.
    fn level_block(&self, patterns: &[(&[u32], u32)], views: &[View]) -> Option<LevelBlock> {
        let (l, q) = (self.levels, self.q);
        // Components of the unit-level graph: the patterns link the levels they observe.
        let mut root: Vec<u32> = (0..l as u32).collect();
        fn find(root: &mut [u32], mut x: u32) -> u32 {
            while root[x as usize] != x {
                root[x as usize] = root[root[x as usize] as usize];
                x = root[x as usize];
            }
            x
        }
        let mut count = vec![0u32; l];
        for &(pat, pw) in patterns.iter().filter(|p| p.1 > 0) {
            let first = find(&mut root, pat[0]);
            for &s in pat {
                count[s as usize] += pw;
                let r = find(&mut root, s);
                if r != first {
                    root[r as usize] = first;
                }
            }
        }
        // Each component's levels (ascending) and patterns.
        let mut comp_index = vec![NONE; l];
        let mut comp_levels: Vec<Vec<u32>> = Vec::new();
        for s in 0..l as u32 {
            if count[s as usize] > 0 {
                let r = find(&mut root, s) as usize;
                if comp_index[r] == NONE {
                    comp_index[r] = comp_levels.len() as u32;
                    comp_levels.push(Vec::new());
                }
                comp_levels[comp_index[r] as usize].push(s);
            }
        }
        let mut comp_patterns: Vec<Vec<usize>> = vec![Vec::new(); comp_levels.len()];
        for (i, &(pat, pw)) in patterns.iter().enumerate() {
            if pw > 0 {
                let r = find(&mut root, pat[0]) as usize;
                comp_patterns[comp_index[r] as usize].push(i);
            }
        }
        let mut b = vec![0.0; l * q];
        for v in views {
            let wf = v.w as f64;
            for (&s, row) in v.levels.iter().zip(v.e.chunks_exact(q)) {
                let s = s as usize;
                for (acc, x) in b[s * q..(s + 1) * q].iter_mut().zip(row) {
                    *acc += wf * x;
                }
            }
        }
        let mut gamma = vec![0.0; l * q];
        let mut index = vec![usize::MAX; l];
        for (levels, pats) in comp_levels.iter().zip(&comp_patterns) {
            if let [only] = pats.as_slice() {
                // One pattern seeing all of the component's levels: K = W (I - 11'/T) and
                // the rows of B sum to zero, so Γ = B / W (it differs from the solution
                // with a reference level by a constant, which neither B'Γ nor the
                // within-unit residuals see).
                let wf = patterns[*only].1 as f64;
                for &s in levels {
                    let s = s as usize;
                    for j in 0..q {
                        gamma[s * q + j] = b[s * q + j] / wf;
                    }
                }
                continue;
            }
            // The last level is the reference: the rest is a positive definite system.
            let kept = &levels[..levels.len() - 1];
            let r = kept.len();
            for (i, &s) in kept.iter().enumerate() {
                index[s as usize] = i;
            }
            let mut k = vec![0.0; r * r];
            for (i, &s) in kept.iter().enumerate() {
                k[i * r + i] = count[s as usize] as f64;
            }
            for &pi in pats {
                let (pat, pw) = patterns[pi];
                let f = pw as f64 / pat.len() as f64;
                for &a in pat {
                    let ia = index[a as usize];
                    if ia == usize::MAX {
                        continue;
                    }
                    for &c in pat {
                        let ic = index[c as usize];
                        if ic != usize::MAX {
                            k[ia * r + ic] -= f;
                        }
                    }
                }
            }
            let factor = SpdFactor::new(&k, r).ok()?;
            let mut rhs = vec![0.0; r];
            for j in 0..q {
                for (v, &s) in rhs.iter_mut().zip(kept) {
                    *v = b[s as usize * q + j];
                }
                for (&s, v) in kept.iter().zip(factor.solve(&rhs)) {
                    gamma[s as usize * q + j] = v;
                }
            }
            for &s in kept {
                index[s as usize] = usize::MAX;
            }
        }
        Some(LevelBlock {
            b,
            gamma,
            present: comp_levels.iter().map(|v| v.len()).sum(),
            components: comp_levels.len(),
        })
    }

    /// The focus coefficient on the sample with `w[c]` copies of unit `c`, or `None` when
    /// the general path must decide (see the module doc).
    fn draw(&self, w: &[u32]) -> Option<RefitDraw> {
        let (p, q, l) = (self.p, self.q, self.levels);
        let trims = self.trim(w);
        let mut is_trimmed = vec![false; w.len()];
        let mut trimmed = Vec::new();
        for (c, rows) in &trims {
            is_trimmed[*c] = true;
            if !rows.is_empty() {
                trimmed.push(self.trimmed(*c, w[*c], rows));
            }
        }
        let mut pattern_weight = vec![0u32; self.patterns.len()];
        let mut views = Vec::with_capacity(w.len());
        for (c, &wc) in w.iter().enumerate() {
            if wc > 0 && self.pattern[c] != NONE && !is_trimmed[c] {
                pattern_weight[self.pattern[c] as usize] += wc;
                views.push(self.view(c, wc));
            }
        }
        views.extend(trimmed.iter().map(Trimmed::view));
        if views.is_empty() {
            return None;
        }
        let patterns: Vec<(&[u32], u32)> = self
            .patterns
            .iter()
            .zip(&pattern_weight)
            .map(|(p, &pw)| (p.as_slice(), pw))
            .chain(trimmed.iter().map(|t| (t.levels.as_slice(), t.w)))
            .collect();
        let block = self.level_block(&patterns, &views)?;
        // S = Σ w E - B'Γ, the sample's size and raw means.
        let mut s = vec![0.0; q * q];
        let mut mean = vec![0.0; q];
        let (mut copies, mut rows) = (0u64, 0u64);
        for v in &views {
            let (wf, n) = (v.w as f64, v.levels.len() as f64);
            copies += v.w as u64;
            rows += v.w as u64 * v.levels.len() as u64;
            for (acc, m) in s.iter_mut().zip(v.moments) {
                *acc += wf * m;
            }
            for (acc, x) in mean.iter_mut().zip(v.mean) {
                *acc += wf * n * x;
            }
        }
        let nf = rows as f64;
        mean.iter_mut().for_each(|v| *v /= nf);
        for t in 0..l {
            let (bv, gv) = (
                &block.b[t * q..(t + 1) * q],
                &block.gamma[t * q..(t + 1) * q],
            );
            if gv.iter().all(|&v| v == 0.0) {
                continue;
            }
            for (row, &bj) in s.chunks_exact_mut(q).zip(bv) {
                for (x, g) in row.iter_mut().zip(gv) {
                    *x -= bj * g;
                }
            }
        }
        // Symmetrise: B'Γ is symmetric only to rounding.
        for j in 0..q {
            for k in 0..j {
                let v = 0.5 * (s[j * q + k] + s[k * q + j]);
                s[j * q + k] = v;
                s[k * q + j] = v;
            }
        }
        // Raw centred sums of squares on the sample: the general path's collinearity scale.
        let mut css = vec![0.0; q];
        for v in &views {
            let (wf, n) = (v.w as f64, v.levels.len() as f64);
            for j in 0..q {
                let between = v.mean[j] - mean[j];
                css[j] += wf * (v.within_ss[j] + n * between * between);
            }
        }
        let sxx: Vec<f64> = (0..p * p).map(|i| s[(i / p) * q + i % p]).collect();
        let sxy: Vec<f64> = (0..p).map(|j| s[j * q + p]).collect();
        let tol = self.collinearity_tolerance * COLLINEARITY_MARGIN;
        if detect_collinear(&sxx, p, &css[..p], tol).len() != p {
            return None;
        }
        let factor = SpdFactor::new(&sxx, p).ok()?;
        let b = factor.solve(&sxy);
        let mut unit_vec = vec![0.0; p];
        unit_vec[self.focus] = 1.0;
        let r = factor.solve(&unit_vec);
        if !b.iter().chain(&r).all(|v| v.is_finite()) {
            return None;
        }
        // Level effects of the residual (Γ a) and of the focus score (Γ_x r).
        let mut a = vec![1.0; q];
        for j in 0..p {
            a[j] = -b[j];
        }
        let mut gamma_a = vec![0.0; l];
        let mut gamma_r = vec![0.0; l];
        for (t, gv) in block.gamma.chunks_exact(q).enumerate() {
            gamma_a[t] = dot(gv, &a);
            gamma_r[t] = dot(&gv[..p], &r);
        }
        // Residuals u and focus scores z = r'x̃ row by row, both demeaned within the unit
        // (the part of the level effects the unit FE absorbs).
        let (mut rss, mut hetero, mut meat) = (0.0, 0.0, 0.0);
        let mut cluster_score = match &self.clustering {
            Clustering::Coarse { count, .. } => vec![0.0; *count],
            _ => Vec::new(),
        };
        let mut ua = Vec::new();
        let mut za = Vec::new();
        for v in &views {
            ua.clear();
            za.clear();
            for (&t, ev) in v.levels.iter().zip(v.e.chunks_exact(q)) {
                let t = t as usize;
                // `dot` keeps independent accumulators: a serial sum here is bound by the
                // latency of its additions, and this loop is most of a draw's time.
                ua.push(dot(ev, &a) - gamma_a[t]);
                za.push(dot(&ev[..p], &r) - gamma_r[t]);
            }
            let nc = v.levels.len() as f64;
            let mu = ua.iter().sum::<f64>() / nc;
            let mz = za.iter().sum::<f64>() / nc;
            let (mut uu, mut zu2, mut score) = (0.0, 0.0, 0.0);
            for (u, z) in ua.iter().zip(&za) {
                let (u, z) = (u - mu, z - mz);
                uu += u * u;
                zu2 += z * z * u * u;
                score += z * u;
            }
            let wf = v.w as f64;
            rss += wf * uu;
            hetero += wf * zu2;
            match &self.clustering {
                Clustering::Unit => meat += wf * score * score,
                Clustering::Coarse { of_unit, .. } => {
                    cluster_score[of_unit[v.unit] as usize] += wf * score
                }
                Clustering::None { .. } => {}
            }
        }
        let yy = s[q * q - 1] + nf * mean[p] * mean[p];
        // The general path rejects a residual sum of squares below 1e-28 of Σ y²; leave it
        // anything near that (and a NaN).
        if rss.is_nan() || rss <= 1e-20 * yy {
            return None;
        }
        // K: regressors + constant + absorbed levels not nested in a cluster, counted as
        // `Absorber::absorbed_dof` counts them (the unit FE is nested in any cluster here).
        let present = block.present as u64;
        let (absorbed, clusters) = match &self.clustering {
            Clustering::None { .. } => (copies - 1 + present - block.components as u64, 0),
            Clustering::Unit => (present - 1, copies as usize),
            Clustering::Coarse { of_unit, count } => {
                // The second FE is nested in the clusters when every level present is
                // seen by one cluster only.
                let mut level_cluster = vec![NONE; l];
                let mut seen = vec![false; *count];
                let mut nested = true;
                for v in &views {
                    let g = of_unit[v.unit];
                    seen[g as usize] = true;
                    for &t in v.levels {
                        let lc = &mut level_cluster[t as usize];
                        if *lc == NONE {
                            *lc = g;
                        } else if *lc != g {
                            nested = false;
                        }
                    }
                }
                meat = cluster_score.iter().map(|v| v * v).sum();
                let g = seen.iter().filter(|&&s| s).count();
                (if nested { 0 } else { present - 1 }, g)
            }
        };
        let k = p as u64 + 1 + absorbed;
        if rows <= k {
            return None;
        }
        let nk = (rows - k) as f64;
        let (var, df) = match &self.clustering {
            Clustering::None { robust: false } => (rss / nk * r[self.focus], nk),
            Clustering::None { robust: true } => (nf / nk * hetero, nk),
            Clustering::Unit | Clustering::Coarse { .. } => {
                if clusters < 2 {
                    return None;
                }
                let g = clusters as f64;
                ((nf - 1.0) / nk * g / (g - 1.0) * meat, g - 1.0)
            }
        };
        let bf = b[self.focus];
        let se = var.max(0.0).sqrt();
        let t = if se > 0.0 { bf / se } else { 0.0 };
        Some(RefitDraw {
            b: bf,
            se,
            t,
            p: dist::t_two_sided_p(t, df),
            df,
            n: rows as usize,
            clusters,
        })
    }
}

/// Demeans the rows of `raw` (`[row][j]`, `q` columns) into `out`, with the column means
/// and the demeaned sums of squares.
fn demean_rows(raw: &[f64], q: usize, out: &mut [f64], mean: &mut [f64], ss: &mut [f64]) {
    let n = raw.len() / q;
    for j in 0..q {
        let m = (0..n).map(|o| raw[o * q + j]).sum::<f64>() / n as f64;
        mean[j] = m;
        ss[j] = 0.0;
        for o in 0..n {
            let d = raw[o * q + j] - m;
            out[o * q + j] = d;
            ss[j] += d * d;
        }
    }
}

/// True when `f` takes one level per unit and different levels in different units (on the
/// rows given): it is the unit partition itself.
fn is_unit_partition(f: &[u32], unit: &[u32], units: usize) -> bool {
    let mut level_of = vec![None; units];
    for (&v, &u) in f.iter().zip(unit) {
        match level_of[u as usize] {
            None => level_of[u as usize] = Some(v),
            Some(prev) if prev != v => return false,
            _ => {}
        }
    }
    is_nested(f, unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resample::bootstrap_draws;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A unit x period panel in groups of units (some groups of one unit), with unit and
    /// period effects of very different sizes in every variable, raw (non-dense) FE codes,
    /// and a universe larger than the units that have rows.
    struct Panel {
        units: usize,
        unit: Vec<u32>,
        unit_code: Vec<u32>,
        year: Vec<u32>,
        group: Vec<u32>,
        group_year: Vec<u32>,
        x: Vec<Vec<f64>>,
        y: Vec<f64>,
    }

    const GROUP_SIZES: [usize; 6] = [1, 12, 1, 9, 10, 7];

    fn panel(periods: usize, keep_prob: f64, seed: u64) -> Panel {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let group_of: Vec<u32> = GROUP_SIZES
            .iter()
            .enumerate()
            .flat_map(|(g, &n)| std::iter::repeat_n(g as u32, n))
            .collect();
        let n_units = group_of.len();
        let p = 4;
        let unit_fx: Vec<Vec<f64>> = (0..=p)
            .map(|_| (0..n_units).map(|_| rng.random::<f64>() * 1e3).collect())
            .collect();
        let mut panel = Panel {
            // Units 40..44 of the universe have no rows in this sample.
            units: n_units + 5,
            unit: Vec::new(),
            unit_code: Vec::new(),
            year: Vec::new(),
            group: Vec::new(),
            group_year: Vec::new(),
            x: vec![Vec::new(); p],
            y: Vec::new(),
        };
        for u in 0..n_units {
            for t in 0..periods {
                if keep_prob < 1.0 && rng.random::<f64>() > keep_prob {
                    continue;
                }
                let g = group_of[u];
                panel.unit.push(u as u32);
                panel.unit_code.push(110_000 + 100 * u as u32);
                panel.year.push(2006 + t as u32);
                panel.group.push(10 + g);
                panel.group_year.push(g * 100 + t as u32);
                let mut yv = unit_fx[p][u] + 3.0 * t as f64 + rng.random::<f64>();
                for j in 0..p {
                    let v = unit_fx[j][u]
                        + (j as f64 + 1.0) * 10.0 * t as f64
                        + (g as f64 * t as f64).sin() * 5.0
                        + rng.random::<f64>();
                    panel.x[j].push(v);
                    yv += (j as f64 + 1.0) * 0.3 * v;
                }
                panel.y.push(yv);
            }
        }
        panel
    }

    /// The panel without the rows `drop` says yes to (unit ids and the universe kept).
    fn subset(pn: &Panel, drop: impl Fn(usize) -> bool) -> Panel {
        let rows: Vec<usize> = (0..pn.y.len()).filter(|&i| !drop(i)).collect();
        let g = |v: &[u32]| rows.iter().map(|&i| v[i]).collect::<Vec<u32>>();
        Panel {
            units: pn.units,
            unit: g(&pn.unit),
            unit_code: g(&pn.unit_code),
            year: g(&pn.year),
            group: g(&pn.group),
            group_year: g(&pn.group_year),
            x: pn
                .x
                .iter()
                .map(|v| rows.iter().map(|&i| v[i]).collect())
                .collect(),
            y: rows.iter().map(|&i| pn.y[i]).collect(),
        }
    }

    #[derive(Clone, Copy, Debug)]
    enum Fe {
        UnitYear,
        UnitGroupYear,
    }

    #[derive(Clone, Copy, Debug)]
    enum V {
        Unadjusted,
        Robust,
        Unit,
        Group,
    }

    const NAMES: [&str; 4] = ["robot", "gdp", "fdi", "urb"];

    fn design(pn: &Panel, fe: Fe, v: V) -> RefitDesign<'_> {
        let second: &[u32] = match fe {
            Fe::UnitYear => &pn.year,
            Fe::UnitGroupYear => &pn.group_year,
        };
        RefitDesign {
            y: &pn.y,
            x: NAMES
                .iter()
                .zip(&pn.x)
                .map(|(n, v)| (*n, v.as_slice()))
                .collect(),
            fe: vec![&pn.unit_code, second],
            vce: match v {
                V::Unadjusted => Vce::Unadjusted,
                V::Robust => Vce::Robust,
                V::Unit => Vce::Cluster(&pn.unit_code),
                V::Group => Vce::Cluster(&pn.group),
            },
            unit: &pn.unit,
            units: pn.units,
        }
    }

    fn close(have: f64, want: f64, rel: f64) -> bool {
        (have - want).abs() <= rel * want.abs().max(1e-300)
    }

    /// Every draw of the fast path equals the general path's (b, se, p to 1e-8 relative;
    /// n, df, clusters exactly; the same draws fail). Returns the fast path's stats. The
    /// reference runs its FE solver to 1e-14: at the default 1e-12 its own error on these
    /// panels (unit effects of 1e3 against noise of 1) reaches 1e-8 in a robust se.
    fn assert_matches_general(
        d: &RefitDesign,
        focus: usize,
        null_b: f64,
        draws: &[Vec<u32>],
    ) -> RefitStats {
        let opts = FitOptions {
            tolerance: 1e-14,
            ..FitOptions::default()
        };
        let fast = refit_draws(d, focus, null_b, draws, &opts, RefitPath::Fast).unwrap();
        let general = refit_draws(d, focus, null_b, draws, &opts, RefitPath::General).unwrap();
        for (i, (f, g)) in fast.draws.iter().zip(&general.draws).enumerate() {
            match (f, g) {
                (Ok(f), Ok(g)) => {
                    let ok = close(f.b, g.b, 1e-8)
                        && close(f.se, g.se, 1e-8)
                        && close(f.p, g.p, 1e-8)
                        && (f.n, f.df, f.clusters) == (g.n, g.df, g.clusters);
                    assert!(ok, "draw {i}: fast {f:?}\n general {g:?}");
                }
                (Err(f), Err(g)) => assert_eq!(f, g, "draw {i}"),
                _ => panic!("draw {i}: fast {f:?} vs general {g:?}"),
            }
        }
        fast.stats
    }

    const VCES: [V; 4] = [V::Unadjusted, V::Robust, V::Unit, V::Group];
    const FES: [Fe; 2] = [Fe::UnitYear, Fe::UnitGroupYear];

    /// Balanced (every draw on the fast path) and unbalanced panels (singleton dropping
    /// followed on the fast path), every FE and VCE variant, with and without a null.
    #[test]
    fn fast_path_equals_general_path_balanced_or_not() {
        for (keep, focus, null_b, seed) in [(1.0, 0, 0.0, 1), (0.85, 1, 0.2, 2)] {
            let pn = panel(10, keep, seed);
            let draws = bootstrap_draws(25, pn.units, seed + 6);
            for fe in FES {
                for v in VCES {
                    let stats = assert_matches_general(&design(&pn, fe, v), focus, null_b, &draws);
                    assert_eq!(stats.general_design, None, "{fe:?} {v:?}");
                    assert_eq!((stats.fast, stats.general), (25, 0), "{fe:?} {v:?}");
                }
            }
        }
    }

    /// Samples that drop whole units and a year, balanced and not, with draws that hit
    /// the units outside the sample.
    #[test]
    fn sample_subsets_equal_general_path() {
        for (keep, seed) in [(1.0, 3), (0.9, 4)] {
            let full = panel(9, keep, seed);
            let pn = subset(&full, |i| full.unit[i] % 7 == 3 || full.year[i] == 2008);
            let draws = bootstrap_draws(20, pn.units, seed + 10);
            for fe in FES {
                for v in VCES {
                    let stats = assert_matches_general(&design(&pn, fe, v), 0, -0.1, &draws);
                    assert_eq!(stats.general_design, None);
                    if keep == 1.0 {
                        assert_eq!(stats.general, 0, "{fe:?} {v:?}");
                    }
                }
            }
        }
    }

    /// With the full-sample estimate as the null and every unit drawn once, the refit
    /// gives b = 0 and the full sample's standard error.
    #[test]
    fn null_on_the_identity_draw_gives_zero_and_the_full_sample_se() {
        let opts = FitOptions::default();
        for (keep, seed) in [(1.0, 5), (0.85, 6)] {
            let pn = panel(10, keep, seed);
            let identity = vec![(0..pn.units as u32).collect::<Vec<u32>>()];
            for fe in FES {
                for v in VCES {
                    let d = design(&pn, fe, v);
                    let ols = Design {
                        y: d.y,
                        x: d.x.clone(),
                        fe: d.fe.clone(),
                    };
                    let full = ols_fe_with(&ols, d.vce, &opts).unwrap();
                    let (b, se, ..) = full.coef("robot").unwrap();
                    for refits in [
                        refit_draws(&d, 0, b, &identity, &opts, RefitPath::Fast).unwrap(),
                        refit_draws(&d, 0, b, &identity, &opts, RefitPath::General).unwrap(),
                    ] {
                        let r = refits.draws[0].as_ref().unwrap();
                        assert!(r.b.abs() < 1e-10, "{fe:?} {v:?}: b = {}", r.b);
                        assert!(close(r.se, se, 1e-8), "{fe:?} {v:?}: {} vs {se}", r.se);
                        assert_eq!((r.n, r.df), (full.n, full.df_t));
                    }
                }
            }
        }
    }

    #[test]
    fn designs_outside_the_fast_path_take_the_general_path() {
        let pn = panel(6, 1.0, 9);
        let draws = bootstrap_draws(4, pn.units, 1);
        let base = design(&pn, Fe::UnitYear, V::Unit);
        let two_way = RefitDesign {
            vce: Vce::TwoWayCluster(&pn.unit_code, &pn.year),
            ..base.clone()
        };
        let three_fe = RefitDesign {
            fe: vec![&pn.unit_code, &pn.year, &pn.group_year],
            ..base.clone()
        };
        let finer_cluster = RefitDesign {
            vce: Vce::Cluster(&pn.group_year),
            ..base.clone()
        };
        let no_unit_fe = RefitDesign {
            fe: vec![&pn.group, &pn.year],
            ..base.clone()
        };
        for d in [&two_way, &three_fe, &finer_cluster, &no_unit_fe] {
            let stats = assert_matches_general(d, 0, 0.0, &draws);
            assert!(stats.general_design.is_some());
            assert_eq!((stats.fast, stats.general), (0, 4));
        }
    }

    /// A draw that cannot be fit fails on its own; the others are unaffected.
    #[test]
    fn a_failing_draw_fails_alone() {
        let pn = panel(6, 1.0, 10);
        let d = design(&pn, Fe::UnitYear, V::Unit);
        let draws = vec![vec![3], (0..40).collect(), vec![41, 42], vec![5, 5]];
        let r = refit_draws(&d, 0, 0.0, &draws, &FitOptions::default(), RefitPath::Fast).unwrap();
        assert!(matches!(r.draws[0], Err(EstimateError::EmptySample(_))));
        assert!(r.draws[1].is_ok());
        assert!(matches!(r.draws[2], Err(EstimateError::EmptySample(_))));
        assert!(r.draws[3].is_err());
        assert_eq!((r.stats.fast, r.stats.general), (1, 3));
        // Out-of-range ids are an error of the call.
        let bad = vec![vec![0, 45]];
        assert!(refit_draws(&d, 0, 0.0, &bad, &FitOptions::default(), RefitPath::Fast).is_err());
        assert!(refit_draws(&d, 4, 0.0, &draws, &FitOptions::default(), RefitPath::Fast).is_err());
    }

    /// A single-unit group drawn once is all singletons in its group-year levels and
    /// drops out (fast path); drawn twice it stays with zero residuals.
    #[test]
    fn single_unit_groups_drop_out_as_the_general_path_drops_them() {
        let pn = panel(8, 1.0, 11);
        let d = design(&pn, Fe::UnitGroupYear, V::Group);
        // Unit 0 and unit 13 are the groups of one unit.
        let mut draws = Vec::new();
        for (a, b) in [(1, 1), (2, 1), (1, 2), (2, 2), (0, 3)] {
            let mut dr: Vec<u32> = (1..40).filter(|&u| u != 13).collect();
            dr.extend(std::iter::repeat_n(0, a));
            dr.extend(std::iter::repeat_n(13, b));
            draws.push(dr);
        }
        let stats = assert_matches_general(&d, 0, 0.0, &draws);
        assert_eq!(stats.general, 0);
    }

    /// Singleton dropping that cascades through units: year 2006 is seen by unit 0 only,
    /// so unit 0 loses it, then its last row (2007), after which 2007 has one row left
    /// (unit 1's) when unit 1 is drawn once, and unit 1 keeps four of its five rows.
    #[test]
    fn singleton_cascades_are_followed_exactly() {
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        let years: Vec<Vec<u32>> = (0..8)
            .map(|c| match c {
                0 => vec![0, 1],
                1 => vec![1, 2, 3, 4, 5],
                _ => (2..7).collect(),
            })
            .collect();
        let (mut unit, mut year) = (Vec::new(), Vec::new());
        for (c, ys) in years.iter().enumerate() {
            for &t in ys {
                unit.push(c as u32);
                year.push(2006 + t);
            }
        }
        let n = unit.len();
        let x: Vec<Vec<f64>> = (0..2)
            .map(|_| (0..n).map(|_| rng.random::<f64>()).collect())
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|i| x[0][i] - x[1][i] + rng.random::<f64>())
            .collect();
        let draws = vec![
            (0..8).collect::<Vec<u32>>(),
            vec![0, 1, 1, 2, 3, 4, 5],
            vec![0, 0, 1, 2, 3, 4, 6, 7],
            vec![0, 1, 2, 2, 5, 6],
        ];
        for vce in [Vce::Robust, Vce::Cluster(&unit), Vce::Unadjusted] {
            let d = RefitDesign {
                y: &y,
                x: vec![("a", &x[0]), ("b", &x[1])],
                fe: vec![&unit, &year],
                vce,
                unit: &unit,
                units: 8,
            };
            let stats = assert_matches_general(&d, 0, 0.0, &draws);
            assert_eq!(stats.general, 0);
            let r =
                refit_draws(&d, 0, 0.0, &draws, &FitOptions::default(), RefitPath::Fast).unwrap();
            // 37 rows less unit 0 (2) and unit 1's 2007.
            assert_eq!(r.draws[0].as_ref().unwrap().n, 34);
        }
    }

    /// A regressor that moves only within unit 5 is collinear with the FE in draws
    /// without unit 5: those draws go to the general path, which drops it (or fails when
    /// it is the focus).
    #[test]
    fn draws_with_a_collinear_regressor_take_the_general_path() {
        let mut pn = panel(8, 1.0, 14);
        pn.x[3] = (0..pn.y.len())
            .map(|i| {
                if pn.unit[i] == 5 {
                    (i * i % 7) as f64
                } else {
                    1.0
                }
            })
            .collect();
        let draws = bootstrap_draws(30, pn.units, 2);
        let without = draws.iter().filter(|d| !d.contains(&5)).count();
        assert!(without > 0 && without < 30);
        for focus in [0, 3] {
            let d = design(&pn, Fe::UnitYear, V::Unit);
            let stats = assert_matches_general(&d, focus, 0.0, &draws);
            assert_eq!((stats.fast, stats.general), (30 - without, without));
        }
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let pn = panel(10, 0.8, 12);
        let d = design(&pn, Fe::UnitGroupYear, V::Robust);
        let draws = bootstrap_draws(16, pn.units, 3);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    refit_draws(&d, 0, 0.0, &draws, &FitOptions::default(), RefitPath::Fast)
                        .unwrap()
                })
        };
        let (one, three) = (run(1), run(3));
        assert_eq!(one.stats, three.stats);
        for (a, b) in one.draws.iter().zip(&three.draws) {
            match (a, b) {
                (Ok(a), Ok(b)) => assert_eq!(
                    (a.b.to_bits(), a.se.to_bits(), a.p.to_bits()),
                    (b.b.to_bits(), b.se.to_bits(), b.p.to_bits())
                ),
                (a, b) => assert_eq!(a.is_err(), b.is_err()),
            }
        }
    }
}
