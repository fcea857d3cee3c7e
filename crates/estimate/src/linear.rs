//! The shared core: sample preparation (validation, singletons, clusters, absorption)
//! and the linear (OLS / 2SLS) fit with its variance estimators.

use crate::absorb::{compact_codes, compact_ids, drop_singletons, is_nested_dense, Absorber};
use crate::linalg::{cross_vec, dot, gram, sandwich, SpdFactor};
use crate::{dist, EstimateError, FitOptions, Vce};

/// Which variance estimator, resolved on the estimation sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VceKind {
    Unadjusted,
    Robust,
    Cluster,
}

/// The estimation sample after validation, singleton dropping and FE set-up.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub n: usize,
    pub kept: Vec<usize>,
    pub singletons: usize,
    pub absorber: Absorber,
    pub kind: VceKind,
    /// Dense cluster ids on the kept sample (one or two variables).
    pub clusters: Vec<Vec<u32>>,
    pub cluster_counts: Vec<usize>,
    /// Per FE dimension: nested in (at least one) cluster variable.
    pub nested: Vec<bool>,
}

pub(crate) fn check_finite(what: &str, v: &[f64]) -> Result<(), EstimateError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(EstimateError::NonFinite {
            what: what.to_string(),
            index,
        }),
        None => Ok(()),
    }
}

pub(crate) fn check_len(what: &str, got: usize, expected: usize) -> Result<(), EstimateError> {
    if got != expected {
        return Err(EstimateError::LengthMismatch {
            what: what.to_string(),
            expected,
            got,
        });
    }
    Ok(())
}

pub(crate) fn subset(v: &[f64], kept: &[usize]) -> Vec<f64> {
    kept.iter().map(|&i| v[i]).collect()
}

fn subset_u32(v: &[u32], kept: &[usize]) -> Vec<u32> {
    kept.iter().map(|&i| v[i]).collect()
}

impl Prepared {
    /// Validates FE/cluster lengths against `n_total`, drops singletons, builds the absorber.
    pub fn new(
        n_total: usize,
        fe: &[&[u32]],
        vce: &Vce,
        opts: &FitOptions,
    ) -> Result<Self, EstimateError> {
        if n_total == 0 {
            return Err(EstimateError::EmptySample("no observations".into()));
        }
        for (f, col) in fe.iter().enumerate() {
            check_len(&format!("fixed effect {f}"), col.len(), n_total)?;
        }
        let raw_clusters: Vec<&[u32]> = match vce {
            Vce::Unadjusted | Vce::Robust => vec![],
            Vce::Cluster(c) => vec![c],
            Vce::TwoWayCluster(a, b) => vec![a, b],
        };
        for (c, col) in raw_clusters.iter().enumerate() {
            check_len(&format!("cluster variable {c}"), col.len(), n_total)?;
        }
        let (kept, singletons) = if opts.drop_singletons {
            drop_singletons(fe, n_total)
        } else {
            ((0..n_total).collect(), 0)
        };
        if kept.is_empty() {
            return Err(EstimateError::EmptySample(format!(
                "all {singletons} observations are singletons"
            )));
        }
        let n = kept.len();
        let fe_kept: Vec<Vec<u32>> = fe.iter().map(|f| subset_u32(f, &kept)).collect();
        let fe_refs: Vec<&[u32]> = fe_kept.iter().map(|v| v.as_slice()).collect();
        let absorber = Absorber::new(&fe_refs, n, opts.tolerance, opts.max_iterations)?;
        let mut clusters = Vec::new();
        let mut cluster_counts = Vec::new();
        for col in &raw_clusters {
            let (ids, g) = compact_ids(&subset_u32(col, &kept));
            if g < 2 {
                return Err(EstimateError::TooFewClusters(g));
            }
            clusters.push(ids);
            cluster_counts.push(g);
        }
        let nested: Vec<bool> = absorber
            .ids()
            .iter()
            .zip(absorber.levels())
            .map(|(f, &lf)| clusters.iter().any(|c| is_nested_dense(f, lf, c)))
            .collect();
        let kind = match vce {
            Vce::Unadjusted => VceKind::Unadjusted,
            Vce::Robust => VceKind::Robust,
            _ => VceKind::Cluster,
        };
        Ok(Self {
            n,
            kept,
            singletons,
            absorber,
            kind,
            clusters,
            cluster_counts,
            nested,
        })
    }

    /// Subsets `v` (full length) to the sample and absorbs the fixed effects.
    pub fn absorb(&self, v: &[f64]) -> Result<(Vec<f64>, f64), EstimateError> {
        let s = subset(v, &self.kept);
        let mean = s.iter().sum::<f64>() / self.n as f64;
        Ok((self.absorber.demean(&s)?, mean))
    }

    /// Absorbed FE coefficients that count in K (FE nested in a cluster do not).
    pub fn absorbed_dof(&self) -> usize {
        self.absorber.absorbed_dof(&self.nested)
    }

