//! The frame of a DEA technology: the units that are its extreme points, found by Dula's
//! BuildHull (Dula 2011, "An algorithm for data envelopment analysis", INFORMS Journal on
//! Computing 23(2)). Every program of this crate is then solved against the frame instead of the
//! whole reference set (see `sbm::score_against`).
//!
//! The technology of reference units `R` frees inputs and undesirable outputs to grow and
//! desirable outputs to shrink: in goodness coordinates `g = (-x, y, -b)` it is
//! `T(R) = { g : g <= sum_j l_j g_j, l >= 0 [, sum l = 1] }`. A unit is in the VRS frame when
//! its point is a vertex of `T(R)` (of identical units, one is kept). Every other unit lies in
//! the technology the frame spans, so `T(frame) = T(R)` and every program against `T(R)` has
//! the same optimum against the frame. The CRS frame is a subset of the VRS frame (a point in
//! the convex hull of others is in their cone), so the VRS frame serves both.
//!
//! BuildHull: a growing frame `F`; for each candidate `j`, the membership program
//! `min delta : sum_{i in F} l_i g_i + delta 1 >= g_j, sum l = 1` (data scaled per variable to
//! [0, 1]). If `delta* <= 0`, `j` lies in `T(F)`. Otherwise the program's duals are a
//! hyperplane `pi' g + beta` (`pi >= 0`, `sum pi = 1`) that is `<= 0` on `T(F)` and `delta* > 0`
//! at `j`; the candidate maximising `pi' g` (ties broken lexicographically on `g`, then by
//! index) is a vertex of the whole technology outside `F`: it joins `F` and `j` is tested again.
//! Each program either settles a candidate or adds a vertex, so there are at most
//! `|candidates| + |F|` programs, each with `|F|` columns.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::sbm::Pool;
use crate::simplex::{self, DenseLp, LpOutcome};

/// Candidates per independent first pass (see [`build_hull`]).
const HULL_CHUNK: usize = 256;
/// A membership value above this (in units of the per-variable range) puts a candidate outside
/// the current frame's technology. Far above the simplex's round-off; a unit within it of
/// `T(F)` only changes scores at round-off level, and the scoring programs are still certified
/// against every unit (`sbm::solve_restricted`).
const OUTSIDE_TOL: f64 = 1e-10;

/// The VRS frame of `members` (pool indices), sorted.
///
/// Large sets are cut into fixed chunks of [`HULL_CHUNK`] whose frames are found in parallel;
/// the frame of the whole is the frame of the union of theirs (a vertex of the whole is a vertex
/// of its chunk). The chunks are fixed, so the result does not depend on the thread count.
pub(crate) fn build_hull(pool: &Pool, members: &[usize]) -> Vec<usize> {
    if members.is_empty() {
        return Vec::new();
    }
    let dims = pool.dims;
    let w = dims.width();
    let mut range = vec![0.0_f64; w];
    for &j in members {
        for (p, &v) in pool.obs(j).iter().enumerate() {
            range[p] = range[p].max(v.abs());
        }
    }
    // Goodness factor per variable: +1/range for desirable outputs, -1/range otherwise.
    let factor: Vec<f64> = range
        .iter()
        .enumerate()
        .map(|(p, &r)| {
            let s = if r > 0.0 { 1.0 / r } else { 1.0 };
            if p >= dims.m && p < dims.m + dims.s1 {
                s
            } else {
                -s
            }
        })
        .collect();
    let hull = Hull { pool, factor };
    let mut frame = if members.len() > HULL_CHUNK {
        let firsts: Vec<Vec<usize>> = members
            .par_chunks(HULL_CHUNK)
            .map(|chunk| hull.frame_of(chunk))
            .collect();
        hull.frame_of(&firsts.concat())
    } else {
        hull.frame_of(members)
    };
    frame.sort_unstable();
    frame
}

struct Hull<'a> {
    pool: &'a Pool,
    factor: Vec<f64>,
}

