//! SBM (Tone 2001/2004) and super-SBM with undesirable outputs as LPs after the Charnes-Cooper
//! transformation, and the scoring rule that chooses between them.
//!
//! Every row of the LPs is divided by the evaluated unit's value of that variable, so the
//! coefficients are ratios `v_j / v_o` and slacks are relative (`S_p = t s_p / v_op`): this makes
//! the programs invariant to the units of measurement and keeps them well scaled.
//!
//! **Plain SBM** (variables `t, S (m + s1 + s2), L (n)`):
//!
//! ```text
//! min  t - (1/m) sum_i S_i^-
//! s.t. t + (1/(s1+s2)) (sum_r S_r^g + sum_k S_k^b) = 1
//!      sum_j (x_ij/x_io) L_j + S_i^- - t = 0      (inputs)
//!      sum_j (y_rj/y_ro) L_j - S_r^g - t = 0      (desirable outputs)
//!      sum_j (b_kj/b_ko) L_j + S_k^b - t = 0      (undesirable outputs)
//!      sum_j L_j - t = 0                          (VRS only)
//! ```
//!
//! and `rho = objective`, `lambda = L / t`, `s_p = S_p v_op / t`.
//!
//! **Super-SBM** (reference set without the evaluated observation; extra row slacks `U`, `Z`):
//!
//! ```text
//! min  t + (1/m) sum_i S_i^-
//! s.t. t - (1/(s1+s2)) (sum_r S_r^g + sum_k S_k^b) = 1
//!      sum_j (x_ij/x_io) L_j - S_i^- - t <= 0
//!      sum_j (y_rj/y_ro) L_j + S_r^g - t >= 0
//!      sum_j (b_kj/b_ko) L_j - S_k^b - t <= 0
//!      S_r^g - t <= 0                             (s^g <= y_o)
//!      sum_j L_j - t = 0                          (VRS only)
//! ```
//!
//! and `rho* = objective`.

use crate::data::{DeaData, Dims};
use crate::simplex::{self, DenseLp, LpOutcome};
use crate::DeaError;

/// Returns to scale of the technology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Returns {
    /// Constant returns to scale (no convexity row).
    Crs,
    /// Variable returns to scale (`sum lambda = 1`).
    Vrs,
}

/// Which program produced a reported score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScoreKind {
    /// The plain SBM, `rho` in (0, 1].
    Plain,
    /// The super-SBM, `rho* >= 1`.
    Super,
}

/// Outcome of one linear program for one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProgramStatus {
    /// The program was not needed.
    NotSolved,
    /// Solved to optimality.
    Optimal,
    /// Proven infeasible.
    Infeasible,
}

/// Slacks of the program that produced the score, in the data's units.
///
/// For the plain SBM: input excess `s^-`, desirable-output shortfall `s^g`, undesirable-output
/// excess `s^b`. For the super-SBM: `s^-` = how far the projection's inputs exceed `x_o`,
/// `s^g` = how far its desirable outputs fall below `y_o`, `s^b` = how far its undesirable outputs
/// exceed `b_o`.
#[derive(Debug, Clone, PartialEq)]
pub struct Slacks {
    /// Input slacks (`m`).
    pub input: Vec<f64>,
    /// Desirable-output slacks (`s1`).
    pub good: Vec<f64>,
    /// Undesirable-output slacks (`s2`).
    pub bad: Vec<f64>,
}

/// The efficiency score of one unit against one frontier.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// The score; `None` exactly when `infeasible`.
    pub value: Option<f64>,
    /// Which program the value comes from.
    pub kind: ScoreKind,
    /// Status of the plain SBM program.
    pub sbm: ProgramStatus,
    /// Status of the super-SBM program.
    pub super_sbm: ProgramStatus,
    /// True when the program the rule needed was infeasible, so there is no score.
    pub infeasible: bool,
    /// Slacks of the program behind `value`.
    pub slacks: Option<Slacks>,
}

/// Scores at or above `1 - EFFICIENT_TOL` count as efficient (`rho = 1`).
pub const EFFICIENT_TOL: f64 = 1e-9;

/// Observations in flat row-major form: `vals[j * width + p]`.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    pub dims: Dims,
    pub vals: Vec<f64>,
}

impl Pool {
    pub fn from_periods(periods: &[&DeaData], dims: Dims) -> Self {
        let w = dims.width();
        let n: usize = periods.iter().map(|d| d.units()).sum();
        let mut vals = Vec::with_capacity(n * w);
        for d in periods {
            for j in 0..d.units() {
                vals.extend(d.flat_unit(j));
            }
        }
        Pool { dims, vals }
    }

