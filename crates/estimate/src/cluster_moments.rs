//! Two-way fixed-effects slopes on re-weighted whole clusters of a unit x period panel,
//! balanced or not, from per-cluster sufficient statistics: the fast path of the cluster
//! bootstrap ([`crate::mediation`]) and of the permutation test ([`crate::groupdiff`]).
//!
//! It applies when every cluster is one unit (a level of one FE dimension, nested in the
//! cluster) observed at most once in each level of the other FE dimension (the period).
//! A sample made of whole clusters with integer weights `w_c` (copies in a bootstrap draw,
//! each copy its own unit; 0/1 in a permutation split) is again such a panel, and its
//! two-way within cross products `S_w` follow from per-cluster statistics. What this
//! module must not do: change a result beyond rounding. Whatever it cannot decide
//! exactly is reported as `None`, and the caller refits that draw on the general path.
//!
//! *Unbalanced panels* (cluster `c` observed in the periods `T_c`, `n_c = |T_c|`, period
//! indicator `o_c`). By Frisch-Waugh-Lovell, demean within units first (every copy of a
//! cluster has the same unit means), then project out the unit-demeaned period dummies
//! `D̃`. With `e_ct` the unit-demeaned variables:
//!
//! ```text
//! S_w = Σ_c w_c E_c - B_w' K_w⁻ B_w,       E_c = Σ_{t∈T_c} e_ct e_ct'
//! B_w = D̃'e  = Σ_c w_c o_c ⊗ e_c          (T x p: row t is Σ_c w_c e_ct over units seeing t)
//! K_w = D̃'D̃ = Σ_c w_c (diag(o_c) - o_c o_c' / n_c)
//! ```
//!
//! `K_w` is the Laplacian of the unit-period graph: on a connected sample its null space
//! is the constant vector, and the rows of `B_w` sum to zero, so one period is dropped
//! and the rest is a positive definite `T-1` system (a Cholesky solve). `K_w` depends on
//! the clusters only through their period patterns, so it is assembled from the total
//! weight of each pattern. The year effects couple the clusters only through this
//! `T x T` and `T x p` block, which is why per-cluster moments suffice. `e` is centred
//! once on the full-sample two-way residual (`x_ct - a_c - g_t`; subtracting a function
//! in every sample's FE span leaves `S_w` unchanged), so `B_w` is a sampling deviation
//! (zero at `w = 1`) and the subtraction stays well conditioned. A draw costs
//! `O(G p² + N p + Π T² + T³)` (`Π` period patterns).
//!
//! *Balanced panels* keep their closed form (`K_w = W (I - 11'/T)`): with `d_ct = x_ct - x̄_c`,
//! `m_t` the full-sample period means of `d`, `e_ct = d_ct - m_t`, `E_c = Σ_t e_ct e_ct'`,
//! `δ_t = Σ_c w_c e_ct / W` (`W = Σ_c w_c`): `S_w = Σ_c w_c E_c - W Σ_t δ_t δ_t'`. It is the
//! special case of the above, kept because it is cheaper and because the published tables
//! of the balanced twin are pinned to its bits.
//!
//! The slopes solve the same normal equations as the general path (same collinearity
//! rule, same scaled Cholesky), so they agree with it to rounding. The general path is
//! still taken, for the whole resampling, when the design is not one unit per cluster
//! with one period dimension observed at most once per unit (three FE, clusters coarser
//! than units, a period repeated within a unit) or when the full sample's unit-period
//! graph is disconnected; and, for one draw, when in that draw a period has exactly one
//! row (singleton dropping would change the sample counts), the draw's unit-period graph
//! is disconnected, a regressor is collinear, the residual degrees of freedom are too
//! few, the fit is (near) perfect, or a system is not positive definite. Clusters
//! observed once are left out: the general path drops them as singletons in every draw.

// k x k kernels read more clearly with explicit indices.
#![allow(clippy::needless_range_loop)]

