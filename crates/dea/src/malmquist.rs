//! Frontiers, the scoring of many units in parallel, and the Malmquist-Luenberger index.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::data::{common_dims, DeaData, Dims};
use crate::sbm::{score_against, FrontierSet, Pool, Returns, Score};
use crate::DeaError;

/// A progress callback `(done, total)`, called from worker threads after each unit is scored.
pub type Progress<'a> = Option<&'a (dyn Fn(usize, usize) + Sync)>;

/// Which observations span the frontier of period `s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frontier {
    /// Period `s` only (the paper's default).
    Contemporaneous,
    /// Periods `0..=s` pooled (no technical regress).
    Sequential,
    /// All periods pooled (Oh 2010 global ML: circular; the global score uses the super form
    /// only for units on the global frontier, so it is defined for every unit).
    Global,
}

/// Which units the programs of [`malmquist_luenberger_against`] are solved against. Both give
/// the same optimal values; they may differ in the last bits (another path through the simplex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Reference {
    /// The frame of each reference set (its extreme units, Dula's BuildHull), with every
    /// program certified against all units by pricing. The fast choice, and the default.
    #[default]
    Frame,
    /// Every unit of each reference set (after the exact dominance pruning): the computation
    /// as it was before the frame.
    AllUnits,
}

/// Tasks per warm-start block (see [`run_blocks`]).
const WARM_BLOCK: usize = 32;

/// One scoring task: evaluate pool observation `obs` against frontier `frontier`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Task {
    pub frontier: usize,
    pub obs: usize,
}

