//! Fixed-effect absorption ("within" transformation) for any number of FE dimensions.
//!
//! For fixed-effect id vectors `f_1..f_F` and a column `x`, the absorbed column is the
//! residual of the least-squares projection of `x` on all FE dummies together,
//! `x~ = x - D a`, `a = argmin ||x - D a||`. With no FE it is `x - mean(x)` (the constant).
//!
//! * one FE: `x~_i = x_i - mean_{g(i)}(x)`;
//! * balanced two-way (every (i, t) pair exactly once): the exact closed form
//!   `x~_it = x_it - x̄_i. - x̄_.t + x̄..`;
//! * otherwise: preconditioned conjugate gradient on the normal equations
//!   `D'D a = D'x` with the diagonal (level counts) as preconditioner, i.e. the
//!   alternating-projections problem with CG acceleration (as reghdfe's `accel(cg)`).
//!   It stops when `sqrt(r'M^{-1}r / r0'M^{-1}r0) < tol` (default 1e-12, `r = D'(x - Da)`),
//!   and returns [`EstimateError::NotConverged`] if the iteration cap is hit first.
//!
//! Singletons (observations alone in some FE level) are dropped iteratively before
//! absorbing, as reghdfe does, because they are fitted perfectly and only shrink
//! standard errors.

use crate::EstimateError;

/// Default convergence tolerance of the iterative solver.
pub const DEFAULT_TOLERANCE: f64 = 1e-12;
/// Default iteration cap of the iterative solver.
pub const DEFAULT_MAX_ITERATIONS: usize = 20_000;

/// Multiplicative (Fx-style) hasher for integer ids: ids are not adversarial, and
/// SipHash would dominate the cost of relabelling a million rows.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// Labels `u64` codes `0..levels` in order of first appearance.
pub(crate) fn compact_codes(codes: &[u64]) -> (Vec<u32>, usize) {
    let mut map: FxMap<u64, u32> = FxMap::default();
    map.reserve(codes.len() / 4 + 16);
    let out = codes
        .iter()
        .map(|c| {
            let next = map.len() as u32;
            *map.entry(*c).or_insert(next)
        })
        .collect();
    let levels = map.len();
    (out, levels)
}

/// Maps arbitrary `u32` ids to dense `0..levels` in order of first appearance.
pub fn compact_ids(ids: &[u32]) -> (Vec<u32>, usize) {
    let max = ids.iter().copied().max().unwrap_or(0) as usize;
    if max <= 8 * ids.len() + 4096 {
        let mut out = Vec::with_capacity(ids.len());
        let mut map = vec![u32::MAX; max + 1];
        let mut next = 0u32;
        for &id in ids {
            let slot = &mut map[id as usize];
            if *slot == u32::MAX {
                *slot = next;
                next += 1;
            }
            out.push(*slot);
        }
        (out, next as usize)
    } else {
        let codes: Vec<u64> = ids.iter().map(|&v| v as u64).collect();
        compact_codes(&codes)
    }
}