    pub fn min_clusters(&self) -> Option<usize> {
        self.cluster_counts.iter().copied().min()
    }
}

/// A column absorbed on the sample, with its raw sample mean and centered sum of squares
/// (the scale for the collinearity test).
#[derive(Debug, Clone)]
pub(crate) struct Absorbed {
    pub name: String,
    pub values: Vec<f64>,
    pub mean: f64,
    pub raw_css: f64,
}

pub(crate) fn absorb_named(p: &Prepared, name: &str, v: &[f64]) -> Result<Absorbed, EstimateError> {
    let (values, mean) = p.absorb(v)?;
    let raw_css = p.kept.iter().map(|&i| (v[i] - mean) * (v[i] - mean)).sum();
    Ok(Absorbed {
        name: name.to_string(),
        values,
        mean,
        raw_css,
    })
}

/// Indices of `cols` that survive the collinearity check, in order (earlier columns win),
/// given already-kept base columns that always stay (`base` first in the check).
pub(crate) fn keep_noncollinear(base: &[&Absorbed], cols: &[&Absorbed], tol: f64) -> Vec<usize> {
    let all: Vec<Vec<f64>> = base
        .iter()
        .chain(cols.iter())
        .map(|a| a.values.clone())
        .collect();
    let scale: Vec<f64> = base.iter().chain(cols.iter()).map(|a| a.raw_css).collect();
    let a = gram(&all);
    let kept = crate::linalg::detect_collinear(&a, all.len(), &scale, tol);
    kept.into_iter()
        .filter(|&j| j >= base.len())
        .map(|j| j - base.len())
        .collect()
}

/// Coefficients with their variance, on the original scale: slopes in the order given,
/// then `_cons`.
#[derive(Debug, Clone)]
pub(crate) struct LinearFit {
    pub b: Vec<f64>,
    pub vcov: Vec<f64>,
    pub k_cols: usize,
    pub resid: Vec<f64>,
    pub rss: f64,
    pub n: usize,
    pub k_dof: usize,
    pub df_t: f64,
    pub ssc: f64,
}

/// Fits `y = W b + c + e` on absorbed data. `what` are the regressors `W` (absorbed);
/// `hat` the columns used in the bread and scores: `W` itself for OLS, the first-stage
/// fitted values `P_Z W` for 2SLS. Variance:
/// * Unadjusted: `V = s^2 (Ŵ'Ŵ)^{-1}`, `s^2 = e'e / (N - K)`;
/// * Robust (HC1): `V = N/(N-K) (Ŵ'Ŵ)^{-1} [Σ e_i^2 ŵ_i ŵ_i'] (Ŵ'Ŵ)^{-1}`;
/// * Cluster: `V = q (Ŵ'Ŵ)^{-1} [Σ_g s_g s_g'] (Ŵ'Ŵ)^{-1}`, `s_g = Σ_{i in g} ŵ_i e_i`,
///   `q = (N-1)/(N-K) G/(G-1)`; two-way (Cameron-Gelbach-Miller) `M = M_1 + M_2 - M_12`
///   with `G = min(G_1, G_2)` in `q` and in the t degrees of freedom (ivreg2/reghdfe,
///   fixest `G_df = "min"`).
///
/// `K = #W + 1 (constant) + absorbed FE levels not nested in a cluster`. The regression
/// is run with the constant column on the demeaned data and then mapped to the reported
/// constant `_cons = mean(y) - mean(W)'b` (reghdfe), `V` transformed accordingly.
pub(crate) fn fit_linear(
    p: &Prepared,
    y: &Absorbed,
    w: &[&Absorbed],
    hat: Option<&[Vec<f64>]>,
) -> Result<LinearFit, EstimateError> {
    let n = p.n;
    let k_slopes = w.len();
    let k_cols = k_slopes + 1;
    let ones = vec![1.0; n];
    let mut wcols: Vec<&[f64]> = w.iter().map(|a| a.values.as_slice()).collect();
    wcols.push(&ones);
    let hcols: Vec<&[f64]> = match hat {
        Some(h) => {
            let mut v: Vec<&[f64]> = h.iter().map(|c| c.as_slice()).collect();
            v.push(&ones);
            v
        }
        None => wcols.clone(),
    };
    let yv: Vec<f64> = y.values.iter().map(|v| v + y.mean).collect();
    let a = gram(&hcols);
    let factor = SpdFactor::new(&a, k_cols)?;
    let bw = factor.solve(&cross_vec(&hcols, &yv));
    let mut resid = yv.clone();
    for (col, bj) in wcols.iter().zip(&bw) {
        for (r, v) in resid.iter_mut().zip(col.iter()) {
            *r -= bj * v;
        }
    }
    let rss = dot(&resid, &resid);
    let k_dof = k_cols + p.absorbed_dof();
    if n <= k_dof {
        return Err(EstimateError::NoDegreesOfFreedom { n, k: k_dof });
    }
    if rss.is_nan() || rss <= 1e-28 * dot(&yv, &yv) {
        return Err(EstimateError::SingularDesign(
            "perfect fit: the residuals are all zero".into(),
        ));
    }
    let bread = factor.inverse();
    let nf = n as f64;
    let nk = (n - k_dof) as f64;
    let (vw, ssc, df_t) = match p.kind {
        VceKind::Unadjusted => {
            let s2 = rss / nk;
            (bread.iter().map(|v| v * s2).collect::<Vec<f64>>(), 1.0, nk)
        }
        VceKind::Robust => {
            let meat = meat_hetero(&hcols, &resid);
            let q = nf / nk;
            (scale(sandwich(&bread, &meat, k_cols), q), q, nk)
        }
        VceKind::Cluster => {
            let mut meat = meat_cluster(&hcols, &resid, &p.clusters[0], p.cluster_counts[0]);
            if p.clusters.len() == 2 {
                let m2 = meat_cluster(&hcols, &resid, &p.clusters[1], p.cluster_counts[1]);
                let (inter, g12) =
                    intersect_clusters(&p.clusters[0], &p.clusters[1], p.cluster_counts[1]);
                let m12 = meat_cluster(&hcols, &resid, &inter, g12);
                for ((m, a), b) in meat.iter_mut().zip(&m2).zip(&m12) {
                    *m += a - b;
                }
            }
            let g = p.min_clusters().unwrap_or(2) as f64;
            let q = (nf - 1.0) / nk * g / (g - 1.0);
            (scale(sandwich(&bread, &meat, k_cols), q), q, g - 1.0)
        }
    };
    // Map (b_W, c) to (b_W, _cons) with _cons = c - m'b_W: T = [[I, 0], [-m', 1]], V = T Vw T'.
    let means: Vec<f64> = w.iter().map(|a| a.mean).collect();
    let mut b = bw.clone();
    b[k_slopes] = bw[k_slopes] - dot(&means, &bw[..k_slopes]);
    let mut t = vec![0.0; k_cols * k_cols];
    for i in 0..k_slopes {
        t[i * k_cols + i] = 1.0;
        t[k_slopes * k_cols + i] = -means[i];
    }
    t[k_slopes * k_cols + k_slopes] = 1.0;
    let tv = crate::linalg::matmul(&t, &vw, k_cols, k_cols, k_cols);
    let mut tt = vec![0.0; k_cols * k_cols];
    for i in 0..k_cols {
        for j in 0..k_cols {
            tt[i * k_cols + j] = t[j * k_cols + i];
        }
    }
    let vcov = crate::linalg::matmul(&tv, &tt, k_cols, k_cols, k_cols);
    Ok(LinearFit {
        b,
        vcov,
        k_cols,
        resid,
        rss,
        n,
        k_dof,
        df_t,
        ssc,
    })
}

