//! Radial (Farrell) efficiency by DEA - CCR under CRS, BCC under VRS, input or output oriented -
//! and the radial Malmquist productivity index with its Fare et al. (1994) decompositions.
//!
//! This is the classic desirable-output index (no undesirable outputs: [`DeaData::bad`] must be
//! empty; [`DeaData::without_bad`] drops them). It follows DEAPack 2.0.1's
//! `MalmquistProductivityIndex`, `FGNZEnhancedMalmquistProductivityIndex` and
//! `RayDesliMalmquistProductivityIndex` exactly (golden tests).
//!
//! # Distances (Farrell efficiency form)
//!
//! For unit `o` with data `(x_o, y_o)` against the technology spanned by reference set `F`
//! (`lambda >= 0`, and `sum lambda = 1` under VRS):
//!
//! ```text
//! input orientation:   theta* = min theta  s.t. sum_j lambda_j x_j <= theta x_o,
//!                                               sum_j lambda_j y_j >= y_o
//!                      E = theta*                        (= 1 / Shephard input distance)
//! output orientation:  phi*   = max phi    s.t. sum_j lambda_j x_j <= x_o,
//!                                               sum_j lambda_j y_j >= phi y_o
//!                      E = 1 / phi*                      (= Shephard output distance D_o)
//! ```
//!
//! Only the radial factor is optimised (no second-stage slack maximisation); it is the score.
//! Against the unit's own period `E <= 1` (the unit is in its reference set); against another
//! period `E` may exceed 1, and under VRS the program may be infeasible (input orientation: no
//! convex combination of the reference units produces `y_o`; output orientation: every convex
//! combination uses more of some input than `x_o`). An infeasible program is reported per unit
//! ([`RadialScore::status`] = [`ProgramStatus::Infeasible`], `value = None`), never replaced.
//!
//! Each LP row is divided by the evaluated unit's value of that variable (when positive), so the
//! programs are invariant to the units of measurement and well scaled.
//!
//! # Malmquist index (adjacent periods `t -> t+1`, contemporaneous frontiers)
//!
//! With `E^s(u)` = Farrell efficiency of the unit's period-`u` data against the period-`s`
//! frontier:
//!
//! ```text
//! M  = sqrt( [E^t(t+1) / E^t(t)] x [E^{t+1}(t+1) / E^{t+1}(t)] )
//! EC = E^{t+1}(t+1) / E^t(t)                                    (efficiency change)
//! TC = sqrt( [E^t(t+1) / E^{t+1}(t+1)] x [E^t(t) / E^{t+1}(t)] ) (technical change)
//! M  = EC x TC
//! ```
//!
//! **Convention (DEAPack's): M > 1 is productivity growth, M < 1 decline, in both
//! orientations.** (Output orientation: `E = D_o`, Fare et al. 1994's form. Input orientation:
//! `E = theta = 1 / D_i`, so the index is the reciprocal of the Shephard input-distance ratio and
//! again > 1 means progress.) The index of the change from `t-1` to `t` is recorded at `t`; the
//! first period has none.
//!
//! # Decompositions under VRS ([`radial_malmquist_decomposition`])
//!
//! With `C^s(u)` the CRS and `V^s(u)` the VRS efficiency and `S^s(u) = C^s(u) / V^s(u)` the scale
//! efficiency:
//!
//! ```text
//! Fare, Grosskopf, Norris and Zhang (1994), "enhanced":  M_crs = PEC x SEC x TC_crs
//!     PEC = V^{t+1}(t+1) / V^t(t)            (pure efficiency change)
//!     SEC = S^{t+1}(t+1) / S^t(t)            (scale efficiency change; EC_crs = PEC x SEC)
//! Ray and Desli (1997):                   M_crs = PEC x TC_vrs x SC_rd
//!     TC_vrs = sqrt( [V^t(t) / V^{t+1}(t)] x [V^t(t+1) / V^{t+1}(t+1)] )
//!     SC_rd  = sqrt( [S^t(t+1) / S^t(t)] x [S^{t+1}(t+1) / S^{t+1}(t)] )
//! ```
//!
//! PEC and SEC need only own-period programs (always feasible); `TC_vrs` and `SC_rd` need the
//! VRS cross-period programs and are `None` when one of them is infeasible (the CRS headline
//! index, EC, TC, PEC and SEC stay defined, as in DEAPack).
//!
//! ```
//! use robocarb_dea::{radial_malmquist, DeaData, Orientation, Returns};
//! // One input, one output; unit 0 doubles its output, unit 1 stands still.
//! let p0 = DeaData {
//!     inputs: vec![vec![2.0], vec![4.0]],
//!     good: vec![vec![2.0], vec![2.0]],
//!     bad: vec![vec![], vec![]],
//! };
//! let mut p1 = p0.clone();
//! p1.good[0][0] = 4.0;
//! let r = radial_malmquist(&[p0, p1], Returns::Crs, Orientation::Output, None).unwrap();
//! let (u0, u1) = (&r.pairs[0][0], &r.pairs[0][1]);
//! // Unit 0 defines both frontiers: M = TC = 2, EC = 1.
//! assert!((u0.m.unwrap() - 2.0).abs() < 1e-12 && (u0.ec.unwrap() - 1.0).abs() < 1e-12);
//! // Unit 1 falls behind the shifted frontier: M = 1 = EC (0.5) x TC (2).
//! assert!((u1.m.unwrap() - 1.0).abs() < 1e-12 && (u1.ec.unwrap() - 0.5).abs() < 1e-12);
//! ```

