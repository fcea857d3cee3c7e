//! Two-way fixed-effects slopes on re-weighted whole clusters of a balanced panel, from
//! per-cluster moments: the fast path of the cluster bootstrap ([`crate::mediation`]) and
//! of the permutation test ([`crate::groupdiff`]).
//!
//! It applies when every cluster is one unit (a level of one FE dimension, nested in the
//! cluster) observed exactly once in each level of the other FE dimension (the period).
//! A sample made of whole clusters with integer weights `w_c` (copies in a bootstrap draw,
//! 0/1 in a permutation split) is then again balanced, and the two-way within
//! transformation has a closed form. With `d_ct = x_ct - x̄_c` (unit-demeaned), `m_t` the
//! full-sample period means of `d`, `e_ct = d_ct - m_t`, `E_c = Σ_t e_ct e_ct'` and
//! `δ_t = Σ_c w_c e_ct / W` (`W = Σ_c w_c`):
//!
//! ```text
//! ẍ_ct = e_ct - δ_t,        S = Σ_c w_c Σ_t ẍ_ct ẍ_ct' = Σ_c w_c E_c - W Σ_t δ_t δ_t'
//! ```
//!
//! Centring on the full-sample period means first keeps the subtraction well conditioned
//! (`δ` is a sampling deviation, not the period effect itself). A draw costs
//! `O(G p² + G T p)` instead of absorbing `N` rows `p` times, and the slopes solve the same
//! normal equations as the general path (same collinearity rule, same scaled Cholesky),
//! so they agree with it to rounding. Anything unusual in a draw (a collinear regressor,
//! too few degrees of freedom, a singular system) is reported as `None` and the caller
//! re-runs that draw on the general path, so behaviour is unchanged.

// k x k kernels read more clearly with explicit indices.
#![allow(clippy::needless_range_loop)]

use crate::linalg::{detect_collinear, SpdFactor};
use crate::resample::ClusterRows;

/// Per-cluster moments of `p` variables on a balanced unit x period panel.
#[derive(Debug, Clone)]
pub(crate) struct BalancedPanel {
    g: usize,
    t: usize,
    p: usize,
    /// `e_ct` laid out `[c][t][j]`.
    e: Vec<f64>,
    /// `E_c` laid out `[c][j][k]`.
    moments: Vec<f64>,
    /// `x̄_c` laid out `[c][j]`.
    unit_mean: Vec<f64>,
    /// `Σ_t d_ct²` laid out `[c][j]`.
    within_ss: Vec<f64>,
}

/// Cross products and scales of one weighted sample.
#[derive(Debug, Clone)]
pub(crate) struct WeightedMoments {
    p: usize,
    /// Number of units with positive weight plus copies (`W`).
    units: f64,
    t: usize,
    /// Two-way demeaned cross products `S`, `p x p` row-major.
    s: Vec<f64>,
    /// Raw centred sums of squares on the sample (the collinearity scale).
    css: Vec<f64>,
}