use crate::linalg::{detect_collinear, SpdFactor};
use crate::resample::ClusterRows;

/// Per-cluster moments of `p` variables on a unit x period panel, balanced or not.
#[derive(Debug, Clone)]
pub(crate) enum ClusterPanel {
    Balanced(BalancedPanel),
    Unbalanced(UnbalancedPanel),
}

impl ClusterPanel {
    /// Moments of `vars` (full-length columns) when the design qualifies (see the module
    /// doc), else `None`.
    pub fn new(clusters: &ClusterRows, fe: &[&[u32]], vars: &[&[f64]]) -> Option<Self> {
        match BalancedPanel::new(clusters, fe, vars) {
            Some(b) => Some(Self::Balanced(b)),
            None => UnbalancedPanel::new(clusters, fe, vars).map(Self::Unbalanced),
        }
    }

    /// Moments of the sample that weights cluster position `c` by `weights[c] >= 0`, or
    /// `None` when the draw must take the general path.
    pub fn weighted(&self, weights: &[f64]) -> Option<WeightedMoments> {
        match self {
            Self::Balanced(b) => Some(b.weighted(weights)),
            Self::Unbalanced(u) => u.weighted(weights),
        }
    }
}

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
    /// Rows of the sample (`Σ_c w_c n_c`).
    rows: f64,
    /// Periods observed in the sample.
    periods: usize,
    /// Two-way demeaned cross products `S`, `p x p` row-major.
    s: Vec<f64>,
    /// Raw centred sums of squares on the sample (the collinearity scale).
    css: Vec<f64>,
    /// Raw means on the sample.
    mean: Vec<f64>,
}

impl BalancedPanel {
    /// Moments of `vars` (full-length columns) when the design qualifies, else `None`:
    /// exactly two FE dimensions, one with a single level per cluster and a distinct level
    /// in each cluster, the other with the same `T >= 2` levels once in every cluster.
    pub fn new(clusters: &ClusterRows, fe: &[&[u32]], vars: &[&[f64]]) -> Option<Self> {
        let g = clusters.len();
        let (_, period) = unit_and_period(clusters, fe, vars)?;
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
        let moments = cross_products(&e, &(0..=g).map(|c| c * t).collect::<Vec<_>>(), p);
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
            rows: w_total * t as f64,
            periods: t,
            s,
            css,
            mean,
        }
    }
}

/// Per-cluster moments of `p` variables on an unbalanced unit x period panel.
#[derive(Debug, Clone)]
pub(crate) struct UnbalancedPanel {
    p: usize,
    /// Period levels (`T`).
    t: usize,
    /// Observations of cluster `c` at `offsets[c]..offsets[c + 1]` (none for clusters
    /// observed once), in ascending period.
    offsets: Vec<usize>,
    /// Period level (`0..T`) of each observation.
    period: Vec<usize>,
    /// `e_ct` laid out `[obs][j]`.
    e: Vec<f64>,
    /// `E_c` laid out `[c][j][k]`.
    moments: Vec<f64>,
    /// `x̄_c` laid out `[c][j]`.
    unit_mean: Vec<f64>,
    /// `Σ_t (x_ct - x̄_c)²` laid out `[c][j]`.
    within_ss: Vec<f64>,
    /// Period pattern of each cluster (`usize::MAX` for a cluster left out).
    pattern: Vec<usize>,
    /// Period levels of each pattern.
    patterns: Vec<Vec<usize>>,
    /// Each pattern's indicator over the `T` periods, laid out `[pattern][T]`: row `a` of a
    /// pattern's share of `K_w` is `w / |pattern|` times this.
    pattern_rows: Vec<f64>,
}

/// Each pattern's indicator over `t` periods, `[pattern][t]`.
fn pattern_rows(patterns: &[Vec<usize>], t: usize) -> Vec<f64> {
    let mut rows = vec![0.0; patterns.len() * t];
    for (pat, row) in patterns.iter().zip(rows.chunks_exact_mut(t)) {
        for &s in pat {
            row[s] = 1.0;
        }
    }
    rows
}