use rayon::prelude::*;

use crate::data::{common_dims, DeaData, Dims};
use crate::malmquist::{run_blocks, Progress, Task};
use crate::sbm::{FrontierSet, Pool, ProgramStatus, Returns};
use crate::simplex::{self, DenseLp, LpOutcome};
use crate::DeaError;

/// Orientation of the radial program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Orientation {
    /// Contract inputs proportionally at given outputs: `E = theta*`.
    Input,
    /// Expand outputs proportionally at given inputs: `E = 1 / phi*`.
    Output,
}

/// The Farrell efficiency of one unit against one frontier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadialScore {
    /// Farrell efficiency `E` (input: `theta*`; output: `1 / phi*`); `None` when the program is
    /// infeasible, or (zero data only) when the optimal radial factor is 0: output orientation,
    /// the technology cannot produce any of the unit's outputs from its inputs (`E` infinite);
    /// input orientation, reference units with zero inputs produce the unit's outputs (`E = 0`).
    /// Neither is a usable distance (DEAPack rejects both).
    pub value: Option<f64>,
    /// The optimal radial factor `theta*` or `phi*` (`None` when infeasible).
    pub radial_factor: Option<f64>,
    /// Status of the program: [`ProgramStatus::Optimal`] or [`ProgramStatus::Infeasible`].
    pub status: ProgramStatus,
}

impl RadialScore {
    /// True when there is no efficiency value (see [`RadialScore::value`]).
    pub fn is_undefined(&self) -> bool {
        self.value.is_none()
    }
}

/// Radial factors (unit-free) at or below this count as 0: no usable efficiency value.
const FACTOR_ZERO: f64 = 1e-12;

/// Checks that there are no undesirable outputs and at least one desirable output.
fn radial_dims(periods: &[DeaData]) -> Result<Dims, DeaError> {
    let dims = common_dims(periods)?;
    let any_units = periods.iter().any(|d| d.units() > 0);
    if any_units && dims.s2 > 0 {
        return Err(DeaError::Shape(
            "radial DEA models desirable outputs only: drop the undesirable outputs \
             (DeaData::without_bad) or use the SBM"
                .into(),
        ));
    }
    if any_units && dims.s1 == 0 {
        return Err(DeaError::Shape(
            "radial DEA needs at least one desirable output".into(),
        ));
    }
    Ok(dims)
}