/// Solves every task in parallel with `solve(task, warm)`, where `warm` carries the previous
/// program's optimal basis within a block. Blocks are fixed runs of at most [`WARM_BLOCK`]
/// consecutive tasks on the same frontier, solved in order; blocks run in parallel. A result
/// depends only on its block, never on scheduling, so output is identical for any thread count.
pub(crate) fn run_blocks<T, F>(
    tasks: &[Task],
    progress: Progress<'_>,
    solve: &F,
) -> Result<Vec<T>, DeaError>
where
    T: Send,
    F: Fn(&Task, &mut Option<Vec<usize>>) -> Result<T, DeaError> + Sync,
{
    let done = AtomicUsize::new(0);
    let total = tasks.len();
    let mut blocks: Vec<&[Task]> = Vec::new();
    let mut start = 0;
    for i in 1..=tasks.len() {
        if i == tasks.len() || i - start == WARM_BLOCK || tasks[i].frontier != tasks[start].frontier
        {
            if i > start {
                blocks.push(&tasks[start..i]);
            }
            start = i;
        }
    }
    let per_block: Vec<Result<Vec<T>, DeaError>> = blocks
        .par_iter()
        .map(|block| {
            let mut warm: Option<Vec<usize>> = None;
            let mut out = Vec::with_capacity(block.len());
            for task in block.iter() {
                out.push(solve(task, &mut warm)?);
                if let Some(cb) = progress {
                    cb(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                }
            }
            Ok(out)
        })
        .collect();
    let mut results = Vec::with_capacity(total);
    for block in per_block {
        results.extend(block?);
    }
    Ok(results)
}

/// Scores every task (SBM, and super-SBM where the rule needs it) with [`run_blocks`].
fn run_tasks(
    pool: &Pool,
    frontiers: &[FrontierSet],
    tasks: &[Task],
    returns: Returns,
    super_when_efficient: bool,
    progress: Progress<'_>,
    unit_of: &(dyn Fn(usize) -> usize + Sync),
) -> Result<Vec<Score>, DeaError> {
    run_blocks(tasks, progress, &|task, warm| {
        score_against(
            pool,
            &frontiers[task.frontier],
            task.obs,
            returns,
            super_when_efficient,
            unit_of(task.obs),
            warm,
        )
    })
}

/// Scores each unit of `evaluated` against the frontier spanned by `reference`.
///
/// Rule (METHODS.md section 3): solve the SBM; when it is infeasible or gives 1 and
/// `super_when_efficient`, solve the super-SBM. With `exclude_self`, unit `j` of `evaluated` is
/// the same observation as unit `j` of `reference` (the two must have equal unit counts) and is
/// left out of the super-SBM's reference set; the plain SBM always keeps it.
pub fn sbm_scores(
    evaluated: &DeaData,
    reference: &DeaData,
    returns: Returns,
    super_when_efficient: bool,
    exclude_self: bool,
    progress: Progress<'_>,
) -> Result<Vec<Score>, DeaError> {
    let dims = common_dims(&[evaluated.clone(), reference.clone()])?;
    let n_ref = reference.units();
    let n_eval = evaluated.units();
    if exclude_self && n_ref != n_eval {
        return Err(DeaError::Shape(format!(
            "exclude_self needs the same units: {n_eval} evaluated, {n_ref} reference"
        )));
    }
    if n_eval == 0 {
        return Ok(Vec::new());
    }
    // Pool: reference observations first, then the evaluated ones (when they are distinct).
    let (pool, eval_offset) = if exclude_self {
        (Pool::from_periods(&[reference], dims), 0)
    } else {
        (Pool::from_periods(&[reference, evaluated], dims), n_ref)
    };
    if exclude_self {
        // The evaluated values must be those of the reference units they claim to be.
        for j in 0..n_eval {
            if evaluated.flat_unit(j).ne(reference.flat_unit(j)) {
                return Err(DeaError::Shape(format!(
                    "exclude_self: evaluated unit {j} differs from reference unit {j}"
                )));
            }
        }
    }
    let frontier = FrontierSet::framed(&pool, (0..n_ref).collect());
    let tasks: Vec<Task> = (0..n_eval)
        .map(|j| Task {
            frontier: 0,
            obs: eval_offset + j,
        })
        .collect();
    run_tasks(
        &pool,
        std::slice::from_ref(&frontier),
        &tasks,
        returns,
        super_when_efficient,
        progress,
        &|obs| obs - eval_offset,
    )
}

/// `E^t(t)` for every unit of one period: the SBM against its own period, with the super-SBM
/// (excluding the unit) for the efficient ones.
pub fn frontier_scores(
    period: &DeaData,
    returns: Returns,
    progress: Progress<'_>,
) -> Result<Vec<Score>, DeaError> {
    sbm_scores(period, period, returns, true, true, progress)
}

/// The cross-period scores of a pair of adjacent periods (contemporaneous frontiers):
/// `E^{t-1}(t)` (current data against the previous frontier) and `E^t(t-1)`.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossScores {
    /// `E^{t-1}(t)` per unit.
    pub e_f0_d1: Vec<Score>,
    /// `E^{t}(t-1)` per unit.
    pub e_f1_d0: Vec<Score>,
}

/// The two cross-period programs of adjacent periods (contemporaneous frontiers).
pub fn cross_scores(
    prev: &DeaData,
    cur: &DeaData,
    returns: Returns,
    progress: Progress<'_>,
) -> Result<CrossScores, DeaError> {
    let n = prev.units();
    cross_scores_against(
        prev,
        cur,
        (0..n).collect(),
        (0..n).collect(),
        returns,
        progress,
    )
}

/// The two cross-period programs with frontier `t-1` spanned by units `members_prev` of `prev`
/// and frontier `t` by units `members_cur` of `cur`.
fn cross_scores_against(
    prev: &DeaData,
    cur: &DeaData,
    members_prev: Vec<usize>,
    members_cur: Vec<usize>,
    returns: Returns,
    progress: Progress<'_>,
) -> Result<CrossScores, DeaError> {
    check_same_units(&[prev.clone(), cur.clone()])?;
    let dims = common_dims(&[prev.clone(), cur.clone()])?;
    let n = prev.units();
    let pool = Pool::from_periods(&[prev, cur], dims);
    let frontiers = [
        FrontierSet::framed(&pool, members_prev),
        FrontierSet::framed(&pool, members_cur.into_iter().map(|j| n + j).collect()),
    ];
    let mut tasks = Vec::with_capacity(2 * n);
    tasks.extend((0..n).map(|j| Task {
        frontier: 0,
        obs: n + j,
    }));
    tasks.extend((0..n).map(|j| Task {
        frontier: 1,
        obs: j,
    }));
    let mut scores = run_tasks(&pool, &frontiers, &tasks, returns, true, progress, &|o| {
        o % n
    })?;
    let e_f1_d0 = scores.split_off(n);
    Ok(CrossScores {
        e_f0_d1: scores,
        e_f1_d0,
    })
}

