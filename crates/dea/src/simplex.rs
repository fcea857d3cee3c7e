//! A dense revised simplex for DEA-shaped linear programs: few rows (about 10), many columns
//! (one per reference unit).
//!
//! Problem form: minimise `c'x` subject to `A x = b`, `x >= 0`, with `A` dense and column-major.
//! The basis inverse is an explicit `rows x rows` matrix updated by elementary row operations
//! after each pivot and recomputed from scratch every `REFACTOR_EVERY` (40) pivots, so one
//! iteration costs `O(rows * cols)` for pricing plus `O(rows^2)` for the update. Phase 1
//! minimises the sum of artificial variables on the rows that have no ready-made unit column. Pricing is Dantzig's rule
//! (most negative reduced cost); after `DEGENERATE_LIMIT` (30) consecutive degenerate pivots it
//! switches to Bland's rule, which cannot cycle. The ratio test is Harris's two-pass test.
//!
//! The solver returns a vertex (basic) solution: it is an exact simplex up to floating-point
//! rounding, not an interior-point approximation.

// Dense linear algebra over a few rows reads clearest with explicit indices.
#![allow(clippy::needless_range_loop)]

/// Pivots between fresh recomputations of the basis inverse.
const REFACTOR_EVERY: usize = 40;
/// Consecutive degenerate pivots before switching to Bland's rule.
const DEGENERATE_LIMIT: usize = 30;
/// Reduced-cost tolerance for optimality (also the pricing tolerance of column generation in
/// `sbm`, so a restricted program is accepted exactly when this simplex would stop on the full one).
pub(crate) const TOL_OPTIMAL: f64 = 1e-10;
/// Smallest admissible pivot element.
const TOL_PIVOT: f64 = 1e-9;
/// Basic values below this are round-off of zero and are snapped to it; a step this small counts
/// as degenerate.
const TOL_DEGENERATE: f64 = 1e-11;
/// Primal feasibility tolerance (Harris ratio test and phase-1 verdict).
const TOL_FEASIBLE: f64 = 1e-9;

/// A linear program `min c'x, A x = b, x >= 0` with a dense column-major `A`.
#[derive(Debug, Clone)]
pub struct DenseLp {
    /// Number of equality rows.
    pub rows: usize,
    /// Number of structural columns.
    pub cols: usize,
    /// Column-major coefficients: `a[j * rows + i]` is row `i` of column `j`.
    pub a: Vec<f64>,
    /// Right-hand side, length `rows`.
    pub b: Vec<f64>,
    /// Objective, length `cols`.
    pub c: Vec<f64>,
}

/// What the simplex found.
#[derive(Debug, Clone, PartialEq)]
pub enum LpOutcome {
    /// An optimal basic solution.
    Optimal {
        /// Objective value `c'x`.
        objective: f64,
        /// Values of the structural columns.
        x: Vec<f64>,
    },
    /// No `x >= 0` satisfies `A x = b` (phase 1 ended with a positive sum of artificials).
    Infeasible,
    /// The objective decreases without bound.
    Unbounded,
    /// The iteration limit was reached (numerical trouble; reported, never silently used).
    IterationLimit,
}

impl DenseLp {
    /// Column `j` as a slice.
    #[inline]
    fn column(&self, j: usize) -> &[f64] {
        &self.a[j * self.rows..(j + 1) * self.rows]
    }
}

/// Working state of the revised simplex.
struct Tableau<'a> {
    lp: &'a DenseLp,
    m: usize,
    /// Basis variable per row; indices `>= cols` are artificials (`cols + row`).
    basis: Vec<usize>,
    /// Row-major `m x m` basis inverse.
    binv: Vec<f64>,
    /// Values of the basic variables.
    xb: Vec<f64>,
    /// Whether each structural column is basic.
    is_basic: Vec<bool>,
    /// Row signs applied so that `b >= 0` (the row is multiplied by this sign).
    sign: Vec<f64>,
    /// Pivots since the basis inverse was last recomputed.
    pivots_since_refactor: usize,
}

impl<'a> Tableau<'a> {
    /// Entry `(i, j)` of the sign-adjusted matrix, including artificial columns.
    #[inline]
    fn entry(&self, i: usize, j: usize) -> f64 {
        if j < self.lp.cols {
            self.sign[i] * self.lp.a[j * self.m + i]
        } else if j - self.lp.cols == i {
            1.0
        } else {
            0.0
        }
    }