impl BalancedPanel {
    /// Moments of `vars` (full-length columns) when the design qualifies, else `None`:
    /// exactly two FE dimensions, one with a single level per cluster and a distinct level
    /// in each cluster, the other with the same `T >= 2` levels once in every cluster.
    pub fn new(clusters: &ClusterRows, fe: &[&[u32]], vars: &[&[f64]]) -> Option<Self> {
        let g = clusters.len();
        if fe.len() != 2 || g < 2 || vars.is_empty() {
            return None;
        }
        let unit_dim = (0..2).find(|&f| is_unit_fe(clusters, fe[f]))?;
        let period = fe[1 - unit_dim];
        let mut levels: Vec<u32> = clusters.rows[0].iter().map(|&r| period[r]).collect();
        levels.sort_unstable();
        levels.dedup();
        let t = levels.len();
        if t < 2 {
            return None;
        }
        // Row of each (cluster, period level), checking balance.
        let mut slot = vec![usize::MAX; g * t];
        for (c, rows) in clusters.rows.iter().enumerate() {
            if rows.len() != t {
                return None;
            }
            for &r in rows {
                let l = levels.binary_search(&period[r]).ok()?;
                if slot[c * t + l] != usize::MAX {
                    return None;
                }
                slot[c * t + l] = r;
            }
        }
        let p = vars.len();
        let mut unit_mean = vec![0.0; g * p];
        let mut within_ss = vec![0.0; g * p];
        let mut e = vec![0.0; g * t * p];
        for c in 0..g {
            for (j, v) in vars.iter().enumerate() {
                let mean = (0..t).map(|l| v[slot[c * t + l]]).sum::<f64>() / t as f64;
                unit_mean[c * p + j] = mean;
                for l in 0..t {
                    let d = v[slot[c * t + l]] - mean;
                    e[(c * t + l) * p + j] = d;
                    within_ss[c * p + j] += d * d;
                }
            }
        }
        for l in 0..t {
            for j in 0..p {
                let m = (0..g).map(|c| e[(c * t + l) * p + j]).sum::<f64>() / g as f64;
                for c in 0..g {
                    e[(c * t + l) * p + j] -= m;
                }
            }
        }
        let mut moments = vec![0.0; g * p * p];
        for c in 0..g {
            let mc = &mut moments[c * p * p..(c + 1) * p * p];
            for l in 0..t {
                let row = &e[(c * t + l) * p..(c * t + l + 1) * p];
                for j in 0..p {
                    for k in 0..=j {
                        mc[j * p + k] += row[j] * row[k];
                    }
                }
            }
            for j in 0..p {
                for k in 0..j {
                    mc[k * p + j] = mc[j * p + k];
                }
            }
        }
        Some(Self {
            g,
            t,
            p,
            e,
            moments,
            unit_mean,
            within_ss,
        })
    }

    /// Moments of the sample that weights cluster position `c` by `weights[c] >= 0`.
    pub fn weighted(&self, weights: &[f64]) -> WeightedMoments {
        let (g, t, p) = (self.g, self.t, self.p);
        let w_total: f64 = weights.iter().sum();
        let mut s = vec![0.0; p * p];
        let mut delta = vec![0.0; t * p];
        let mut mean = vec![0.0; p];
        for c in 0..g {
            let w = weights[c];
            if w == 0.0 {
                continue;
            }
            for (acc, m) in s.iter_mut().zip(&self.moments[c * p * p..(c + 1) * p * p]) {
                *acc += w * m;
            }
            for (acc, v) in delta.iter_mut().zip(&self.e[c * t * p..(c + 1) * t * p]) {
                *acc += w * v;
            }
            for (acc, v) in mean.iter_mut().zip(&self.unit_mean[c * p..(c + 1) * p]) {
                *acc += w * v;
            }
        }
        if w_total > 0.0 {
            for v in delta.iter_mut().chain(mean.iter_mut()) {
                *v /= w_total;
            }
        }
        for l in 0..t {
            let d = &delta[l * p..(l + 1) * p];
            for j in 0..p {
                for k in 0..p {
                    s[j * p + k] -= w_total * d[j] * d[k];
                }
            }
        }
        // Raw centred SS (the collinearity scale): Σ_c w_c [Σ_t d_ct² + T (x̄_c - μ)²].
        let mut css = vec![0.0; p];
        for c in 0..g {
            let w = weights[c];
            if w == 0.0 {
                continue;
            }
            for j in 0..p {
                let between = self.unit_mean[c * p + j] - mean[j];
                css[j] += w * (self.within_ss[c * p + j] + t as f64 * between * between);
            }
        }
        WeightedMoments {
            p,
            units: w_total,
            t,
            s,
            css,
        }
    }
}