/// Own-period scores below `1 - PRUNE_MARGIN` mark a unit as SBM-inefficient for
/// [`cross_scores_on_efficient`]. The margin is far above the LP tolerance, so a unit is dropped
/// only when it is certainly inefficient.
pub const PRUNE_MARGIN: f64 = 1e-6;

/// [`cross_scores`] with each frontier spanned by the units its own period found efficient.
///
/// `own_prev` / `own_cur` must be [`frontier_scores`] of `prev` / `cur` under the same `returns`.
/// Why it is exact: a unit with plain SBM score below 1 is dominated (inputs and bad outputs at
/// least, good outputs at most, one strictly) by a convex combination of the other units of its
/// period (under CRS, a non-negative one), so it lies in the technology they span; dropping it
/// leaves the technology, and so every SBM and super-SBM program against it, unchanged. At county
/// scale the efficient units are a small fraction, which makes the cross-period programs several
/// times cheaper.
pub fn cross_scores_on_efficient(
    prev: &DeaData,
    cur: &DeaData,
    own_prev: &[Score],
    own_cur: &[Score],
    returns: Returns,
    progress: Progress<'_>,
) -> Result<CrossScores, DeaError> {
    let n = prev.units();
    if own_prev.len() != n || own_cur.len() != n {
        return Err(DeaError::Shape(format!(
            "own-period scores: {} and {} for {n} units",
            own_prev.len(),
            own_cur.len()
        )));
    }
    let efficient = |own: &[Score]| -> Vec<usize> {
        own.iter()
            .enumerate()
            .filter(|(_, s)| s.value.is_none_or(|v| v >= 1.0 - PRUNE_MARGIN))
            .map(|(j, _)| j)
            .collect()
    };
    cross_scores_against(
        prev,
        cur,
        efficient(own_prev),
        efficient(own_cur),
        returns,
        progress,
    )
}

/// The index of one unit for the change from period `t-1` to `t`.
#[derive(Debug, Clone, PartialEq)]
pub struct MlRow {
    /// `E^{t-1}(t-1)`: previous data, previous frontier.
    pub e_f0_d0: Score,
    /// `E^{t-1}(t)`: current data, previous frontier (`None` for the global frontier).
    pub e_f0_d1: Option<Score>,
    /// `E^{t}(t-1)`: previous data, current frontier (`None` for the global frontier).
    pub e_f1_d0: Option<Score>,
    /// `E^{t}(t)`: current data, current frontier.
    pub e_f1_d1: Score,
    /// Global frontier only: `E^G(t-1)`.
    pub e_g_d0: Option<Score>,
    /// Global frontier only: `E^G(t)`.
    pub e_g_d1: Option<Score>,
    /// Malmquist-Luenberger index (`None` when `infeasible`).
    pub ml: Option<f64>,
    /// Efficiency change `TE`.
    pub te: Option<f64>,
    /// Technical change `TC` (for the global frontier: best-practice gap change `BPC`).
    pub tc: Option<f64>,
    /// `TP = TC / TE`.
    pub tp: Option<f64>,
    /// True when a score the index needs has no value (see the scores' program statuses).
    pub infeasible: bool,
}