impl Hull<'_> {
    fn g(&self, j: usize, p: usize) -> f64 {
        self.pool.obs(j)[p] * self.factor[p]
    }

    fn width(&self) -> usize {
        self.factor.len()
    }

    /// The candidate maximising `pi' g`; exact ties go to the lexicographically largest `g`, then
    /// to the smallest index. The winner is a vertex of the technology: any representation of it
    /// by other points would need points at least as good in `pi' g` and then, coordinate by
    /// coordinate, in `g`, which only an identical point is.
    fn lex_argmax(&self, cand: &[usize], pi: &[f64]) -> usize {
        let w = self.width();
        let value = |j: usize| -> f64 { (0..w).map(|p| pi[p] * self.g(j, p)).sum() };
        let mut best = cand[0];
        let mut best_value = value(best);
        for &j in &cand[1..] {
            let v = value(j);
            let better = v > best_value
                || (v == best_value && {
                    let order = (0..w)
                        .map(|p| self.g(j, p).total_cmp(&self.g(best, p)))
                        .find(|o| o.is_ne())
                        .unwrap_or(j.cmp(&best).reverse());
                    order.is_gt()
                });
            if better {
                best = j;
                best_value = v;
            }
        }
        best
    }

    /// `min delta : sum_k l_k g_{frame[k]} + delta 1 - s = g_j, sum l = 1`, with
    /// `delta = d+ - d-`. Columns: `d+, d-, s (w), l (frame)`; rows: one per variable, then the
    /// convexity row. The frame's columns come last so a basis stays valid as the frame grows.
    fn membership_lp(&self, frame: &[usize], j: usize) -> DenseLp {
        let w = self.width();
        let rows = w + 1;
        let cols = 2 + w + frame.len();
        let mut a = vec![0.0; rows * cols];
        let mut c = vec![0.0; cols];
        c[0] = 1.0;
        c[1] = -1.0;
        for p in 0..w {
            a[p] = 1.0;
            a[rows + p] = -1.0;
            a[(2 + p) * rows + p] = -1.0;
        }
        for (k, &i) in frame.iter().enumerate() {
            let col = &mut a[(2 + w + k) * rows..(3 + w + k) * rows];
            for (p, v) in col.iter_mut().take(w).enumerate() {
                *v = self.g(i, p);
            }
            col[w] = 1.0;
        }
        let mut b: Vec<f64> = (0..w).map(|p| self.g(j, p)).collect();
        b.push(1.0);
        DenseLp {
            rows,
            cols,
            a,
            b,
            c,
        }
    }

    /// BuildHull over `cand` (pool indices); the frame in the order found.
    fn frame_of(&self, cand: &[usize]) -> Vec<usize> {
        let w = self.width();
        if cand.is_empty() {
            return Vec::new();
        }
        // Most productive first, so the frame grows early from likely vertices.
        let mut order: Vec<(f64, usize)> = cand
            .iter()
            .map(|&j| ((0..w).map(|p| self.g(j, p)).sum(), j))
            .collect();
        order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut frame = vec![self.lex_argmax(cand, &vec![1.0; w])];
        let mut in_frame: HashSet<usize> = frame.iter().copied().collect();
        let mut warm: Option<Vec<usize>> = None;
        for &(_, j) in &order {
            while !in_frame.contains(&j) {
                let solved =
                    simplex::solve_with_duals(&self.membership_lp(&frame, j), warm.as_deref());
                if solved.basis.is_some() {
                    warm = solved.basis;
                }
                let (delta, pi) = match (solved.outcome, solved.duals) {
                    (LpOutcome::Optimal { objective, .. }, Some(y)) => (objective, y),
                    // The program is always feasible and bounded; should the simplex still fail,
                    // keeping the unit is exact (a frame may hold extra units).
                    _ => {
                        frame.push(j);
                        in_frame.insert(j);
                        break;
                    }
                };
                if delta <= OUTSIDE_TOL {
                    break;
                }
                let vertex = self.lex_argmax(cand, &pi[..w]);
                // In exact arithmetic the maximiser is outside `F`; if round-off says otherwise,
                // `j` sits on the boundary of `T(F)` and keeping it is exact.
                let add = if in_frame.contains(&vertex) {
                    j
                } else {
                    vertex
                };
                frame.push(add);
                in_frame.insert(add);
            }
        }
        frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DeaData, Dims};

    fn pool_of(points: &[[f64; 2]]) -> Pool {
        // One input, one desirable output.
        let d = DeaData {
            inputs: points.iter().map(|p| vec![p[0]]).collect(),
            good: points.iter().map(|p| vec![p[1]]).collect(),
            bad: vec![vec![]; points.len()],
        };
        Pool::from_periods(&[&d], Dims { m: 1, s1: 1, s2: 0 })
    }

    #[test]
    fn frame_of_a_textbook_set() {
        // (x, y): A, B, C are the VRS vertices; D lies on segment A-C's... below it, E is
        // dominated by B, F duplicates B, G sits on the segment B-C (not a vertex).
        let pool = pool_of(&[
            [1.0, 1.0], // A
            [2.0, 3.0], // B
            [4.0, 4.0], // C
            [3.0, 2.0], // D: inside
            [3.0, 3.0], // E: dominated by B
            [2.0, 3.0], // F: B's twin
            [3.0, 3.5], // G: midpoint of B and C
        ]);
        let frame = build_hull(&pool, &(0..7).collect::<Vec<_>>());
        assert_eq!(frame, vec![0, 1, 2]);
    }

    #[test]
    fn chunked_frame_equals_direct() {
        // Points on a concave curve are all vertices; inner points are not.
        let mut pts = Vec::new();
        for k in 0..700 {
            let x = 1.0 + k as f64 / 10.0;
            let y = if k % 3 == 0 { x.sqrt() } else { 0.5 * x.sqrt() };
            pts.push([x, y]);
        }
        let pool = pool_of(&pts);
        let members: Vec<usize> = (0..pts.len()).collect();
        let frame = build_hull(&pool, &members);
        let want: Vec<usize> = (0..700).filter(|k| k % 3 == 0).collect();
        assert_eq!(frame, want);
    }
}