    pub fn obs(&self, j: usize) -> &[f64] {
        let w = self.dims.width();
        &self.vals[j * w..(j + 1) * w]
    }

    /// `a` weakly dominates `b`: no more of any input or bad output, no less of any good output.
    pub fn dominates(&self, a: usize, b: usize) -> bool {
        let (m, s1) = (self.dims.m, self.dims.s1);
        let (va, vb) = (self.obs(a), self.obs(b));
        va.iter().zip(vb).enumerate().all(
            |(p, (&x, &y))| {
                if p >= m && p < m + s1 {
                    x >= y
                } else {
                    x <= y
                }
            },
        )
    }
}

/// A frontier: the observations that span it, with a pruned list that gives the same optimal
/// values.
#[derive(Debug, Clone)]
pub(crate) struct FrontierSet {
    /// Member observations (indices into the pool), sorted.
    pub members: Vec<usize>,
    /// Members not weakly dominated by an earlier-kept member, sorted.
    pub kept: Vec<usize>,
    /// The subset of `kept` that the programs start from, sorted: the frame
    /// ([`crate::frame::build_hull`]) for [`FrontierSet::framed`]; `None` for
    /// [`FrontierSet::new`], whose programs are solved against all of `kept` from the start.
    pub frame: Option<Vec<usize>>,
}

impl FrontierSet {
    /// Prunes dominated observations.
    ///
    /// Why it is exact: if `k` weakly dominates `j`, moving `j`'s weight to `k` keeps every
    /// constraint of both programs satisfied with slacks at least as favourable (larger input and
    /// output slacks lower the SBM ratio; the super-SBM constraints only get slacker) and leaves
    /// `sum lambda` unchanged, so optimal values do not change. Kept observations are compared in
    /// increasing order of a monotone score, so every dropped observation is dominated by a kept
    /// one (skyline by sort-filter).
    pub fn new(pool: &Pool, members: Vec<usize>) -> Self {
        let dims = pool.dims;
        let w = dims.width();
        // Scale per variable so the monotone score is unit-free.
        let mut scale = vec![0.0_f64; w];
        for &j in &members {
            for (p, &v) in pool.obs(j).iter().enumerate() {
                scale[p] = scale[p].max(v.abs());
            }
        }
        let score = |j: usize| -> f64 {
            pool.obs(j)
                .iter()
                .enumerate()
                .map(|(p, &v)| {
                    let s = if scale[p] > 0.0 { v / scale[p] } else { 0.0 };
                    if p >= dims.m && p < dims.m + dims.s1 {
                        -s
                    } else {
                        s
                    }
                })
                .sum()
        };
        let mut order: Vec<(f64, usize)> = members.iter().map(|&j| (score(j), j)).collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut kept: Vec<usize> = Vec::new();
        for &(_, j) in &order {
            if !kept.iter().any(|&k| pool.dominates(k, j)) {
                kept.push(j);
            }
        }
        kept.sort_unstable();
        FrontierSet {
            members,
            kept,
            frame: None,
        }
    }

    /// As [`FrontierSet::new`], with the programs solved against the frame of the kept
    /// observations (exact: the frame spans the same technology; see [`score_against`]).
    pub fn framed(pool: &Pool, members: Vec<usize>) -> Self {
        let mut set = Self::new(pool, members);
        set.frame = Some(crate::frame::build_hull(pool, &set.kept));
        set
    }

    /// The reference list for a program that must exclude observation `own`: the kept list
    /// without `own`, plus the members that only `own` may have been standing in for (those it
    /// dominates). Exact for the same reason as the pruning.
    pub fn without(&self, pool: &Pool, own: usize) -> Vec<usize> {
        if self.members.binary_search(&own).is_err() {
            return self.kept.clone();
        }
        if self.kept.binary_search(&own).is_err() {
            // `own` was dominated by a kept member, so the kept list already spans every member
            // except `own`.
            return self.kept.clone();
        }
        let mut refs: Vec<usize> = self.kept.iter().copied().filter(|&k| k != own).collect();
        for &j in &self.members {
            if j != own && self.kept.binary_search(&j).is_err() && pool.dominates(own, j) {
                refs.push(j);
            }
        }
        refs.sort_unstable();
        refs
    }
}

/// Result of one program.
pub(crate) enum Program {
    Optimal { value: f64, slacks: Slacks },
    Infeasible,
}