/// Iteratively drops observations that are alone in a level of any FE dimension.
/// Returns the kept row indices (ascending) and how many rows were dropped.
pub fn drop_singletons(fe: &[&[u32]], n: usize) -> (Vec<usize>, usize) {
    if fe.is_empty() {
        return ((0..n).collect(), 0);
    }
    let compact: Vec<(Vec<u32>, usize)> = fe.iter().map(|f| compact_ids(f)).collect();
    let mut counts: Vec<Vec<u32>> = compact
        .iter()
        .map(|(ids, l)| {
            let mut c = vec![0u32; *l];
            for &g in ids {
                c[g as usize] += 1;
            }
            c
        })
        .collect();
    let mut alive = vec![true; n];
    loop {
        let mut changed = false;
        for i in 0..n {
            if !alive[i] {
                continue;
            }
            let single = compact
                .iter()
                .enumerate()
                .any(|(f, (ids, _))| counts[f][ids[i] as usize] == 1);
            if single {
                alive[i] = false;
                changed = true;
                for (f, (ids, _)) in compact.iter().enumerate() {
                    counts[f][ids[i] as usize] -= 1;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let kept: Vec<usize> = (0..n).filter(|&i| alive[i]).collect();
    let dropped = n - kept.len();
    (kept, dropped)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    GrandMean,
    OneWay,
    BalancedTwoWay,
    ConjugateGradient,
}

/// Absorbs a fixed set of FE dimensions from any number of columns of the same sample.
#[derive(Debug, Clone)]
pub struct Absorber {
    n: usize,
    ids: Vec<Vec<u32>>,
    levels: Vec<usize>,
    inv_counts: Vec<Vec<f64>>,
    method: Method,
    tolerance: f64,
    max_iterations: usize,
}

impl Absorber {
    /// `fe` holds one id vector per dimension, all of length `n` (ids need not be dense).
    pub fn new(
        fe: &[&[u32]],
        n: usize,
        tolerance: f64,
        max_iterations: usize,
    ) -> Result<Self, EstimateError> {
        if n == 0 {
            return Err(EstimateError::EmptySample(
                "no observations to absorb".into(),
            ));
        }
        let mut ids = Vec::with_capacity(fe.len());
        let mut levels = Vec::with_capacity(fe.len());
        let mut inv_counts = Vec::with_capacity(fe.len());
        for (f, col) in fe.iter().enumerate() {
            if col.len() != n {
                return Err(EstimateError::LengthMismatch {
                    what: format!("fixed effect {f}"),
                    expected: n,
                    got: col.len(),
                });
            }
            let (c, l) = compact_ids(col);
            let mut cnt = vec![0.0; l];
            for &g in &c {
                cnt[g as usize] += 1.0;
            }
            inv_counts.push(cnt.into_iter().map(|v: f64| 1.0 / v).collect());
            ids.push(c);
            levels.push(l);
        }
        let method = match ids.len() {
            0 => Method::GrandMean,
            1 => Method::OneWay,
            2 if is_balanced_pair(&ids[0], &ids[1], levels[0], levels[1]) => Method::BalancedTwoWay,
            _ => Method::ConjugateGradient,
        };
        Ok(Self {
            n,
            ids,
            levels,
            inv_counts,
            method,
            tolerance,
            max_iterations,
        })
    }

    /// Number of levels of each FE dimension.
    pub fn levels(&self) -> &[usize] {
        &self.levels
    }

    /// Dense ids of each FE dimension.
    pub fn ids(&self) -> &[Vec<u32>] {
        &self.ids
    }

    /// Whether the exact balanced two-way closed form is used.
    pub fn is_balanced_two_way(&self) -> bool {
        self.method == Method::BalancedTwoWay
    }

    /// Absorbed (demeaned) copy of `x` (length `n`).
    pub fn demean(&self, x: &[f64]) -> Result<Vec<f64>, EstimateError> {
        if x.len() != self.n {
            return Err(EstimateError::LengthMismatch {
                what: "column to absorb".into(),
                expected: self.n,
                got: x.len(),
            });
        }
        match self.method {
            Method::GrandMean => {
                let m = x.iter().sum::<f64>() / self.n as f64;
                Ok(x.iter().map(|v| v - m).collect())
            }
            Method::OneWay => {
                let means = self.level_means(0, x);
                let ids = &self.ids[0];
                Ok(x.iter()
                    .zip(ids)
                    .map(|(v, &g)| v - means[g as usize])
                    .collect())
            }
            Method::BalancedTwoWay => {
                let a = self.level_means(0, x);
                let b = self.level_means(1, x);
                let grand = x.iter().sum::<f64>() / self.n as f64;
                let (ia, ib) = (&self.ids[0], &self.ids[1]);
                Ok((0..self.n)
                    .map(|i| x[i] - a[ia[i] as usize] - b[ib[i] as usize] + grand)
                    .collect())
            }
            Method::ConjugateGradient => self.demean_cg(x),
        }
    }

    fn level_means(&self, f: usize, x: &[f64]) -> Vec<f64> {
        let mut s = vec![0.0; self.levels[f]];
        for (v, &g) in x.iter().zip(&self.ids[f]) {
            s[g as usize] += v;
        }
        for (v, w) in s.iter_mut().zip(&self.inv_counts[f]) {
            *v *= w;
        }
        s
    }

    /// `D'v`, stacked by dimension.
    fn d_transpose(&self, v: &[f64], out: &mut [Vec<f64>]) {
        for (f, ids) in self.ids.iter().enumerate() {
            let o = &mut out[f];
            o.iter_mut().for_each(|x| *x = 0.0);
            for (x, &g) in v.iter().zip(ids) {
                o[g as usize] += x;
            }
        }
    }

    /// `D a`.
    fn d_apply(&self, a: &[Vec<f64>], out: &mut [f64]) {
        out.iter_mut().for_each(|x| *x = 0.0);
        for (f, ids) in self.ids.iter().enumerate() {
            let af = &a[f];
            for (o, &g) in out.iter_mut().zip(ids) {
                *o += af[g as usize];
            }
        }
    }

    fn demean_cg(&self, x: &[f64]) -> Result<Vec<f64>, EstimateError> {
        let nf = self.ids.len();
        let zeros = || -> Vec<Vec<f64>> { self.levels.iter().map(|&l| vec![0.0; l]).collect() };
        let dot2 = |a: &[Vec<f64>], b: &[Vec<f64>]| -> f64 {
            a.iter().zip(b).map(|(u, v)| crate::linalg::dot(u, v)).sum()
        };
        let mut alpha = zeros();
        let mut r = zeros();
        self.d_transpose(x, &mut r);
        let mut z = zeros();
        for f in 0..nf {
            for (zv, (rv, w)) in z[f].iter_mut().zip(r[f].iter().zip(&self.inv_counts[f])) {
                *zv = rv * w;
            }
        }
        let mut p = z.clone();
        let mut rz = dot2(&r, &z);
        let rz0 = rz;
        let mut dp = vec![0.0; self.n];
        let mut q = zeros();
        let mut converged = rz0 <= 0.0;
        let mut iterations = 0;
        while !converged && iterations < self.max_iterations {
            iterations += 1;
            self.d_apply(&p, &mut dp);
            self.d_transpose(&dp, &mut q);
            let pq = dot2(&p, &q);
            if pq <= 0.0 {
                // Search direction in the null space of D: nothing left to remove.
                break;
            }
            let step = rz / pq;
            for f in 0..nf {
                for ((a, r), (pv, qv)) in alpha[f]
                    .iter_mut()
                    .zip(r[f].iter_mut())
                    .zip(p[f].iter().zip(&q[f]))
                {
                    *a += step * pv;
                    *r -= step * qv;
                }
                for (zv, (rv, w)) in z[f].iter_mut().zip(r[f].iter().zip(&self.inv_counts[f])) {
                    *zv = rv * w;
                }
            }
            let rz_new = dot2(&r, &z);
            if (rz_new / rz0).sqrt() < self.tolerance {
                converged = true;
            }
            let beta = rz_new / rz;
            rz = rz_new;
            for f in 0..nf {
                for (pv, zv) in p[f].iter_mut().zip(&z[f]) {
                    *pv = zv + beta * *pv;
                }
            }
        }
        let residual = if rz0 > 0.0 {
            (rz.max(0.0) / rz0).sqrt()
        } else {
            0.0
        };
        if !converged && residual >= self.tolerance {
            return Err(EstimateError::NotConverged {
                iterations,
                residual,
            });
        }
        self.d_apply(&alpha, &mut dp);
        Ok(x.iter().zip(&dp).map(|(v, f)| v - f).collect())
    }

    /// Number of FE coefficients that are not redundant, excluding the one level per
    /// dimension that is collinear with the constant, and excluding dimensions flagged
    /// in `skip` (nested in a cluster variable). For the first two counted dimensions
    /// the redundancy is exact: `L_a + L_b - (#connected components of the bipartite
    /// level graph)` (reghdfe's "mobility groups"); further dimensions lose one level each.
    pub fn absorbed_dof(&self, skip: &[bool]) -> usize {
        let counted: Vec<usize> = (0..self.ids.len())
            .filter(|&f| !skip.get(f).copied().unwrap_or(false))
            .collect();
        let mut dof = 0usize;
        for (pos, &f) in counted.iter().enumerate() {
            if pos == 1 {
                let a = counted[0];
                let components = connected_components(
                    &self.ids[a],
                    &self.ids[f],
                    self.levels[a],
                    self.levels[f],
                );
                dof += self.levels[f].saturating_sub(components);
            } else {
                dof += self.levels[f].saturating_sub(1);
            }
        }
        dof
    }
}

fn is_balanced_pair(a: &[u32], b: &[u32], la: usize, lb: usize) -> bool {
    if la.checked_mul(lb) != Some(a.len()) {
        return false;
    }
    let mut seen = vec![false; a.len()];
    for (&i, &t) in a.iter().zip(b) {
        let k = i as usize * lb + t as usize;
        if seen[k] {
            return false;
        }
        seen[k] = true;
    }
    true
}

fn connected_components(a: &[u32], b: &[u32], la: usize, lb: usize) -> usize {
    let mut parent: Vec<usize> = (0..la + lb).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for (&i, &t) in a.iter().zip(b) {
        let ra = find(&mut parent, i as usize);
        let rb = find(&mut parent, la + t as usize);
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    (0..la + lb).filter(|&x| find(&mut parent, x) == x).count()
}

/// Whether every level of `fe` lies within a single cluster (both dense or raw ids).
pub fn is_nested(fe: &[u32], cluster: &[u32]) -> bool {
    let mut owner: FxMap<u32, u32> = FxMap::default();
    for (&f, &c) in fe.iter().zip(cluster) {
        match owner.entry(f) {
            std::collections::hash_map::Entry::Occupied(e) => {
                if *e.get() != c {
                    return false;
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(c);
            }
        }
    }
    true
}

/// [`is_nested`] for dense FE ids `0..levels`.
pub fn is_nested_dense(fe: &[u32], levels: usize, cluster: &[u32]) -> bool {
    let mut owner = vec![u32::MAX; levels];
    for (&f, &c) in fe.iter().zip(cluster) {
        let o = &mut owner[f as usize];
        if *o == u32::MAX {
            *o = c;
        } else if *o != c {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singletons_are_dropped_iteratively() {
        // Obs 4 is alone in year 2; once it goes, obs 5 is alone in firm 2, and then
        // obs 6 alone in year 3 (it was also alone in firm 3).
        let firm = [0u32, 0, 1, 1, 2, 2, 3];
        let year = [0u32, 1, 0, 1, 2, 3, 3];
        let (kept, dropped) = drop_singletons(&[&firm, &year], 7);
        assert_eq!(kept, vec![0, 1, 2, 3]);
        assert_eq!(dropped, 3);
        // Everything can cascade away.
        let (kept, dropped) =
            drop_singletons(&[&[0u32, 0, 1, 2, 1][..], &[1u32, 2, 9, 9, 1][..]], 5);
        assert!(kept.is_empty());
        assert_eq!(dropped, 5);
    }

    #[test]
    fn absorbed_dof_counts_mobility_groups_and_skips_nested() {
        // Two disconnected blocks: firms {0,1} only in years {0,1}, firms {2,3} only in {2,3}.
        let firm = [0u32, 0, 1, 1, 2, 2, 3, 3];
        let year = [0u32, 1, 0, 1, 2, 3, 2, 3];
        let a = Absorber::new(&[&firm, &year], 8, 1e-12, 1000).unwrap();
        // 4 firm levels minus the constant + 4 year levels minus 2 components.
        assert_eq!(a.absorbed_dof(&[false, false]), 3 + 2);
        // Firm FE nested in the cluster: only the years count, minus the constant.
        assert_eq!(a.absorbed_dof(&[true, false]), 3);
        assert_eq!(a.absorbed_dof(&[true, true]), 0);
        assert!(is_nested_dense(&firm, 4, &[0, 0, 0, 0, 1, 1, 1, 1]));
        assert!(!is_nested_dense(&year, 4, &[0, 0, 1, 1, 2, 2, 3, 3]));
    }

    #[test]
    fn cg_matches_closed_form_on_balanced_panel() {
        let n_i = 7;
        let n_t = 5;
        let firm: Vec<u32> = (0..n_i * n_t).map(|k| (k / n_t) as u32).collect();
        let year: Vec<u32> = (0..n_i * n_t).map(|k| (k % n_t) as u32).collect();
        let x: Vec<f64> = (0..n_i * n_t)
            .map(|k| ((k * 7919) % 31) as f64 * 0.37 + (k as f64).sin())
            .collect();
        let closed = Absorber::new(&[&firm, &year], x.len(), 1e-12, 10_000).unwrap();
        assert!(closed.is_balanced_two_way());
        let a = closed.demean(&x).unwrap();
        // Three dimensions where the third is constant force the CG path on the same projection.
        let ones = vec![0u32; x.len()];
        let cg = Absorber::new(&[&firm, &year, &ones], x.len(), 1e-13, 10_000).unwrap();
        assert!(!cg.is_balanced_two_way());
        let b = cg.demean(&x).unwrap();
        for (u, v) in a.iter().zip(&b) {
            assert!((u - v).abs() < 1e-10, "{u} vs {v}");
        }
    }
}