/// The evaluated unit needs a positive input and a positive output (otherwise the radial
/// program is degenerate: `theta* = 0` or `phi*` unbounded). `unit` labels the error.
fn check_evaluated(o: &[f64], dims: Dims, unit: usize) -> Result<(), DeaError> {
    if o[..dims.m].iter().all(|&v| v <= 0.0) {
        return Err(DeaError::ZeroInEvaluated {
            unit,
            variable: dims.variable(0),
        });
    }
    if o[dims.m..dims.m + dims.s1].iter().all(|&v| v <= 0.0) {
        return Err(DeaError::ZeroInEvaluated {
            unit,
            variable: dims.variable(dims.m),
        });
    }
    Ok(())
}

/// Builds the radial LP in the simplex's form `min c'x, A x = b, x >= 0`.
///
/// Columns: `[factor, row slacks (m + s1), lambda (refs)]`. Rows (each divided by `v_o`, or by
/// the reference maximum when `v_o = 0`):
///
/// ```text
/// input orientation:  min theta
///     sum_j (x_ij/x_io) L_j + s_i - theta = 0    (inputs)
///     sum_j (y_rj/y_ro) L_j - s_r = 1            (outputs)
///     [sum_j L_j = 1]                            (VRS)
/// output orientation: min -phi
///     sum_j (x_ij/x_io) L_j + s_i = 1            (inputs)
///     sum_j (y_rj/y_ro) L_j - s_r - phi = 0      (outputs)
///     [sum_j L_j = 1]                            (VRS)
/// ```
pub(crate) fn radial_lp(
    pool: &Pool,
    refs: &[usize],
    o: &[f64],
    returns: Returns,
    orientation: Orientation,
) -> DenseLp {
    let dims = pool.dims;
    let w = dims.m + dims.s1;
    let vrs = returns == Returns::Vrs;
    let rows = w + usize::from(vrs);
    let cols = 1 + w + refs.len();
    let mut a = vec![0.0; rows * cols];
    let mut b = vec![0.0; rows];
    let mut c = vec![0.0; cols];
    // Row scale: the evaluated value when positive (the row becomes unit-free), otherwise the
    // largest reference value (any positive row scale leaves the solution unchanged).
    let scale: Vec<f64> = (0..w)
        .map(|p| {
            if o[p] > 0.0 {
                o[p]
            } else {
                let mx = refs.iter().map(|&j| pool.obs(j)[p]).fold(0.0_f64, f64::max);
                if mx > 0.0 {
                    mx
                } else {
                    1.0
                }
            }
        })
        .collect();
    let o_scaled: Vec<f64> = (0..w).map(|p| o[p] / scale[p]).collect();
    // Radial factor column and right-hand sides.
    match orientation {
        Orientation::Input => {
            c[0] = 1.0;
            for p in 0..dims.m {
                a[p] = -o_scaled[p];
            }
            b[dims.m..w].copy_from_slice(&o_scaled[dims.m..w]);
        }
        Orientation::Output => {
            c[0] = -1.0;
            for p in dims.m..w {
                a[p] = -o_scaled[p];
            }
            b[..dims.m].copy_from_slice(&o_scaled[..dims.m]);
        }
    }
    // Row slacks: +1 on input rows (<=), -1 on output rows (>=).
    for p in 0..w {
        a[(1 + p) * rows + p] = if p < dims.m { 1.0 } else { -1.0 };
    }
    let inv_scale: Vec<f64> = scale.iter().map(|s| 1.0 / s).collect();
    for (k, &j) in refs.iter().enumerate() {
        let col = &mut a[(1 + w + k) * rows..(2 + w + k) * rows];
        for (p, &v) in pool.obs(j).iter().enumerate() {
            col[p] = v * inv_scale[p];
        }
        if vrs {
            col[w] = 1.0;
        }
    }
    if vrs {
        b[w] = 1.0;
    }
    DenseLp {
        rows,
        cols,
        a,
        b,
        c,
    }
}