/// The period block of one weighted sample: `B_w` (all `T` rows) and the factor of `K_w`
/// without its last observed period.
struct PeriodBlock {
    /// Periods kept in the reduced system, ascending.
    kept: Vec<usize>,
    /// Periods observed in the sample.
    observed: usize,
    factor: SpdFactor,
    b: Vec<f64>,
}

impl UnbalancedPanel {
    /// Moments of `vars` when the design qualifies, else `None`: exactly two FE
    /// dimensions, one the cluster partition itself, the other observed at most once per
    /// cluster, with a connected unit-period graph on the full sample.
    pub fn new(clusters: &ClusterRows, fe: &[&[u32]], vars: &[&[f64]]) -> Option<Self> {
        let g = clusters.len();
        let (_, period_fe) = unit_and_period(clusters, fe, vars)?;
        // Clusters observed once are singletons in every sample: left out.
        let used = |rows: &&Vec<usize>| rows.len() >= 2;
        let mut levels: Vec<u32> = clusters
            .rows
            .iter()
            .filter(used)
            .flatten()
            .map(|&r| period_fe[r])
            .collect();
        levels.sort_unstable();
        levels.dedup();
        let t = levels.len();
        if t < 2 {
            return None;
        }
        let p = vars.len();
        let mut offsets = Vec::with_capacity(g + 1);
        offsets.push(0);
        let mut period = Vec::new();
        let mut rows_in_order = Vec::new();
        let mut pattern = vec![usize::MAX; g];
        let mut patterns: Vec<Vec<usize>> = Vec::new();
        let mut pattern_of: std::collections::HashMap<Vec<usize>, usize> = Default::default();
        for (c, rows) in clusters.rows.iter().enumerate() {
            if used(&rows) {
                let mut obs: Vec<(usize, usize)> = Vec::with_capacity(rows.len());
                for &r in rows {
                    obs.push((levels.binary_search(&period_fe[r]).ok()?, r));
                }
                obs.sort_unstable();
                if obs.windows(2).any(|w| w[0].0 == w[1].0) {
                    return None;
                }
                let seen: Vec<usize> = obs.iter().map(|o| o.0).collect();
                let next = patterns.len();
                let id = *pattern_of.entry(seen.clone()).or_insert(next);
                if id == next {
                    patterns.push(seen);
                }
                pattern[c] = id;
                period.extend(obs.iter().map(|o| o.0));
                rows_in_order.extend(obs.iter().map(|o| o.1));
            }
            offsets.push(period.len());
        }
        let mut unit_mean = vec![0.0; g * p];
        let mut within_ss = vec![0.0; g * p];
        let mut e = vec![0.0; period.len() * p];
        for c in 0..g {
            let obs = offsets[c]..offsets[c + 1];
            if obs.is_empty() {
                continue;
            }
            for (j, v) in vars.iter().enumerate() {
                let mean = obs.clone().map(|o| v[rows_in_order[o]]).sum::<f64>() / obs.len() as f64;
                unit_mean[c * p + j] = mean;
                for o in obs.clone() {
                    let d = v[rows_in_order[o]] - mean;
                    e[o * p + j] = d;
                    within_ss[c * p + j] += d * d;
                }
            }
        }
        let mut panel = Self {
            p,
            t,
            offsets,
            period,
            e,
            moments: Vec::new(),
            unit_mean,
            within_ss,
            pattern_rows: pattern_rows(&patterns, t),
            pattern,
            patterns,
        };
        // Centre on the full-sample two-way residual; the second pass removes what
        // rounding left of the period effects.
        let ones = vec![1.0; g];
        for _ in 0..2 {
            let block = panel.period_block(&ones, false)?;
            let effects = block.period_effects(t, p);
            for c in 0..g {
                let obs = panel.offsets[c]..panel.offsets[c + 1];
                if obs.is_empty() {
                    continue;
                }
                for j in 0..p {
                    let unit_avg = obs
                        .clone()
                        .map(|o| effects[panel.period[o] * p + j])
                        .sum::<f64>()
                        / obs.len() as f64;
                    for o in obs.clone() {
                        panel.e[o * p + j] -= effects[panel.period[o] * p + j] - unit_avg;
                    }
                }
            }
        }
        panel.moments = cross_products(&panel.e, &panel.offsets, p);
        Some(panel)
    }