fn slacks_from(x: &[f64], dims: Dims, o: &[f64]) -> Slacks {
    let t = x[0];
    let s = |p: usize| {
        if t > 0.0 {
            x[1 + p] * o[p] / t
        } else {
            0.0
        }
    };
    Slacks {
        input: (0..dims.m).map(s).collect(),
        good: (dims.m..dims.m + dims.s1).map(s).collect(),
        bad: (dims.m + dims.s1..dims.width()).map(s).collect(),
    }
}

fn check_evaluated(o: &[f64], dims: Dims, unit: usize) -> Result<(), DeaError> {
    for (p, &v) in o.iter().enumerate() {
        if v <= 0.0 {
            return Err(DeaError::ZeroInEvaluated {
                unit,
                variable: dims.variable(p),
            });
        }
    }
    Ok(())
}

fn finish(outcome: LpOutcome, dims: Dims, o: &[f64], unit: usize) -> Result<Program, DeaError> {
    match outcome {
        LpOutcome::Optimal { objective, x } => Ok(Program::Optimal {
            value: objective,
            slacks: slacks_from(&x, dims, o),
        }),
        LpOutcome::Infeasible => Ok(Program::Infeasible),
        LpOutcome::Unbounded => Err(DeaError::Solver {
            unit,
            detail: "unbounded program (cannot happen for SBM with valid data)".into(),
        }),
        LpOutcome::IterationLimit => Err(DeaError::Solver {
            unit,
            detail: "simplex iteration limit".into(),
        }),
    }
}

/// Builds the plain SBM LP for observation values `o` against `refs` (columns: `t`, `S`, then
/// one per reference unit).
pub(crate) fn plain_lp(pool: &Pool, refs: &[usize], o: &[f64], returns: Returns) -> DenseLp {
    let dims = pool.dims;
    let w = dims.width();
    let vrs = returns == Returns::Vrs;
    let rows = 1 + w + usize::from(vrs);
    let cols = 1 + w + refs.len();
    let mut a = vec![0.0; rows * cols];
    let mut c = vec![0.0; cols];
    let inv_out = 1.0 / (dims.s1 + dims.s2) as f64;
    // t
    c[0] = 1.0;
    a[0] = 1.0;
    for v in a.iter_mut().take(rows).skip(1) {
        *v = -1.0;
    }
    // slacks
    for p in 0..w {
        let col = &mut a[(1 + p) * rows..(2 + p) * rows];
        if p < dims.m {
            col[1 + p] = 1.0;
            c[1 + p] = -1.0 / dims.m as f64;
        } else if p < dims.m + dims.s1 {
            col[1 + p] = -1.0;
            col[0] = inv_out;
        } else {
            col[1 + p] = 1.0;
            col[0] = inv_out;
        }
    }
    let inv_o: Vec<f64> = o.iter().map(|v| 1.0 / v).collect();
    for (k, &j) in refs.iter().enumerate() {
        let col = &mut a[(1 + w + k) * rows..(2 + w + k) * rows];
        for (p, &v) in pool.obs(j).iter().enumerate() {
            col[1 + p] = v * inv_o[p];
        }
        if vrs {
            col[1 + w] = 1.0;
        }
    }
    let mut b = vec![0.0; rows];
    b[0] = 1.0;
    DenseLp {
        rows,
        cols,
        a,
        b,
        c,
    }
}