/// Solves one radial program; `warm` carries the optimal basis between programs with the same
/// reference list.
fn solve_radial(
    pool: &Pool,
    refs: &[usize],
    obs: usize,
    returns: Returns,
    orientation: Orientation,
    unit: usize,
    warm: &mut Option<Vec<usize>>,
) -> Result<RadialScore, DeaError> {
    let o = pool.obs(obs);
    check_evaluated(o, pool.dims, unit)?;
    let infeasible = RadialScore {
        value: None,
        radial_factor: None,
        status: ProgramStatus::Infeasible,
    };
    if refs.is_empty() {
        return Ok(infeasible);
    }
    let lp = radial_lp(pool, refs, o, returns, orientation);
    let (outcome, basis) = simplex::solve_warm(&lp, warm.as_deref());
    if basis.is_some() {
        *warm = basis;
    }
    match outcome {
        LpOutcome::Optimal { x, .. } => {
            let factor = x[0];
            let value = (factor > FACTOR_ZERO).then(|| match orientation {
                Orientation::Input => factor,
                Orientation::Output => 1.0 / factor,
            });
            Ok(RadialScore {
                value,
                radial_factor: Some(factor),
                status: ProgramStatus::Optimal,
            })
        }
        LpOutcome::Infeasible => Ok(infeasible),
        LpOutcome::Unbounded => Err(DeaError::Solver {
            unit,
            detail: "unbounded radial program (a reference unit produces output from zero \
                     inputs)"
                .into(),
        }),
        LpOutcome::IterationLimit => Err(DeaError::Solver {
            unit,
            detail: "simplex iteration limit".into(),
        }),
    }
}

/// Solves every task with [`run_blocks`] (deterministic: a result depends only on its block).
fn run_radial(
    pool: &Pool,
    frontiers: &[FrontierSet],
    tasks: &[Task],
    returns: Returns,
    orientation: Orientation,
    progress: Progress<'_>,
    unit_of: &(dyn Fn(usize) -> usize + Sync),
) -> Result<Vec<RadialScore>, DeaError> {
    run_blocks(tasks, progress, &|task, warm| {
        solve_radial(
            pool,
            &frontiers[task.frontier].kept,
            task.obs,
            returns,
            orientation,
            unit_of(task.obs),
            warm,
        )
    })
}

/// Farrell efficiency of each unit of `evaluated` against the technology spanned by `reference`
/// (CCR under [`Returns::Crs`], BCC under [`Returns::Vrs`]). The evaluated units need not belong
/// to the reference set (cross-period distances); when they do, pass them in `reference` too.
///
/// Errors: undesirable outputs present, no desirable output, shape mismatch, an evaluated unit
/// with every input or every output zero ([`DeaError::ZeroInEvaluated`]).
pub fn radial_scores(
    evaluated: &DeaData,
    reference: &DeaData,
    returns: Returns,
    orientation: Orientation,
    progress: Progress<'_>,
) -> Result<Vec<RadialScore>, DeaError> {
    let dims = radial_dims(&[evaluated.clone(), reference.clone()])?;
    let n_ref = reference.units();
    let n_eval = evaluated.units();
    if n_eval == 0 {
        return Ok(Vec::new());
    }
    let pool = Pool::from_periods(&[reference, evaluated], dims);
    let frontier = FrontierSet::new(&pool, (0..n_ref).collect());
    let tasks: Vec<Task> = (0..n_eval)
        .map(|j| Task {
            frontier: 0,
            obs: n_ref + j,
        })
        .collect();
    run_radial(
        &pool,
        std::slice::from_ref(&frontier),
        &tasks,
        returns,
        orientation,
        progress,
        &|obs| obs - n_ref,
    )
}

/// The radial Malmquist index of one unit for the change from period `t-1` to `t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadialMalmquistRow {
    /// `E^{t-1}(t-1)`: previous data, previous frontier.
    pub d_f0_d0: RadialScore,
    /// `E^{t-1}(t)`: current data, previous frontier.
    pub d_f0_d1: RadialScore,
    /// `E^t(t-1)`: previous data, current frontier.
    pub d_f1_d0: RadialScore,
    /// `E^t(t)`: current data, current frontier.
    pub d_f1_d1: RadialScore,
    /// Malmquist index `M` (> 1: productivity growth).
    pub m: Option<f64>,
    /// Efficiency change `EC`.
    pub ec: Option<f64>,
    /// Technical change `TC`.
    pub tc: Option<f64>,
    /// True when one of the four distances has no value (infeasible program, see the statuses).
    pub infeasible: bool,
}