    /// `B_w` and the factored `K_w` of the sample weighted by `weights`, or `None` when
    /// no unit is weighted, the unit-period graph is disconnected, or (with
    /// `reject_singletons`) a period has exactly one row.
    fn period_block(&self, weights: &[f64], reject_singletons: bool) -> Option<PeriodBlock> {
        let (t, p) = (self.t, self.p);
        let mut pattern_weight = vec![0.0; self.patterns.len()];
        let mut b = vec![0.0; t * p];
        for (c, &w) in weights.iter().enumerate() {
            let pat = self.pattern[c];
            if w == 0.0 || pat == usize::MAX {
                continue;
            }
            pattern_weight[pat] += w;
            for o in self.offsets[c]..self.offsets[c + 1] {
                let row = &mut b[self.period[o] * p..(self.period[o] + 1) * p];
                for (acc, v) in row.iter_mut().zip(&self.e[o * p..(o + 1) * p]) {
                    *acc += w * v;
                }
            }
        }
        // Rows per period, and the components of the unit-period graph (patterns link
        // the periods they observe).
        let mut count = vec![0.0; t];
        let mut root: Vec<usize> = (0..t).collect();
        fn find(root: &mut [usize], mut x: usize) -> usize {
            while root[x] != x {
                root[x] = root[root[x]];
                x = root[x];
            }
            x
        }
        for (pat, &w) in self.patterns.iter().zip(&pattern_weight) {
            if w == 0.0 {
                continue;
            }
            for &s in pat {
                count[s] += w;
            }
            let first = find(&mut root, pat[0]);
            for &s in &pat[1..] {
                let r = find(&mut root, s);
                root[r] = first;
            }
        }
        if reject_singletons && count.contains(&1.0) {
            return None;
        }
        let observed: Vec<usize> = (0..t).filter(|&s| count[s] > 0.0).collect();
        let (&last, kept) = observed.split_last()?;
        let component = find(&mut root, last);
        if kept.is_empty() || kept.iter().any(|&s| find(&mut root, s) != component) {
            return None;
        }
        // K over all T periods: diag(count) - sum over patterns of w v v' / |pattern| (v the
        // pattern's indicator), one dense row update per period of a pattern, then the kept
        // rows and columns.
        let mut full = vec![0.0; t * t];
        for (s, &n) in count.iter().enumerate() {
            full[s * t + s] = n;
        }
        for ((pat, &w), row) in self
            .patterns
            .iter()
            .zip(&pattern_weight)
            .zip(self.pattern_rows.chunks_exact(t))
        {
            if w == 0.0 {
                continue;
            }
            // f times an indicator is f or 0: the same subtractions, in the same order, as
            // entry by entry.
            let f = w / pat.len() as f64;
            for &a in pat {
                for (acc, v) in full[a * t..(a + 1) * t].iter_mut().zip(row) {
                    *acc -= f * v;
                }
            }
        }
        let r = kept.len();
        let mut k = vec![0.0; r * r];
        for (i, &a) in kept.iter().enumerate() {
            for (j, &c) in kept.iter().enumerate() {
                k[i * r + j] = full[a * t + c];
            }
        }
        let factor = SpdFactor::new(&k, r).ok()?;
        Some(PeriodBlock {
            kept: kept.to_vec(),
            observed: observed.len(),
            factor,
            b,
        })
    }