impl MlRow {
    /// The contemporaneous/sequential index from the four scores:
    ///
    /// ```text
    /// ML = sqrt( [E^t(t+1) / E^t(t)] x [E^{t+1}(t+1) / E^{t+1}(t)] )
    /// TE = E^{t+1}(t+1) / E^t(t)
    /// TC = sqrt( [E^t(t+1) / E^{t+1}(t+1)] x [E^t(t) / E^{t+1}(t)] )
    /// TP = TC / TE
    /// ```
    pub fn from_scores(e_f0_d0: Score, e_f0_d1: Score, e_f1_d0: Score, e_f1_d1: Score) -> Self {
        let vals = (e_f0_d0.value, e_f0_d1.value, e_f1_d0.value, e_f1_d1.value);
        let (ml, te, tc, tp) = match vals {
            (Some(a00), Some(a01), Some(a10), Some(a11)) => {
                let ml = ((a01 / a00) * (a11 / a10)).sqrt();
                let te = a11 / a00;
                let tc = ((a01 / a11) * (a00 / a10)).sqrt();
                (Some(ml), Some(te), Some(tc), Some(tc / te))
            }
            _ => (None, None, None, None),
        };
        MlRow {
            infeasible: ml.is_none(),
            e_f0_d0,
            e_f0_d1: Some(e_f0_d1),
            e_f1_d0: Some(e_f1_d0),
            e_f1_d1,
            e_g_d0: None,
            e_g_d1: None,
            ml,
            te,
            tc,
            tp,
        }
    }

    /// The global index (Oh 2010): `GML = E^G(t) / E^G(t-1)`, `TE = E^t(t) / E^{t-1}(t-1)`,
    /// `BPC = GML / TE` (reported as `tc`), `TP = BPC / TE`.
    pub fn from_global(e_f0_d0: Score, e_f1_d1: Score, e_g_d0: Score, e_g_d1: Score) -> Self {
        let vals = (e_f0_d0.value, e_f1_d1.value, e_g_d0.value, e_g_d1.value);
        let (ml, te, tc, tp) = match vals {
            (Some(a00), Some(a11), Some(g0), Some(g1)) => {
                let ml = g1 / g0;
                let te = a11 / a00;
                let tc = (g1 / a11) / (g0 / a00);
                (Some(ml), Some(te), Some(tc), Some(tc / te))
            }
            _ => (None, None, None, None),
        };
        MlRow {
            infeasible: ml.is_none(),
            e_f0_d0,
            e_f0_d1: None,
            e_f1_d0: None,
            e_f1_d1,
            e_g_d0: Some(e_g_d0),
            e_g_d1: Some(e_g_d1),
            ml,
            te,
            tc,
            tp,
        }
    }
}

/// Combines own-period scores of two adjacent periods with their cross scores.
pub fn combine_pair(
    own_prev: &[Score],
    own_cur: &[Score],
    cross: &CrossScores,
) -> Result<Vec<MlRow>, DeaError> {
    let n = own_prev.len();
    if own_cur.len() != n || cross.e_f0_d1.len() != n || cross.e_f1_d0.len() != n {
        return Err(DeaError::Shape("combine_pair: unit counts differ".into()));
    }
    Ok((0..n)
        .map(|j| {
            MlRow::from_scores(
                own_prev[j].clone(),
                cross.e_f0_d1[j].clone(),
                cross.e_f1_d0[j].clone(),
                own_cur[j].clone(),
            )
        })
        .collect())
}

/// The full contemporaneous index for one pair of adjacent periods (own scores of both periods
/// plus the cross scores). The pipeline may instead cache [`frontier_scores`] per period and call
/// [`cross_scores`] and [`combine_pair`] per pair, so a change in one period re-solves only that
/// period's and its two pairs' programs.
pub fn ml_pair(
    prev: &DeaData,
    cur: &DeaData,
    returns: Returns,
    progress: Progress<'_>,
) -> Result<Vec<MlRow>, DeaError> {
    let own_prev = frontier_scores(prev, returns, progress)?;
    let own_cur = frontier_scores(cur, returns, progress)?;
    let cross = cross_scores(prev, cur, returns, progress)?;
    combine_pair(&own_prev, &own_cur, &cross)
}