/// Builds the super-SBM LP for observation values `o` against `refs` (columns: `t`, `S`, one per
/// reference unit, then the row slacks; [`solve_restricted`] shifts a basis over appended units).
pub(crate) fn super_lp(pool: &Pool, refs: &[usize], o: &[f64], returns: Returns) -> DenseLp {
    let dims = pool.dims;
    let w = dims.width();
    let vrs = returns == Returns::Vrs;
    let rows = 1 + w + dims.s1 + usize::from(vrs);
    let n = refs.len();
    let cols = 1 + w + n + w + dims.s1;
    let mut a = vec![0.0; rows * cols];
    let mut c = vec![0.0; cols];
    let inv_out = 1.0 / (dims.s1 + dims.s2) as f64;
    c[0] = 1.0;
    a[0] = 1.0;
    for v in a.iter_mut().take(rows).skip(1) {
        *v = -1.0;
    }
    for p in 0..w {
        let col = &mut a[(1 + p) * rows..(2 + p) * rows];
        if p < dims.m {
            col[1 + p] = -1.0;
            c[1 + p] = 1.0 / dims.m as f64;
        } else if p < dims.m + dims.s1 {
            col[1 + p] = 1.0;
            col[0] = -inv_out;
            // cap row s^g <= y_o t
            col[1 + w + (p - dims.m)] = 1.0;
        } else {
            col[1 + p] = -1.0;
            col[0] = -inv_out;
        }
    }
    let inv_o: Vec<f64> = o.iter().map(|v| 1.0 / v).collect();
    for (k, &j) in refs.iter().enumerate() {
        let col = &mut a[(1 + w + k) * rows..(2 + w + k) * rows];
        for (p, &v) in pool.obs(j).iter().enumerate() {
            col[1 + p] = v * inv_o[p];
        }
        if vrs {
            col[rows - 1] = 1.0;
        }
    }
    // Row slacks: +1 for <= rows (inputs, bad, caps), -1 for >= rows (good).
    for p in 0..w {
        let col = &mut a[(1 + w + n + p) * rows..(2 + w + n + p) * rows];
        col[1 + p] = if p >= dims.m && p < dims.m + dims.s1 {
            -1.0
        } else {
            1.0
        };
    }
    for r in 0..dims.s1 {
        let col = &mut a[(1 + 2 * w + n + r) * rows..(2 + 2 * w + n + r) * rows];
        col[1 + w + r] = 1.0;
    }
    let mut b = vec![0.0; rows];
    b[0] = 1.0;
    DenseLp {
        rows,
        cols,
        a,
        b,
        c,
    }
}

/// The two programs of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    Plain,
    Super,
}

/// The reference units of a program: it is solved against `start` and certified against
/// `full` (both sorted pool indices, `start` a subset of `full`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RefColumns<'a> {
    pub start: &'a [usize],
    pub full: &'a [usize],
}

/// Solves the `form` program of observation values `o` against the reference units `full`,
/// starting from the columns of `start` (a subset of `full`, e.g. the frame) and adding by column
/// generation every unit of `full` whose column prices out (reduced cost below the simplex's own
/// optimality tolerance) under the restricted optimum's duals. The result is therefore an optimum
/// of the program against all of `full`, certified by its reduced costs. An infeasible
/// restricted program is returned as is: the caller passes a `start` that spans the same
/// technology as `full` whenever that verdict must hold for `full`.
///
/// `warm` carries an optimal basis between programs (see [`simplex::solve_warm`]); reference
/// columns are only ever added after the existing ones, and a basis is carried over them.
pub(crate) fn solve_restricted(
    pool: &Pool,
    form: Form,
    RefColumns { start, full }: RefColumns<'_>,
    o: &[f64],
    returns: Returns,
    unit: usize,
    warm: &mut Option<Vec<usize>>,
) -> Result<Program, DeaError> {
    if start.is_empty() {
        return Ok(Program::Infeasible);
    }
    let dims = pool.dims;
    let w = dims.width();
    let vrs = returns == Returns::Vrs;
    let mut refs = start.to_vec();
    // `in_refs[k]`: whether `full[k]` is a column already (both lists are sorted).
    let mut in_refs = vec![false; full.len()];
    let mut s = start.iter().peekable();
    for (k, &j) in full.iter().enumerate() {
        while s.next_if(|&&i| i < j).is_some() {}
        in_refs[k] = s.next_if(|&&i| i == j).is_some();
    }
    let mut priced = vec![0.0; w];
    loop {
        let lp = match form {
            Form::Plain => plain_lp(pool, &refs, o, returns),
            Form::Super => super_lp(pool, &refs, o, returns),
        };
        let solved = simplex::solve_with_duals(&lp, warm.as_deref());
        if solved.basis.is_some() {
            *warm = solved.basis;
        }
        let Some(y) = solved.duals else {
            return finish(solved.outcome, dims, o, unit);
        };
        // A reference column is (v_j / v_o) on the variable rows and 1 on the convexity row (the
        // last), with cost 0: reduced cost -y'a_j.
        for (p, pr) in priced.iter_mut().enumerate() {
            *pr = y[1 + p] / o[p];
        }
        let y_conv = if vrs { y[lp.rows - 1] } else { 0.0 };
        let before = refs.len();
        for (k, &j) in full.iter().enumerate() {
            if in_refs[k] {
                continue;
            }
            let ya: f64 = pool.obs(j).iter().zip(&priced).map(|(v, pr)| v * pr).sum();
            if ya + y_conv > simplex::TOL_OPTIMAL {
                refs.push(j);
                in_refs[k] = true;
            }
        }
        let added = refs.len() - before;
        if added == 0 {
            return finish(solved.outcome, dims, o, unit);
        }
        // The super LP's row-slack columns follow the reference columns: shift them.
        if let (Form::Super, Some(basis)) = (form, warm.as_mut()) {
            for v in basis.iter_mut().filter(|v| **v >= 1 + w + before) {
                *v += added;
            }
        }
    }
}