    /// Moments of the sample that weights cluster position `c` by `weights[c] >= 0`, or
    /// `None` when the draw must take the general path.
    pub fn weighted(&self, weights: &[f64]) -> Option<WeightedMoments> {
        let p = self.p;
        let block = self.period_block(weights, true)?;
        let mut s = vec![0.0; p * p];
        let mut mean = vec![0.0; p];
        let (mut units, mut rows) = (0.0, 0.0);
        for (c, &w) in weights.iter().enumerate() {
            let n = (self.offsets[c + 1] - self.offsets[c]) as f64;
            if w == 0.0 || n == 0.0 {
                continue;
            }
            units += w;
            rows += w * n;
            for (acc, m) in s.iter_mut().zip(&self.moments[c * p * p..(c + 1) * p * p]) {
                *acc += w * m;
            }
            for (acc, v) in mean.iter_mut().zip(&self.unit_mean[c * p..(c + 1) * p]) {
                *acc += w * n * v;
            }
        }
        mean.iter_mut().for_each(|v| *v /= rows);
        // S -= B_r' K_r^{-1} B_r.
        let effects = block.period_effects(self.t, p);
        for &row in &block.kept {
            let (bv, gv) = (
                &block.b[row * p..(row + 1) * p],
                &effects[row * p..(row + 1) * p],
            );
            for j in 0..p {
                for k in 0..p {
                    s[j * p + k] -= bv[j] * gv[k];
                }
            }
        }
        // Raw centred SS (the collinearity scale): Σ_c w_c [Σ_t d_ct² + n_c (x̄_c - μ)²].
        let mut css = vec![0.0; p];
        for (c, &w) in weights.iter().enumerate() {
            let n = (self.offsets[c + 1] - self.offsets[c]) as f64;
            if w == 0.0 || n == 0.0 {
                continue;
            }
            for j in 0..p {
                let between = self.unit_mean[c * p + j] - mean[j];
                css[j] += w * (self.within_ss[c * p + j] + n * between * between);
            }
        }
        Some(WeightedMoments {
            p,
            units,
            rows,
            periods: block.observed,
            s,
            css,
            mean,
        })
    }
}

impl PeriodBlock {
    /// `K_r^{-1} B_r` laid out `[t][j]` over all `T` periods (zero outside the kept ones):
    /// the period effects of each variable in the weighted sample.
    fn period_effects(&self, t: usize, p: usize) -> Vec<f64> {
        let mut effects = vec![0.0; t * p];
        let mut rhs = vec![0.0; self.kept.len()];
        for j in 0..p {
            for (v, &s) in rhs.iter_mut().zip(&self.kept) {
                *v = self.b[s * p + j];
            }
            for (&s, v) in self.kept.iter().zip(self.factor.solve(&rhs)) {
                effects[s * p + j] = v;
            }
        }
        effects
    }
}