/// The Malmquist-Luenberger result for a panel of `T` periods.
#[derive(Debug, Clone, PartialEq)]
pub struct MlResult {
    /// Returns to scale used.
    pub returns: Returns,
    /// Frontier used.
    pub frontier: Frontier,
    /// `own[t][j]` = `E^t(t)` of unit `j` (against period `t`'s frontier: contemporaneous for
    /// the contemporaneous and global variants, periods `0..=t` for the sequential one).
    pub own: Vec<Vec<Score>>,
    /// `pairs[t - 1][j]`: the index of the change from period `t - 1` to `t`, recorded at `t`.
    pub pairs: Vec<Vec<MlRow>>,
}

/// One row per unit and period, for a balanced panel output.
#[derive(Debug, Clone, PartialEq)]
pub struct YearRow {
    /// Index values; in the base period all four are 1 (see [`MlResult::yearly`]).
    pub ml: Option<f64>,
    /// `TE`.
    pub te: Option<f64>,
    /// `TC` (global: `BPC`).
    pub tc: Option<f64>,
    /// `TP = TC / TE`.
    pub tp: Option<f64>,
    /// `E^{t-1}(t-1)`; `None` in the base period.
    pub eff_f0_d0: Option<f64>,
    /// `E^{t-1}(t)`; `None` in the base period and for the global frontier.
    pub eff_f0_d1: Option<f64>,
    /// `E^{t}(t-1)`; `None` in the base period and for the global frontier.
    pub eff_f1_d0: Option<f64>,
    /// `E^t(t)`.
    pub eff_f1_d1: Option<f64>,
    /// Global frontier only: `E^G(t-1)`.
    pub eff_g_d0: Option<f64>,
    /// Global frontier only: `E^G(t)` (in the base period too).
    pub eff_g_d1: Option<f64>,
    /// The index is undefined because a program was infeasible.
    pub infeasible: bool,
    /// This is the base period, filled by the base-period rule.
    pub base_period: bool,
}

impl MlResult {
    /// One row per period and unit (`rows[t][j]`), for a balanced panel of `T` periods.
    ///
    /// **Base-period rule**: period 0 has no predecessor, so it has no index; to keep the panel
    /// balanced (the paper keeps N = 3,836 = 274 x 14) it gets `ML = TE = TC = TP = 1` and
    /// `base_period = true`, with `eff_f1_d1 = E^0(0)` and the other scores `None`.
    pub fn yearly(&self) -> Vec<Vec<YearRow>> {
        let mut out = Vec::with_capacity(self.own.len());
        if let Some(base) = self.own.first() {
            out.push(
                base.iter()
                    .enumerate()
                    .map(|(j, s)| YearRow {
                        ml: Some(1.0),
                        te: Some(1.0),
                        tc: Some(1.0),
                        tp: Some(1.0),
                        eff_f0_d0: None,
                        eff_f0_d1: None,
                        eff_f1_d0: None,
                        eff_f1_d1: s.value,
                        eff_g_d0: None,
                        eff_g_d1: self
                            .pairs
                            .first()
                            .and_then(|p| p.get(j))
                            .and_then(|r| r.e_g_d0.as_ref())
                            .and_then(|s| s.value),
                        infeasible: false,
                        base_period: true,
                    })
                    .collect(),
            );
        }
        for pair in &self.pairs {
            out.push(
                pair.iter()
                    .map(|r| {
                        let v = |s: &Option<Score>| s.as_ref().and_then(|s| s.value);
                        YearRow {
                            ml: r.ml,
                            te: r.te,
                            tc: r.tc,
                            tp: r.tp,
                            eff_f0_d0: r.e_f0_d0.value,
                            eff_f0_d1: v(&r.e_f0_d1),
                            eff_f1_d0: v(&r.e_f1_d0),
                            eff_f1_d1: r.e_f1_d1.value,
                            eff_g_d0: v(&r.e_g_d0),
                            eff_g_d1: v(&r.e_g_d1),
                            infeasible: r.infeasible,
                            base_period: false,
                        }
                    })
                    .collect(),
            );
        }
        out
    }
}