    /// `B^{-1} a_j` for column `j` (structural or artificial).
    fn ftran(&self, j: usize, out: &mut [f64]) {
        let m = self.m;
        if j < self.lp.cols {
            let col = self.lp.column(j);
            for (k, o) in out.iter_mut().enumerate() {
                let row = &self.binv[k * m..(k + 1) * m];
                let mut acc = 0.0;
                for i in 0..m {
                    acc += row[i] * self.sign[i] * col[i];
                }
                *o = acc;
            }
        } else {
            let i = j - self.lp.cols;
            for (k, o) in out.iter_mut().enumerate() {
                *o = self.binv[k * m + i];
            }
        }
    }

    /// Recomputes the basis inverse and basic values from the basis (Gauss-Jordan, partial
    /// pivoting). Returns false if the basis matrix is numerically singular.
    fn refactor(&mut self) -> bool {
        let m = self.m;
        // Augmented [B | I].
        let mut bmat = vec![0.0; m * m];
        for (k, &var) in self.basis.iter().enumerate() {
            for i in 0..m {
                bmat[i * m + k] = self.entry(i, var);
            }
        }
        let mut inv = vec![0.0; m * m];
        for i in 0..m {
            inv[i * m + i] = 1.0;
        }
        for col in 0..m {
            let mut piv = col;
            let mut best = bmat[col * m + col].abs();
            for r in col + 1..m {
                let v = bmat[r * m + col].abs();
                if v > best {
                    best = v;
                    piv = r;
                }
            }
            if best < 1e-12 {
                return false;
            }
            if piv != col {
                for c in 0..m {
                    bmat.swap(piv * m + c, col * m + c);
                    inv.swap(piv * m + c, col * m + c);
                }
            }
            let d = bmat[col * m + col];
            for c in 0..m {
                bmat[col * m + c] /= d;
                inv[col * m + c] /= d;
            }
            for r in 0..m {
                if r != col {
                    let f = bmat[r * m + col];
                    if f != 0.0 {
                        for c in 0..m {
                            bmat[r * m + c] -= f * bmat[col * m + c];
                            inv[r * m + c] -= f * inv[col * m + c];
                        }
                    }
                }
            }
        }
        self.binv = inv;
        for k in 0..m {
            let mut acc = 0.0;
            for i in 0..m {
                acc += self.binv[k * m + i] * self.sign[i] * self.lp.b[i];
            }
            // Round-off below the feasibility tolerance is clamped so it cannot drive a ratio
            // test negative.
            self.xb[k] = if acc < 0.0 && acc > -TOL_FEASIBLE {
                0.0
            } else {
                acc
            };
        }
        self.pivots_since_refactor = 0;
        true
    }

    /// Replaces the basic variable of row `r` by column `q`, whose ftran is `w`.
    fn pivot(&mut self, r: usize, q: usize, w: &[f64]) {
        let m = self.m;
        let theta = self.xb[r] / w[r];
        for k in 0..m {
            if k != r {
                self.xb[k] -= theta * w[k];
                if self.xb[k] < TOL_DEGENERATE {
                    self.xb[k] = 0.0;
                }
            }
        }
        self.xb[r] = if theta < TOL_DEGENERATE { 0.0 } else { theta };
        let wr = w[r];
        for c in 0..m {
            self.binv[r * m + c] /= wr;
        }
        for k in 0..m {
            if k != r && w[k] != 0.0 {
                let f = w[k];
                for c in 0..m {
                    self.binv[k * m + c] -= f * self.binv[r * m + c];
                }
            }
        }
        let old = self.basis[r];
        if old < self.lp.cols {
            self.is_basic[old] = false;
        }
        if q < self.lp.cols {
            self.is_basic[q] = true;
        }
        self.basis[r] = q;
        self.pivots_since_refactor += 1;
        if self.pivots_since_refactor >= REFACTOR_EVERY {
            // A singular refactor cannot happen for a basis reached by valid pivots; if it does,
            // keep the updated inverse.
            let saved = (self.binv.clone(), self.xb.clone());
            if !self.refactor() {
                self.binv = saved.0;
                self.xb = saved.1;
            }
        }
    }

