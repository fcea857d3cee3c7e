//! Between-group coefficient difference (paper Table 9).
//!
//! *Permutation test* (Stata `bdiff`, Fisher permutation for panel data): the groups are
//! defined at the cluster level (a city is in group 0 or group 1; the flag must be
//! constant within a cluster). Observed `d0 = b_0 - b_1`, the coefficient of interest in
//! group 0 minus that in group 1, each from its own regression with the same FE. Each
//! permutation orders the cluster positions (see [`crate::resample`]); the first `G_0`
//! clusters form pseudo-group 0 and the rest pseudo-group 1 (original sizes), giving
//! `d*`. `p = #(d* >= d0) / R`, replaced by `1 - p` when above 0.5 (one-sided, as bdiff
//! reports it). Permutations whose fits fail are counted and excluded from `R`. On a
//! unit x period panel clustered by unit (balanced or not) each split is a 0/1 weighting
//! of whole units and its slopes come from per-unit moments ([`crate::cluster_moments`]);
//! other designs, and any split that is not clean there, are fitted on the general path.
//!
//! *Chow test* from the fully interacted model on the pooled sample: every regressor
//! `x_j` and `x_j g` (g = 1 in group 1) as regressors, every FE dimension interacted with
//! the group (so city FE stay city FE and year FE become group-by-year FE), cluster VCE.
//! The interaction on the coefficient of interest equals `b_1 - b_0`; its Wald test is
//! `F(1, G - 1) = t²`, and the joint test of all interactions is `F = W / p` on
//! `F(p, G - 1)`.

use crate::cluster_moments::ClusterPanel;
use crate::linalg::wald;
use crate::linear::{check_finite, check_len, Prepared};
use crate::ols::ols_prepared;
use crate::resample::{gather, permutations, ClusterRows, Draws};
use crate::{dist, EstimateError, FitOptions, OlsResult, Vce};
use serde::Serialize;

/// Inputs, one entry per observation.
#[derive(Debug, Clone)]
pub struct GroupDiffInput<'a> {
    pub y: &'a [f64],
    pub x: Vec<(&'a str, &'a [f64])>,
    /// Name of the coefficient whose difference is tested (one of `x`).
    pub coef: &'a str,
    pub fe: Vec<&'a [u32]>,
    pub cluster: &'a [u32],
    /// Group membership, constant within each cluster.
    pub group: &'a [bool],
}

/// Options: permutations (default 1,000 seeded), fit options.
#[derive(Debug, Clone, Copy)]
pub struct GroupDiffOptions<'a> {
    pub permutations: Draws<'a>,
    pub fit: FitOptions,
}

impl Default for GroupDiffOptions<'_> {
    fn default() -> Self {
        Self {
            permutations: Draws::Seeded {
                reps: 1000,
                seed: 20_260_601,
            },
            fit: FitOptions::default(),
        }
    }
}

/// Split-sample estimate of the coefficient of interest.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct GroupEstimate {
    pub b: f64,
    pub se: f64,
    pub t: f64,
    pub p: f64,
    pub n: usize,
    pub n_clusters: usize,
}

/// Permutation-test summary.
#[derive(Debug, Clone, Serialize)]
pub struct PermutationTest {
    pub reps: usize,
    pub failed: usize,
    /// `#(d* >= d0) / R`, replaced by `1 - p` when above 0.5.
    pub p: f64,
    /// The `d*` of the successful permutations, in order.
    pub draws: Vec<f64>,
}

/// Chow test from the fully interacted model.
#[derive(Debug, Clone, Serialize)]
pub struct ChowTest {
    /// Interaction coefficient on the coefficient of interest (`b_1 - b_0`) and its SE.
    pub diff: f64,
    pub se: f64,
    pub f: f64,
    pub f_df: (f64, f64),
    pub p: f64,
    /// Joint test of all interactions.
    pub joint_f: f64,
    pub joint_df: (f64, f64),
    pub joint_p: f64,
}