fn check_same_units(periods: &[DeaData]) -> Result<usize, DeaError> {
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
    Ok(n)
}

/// The Malmquist-Luenberger index over `periods` (same units, same order, in every period).
///
/// Contemporaneous and sequential: the four scores per unit and pair, from which
/// [`MlRow::from_scores`]. Global: the contemporaneous own scores and the global scores, from
/// which [`MlRow::from_global`]. All programs of all periods are solved in one parallel pass.
pub fn malmquist_luenberger(
    periods: &[DeaData],
    returns: Returns,
    frontier: Frontier,
    progress: Progress<'_>,
) -> Result<MlResult, DeaError> {
    malmquist_luenberger_against(periods, returns, frontier, Reference::Frame, progress)
}

/// [`malmquist_luenberger`] with the programs solved against the units `reference` says.
pub fn malmquist_luenberger_against(
    periods: &[DeaData],
    returns: Returns,
    frontier: Frontier,
    reference: Reference,
    progress: Progress<'_>,
) -> Result<MlResult, DeaError> {
    let n = check_same_units(periods)?;
    let dims: Dims = common_dims(periods)?;
    let t_count = periods.len();
    let refs: Vec<&DeaData> = periods.iter().collect();
    let pool = Pool::from_periods(&refs, dims);
    let period_range = |t: usize| (t * n)..((t + 1) * n);
    // Frontier sets: one per period (contemporaneous or sequential), plus the global one.
    let per_period: Vec<std::ops::Range<usize>> = (0..t_count)
        .map(|s| match frontier {
            Frontier::Contemporaneous | Frontier::Global => period_range(s),
            Frontier::Sequential => 0..((s + 1) * n),
        })
        .collect();
    let set_of = |members: Vec<usize>| match reference {
        Reference::Frame => FrontierSet::framed(&pool, members),
        Reference::AllUnits => FrontierSet::new(&pool, members),
    };
    let mut sets: Vec<FrontierSet> = per_period
        .into_par_iter()
        .map(|r| set_of(r.collect()))
        .collect();
    let global_set = if frontier == Frontier::Global {
        sets.push(set_of((0..t_count * n).collect()));
        Some(t_count)
    } else {
        None
    };
    // Tasks: own scores for every period; then per pair the two cross scores (or, for global,
    // the global score of every observation).
    let mut tasks: Vec<Task> = Vec::new();
    for s in 0..t_count {
        tasks.extend(period_range(s).map(|obs| Task { frontier: s, obs }));
    }
    let own_end = tasks.len();
    match global_set {
        Some(g) => tasks.extend((0..t_count * n).map(|obs| Task { frontier: g, obs })),
        None => {
            for t in 1..t_count {
                tasks.extend(period_range(t).map(|obs| Task {
                    frontier: t - 1,
                    obs,
                }));
                tasks.extend(period_range(t - 1).map(|obs| Task { frontier: t, obs }));
            }
        }
    }
    let unit_of = move |obs: usize| if n == 0 { 0 } else { obs % n };
    let scores = run_tasks(&pool, &sets, &tasks, returns, true, progress, &unit_of)?;
    let own: Vec<Vec<Score>> = (0..t_count)
        .map(|s| scores[s * n..(s + 1) * n].to_vec())
        .collect();
    let rest = &scores[own_end..];
    let pairs: Vec<Vec<MlRow>> = (1..t_count)
        .map(|t| {
            (0..n)
                .map(|j| match global_set {
                    Some(_) => MlRow::from_global(
                        own[t - 1][j].clone(),
                        own[t][j].clone(),
                        rest[(t - 1) * n + j].clone(),
                        rest[t * n + j].clone(),
                    ),
                    None => {
                        let base = (t - 1) * 2 * n;
                        MlRow::from_scores(
                            own[t - 1][j].clone(),
                            rest[base + j].clone(),
                            rest[base + n + j].clone(),
                            own[t][j].clone(),
                        )
                    }
                })
                .collect()
        })
        .collect();
    Ok(MlResult {
        returns,
        frontier,
        own,
        pairs,
    })
}