    /// Runs simplex iterations for the cost vector `cost` (indexed over structural then
    /// artificial columns). `allow_artificial` lets artificials enter.
    fn optimise(
        &mut self,
        cost: &dyn Fn(usize) -> f64,
        allow_artificial: bool,
        max_iter: usize,
    ) -> Phase {
        let m = self.m;
        let n = self.lp.cols;
        // The costs once per phase (the pricing loop below is the solver's hot spot).
        let costs: Vec<f64> = (0..n + m).map(cost).collect();
        let mut y = vec![0.0; m];
        let mut w = vec![0.0; m];
        let mut degenerate_run = 0usize;
        let mut bland = false;
        for _ in 0..max_iter {
            // Duals y' = c_B' B^{-1}, then reduced costs d_j = c_j - y' a_j.
            for (i, yi) in y.iter_mut().enumerate() {
                let mut acc = 0.0;
                for k in 0..m {
                    acc += costs[self.basis[k]] * self.binv[k * m + i];
                }
                *yi = acc * self.sign[i];
            }
            // Once switched, Bland's rule stays on for the rest of the phase: switching back and
            // forth can cycle.
            bland = bland || degenerate_run >= DEGENERATE_LIMIT;
            let mut entering: Option<usize> = None;
            let mut best = -TOL_OPTIMAL;
            for (j, col) in self.lp.a.chunks_exact(m).enumerate() {
                if self.is_basic[j] {
                    continue;
                }
                let mut d = costs[j];
                for (yi, ai) in y.iter().zip(col) {
                    d -= yi * ai;
                }
                if d < best {
                    entering = Some(j);
                    if bland {
                        break;
                    }
                    best = d;
                }
            }
            if entering.is_none() && allow_artificial {
                for i in 0..m {
                    let j = n + i;
                    if self.basis.contains(&j) {
                        continue;
                    }
                    let d = costs[j] - y[i] * self.sign[i];
                    if d < best {
                        entering = Some(j);
                        if bland {
                            break;
                        }
                        best = d;
                    }
                }
            }
            let Some(q) = entering else {
                return Phase::Optimal;
            };
            self.ftran(q, &mut w);
            let leave = if bland {
                // Textbook ratio test (Bland's guarantee needs it): minimum ratio, ties broken by
                // the smallest basic index.
                let mut theta_min = f64::INFINITY;
                for k in 0..m {
                    if w[k] > TOL_PIVOT {
                        theta_min = theta_min.min(self.xb[k] / w[k]);
                    }
                }
                let mut leave: Option<usize> = None;
                for k in 0..m {
                    if w[k] > TOL_PIVOT
                        && self.xb[k] / w[k] <= theta_min + 1e-14 * (1.0 + theta_min)
                        && leave.is_none_or(|l| self.basis[k] < self.basis[l])
                    {
                        leave = Some(k);
                    }
                }
                leave
            } else {
                // Harris ratio test, pass 1: the largest step keeping every basic value above
                // -TOL_FEASIBLE; pass 2: among rows whose exact ratio is within it, the largest
                // pivot element.
                let mut theta_max = f64::INFINITY;
                for k in 0..m {
                    if w[k] > TOL_PIVOT {
                        let t = (self.xb[k] + TOL_FEASIBLE) / w[k];
                        if t < theta_max {
                            theta_max = t;
                        }
                    }
                }
                let mut leave: Option<usize> = None;
                let mut best_w = 0.0;
                for k in 0..m {
                    if w[k] > TOL_PIVOT && self.xb[k] / w[k] <= theta_max && w[k] > best_w {
                        leave = Some(k);
                        best_w = w[k];
                    }
                }
                leave
            };
            let Some(r) = leave else {
                return Phase::Unbounded;
            };
            if self.xb[r] / w[r] <= TOL_DEGENERATE {
                degenerate_run += 1;
            } else {
                degenerate_run = 0;
            }
            self.pivot(r, q, &w);
        }
        Phase::IterationLimit
    }
}

enum Phase {
    Optimal,
    Unbounded,
    IterationLimit,
}

/// Solves `min c'x, A x = b, x >= 0` by the two-phase revised simplex.
pub fn solve(lp: &DenseLp) -> LpOutcome {
    solve_warm(lp, None).0
}

/// As [`solve`], starting from the basis `hint` (one structural column per row, e.g. the optimal
/// basis of a neighbouring unit's program) when that basis is non-singular and primal feasible
/// for this program; otherwise from the cold two-phase start. Also returns the optimal basis
/// when it consists of structural columns only, to warm-start the next program.
///
/// A warm start changes only the path to the optimum: the optimal value is the same, though an
/// alternative optimal vertex (slacks, lambdas) may be reached.
pub fn solve_warm(lp: &DenseLp, hint: Option<&[usize]>) -> (LpOutcome, Option<Vec<usize>>) {
    let solved = solve_with_duals(lp, hint);
    (solved.outcome, solved.basis)
}