/// Result of [`group_difference`].
#[derive(Debug, Clone, Serialize)]
pub struct GroupDiffResult {
    pub group0: GroupEstimate,
    pub group1: GroupEstimate,
    /// `d0 = b_0 - b_1`.
    pub d0: f64,
    pub permutation: Option<PermutationTest>,
    pub chow: ChowTest,
}

fn fit_subset(
    input: &GroupDiffInput,
    rows: &[usize],
    opts: &FitOptions,
) -> Result<OlsResult, EstimateError> {
    let y = gather(input.y, rows);
    let xs: Vec<Vec<f64>> = input.x.iter().map(|(_, v)| gather(v, rows)).collect();
    let x_refs: Vec<(&str, &[f64])> = input
        .x
        .iter()
        .zip(&xs)
        .map(|((n, _), v)| (*n, v.as_slice()))
        .collect();
    let fe: Vec<Vec<u32>> = input.fe.iter().map(|f| gather(f, rows)).collect();
    let fe_refs: Vec<&[u32]> = fe.iter().map(|v| v.as_slice()).collect();
    let cl = gather(input.cluster, rows);
    let prep = Prepared::new(y.len(), &fe_refs, &Vce::Cluster(&cl), opts)?;
    ols_prepared(&prep, &y, &x_refs, opts)
}

fn estimate(r: &OlsResult, name: &str) -> Result<GroupEstimate, EstimateError> {
    let (b, se, t, p) = r
        .coef(name)
        .ok_or_else(|| EstimateError::AllRegressorsCollinear(vec![name.to_string()]))?;
    Ok(GroupEstimate {
        b,
        se,
        t,
        p,
        n: r.n,
        n_clusters: r.n_clusters.first().copied().unwrap_or(0),
    })
}

fn rows_of(clusters: &ClusterRows, positions: &[u32]) -> Vec<usize> {
    let mut rows: Vec<usize> = positions
        .iter()
        .flat_map(|&k| clusters.rows[k as usize].iter().copied())
        .collect();
    rows.sort_unstable();
    rows
}