impl RadialMalmquistRow {
    /// The index from the four distances (formulas in the module docs):
    /// `M = sqrt([E^t(t+1)/E^t(t)] [E^{t+1}(t+1)/E^{t+1}(t)])`, `EC = E^{t+1}(t+1)/E^t(t)`,
    /// `TC = sqrt([E^t(t+1)/E^{t+1}(t+1)] [E^t(t)/E^{t+1}(t)])`.
    pub fn from_distances(
        d_f0_d0: RadialScore,
        d_f0_d1: RadialScore,
        d_f1_d0: RadialScore,
        d_f1_d1: RadialScore,
    ) -> Self {
        let (m, ec, tc) = match (d_f0_d0.value, d_f0_d1.value, d_f1_d0.value, d_f1_d1.value) {
            (Some(a00), Some(a01), Some(a10), Some(a11)) => (
                Some(((a01 / a00) * (a11 / a10)).sqrt()),
                Some(a11 / a00),
                Some(((a01 / a11) * (a00 / a10)).sqrt()),
            ),
            _ => (None, None, None),
        };
        RadialMalmquistRow {
            d_f0_d0,
            d_f0_d1,
            d_f1_d0,
            d_f1_d1,
            m,
            ec,
            tc,
            infeasible: m.is_none(),
        }
    }
}

/// The radial Malmquist result for a panel of `T` periods.
#[derive(Debug, Clone, PartialEq)]
pub struct RadialMalmquistResult {
    /// Returns to scale of the distances.
    pub returns: Returns,
    /// Orientation of the distances.
    pub orientation: Orientation,
    /// `own[t][j]` = `E^t(t)` of unit `j`.
    pub own: Vec<Vec<RadialScore>>,
    /// `pairs[t - 1][j]`: the index of the change from `t - 1` to `t`, recorded at `t`.
    pub pairs: Vec<Vec<RadialMalmquistRow>>,
}

/// The adjacent-period radial Malmquist index over `periods` (same units in the same order in
/// every period; contemporaneous frontiers), with `M = EC x TC`. All `T + 2(T-1)` programs per
/// unit are solved in one parallel pass.
pub fn radial_malmquist(
    periods: &[DeaData],
    returns: Returns,
    orientation: Orientation,
    progress: Progress<'_>,
) -> Result<RadialMalmquistResult, DeaError> {
    let n = periods.first().map_or(0, DeaData::units);
    for (t, d) in periods.iter().enumerate() {
        if d.units() != n {
            return Err(DeaError::Shape(format!(
                "period {t} has {} units, period 0 has {n}: the index needs the same units in \
                 every period",
                d.units()
            )));
        }
    }
    let dims = radial_dims(periods)?;
    let t_count = periods.len();
    let refs: Vec<&DeaData> = periods.iter().collect();
    let pool = Pool::from_periods(&refs, dims);
    let range = |t: usize| (t * n)..((t + 1) * n);
    let sets: Vec<FrontierSet> = (0..t_count)
        .into_par_iter()
        .map(|s| FrontierSet::new(&pool, range(s).collect()))
        .collect();
    let mut tasks: Vec<Task> = Vec::new();
    for s in 0..t_count {
        tasks.extend(range(s).map(|obs| Task { frontier: s, obs }));
    }
    let own_end = tasks.len();
    for t in 1..t_count {
        tasks.extend(range(t).map(|obs| Task {
            frontier: t - 1,
            obs,
        }));
        tasks.extend(range(t - 1).map(|obs| Task { frontier: t, obs }));
    }
    let unit_of = move |obs: usize| if n == 0 { 0 } else { obs % n };
    let scores = run_radial(
        &pool,
        &sets,
        &tasks,
        returns,
        orientation,
        progress,
        &unit_of,
    )?;
    let own: Vec<Vec<RadialScore>> = (0..t_count)
        .map(|s| scores[s * n..(s + 1) * n].to_vec())
        .collect();
    let rest = &scores[own_end..];
    let pairs = (1..t_count)
        .map(|t| {
            let base = (t - 1) * 2 * n;
            (0..n)
                .map(|j| {
                    RadialMalmquistRow::from_distances(
                        own[t - 1][j],
                        rest[base + j],
                        rest[base + n + j],
                        own[t][j],
                    )
                })
                .collect()
        })
        .collect();
    Ok(RadialMalmquistResult {
        returns,
        orientation,
        own,
        pairs,
    })
}