/// Scores pool observation `obs` against `frontier` by the rule of METHODS.md section 3:
/// solve the SBM (the observation itself stays in the reference set when it is a member); when it
/// is infeasible or gives 1 and `super_when_efficient`, solve the super-SBM without the
/// observation. `unit` only labels errors.
pub(crate) fn score_against(
    pool: &Pool,
    frontier: &FrontierSet,
    obs: usize,
    returns: Returns,
    super_when_efficient: bool,
    unit: usize,
    warm: &mut Option<Vec<usize>>,
) -> Result<Score, DeaError> {
    let o_vals = pool.obs(obs);
    let own = frontier.members.binary_search(&obs).is_ok().then_some(obs);
    check_evaluated(o_vals, pool.dims, unit)?;
    // Against the frame (the same technology as the kept list, so an infeasible verdict holds
    // too), certified against the kept list by pricing; without a frame, against the kept list.
    let plain = solve_restricted(
        pool,
        Form::Plain,
        RefColumns {
            start: frontier.frame.as_deref().unwrap_or(&frontier.kept),
            full: &frontier.kept,
        },
        o_vals,
        returns,
        unit,
        warm,
    )?;
    let (plain_status, plain_needs_super) = match &plain {
        Program::Optimal { value, .. } => (ProgramStatus::Optimal, *value >= 1.0 - EFFICIENT_TOL),
        Program::Infeasible => (ProgramStatus::Infeasible, true),
    };
    if !(super_when_efficient && plain_needs_super) {
        return Ok(match plain {
            Program::Optimal { value, slacks } => Score {
                // Round-off may put an efficient unit a hair above 1; the plain score is <= 1.
                value: Some(value.min(1.0)),
                kind: ScoreKind::Plain,
                sbm: plain_status,
                super_sbm: ProgramStatus::NotSolved,
                infeasible: false,
                slacks: Some(slacks),
            },
            Program::Infeasible => Score {
                value: None,
                kind: ScoreKind::Plain,
                sbm: plain_status,
                super_sbm: ProgramStatus::NotSolved,
                infeasible: true,
                slacks: None,
            },
        });
    }
    let full = match own {
        Some(j) => frontier.without(pool, j),
        None => frontier.kept.clone(),
    };
    // Without the observation, the frame still spans the technology unless the observation is
    // itself a frame unit: then units only it dominated may become extreme. Column generation
    // finds them for a feasible program; an infeasible one is re-solved against every other unit.
    let (start, own_in_frame): (Vec<usize>, bool) = match &frontier.frame {
        Some(frame) => (
            frame.iter().copied().filter(|&k| Some(k) != own).collect(),
            own.is_some_and(|j| frame.binary_search(&j).is_ok()),
        ),
        None => (full.clone(), false),
    };
    let mut super_warm = None;
    let mut sup = solve_restricted(
        pool,
        Form::Super,
        RefColumns {
            start: &start,
            full: &full,
        },
        o_vals,
        returns,
        unit,
        &mut super_warm,
    )?;
    if own_in_frame && matches!(sup, Program::Infeasible) && start.len() < full.len() {
        sup = solve_restricted(
            pool,
            Form::Super,
            RefColumns {
                start: &full,
                full: &full,
            },
            o_vals,
            returns,
            unit,
            &mut None,
        )?;
    }
    Ok(match sup {
        Program::Optimal { value, slacks } => Score {
            // rho* >= t >= 1 in exact arithmetic; snap round-off below 1.
            value: Some(if value < 1.0 && value > 1.0 - EFFICIENT_TOL {
                1.0
            } else {
                value
            }),
            kind: ScoreKind::Super,
            sbm: plain_status,
            super_sbm: ProgramStatus::Optimal,
            infeasible: false,
            slacks: Some(slacks),
        },
        Program::Infeasible => Score {
            value: None,
            kind: ScoreKind::Super,
            sbm: plain_status,
            super_sbm: ProgramStatus::Infeasible,
            infeasible: true,
            slacks: None,
        },
    })
}