impl WeightedMoments {
    /// Slopes of variable `dep` on variables `regs` (indices into the panel's variables),
    /// or `None` when the general path must decide: a regressor collinear under the rule
    /// of [`crate::FitOptions::collinearity_tolerance`], no residual degrees of freedom, or
    /// a system that is not positive definite.
    pub fn slopes(
        &self,
        dep: usize,
        regs: &[usize],
        collinearity_tolerance: f64,
    ) -> Option<Vec<f64>> {
        let p = self.p;
        let k = regs.len();
        // Residual df under the least favourable count (every unit and period level).
        let rows = self.units * self.t as f64;
        if rows <= self.units + self.t as f64 + k as f64 + 1.0 {
            return None;
        }
        let mut a = vec![0.0; k * k];
        let mut rhs = vec![0.0; k];
        let mut scale = vec![0.0; k];
        for (i, &ri) in regs.iter().enumerate() {
            for (j, &rj) in regs.iter().enumerate() {
                a[i * k + j] = self.s[ri * p + rj];
            }
            rhs[i] = self.s[ri * p + dep];
            scale[i] = self.css[ri];
        }
        if detect_collinear(&a, k, &scale, collinearity_tolerance).len() != k {
            return None;
        }
        let b = SpdFactor::new(&a, k).ok()?.solve(&rhs);
        b.iter().all(|v| v.is_finite()).then_some(b)
    }
}