/// One unit's decomposition for the change from `t-1` to `t` (formulas in the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MalmquistDecompositionRow {
    /// CRS distances and the headline index: `M`, `EC`, `TC` (Fare et al. 1994 core).
    pub crs: RadialMalmquistRow,
    /// VRS distances; its `m`, `ec`, `tc` are the index computed on the VRS technology
    /// (`ec` = `PEC`, `tc` = Ray-Desli `TC_vrs`).
    pub vrs: RadialMalmquistRow,
    /// Pure efficiency change `PEC = V^t(t) / V^{t-1}(t-1)`.
    pub pec: Option<f64>,
    /// Fare et al. (1994) scale efficiency change `SEC = S^t(t) / S^{t-1}(t-1)`, so
    /// `EC = PEC x SEC` and `M = PEC x SEC x TC`.
    pub sec: Option<f64>,
    /// Ray-Desli (1997) VRS technical change (needs the VRS cross-period programs).
    pub vrs_tc: Option<f64>,
    /// Ray-Desli (1997) scale change `SC_rd`, so `M = PEC x TC_vrs x SC_rd`.
    pub rd_scale_change: Option<f64>,
}

impl MalmquistDecompositionRow {
    /// Combines the CRS and VRS rows of the same unit and pair.
    pub fn from_rows(crs: RadialMalmquistRow, vrs: RadialMalmquistRow) -> Self {
        let own = (
            crs.d_f0_d0.value,
            crs.d_f1_d1.value,
            vrs.d_f0_d0.value,
            vrs.d_f1_d1.value,
        );
        let (pec, sec) = match own {
            (Some(c00), Some(c11), Some(v00), Some(v11)) => {
                (Some(v11 / v00), Some((c11 / v11) / (c00 / v00)))
            }
            (_, _, Some(v00), Some(v11)) => (Some(v11 / v00), None),
            _ => (None, None),
        };
        let scale = |c: RadialScore, v: RadialScore| Some(c.value? / v.value?);
        let rd_scale_change = (|| {
            let s00 = scale(crs.d_f0_d0, vrs.d_f0_d0)?;
            let s01 = scale(crs.d_f0_d1, vrs.d_f0_d1)?;
            let s10 = scale(crs.d_f1_d0, vrs.d_f1_d0)?;
            let s11 = scale(crs.d_f1_d1, vrs.d_f1_d1)?;
            Some(((s01 / s00) * (s11 / s10)).sqrt())
        })();
        MalmquistDecompositionRow {
            crs,
            vrs,
            pec,
            sec,
            vrs_tc: vrs.tc,
            rd_scale_change,
        }
    }
}

/// The radial Malmquist index with both VRS decompositions (Fare et al. 1994: `M = PEC x SEC x
/// TC`; Ray and Desli 1997: `M = PEC x TC_vrs x SC_rd`), from the CRS and VRS distances of
/// every unit and adjacent pair. `pairs[t - 1][j]` is the change from `t - 1` to `t`.
/// `progress` runs twice from 0 to its total: once for the CRS and once for the VRS programs.
pub fn radial_malmquist_decomposition(
    periods: &[DeaData],
    orientation: Orientation,
    progress: Progress<'_>,
) -> Result<Vec<Vec<MalmquistDecompositionRow>>, DeaError> {
    let crs = radial_malmquist(periods, Returns::Crs, orientation, progress)?;
    let vrs = radial_malmquist(periods, Returns::Vrs, orientation, progress)?;
    Ok(crs
        .pairs
        .iter()
        .zip(&vrs.pairs)
        .map(|(c, v)| {
            c.iter()
                .zip(v)
                .map(|(&c, &v)| MalmquistDecompositionRow::from_rows(c, v))
                .collect()
        })
        .collect())
}