/// What [`solve_with_duals`] returns.
#[derive(Debug, Clone)]
pub(crate) struct Solved {
    pub outcome: LpOutcome,
    /// The optimal basis when it has structural columns only (a warm start for the next program).
    pub basis: Option<Vec<usize>>,
    /// Row duals `y' = c_B' B^{-1}` of the optimal basis (`Some` exactly when `outcome` is
    /// optimal): column `j` has reduced cost `c_j - y' a_j`, so a column not in the program
    /// prices out (would improve it) when that is below `-TOL_OPTIMAL`.
    pub duals: Option<Vec<f64>>,
}

/// As [`solve_warm`], also returning the optimal duals (for column generation and the
/// separating hyperplanes of the frame search).
pub(crate) fn solve_with_duals(lp: &DenseLp, hint: Option<&[usize]>) -> Solved {
    let fail = |outcome| Solved {
        outcome,
        basis: None,
        duals: None,
    };
    let m = lp.rows;
    let n = lp.cols;
    debug_assert_eq!(lp.a.len(), m * n);
    debug_assert_eq!(lp.b.len(), m);
    debug_assert_eq!(lp.c.len(), n);
    let sign: Vec<f64> =
        lp.b.iter()
            .map(|&v| if v < 0.0 { -1.0 } else { 1.0 })
            .collect();
    // Crash basis: a structural column equal to the unit vector e_i (after sign adjustment) is
    // basic on row i; the other rows start with their artificial.
    let mut basis: Vec<usize> = (0..m).map(|i| n + i).collect();
    let mut is_basic = vec![false; n];
    let mut row_taken = vec![false; m];
    for j in 0..n {
        let col = &lp.a[j * m..(j + 1) * m];
        let mut unit_row = None;
        let mut ok = true;
        for (i, &v) in col.iter().enumerate() {
            if v != 0.0 {
                if unit_row.is_none() && v * sign[i] == 1.0 {
                    unit_row = Some(i);
                } else {
                    ok = false;
                    break;
                }
            }
        }
        if let (true, Some(i)) = (ok, unit_row) {
            if !row_taken[i] {
                row_taken[i] = true;
                basis[i] = j;
                is_basic[j] = true;
            }
        }
    }
    let mut tab = Tableau {
        lp,
        m,
        basis,
        binv: vec![0.0; m * m],
        xb: vec![0.0; m],
        is_basic,
        sign,
        pivots_since_refactor: 0,
    };
    let max_iter = 50 * (m + n) + 1000;
    let mut warm = false;
    if let Some(h) = hint {
        let valid = h.len() == m && h.iter().all(|&j| j < n) && {
            let mut seen = vec![false; n];
            h.iter().all(|&j| !std::mem::replace(&mut seen[j], true))
        };
        if valid {
            let cold = (tab.basis.clone(), tab.is_basic.clone());
            tab.basis = h.to_vec();
            tab.is_basic = vec![false; n];
            for &j in h {
                tab.is_basic[j] = true;
            }
            if tab.refactor() && tab.xb.iter().all(|&v| v >= -TOL_FEASIBLE) {
                for v in &mut tab.xb {
                    *v = v.max(0.0);
                }
                warm = true;
            } else {
                tab.basis = cold.0;
                tab.is_basic = cold.1;
            }
        }
    }
    if !warm && !tab.refactor() {
        return fail(LpOutcome::IterationLimit);
    }
    let needs_phase1 = !warm && tab.basis.iter().any(|&v| v >= n);
    if needs_phase1 {
        let phase1_cost = |j: usize| if j >= n { 1.0 } else { 0.0 };
        match tab.optimise(&phase1_cost, true, max_iter) {
            Phase::Optimal => {}
            // Phase 1 is bounded below by zero; anything else is numerical trouble.
            Phase::Unbounded | Phase::IterationLimit => return fail(LpOutcome::IterationLimit),
        }
        let infeasibility: f64 = tab
            .basis
            .iter()
            .zip(&tab.xb)
            .filter(|(&v, _)| v >= n)
            .map(|(_, &x)| x)
            .sum();
        let scale = 1.0 + lp.b.iter().fold(0.0_f64, |a, &v| a.max(v.abs()));
        if infeasibility > 1e-8 * scale {
            return fail(LpOutcome::Infeasible);
        }
        // Drive basic artificials (at zero) out of the basis where a structural column can
        // replace them; a row where none can is redundant and its artificial stays at zero.
        let mut w = vec![0.0; m];
        for r in 0..m {
            if tab.basis[r] < n {
                continue;
            }
            let mut best: Option<(usize, f64)> = None;
            for j in 0..n {
                if tab.is_basic[j] {
                    continue;
                }
                let col = lp.column(j);
                let mut alpha = 0.0;
                for i in 0..m {
                    alpha += tab.binv[r * m + i] * tab.sign[i] * col[i];
                }
                if alpha.abs() > 1e-7 && best.is_none_or(|(_, a)| alpha.abs() > a) {
                    best = Some((j, alpha.abs()));
                }
            }
            if let Some((j, _)) = best {
                tab.ftran(j, &mut w);
                // Degenerate pivot: xb[r] is zero (up to round-off), so values do not move.
                tab.xb[r] = 0.0;
                tab.pivot(r, j, &w);
            }
        }
    }
    let phase2_cost = |j: usize| if j >= n { 0.0 } else { lp.c[j] };
    match tab.optimise(&phase2_cost, false, max_iter) {
        Phase::Optimal => {}
        Phase::Unbounded => return fail(LpOutcome::Unbounded),
        Phase::IterationLimit => return fail(LpOutcome::IterationLimit),
    }
    // Final clean solve for accuracy.
    let saved = (tab.binv.clone(), tab.xb.clone());
    if !tab.refactor() {
        tab.binv = saved.0;
        tab.xb = saved.1;
    }
    let mut x = vec![0.0; n];
    for (k, &var) in tab.basis.iter().enumerate() {
        if var < n {
            x[var] = tab.xb[k].max(0.0);
        }
    }
    let objective = x.iter().zip(&lp.c).map(|(a, b)| a * b).sum();
    let duals: Vec<f64> = (0..m)
        .map(|i| {
            let mut acc = 0.0;
            for (k, &var) in tab.basis.iter().enumerate() {
                if var < n {
                    acc += lp.c[var] * tab.binv[k * m + i];
                }
            }
            acc * tab.sign[i]
        })
        .collect();
    let basis = tab.basis.iter().all(|&v| v < n).then(|| tab.basis.clone());
    Solved {
        outcome: LpOutcome::Optimal { objective, x },
        basis,
        duals: Some(duals),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lp(rows: usize, cols_major: Vec<Vec<f64>>, b: Vec<f64>, c: Vec<f64>) -> DenseLp {
        let cols = cols_major.len();
        DenseLp {
            rows,
            cols,
            a: cols_major.into_iter().flatten().collect(),
            b,
            c,
        }
    }

    /// min -3x - 5y  s.t. x + s1 = 4, 2y + s2 = 12, 3x + 2y + s3 = 18 -> x = 2, y = 6, obj -36.
    fn textbook() -> DenseLp {
        lp(
            3,
            vec![
                vec![1.0, 0.0, 3.0],
                vec![0.0, 2.0, 2.0],
                vec![1.0, 0.0, 0.0],
                vec![0.0, 1.0, 0.0],
                vec![0.0, 0.0, 1.0],
            ],
            vec![4.0, 12.0, 18.0],
            vec![-3.0, -5.0, 0.0, 0.0, 0.0],
        )
    }

    #[test]
    fn textbook_lp() {
        let p = textbook();
        match solve(&p) {
            LpOutcome::Optimal { objective, x } => {
                assert!((objective + 36.0).abs() < 1e-12);
                assert!((x[0] - 2.0).abs() < 1e-12 && (x[1] - 6.0).abs() < 1e-12);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn textbook_duals() {
        // The same LP: shadow prices 0, -1.5, -1 (y' b = -36 = objective; every basic column has
        // reduced cost zero, every other one non-negative).
        let p = textbook();
        let solved = solve_with_duals(&p, None);
        let y = solved.duals.expect("optimal");
        for (got, want) in y.iter().zip([0.0, -1.5, -1.0]) {
            assert!((got - want).abs() < 1e-12, "{y:?}");
        }
        assert!(
            solve_with_duals(&lp(1, vec![vec![1.0]], vec![-1.0], vec![1.0]), None)
                .duals
                .is_none()
        );
    }

    #[test]
    fn infeasible_and_unbounded() {
        // x + y = -1 with x, y >= 0 is infeasible.
        let p = lp(1, vec![vec![1.0], vec![1.0]], vec![-1.0], vec![1.0, 1.0]);
        assert_eq!(solve(&p), LpOutcome::Infeasible);
        // min -x s.t. x - y = 1 is unbounded.
        let p = lp(1, vec![vec![1.0], vec![-1.0]], vec![1.0], vec![-1.0, 0.0]);
        assert_eq!(solve(&p), LpOutcome::Unbounded);
    }
}