fn scale(mut v: Vec<f64>, q: f64) -> Vec<f64> {
    v.iter_mut().for_each(|x| *x *= q);
    v
}

/// `Σ_i e_i^2 x_i x_i'`, a Gram matrix weighted by `e_i^2`.
fn meat_hetero(cols: &[&[f64]], e: &[f64]) -> Vec<f64> {
    let w: Vec<f64> = e.iter().map(|r| r * r).collect();
    crate::linalg::gram_weighted(cols, Some(&w))
}

/// `Σ_g s_g s_g'` with `s_g = Σ_{i in g} x_i e_i`.
fn meat_cluster(cols: &[&[f64]], e: &[f64], ids: &[u32], g: usize) -> Vec<f64> {
    if g == e.len() {
        return meat_hetero(cols, e);
    }
    let k = cols.len();
    let mut sums: Vec<Vec<f64>> = vec![vec![0.0; g]; k];
    for (j, col) in cols.iter().enumerate() {
        let s = &mut sums[j];
        for ((x, r), &c) in col.iter().zip(e).zip(ids) {
            s[c as usize] += x * r;
        }
    }
    gram(&sums)
}

/// Dense ids of the intersection of two cluster variables.
fn intersect_clusters(a: &[u32], b: &[u32], gb: usize) -> (Vec<u32>, usize) {
    let codes: Vec<u64> = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| x as u64 * gb as u64 + y as u64)
        .collect();
    compact_codes(&codes)
}

/// Standard errors, t statistics and two-sided p-values (Student t with `df`).
pub(crate) fn inference(b: &[f64], vcov: &[f64], df: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let k = b.len();
    let se: Vec<f64> = (0..k).map(|i| vcov[i * k + i].max(0.0).sqrt()).collect();
    let t: Vec<f64> = b
        .iter()
        .zip(&se)
        .map(|(b, s)| if *s > 0.0 { b / s } else { 0.0 })
        .collect();
    let pv: Vec<f64> = t.iter().map(|t| dist::t_two_sided_p(*t, df)).collect();
    (se, t, pv)
}

pub(crate) fn to_rows(v: &[f64], k: usize) -> Vec<Vec<f64>> {
    (0..k).map(|i| v[i * k..(i + 1) * k].to_vec()).collect()
}