/// True when `f` takes a single level in each cluster and different levels in different
/// clusters (so it is the cluster partition itself).
fn is_unit_fe(clusters: &ClusterRows, f: &[u32]) -> bool {
    let mut firsts: Vec<u32> = Vec::with_capacity(clusters.len());
    for rows in &clusters.rows {
        let first = f[rows[0]];
        if rows.iter().any(|&r| f[r] != first) {
            return false;
        }
        firsts.push(first);
    }
    firsts.sort_unstable();
    firsts.windows(2).all(|w| w[0] != w[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::absorb::Absorber;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A balanced panel of `g` units x `t` periods (unit-major) with `p` variables that have
    /// unit and period effects of very different sizes.
    fn panel(g: usize, t: usize, p: usize, seed: u64) -> (Vec<u32>, Vec<u32>, Vec<Vec<f64>>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let unit: Vec<u32> = (0..g * t).map(|i| (i / t) as u32 * 7 + 3).collect();
        let period: Vec<u32> = (0..g * t).map(|i| (i % t) as u32 + 2006).collect();
        let vars = (0..p)
            .map(|j| {
                let ue: Vec<f64> = (0..g).map(|_| rng.random::<f64>() * 1e3).collect();
                let pe: Vec<f64> = (0..t).map(|l| l as f64 * (j as f64 + 1.0) * 10.0).collect();
                (0..g * t)
                    .map(|i| ue[i / t] + pe[i % t] + rng.random::<f64>())
                    .collect()
            })
            .collect();
        (unit, period, vars)
    }

    #[test]
    fn weighted_moments_equal_absorbing_the_expanded_sample() {
        let (g, t, p) = (9, 5, 3);
        let (unit, period, vars) = panel(g, t, p, 1);
        let clusters = ClusterRows::new(&unit);
        let refs: Vec<&[f64]> = vars.iter().map(|v| v.as_slice()).collect();
        let bp = BalancedPanel::new(&clusters, &[&period, &unit], &refs).unwrap();
        // Copies: unit 0 twice, unit 3 three times, units 1, 5, 8 once, the rest absent.
        let mut weights = vec![0.0; g];
        for (c, w) in [(0, 2.0), (3, 3.0), (1, 1.0), (5, 1.0), (8, 1.0)] {
            weights[c] = w;
        }
        let got = bp.weighted(&weights);
        // Brute force: expand the copies, give each copy its own unit level, absorb.
        let (mut rows, mut copy_unit) = (Vec::new(), Vec::new());
        let mut next = 0u32;
        for (c, &w) in weights.iter().enumerate() {
            for _ in 0..w as usize {
                for &r in &clusters.rows[c] {
                    rows.push(r);
                    copy_unit.push(next);
                }
                next += 1;
            }
        }
        let per: Vec<u32> = rows.iter().map(|&r| period[r] - 2006).collect();
        let absorber = Absorber::new(&[&copy_unit, &per], rows.len(), 1e-14, 10_000).unwrap();
        let demeaned: Vec<Vec<f64>> = vars
            .iter()
            .map(|v| {
                let x: Vec<f64> = rows.iter().map(|&r| v[r]).collect();
                absorber.demean(&x).unwrap()
            })
            .collect();
        for j in 0..p {
            for k in 0..p {
                let want = crate::linalg::dot(&demeaned[j], &demeaned[k]);
                let have = got.s[j * p + k];
                assert!(
                    (have - want).abs() <= 1e-9 * want.abs().max(1.0),
                    "S[{j}][{k}] {have} vs {want}"
                );
            }
            let x: Vec<f64> = rows.iter().map(|&r| vars[j][r]).collect();
            let mu = x.iter().sum::<f64>() / x.len() as f64;
            let css: f64 = x.iter().map(|v| (v - mu) * (v - mu)).sum();
            assert!(
                (got.css[j] - css).abs() <= 1e-9 * css,
                "css[{j}] {} vs {css}",
                got.css[j]
            );
        }
        assert_eq!(got.units * t as f64, rows.len() as f64);
    }

    #[test]
    fn only_balanced_unit_by_period_designs_qualify() {
        let (unit, period, vars) = panel(6, 4, 2, 2);
        let refs: Vec<&[f64]> = vars.iter().map(|v| v.as_slice()).collect();
        let clusters = ClusterRows::new(&unit);
        assert!(BalancedPanel::new(&clusters, &[&unit, &period], &refs).is_some());
        // One FE only, three FE, period FE in place of the unit.
        assert!(BalancedPanel::new(&clusters, &[&unit], &refs).is_none());
        assert!(BalancedPanel::new(&clusters, &[&unit, &period, &period], &refs).is_none());
        assert!(BalancedPanel::new(&clusters, &[&period, &period], &refs).is_none());
        // A missing row (unit 0 loses its last period).
        let keep: Vec<usize> = (1..unit.len()).collect();
        let u: Vec<u32> = keep.iter().map(|&i| unit[i]).collect();
        let pr: Vec<u32> = keep.iter().map(|&i| period[i]).collect();
        let vs: Vec<Vec<f64>> = vars
            .iter()
            .map(|v| keep.iter().map(|&i| v[i]).collect())
            .collect();
        let vr: Vec<&[f64]> = vs.iter().map(|v| v.as_slice()).collect();
        assert!(BalancedPanel::new(&ClusterRows::new(&u), &[&u, &pr], &vr).is_none());
        // A period observed twice in one unit.
        let mut dup = period.clone();
        dup[1] = dup[0];
        assert!(BalancedPanel::new(&clusters, &[&unit, &dup], &refs).is_none());
        // Clusters coarser than units (two units per cluster).
        let pairs: Vec<u32> = unit.iter().map(|u| u / 14).collect();
        assert!(BalancedPanel::new(&ClusterRows::new(&pairs), &[&unit, &period], &refs).is_none());
    }

    #[test]
    fn collinear_regressor_is_left_to_the_general_path() {
        let (g, t) = (8, 5);
        let (unit, period, mut vars) = panel(g, t, 3, 3);
        // Variable 2 moves only in unit 0: collinear with the FE when unit 0 is absent.
        vars[2] = (0..g * t)
            .map(|i| if i < t { (i * i) as f64 } else { 0.0 })
            .collect();
        let refs: Vec<&[f64]> = vars.iter().map(|v| v.as_slice()).collect();
        let bp = BalancedPanel::new(&ClusterRows::new(&unit), &[&unit, &period], &refs).unwrap();
        let mut w = vec![1.0; g];
        assert!(bp.weighted(&w).slopes(0, &[1, 2], 1e-9).is_some());
        w[0] = 0.0;
        assert!(bp.weighted(&w).slopes(0, &[1, 2], 1e-9).is_none());
        assert!(bp.weighted(&w).slopes(0, &[1], 1e-9).is_some());
    }
}