/// Split-sample coefficients, bdiff permutation test and Chow test.
pub fn group_difference(
    input: &GroupDiffInput,
    opts: &GroupDiffOptions,
) -> Result<GroupDiffResult, EstimateError> {
    let n = input.y.len();
    if n == 0 {
        return Err(EstimateError::EmptySample(
            "outcome has no observations".into(),
        ));
    }
    check_finite("y", input.y)?;
    for (name, v) in &input.x {
        check_len(name, v.len(), n)?;
        check_finite(name, v)?;
    }
    for (f, v) in input.fe.iter().enumerate() {
        check_len(&format!("fixed effect {f}"), v.len(), n)?;
    }
    check_len("cluster", input.cluster.len(), n)?;
    check_len("group", input.group.len(), n)?;
    let coef_pos = input
        .x
        .iter()
        .position(|(name, _)| *name == input.coef)
        .ok_or_else(|| {
            EstimateError::InvalidArgument(format!("coefficient {} is not a regressor", input.coef))
        })?;
    let clusters = ClusterRows::new(input.cluster);
    let g = clusters.len();
    let mut cluster_group = Vec::with_capacity(g);
    for (k, rows) in clusters.rows.iter().enumerate() {
        let first = input.group[rows[0]];
        if rows.iter().any(|&r| input.group[r] != first) {
            return Err(EstimateError::InvalidArgument(format!(
                "group is not constant within cluster {}",
                clusters.ids[k]
            )));
        }
        cluster_group.push(first);
    }
    let pos0: Vec<u32> = (0..g as u32)
        .filter(|&k| !cluster_group[k as usize])
        .collect();
    let pos1: Vec<u32> = (0..g as u32)
        .filter(|&k| cluster_group[k as usize])
        .collect();
    if pos0.len() < 2 || pos1.len() < 2 {
        return Err(EstimateError::TooFewClusters(pos0.len().min(pos1.len())));
    }
    let g0 = pos0.len();
    let group0 = estimate(
        &fit_subset(input, &rows_of(&clusters, &pos0), &opts.fit)?,
        input.coef,
    )?;
    let group1 = estimate(
        &fit_subset(input, &rows_of(&clusters, &pos1), &opts.fit)?,
        input.coef,
    )?;
    let d0 = group0.b - group1.b;

    let generated;
    let perms: &[Vec<u32>] = match opts.permutations {
        Draws::None => &[],
        Draws::Seeded { reps, seed } => {
            generated = permutations(reps, g, seed);
            &generated
        }
        Draws::Explicit(p) => p,
    };
    let permutation = if perms.is_empty() {
        None
    } else {
        for perm in perms {
            let mut seen = vec![false; g];
            let valid = perm.len() == g
                && perm
                    .iter()
                    .all(|&k| (k as usize) < g && !std::mem::replace(&mut seen[k as usize], true));
            if !valid {
                return Err(EstimateError::InvalidArgument(format!(
                    "a permutation is not an ordering of 0..{g}"
                )));
            }
        }
        let fast = MomentSplit::new(input, &clusters, coef_pos, opts.fit.collinearity_tolerance);
        let mut weights = vec![0.0; g];
        let mut draws = Vec::with_capacity(perms.len());
        let mut failed = 0;
        for perm in perms {
            let fast = fast.as_ref().and_then(|f| {
                Some(f.coef(&perm[..g0], &mut weights)? - f.coef(&perm[g0..], &mut weights)?)
            });
            let d = fast.or_else(|| {
                let a = fit_subset(input, &rows_of(&clusters, &perm[..g0]), &opts.fit).ok()?;
                let b = fit_subset(input, &rows_of(&clusters, &perm[g0..]), &opts.fit).ok()?;
                Some(a.coef(input.coef)?.0 - b.coef(input.coef)?.0)
            });
            match d {
                Some(d) => draws.push(d),
                None => failed += 1,
            }
        }
        if draws.is_empty() {
            return Err(EstimateError::InvalidArgument(
                "every permutation failed to estimate".into(),
            ));
        }
        let hits = draws.iter().filter(|&&d| d >= d0).count() as f64;
        let mut p = hits / draws.len() as f64;
        if p > 0.5 {
            p = 1.0 - p;
        }
        Some(PermutationTest {
            reps: perms.len(),
            failed,
            p,
            draws,
        })
    };

    let chow = chow_test(input, coef_pos, &opts.fit)?;
    Ok(GroupDiffResult {
        group0,
        group1,
        d0,
        permutation,
        chow,
    })
}

/// The moment fast path of the permutation test ([`crate::cluster_moments`]): variables
/// y, x... at indices 0, 1...
struct MomentSplit {
    panel: ClusterPanel,
    regs: Vec<usize>,
    coef_pos: usize,
    collinearity_tolerance: f64,
}

impl MomentSplit {
    fn new(
        input: &GroupDiffInput,
        clusters: &ClusterRows,
        coef_pos: usize,
        tol: f64,
    ) -> Option<Self> {
        let mut vars: Vec<&[f64]> = vec![input.y];
        vars.extend(input.x.iter().map(|(_, v)| *v));
        Some(Self {
            panel: ClusterPanel::new(clusters, &input.fe, &vars)?,
            regs: (1..vars.len()).collect(),
            coef_pos,
            collinearity_tolerance: tol,
        })
    }

    /// The coefficient of interest on the clusters at `members`, or `None` when the
    /// general path must fit it. `weights` is scratch space of one entry per cluster.
    fn coef(&self, members: &[u32], weights: &mut [f64]) -> Option<f64> {
        weights.iter_mut().for_each(|w| *w = 0.0);
        for &k in members {
            weights[k as usize] = 1.0;
        }
        let b = self
            .panel
            .weighted(weights)?
            .slopes(0, &self.regs, self.collinearity_tolerance)?;
        Some(b[self.coef_pos])
    }
}