/// `Σ_{o in block c} e_o e_o'` for each block `offsets[c]..offsets[c + 1]` of rows of
/// `e` (`p` columns), laid out `[c][j][k]`.
pub(crate) fn cross_products(e: &[f64], offsets: &[usize], p: usize) -> Vec<f64> {
    let g = offsets.len() - 1;
    let mut moments = vec![0.0; g * p * p];
    for c in 0..g {
        let mc = &mut moments[c * p * p..(c + 1) * p * p];
        for o in offsets[c]..offsets[c + 1] {
            let row = &e[o * p..(o + 1) * p];
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
    moments
}

impl WeightedMoments {
    /// Slopes of variable `dep` on variables `regs` (indices into the panel's variables),
    /// or `None` when the general path must decide: a regressor collinear under the rule
    /// of [`crate::FitOptions::collinearity_tolerance`], no residual degrees of freedom, a
    /// (near) perfect fit, or a system that is not positive definite.
    pub fn slopes(
        &self,
        dep: usize,
        regs: &[usize],
        collinearity_tolerance: f64,
    ) -> Option<Vec<f64>> {
        let p = self.p;
        let k = regs.len();
        // Residual df under the least favourable count (every unit and period level).
        if self.rows <= self.units + self.periods as f64 + k as f64 + 1.0 {
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
        // The general path rejects a residual sum of squares below 1e-28 of the outcome's
        // (demeaned plus mean) sum of squares; leave it anything near that.
        let syy = self.s[dep * p + dep];
        let rss = syy - b.iter().zip(&rhs).map(|(b, r)| b * r).sum::<f64>();
        let yy = syy + self.rows * self.mean[dep] * self.mean[dep];
        (rss > 1e-20 * yy && b.iter().all(|v| v.is_finite())).then_some(b)
    }
}

/// The unit and period FE dimensions when the design has exactly two FE, one of them the
/// cluster partition itself, at least two clusters and some variables.
fn unit_and_period<'a>(
    clusters: &ClusterRows,
    fe: &[&'a [u32]],
    vars: &[&[f64]],
) -> Option<(&'a [u32], &'a [u32])> {
    if fe.len() != 2 || clusters.len() < 2 || vars.is_empty() {
        return None;
    }
    let unit_dim = (0..2).find(|&f| is_unit_fe(clusters, fe[f]))?;
    Some((fe[unit_dim], fe[1 - unit_dim]))
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

    /// Keeps the rows `keep` says yes to.
    fn subset_panel(
        (unit, period, vars): &(Vec<u32>, Vec<u32>, Vec<Vec<f64>>),
        keep: impl Fn(usize) -> bool,
    ) -> (Vec<u32>, Vec<u32>, Vec<Vec<f64>>) {
        let rows: Vec<usize> = (0..unit.len()).filter(|&i| keep(i)).collect();
        (
            rows.iter().map(|&i| unit[i]).collect(),
            rows.iter().map(|&i| period[i]).collect(),
            vars.iter()
                .map(|v| rows.iter().map(|&i| v[i]).collect())
                .collect(),
        )
    }

    /// The unbalanced panel of the tests: 9 units x 6 periods with holes, unit 4 observed
    /// once (a singleton), period 2011 seen by units 0 and 1 only.
    fn unbalanced(seed: u64) -> (Vec<u32>, Vec<u32>, Vec<Vec<f64>>) {
        let t = 6;
        subset_panel(&panel(9, t, 3, seed), |i| {
            let (c, l) = (i / t, i % t);
            match c {
                4 => l == 2,
                _ if l == 5 => c < 2,
                _ => (c + 2 * l) % 5 != 0,
            }
        })
    }

    /// Two-way within cross products and raw centred SS of the sample that takes
    /// `weights[c]` copies of cluster `c`, by expanding the copies (each its own unit),
    /// dropping singletons and absorbing.
    fn brute_force(
        clusters: &ClusterRows,
        period: &[u32],
        vars: &[Vec<f64>],
        weights: &[f64],
    ) -> (Vec<f64>, Vec<f64>, usize) {
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
        let per: Vec<u32> = rows.iter().map(|&r| period[r]).collect();
        let (kept, _) = crate::absorb::drop_singletons(&[&copy_unit, &per], rows.len());
        let rows: Vec<usize> = kept.iter().map(|&i| rows[i]).collect();
        let copy_unit: Vec<u32> = kept.iter().map(|&i| copy_unit[i]).collect();
        let per: Vec<u32> = kept.iter().map(|&i| per[i]).collect();
        let absorber = Absorber::new(&[&copy_unit, &per], rows.len(), 1e-14, 10_000).unwrap();
        let p = vars.len();
        let demeaned: Vec<Vec<f64>> = vars
            .iter()
            .map(|v| absorber.demean(&gather_rows(v, &rows)).unwrap())
            .collect();
        let mut s = vec![0.0; p * p];
        for j in 0..p {
            for k in 0..p {
                s[j * p + k] = crate::linalg::dot(&demeaned[j], &demeaned[k]);
            }
        }
        let css = vars
            .iter()
            .map(|v| {
                let x = gather_rows(v, &rows);
                let mu = x.iter().sum::<f64>() / x.len() as f64;
                x.iter().map(|v| (v - mu) * (v - mu)).sum()
            })
            .collect();
        (s, css, rows.len())
    }

    fn gather_rows(v: &[f64], rows: &[usize]) -> Vec<f64> {
        rows.iter().map(|&r| v[r]).collect()
    }

    fn assert_moments(got: &WeightedMoments, want: &(Vec<f64>, Vec<f64>, usize), rel: f64) {
        let p = got.p;
        for j in 0..p {
            for k in 0..p {
                let (have, want) = (got.s[j * p + k], want.0[j * p + k]);
                assert!(
                    (have - want).abs() <= rel * want.abs().max(1.0),
                    "S[{j}][{k}] {have} vs {want}"
                );
            }
            let css = want.1[j];
            assert!(
                (got.css[j] - css).abs() <= rel * css,
                "css[{j}] {} vs {css}",
                got.css[j]
            );
        }
        assert_eq!(got.rows, want.2 as f64);
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
        let want = brute_force(&clusters, &period, &vars, &weights);
        assert_moments(&bp.weighted(&weights), &want, 1e-9);
    }

    /// The unbalanced moments equal the brute force for draws with absent, repeated and
    /// singleton clusters and with a period that no drawn unit observes.
    #[test]
    fn unbalanced_weighted_moments_equal_absorbing_the_expanded_sample() {
        let (unit, period, vars) = unbalanced(4);
        let clusters = ClusterRows::new(&unit);
        let refs: Vec<&[f64]> = vars.iter().map(|v| v.as_slice()).collect();
        let Some(ClusterPanel::Unbalanced(up)) =
            ClusterPanel::new(&clusters, &[&unit, &period], &refs)
        else {
            panic!("an unbalanced unit x period design qualifies");
        };
        let draws: [[f64; 9]; 4] = [
            [1.0; 9],
            [2.0, 1.0, 0.0, 3.0, 1.0, 0.0, 1.0, 0.0, 1.0],
            // Period 2011 seen by unit 0 twice (two rows): not a singleton.
            [2.0, 0.0, 1.0, 1.0, 2.0, 1.0, 0.0, 1.0, 1.0],
            // Nobody observes 2011.
            [0.0, 0.0, 4.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0],
        ];
        for weights in &draws {
            let got = up.weighted(weights).expect("a clean draw");
            let want = brute_force(&clusters, &period, &vars, weights);
            assert_moments(&got, &want, 1e-9);
        }
        assert_eq!(up.weighted(&draws[3]).unwrap().periods, 5);
        // Period 2011 has a single row (unit 1 once, unit 0 absent): general path.
        let single = [0.0, 1.0, 1.0, 1.0, 0.0, 2.0, 1.0, 1.0, 1.0];
        assert!(up.weighted(&single).is_none());
        // No weighted unit at all.
        assert!(up.weighted(&[0.0; 9]).is_none());
    }

    /// Two blocks of units that observe disjoint periods: the full sample (and any draw
    /// from both blocks) has two mobility groups, so the general path decides.
    #[test]
    fn disconnected_unit_period_graphs_are_left_to_the_general_path() {
        let (g, t) = (8, 4);
        let full = panel(g, t, 2, 5);
        let (unit, period, vars) = subset_panel(&full, |i| (i / t < 4) == (i % t < 2));
        let refs: Vec<&[f64]> = vars.iter().map(|v| v.as_slice()).collect();
        let clusters = ClusterRows::new(&unit);
        assert!(ClusterPanel::new(&clusters, &[&unit, &period], &refs).is_none());
        // Connected in the full sample, disconnected in a draw: units 0-1 see 2006-2007,
        // units 2-3 see 2008-2009, unit 4 bridges all four.
        let keep = |i: usize| {
            let (c, l) = (i / t, i % t);
            c >= 4 || (c < 2) == (l < 2)
        };
        let (unit, period, vars) = subset_panel(&panel(5, t, 2, 6), keep);
        let refs: Vec<&[f64]> = vars.iter().map(|v| v.as_slice()).collect();
        let clusters = ClusterRows::new(&unit);
        let cp = ClusterPanel::new(&clusters, &[&unit, &period], &refs).unwrap();
        assert!(cp.weighted(&[2.0, 2.0, 2.0, 2.0, 1.0]).is_some());
        assert!(cp.weighted(&[2.0, 2.0, 2.0, 2.0, 0.0]).is_none());
    }

    #[test]
    fn unit_by_period_designs_qualify_balanced_or_not() {
        let (unit, period, vars) = panel(6, 4, 2, 2);
        let refs: Vec<&[f64]> = vars.iter().map(|v| v.as_slice()).collect();
        let clusters = ClusterRows::new(&unit);
        assert!(matches!(
            ClusterPanel::new(&clusters, &[&unit, &period], &refs),
            Some(ClusterPanel::Balanced(_))
        ));
        // One FE only, three FE, period FE in place of the unit.
        assert!(ClusterPanel::new(&clusters, &[&unit], &refs).is_none());
        assert!(ClusterPanel::new(&clusters, &[&unit, &period, &period], &refs).is_none());
        assert!(ClusterPanel::new(&clusters, &[&period, &period], &refs).is_none());
        // A missing row (unit 0 loses its first period): unbalanced.
        let (u, pr, vs) = subset_panel(&(unit.clone(), period.clone(), vars.clone()), |i| i > 0);
        let vr: Vec<&[f64]> = vs.iter().map(|v| v.as_slice()).collect();
        assert!(matches!(
            ClusterPanel::new(&ClusterRows::new(&u), &[&u, &pr], &vr),
            Some(ClusterPanel::Unbalanced(_))
        ));
        // A period observed twice in one unit.
        let mut dup = period.clone();
        dup[1] = dup[0];
        assert!(ClusterPanel::new(&clusters, &[&unit, &dup], &refs).is_none());
        // Clusters coarser than units (two units per cluster).
        let pairs: Vec<u32> = unit.iter().map(|u| u / 14).collect();
        assert!(ClusterPanel::new(&ClusterRows::new(&pairs), &[&unit, &period], &refs).is_none());
    }

    #[test]
    fn collinear_regressor_is_left_to_the_general_path() {
        let (g, t) = (8, 5);
        let (unit, period, mut vars) = panel(g, t, 3, 3);
        // Variable 2 moves only in unit 0: collinear with the FE when unit 0 is absent.
        vars[2] = (0..g * t)
            .map(|i| if i < t { (i * i) as f64 } else { 0.0 })
            .collect();
        for (u, pr, vs) in [
            (unit.clone(), period.clone(), vars.clone()),
            subset_panel(&(unit, period, vars), |i| i != 7 && i != 13),
        ] {
            let refs: Vec<&[f64]> = vs.iter().map(|v| v.as_slice()).collect();
            let cp = ClusterPanel::new(&ClusterRows::new(&u), &[&u, &pr], &refs).unwrap();
            let mut w = vec![1.0; g];
            assert!(cp.weighted(&w).unwrap().slopes(0, &[1, 2], 1e-9).is_some());
            w[0] = 0.0;
            assert!(cp.weighted(&w).unwrap().slopes(0, &[1, 2], 1e-9).is_none());
            assert!(cp.weighted(&w).unwrap().slopes(0, &[1], 1e-9).is_some());
        }
    }
}