fn chow_test(
    input: &GroupDiffInput,
    coef_pos: usize,
    opts: &FitOptions,
) -> Result<ChowTest, EstimateError> {
    let names: Vec<String> = input.x.iter().map(|(n, _)| format!("{n}:group")).collect();
    let inter: Vec<Vec<f64>> = input
        .x
        .iter()
        .map(|(_, v)| {
            v.iter()
                .zip(input.group)
                .map(|(x, &g)| if g { *x } else { 0.0 })
                .collect()
        })
        .collect();
    let mut regs: Vec<(&str, &[f64])> = input.x.clone();
    for (n, v) in names.iter().zip(&inter) {
        regs.push((n.as_str(), v.as_slice()));
    }
    let fe: Vec<Vec<u32>> = input
        .fe
        .iter()
        .map(|f| {
            let codes: Vec<u64> = f
                .iter()
                .zip(input.group)
                .map(|(&l, &g)| ((l as u64) << 1) | g as u64)
                .collect();
            crate::absorb::compact_codes(&codes).0
        })
        .collect();
    let fe_refs: Vec<&[u32]> = fe.iter().map(|v| v.as_slice()).collect();
    let prep = Prepared::new(input.y.len(), &fe_refs, &Vce::Cluster(input.cluster), opts)?;
    let r = ols_prepared(&prep, input.y, &regs, opts)?;
    let target = &names[coef_pos];
    let i = r
        .index_of(target)
        .ok_or_else(|| EstimateError::AllRegressorsCollinear(vec![target.clone()]))?;
    let k = r.b.len();
    let flat: Vec<f64> = r.vcov.iter().flatten().copied().collect();
    let idx: Vec<usize> = names.iter().filter_map(|n| r.index_of(n)).collect();
    let w = wald(&r.b, &flat, k, &idx)?;
    let q = idx.len() as f64;
    let f = r.t[i] * r.t[i];
    Ok(ChowTest {
        diff: r.b[i],
        se: r.se[i],
        f,
        f_df: (1.0, r.df_t),
        p: dist::f_sf(f, 1.0, r.df_t),
        joint_f: w / q,
        joint_df: (q, r.df_t),
        joint_p: dist::f_sf(w / q, q, r.df_t),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    type Panel = (Vec<u32>, Vec<u32>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<bool>);

    fn data(g: usize, t: usize) -> Panel {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let city: Vec<u32> = (0..g * t).map(|i| (i / t) as u32 * 2 + 1).collect();
        let year: Vec<u32> = (0..g * t).map(|i| (i % t) as u32 + 2000).collect();
        let group: Vec<bool> = (0..g * t).map(|i| (i / t).is_multiple_of(3)).collect();
        let x: Vec<f64> = (0..g * t).map(|_| rng.random::<f64>()).collect();
        let w: Vec<f64> = (0..g * t)
            .map(|i| (i % t) as f64 * rng.random::<f64>())
            .collect();
        let y: Vec<f64> = (0..g * t)
            .map(|i| if group[i] { 2.0 } else { 1.0 } * x[i] + w[i] + rng.random::<f64>())
            .collect();
        (city, year, y, x, w, group)
    }

    /// The permutation draws on a balanced panel (moment fast path) equal the general
    /// path's split fits of the same permutations.
    #[test]
    fn fast_permutation_draws_equal_general_split_fits() {
        let (g, t) = (24, 5);
        let (city, year, y, x, w, group) = data(g, t);
        let input = GroupDiffInput {
            y: &y,
            x: vec![("x", &x), ("w", &w)],
            coef: "x",
            fe: vec![&city, &year],
            cluster: &city,
            group: &group,
        };
        let perms = permutations(40, g, 9);
        let opts = GroupDiffOptions {
            permutations: Draws::Explicit(&perms),
            ..Default::default()
        };
        let got = group_difference(&input, &opts)
            .unwrap()
            .permutation
            .unwrap();
        let clusters = ClusterRows::new(&city);
        let g0 = (0..g).filter(|c| !group[c * t]).count();
        let fit = FitOptions::default();
        for (perm, d) in perms.iter().zip(&got.draws) {
            let a = fit_subset(&input, &rows_of(&clusters, &perm[..g0]), &fit).unwrap();
            let b = fit_subset(&input, &rows_of(&clusters, &perm[g0..]), &fit).unwrap();
            let want = a.coef("x").unwrap().0 - b.coef("x").unwrap().0;
            assert!(
                (d - want).abs() <= 1e-10 * want.abs().max(1e-12),
                "{d} vs {want}"
            );
        }
    }

    /// On an unbalanced panel every permutation split the moment fast path takes equals
    /// the general split fits, and the permutation draws as a whole equal the general
    /// path's. The panel has holes, two cities observed once, and a year seen by two
    /// cities only (splits that leave it one row go to the general path).
    #[test]
    fn unbalanced_fast_permutation_draws_equal_general_split_fits() {
        let (g, t) = (30, 7);
        let (city, year, y, x, w, group) = data(g, t);
        let keep: Vec<usize> = (0..g * t)
            .filter(|&i| {
                let (c, l) = (i / t, i % t);
                match c {
                    4 | 19 => l == 2,
                    _ if l == 6 => c == 7 || c == 8,
                    _ => (c * 2 + l * 3) % 5 != 0,
                }
            })
            .collect();
        let pick = |v: &[f64]| -> Vec<f64> { keep.iter().map(|&i| v[i]).collect() };
        let (y, x, w) = (pick(&y), pick(&x), pick(&w));
        let city: Vec<u32> = keep.iter().map(|&i| city[i]).collect();
        let year: Vec<u32> = keep.iter().map(|&i| year[i]).collect();
        let group: Vec<bool> = keep.iter().map(|&i| group[i]).collect();
        let input = GroupDiffInput {
            y: &y,
            x: vec![("x", &x), ("w", &w)],
            coef: "x",
            fe: vec![&city, &year],
            cluster: &city,
            group: &group,
        };
        let perms = permutations(60, g, 4);
        let opts = GroupDiffOptions {
            permutations: Draws::Explicit(&perms),
            ..Default::default()
        };
        let clusters = ClusterRows::new(&city);
        let g0 = clusters.rows.iter().filter(|r| !group[r[0]]).count();
        let fit = FitOptions::default();
        let fast = MomentSplit::new(&input, &clusters, 0, fit.collinearity_tolerance)
            .expect("the unbalanced city x year design takes the fast path");
        let mut weights = vec![0.0; g];
        let (mut took_fast, mut handed_back) = (0, 0);
        let mut want = Vec::new();
        for perm in &perms {
            let general = |members: &[u32]| {
                let r = fit_subset(&input, &rows_of(&clusters, members), &fit).ok()?;
                Some(r.coef("x")?.0)
            };
            for half in [&perm[..g0], &perm[g0..]] {
                match fast.coef(half, &mut weights) {
                    Some(a) => {
                        let b = general(half).expect("the general path fits a clean split");
                        assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-12), "{a} vs {b}");
                        took_fast += 1;
                    }
                    None => handed_back += 1,
                }
            }
            want.push(general(&perm[..g0]).unwrap() - general(&perm[g0..]).unwrap());
        }
        assert!(
            took_fast >= 40,
            "only {took_fast} halves took the fast path"
        );
        assert!(handed_back >= 5, "only {handed_back} halves handed back");
        let got = group_difference(&input, &opts)
            .unwrap()
            .permutation
            .unwrap();
        assert_eq!(got.draws.len(), want.len());
        for (d, want) in got.draws.iter().zip(&want) {
            assert!(
                (d - want).abs() <= 1e-9 * want.abs().max(1e-12),
                "{d} vs {want}"
            );
        }
    }
}
