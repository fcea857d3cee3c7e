//! Panel-corrected standard errors, as Stata `xtpcse` (Beck and Katz 1995; paper Table 6 col. 4).
//!
//! Coefficients are OLS, or OLS on Prais-Winsten transformed data with `corr(ar1)` / `corr(psar1)`.
//! The steps follow Stata's `xtpcse.ado` (version 6.7.0):
//!
//! 1. AR(1) only: OLS residuals `e`; per panel `rho_i = sum e_t e_{t-1} / sum e_{t-1}^2` over the
//!    pairs of consecutive periods (a gap restarts the pairs), each bounded to [-1, 1] unless
//!    `clip_rho` is off (Stata `forcerho`). `ar1`: `rho = sum_i n_i rho_i / sum_i n_i`, `n_i` = the
//!    number of pairs (`T_i - 1` without gaps; `T_i` with `np1`); panels without pairs are skipped.
//!    `psar1`: `rho_i`, 0 where it cannot be estimated. Prais-Winsten transform, restarting after
//!    each gap: `z*_t = sqrt(1 - rho^2) z_t` when t - 1 is unobserved, else `z_t - rho z_{t-1}`.
//! 2. OLS on the (transformed) data: `b`, residuals `e*`.
//! 3. `V = (X'X)^-1 X' Omega X (X'X)^-1` with `Omega = Sigma (x) I_T` over the observed
//!    (panel, period) cells and
//!    - correlated panels (default): `Sigma_ij = sum_t e_it e_jt / T_ij`; casewise (default):
//!      t runs over the periods observed for every panel; pairwise: over the periods common to i
//!      and j (0 when there are none);
//!    - `hetonly`: `Sigma = diag(e_i'e_i / T_i)`;
//!    - `independent`: `Sigma = (e'e / N) I`.
//!
//!    `nmk` scales V by N / (N - k).
//!
//! R2 is `1 - RSS / TSS` of the estimated regression (the transformed one under AR(1)), with TSS
//! centred when there is a constant (Stata's `tsscons`). The Wald test and z statistics are as in
//! [`crate::fgls`]. With many panels and few periods (M > T) a correlated Sigma is singular and so
//! may be V: the Wald test then drops the dependent coefficients and reports the smaller df.
//!
//! The meat is accumulated without `Omega`: casewise as
//! `(1/|C|) sum_{s in C, t} h_st h_st'` with `h_st = sum_i x_it e_is` (a product of k-vectors per
//! pair of periods), pairwise as `sum_t X_t' Sigma_t X_t` per period.

use faer::linalg::solvers::DenseSolveCore;
use faer::{Accum, Mat, Par};
use serde::Serialize;

use crate::fgls::{
    gram, lag_rho, mean_square, ols_with_gram, residuals, scale_checked, scale_rows, symmetrize,
    Inference, Prepared, PERFECT_FIT_TOL,
};
pub use crate::fgls::{AutoCorr, GlsError, PanelRegression};

/// Errors of [`xtpcse`] are those of FGLS.
pub type PcseError = GlsError;

/// How the contemporaneous covariance of the disturbances is modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PcseSigma {
    /// Heteroskedastic and contemporaneously correlated panels (the default).
    Correlated,
    /// Heteroskedastic, uncorrelated panels (Stata `hetonly`).
    HetOnly,
    /// One variance, no correlation (Stata `independent`).
    Independent,
}

/// Options of [`xtpcse`]. `Default` is Stata's default: no autocorrelation, correlated panels,
/// casewise Sigma.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PcseOptions {
    pub corr: AutoCorr,
    pub sigma: PcseSigma,
    /// Pairwise instead of casewise selection of periods for Sigma (unbalanced panels).
    pub pairwise: bool,
    /// Weight panel rhos by `T_i` instead of `T_i - 1` (Stata `np1`).
    pub np1: bool,
    /// Bound each rho_i to [-1, 1] (Stata's default; `false` is Stata `forcerho`).
    pub clip_rho: bool,
    /// Scale V by N / (N - k) (Stata `nmk`).
    pub nmk: bool,
}

impl Default for PcseOptions {
    fn default() -> Self {
        Self {
            corr: AutoCorr::Independent,
            sigma: PcseSigma::Correlated,
            pairwise: false,
            np1: false,
            clip_rho: true,
            nmk: false,
        }
    }
}

/// What [`xtpcse`] returns; coefficient vectors follow the kept columns of `x` (`names`; collinear ones are dropped first), panel vectors follow
/// `panel_ids` (ascending).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PcseResult {
    pub options: PcseOptions,
    /// Names of the kept regressors (coefficient vectors follow them).
    pub names: Vec<String>,
    /// Regressors dropped as collinear before estimation, as Stata's `_rmcoll` notes them.
    pub collinear_dropped: Vec<String>,
    pub b: Vec<f64>,
    /// Panel-corrected standard errors.
    pub se: Vec<f64>,
    pub z: Vec<f64>,
    pub p: Vec<f64>,
    /// Row-major k x k covariance of `b`.
    pub vcov: Vec<Vec<f64>>,
    pub constant: Option<usize>,
    pub wald_chi2: f64,
    pub wald_df: usize,
    pub wald_p: f64,
    /// R2 of the estimated (possibly transformed) regression, as Stata reports it.
    pub r2: f64,
    pub n: usize,
    pub n_panels: usize,
    pub n_periods: usize,
    pub balanced: bool,
    pub panel_ids: Vec<u32>,
    /// Empty without AR(1); one common value for `ar1`; one per panel for `psar1`.
    pub rho: Vec<f64>,
    /// Diagonal of Sigma (one entry per panel), or the single variance for `independent`.
    pub sigma2: Vec<f64>,
    /// Casewise: the number of periods common to all panels used for Sigma.
    pub n_sigma_periods: Option<usize>,
}

/// Linear regression with panel-corrected standard errors, as Stata
/// `xtpcse depvar indepvars, [correlation(..) hetonly|independent casewise|pairwise np1 nmk]`.
pub fn xtpcse(data: &PanelRegression<'_>, opts: &PcseOptions) -> Result<PcseResult, PcseError> {
    let prep = Prepared::new(data)?;
    let (n, k, m) = (prep.n, prep.k, prep.n_panels());
    let mut ys = prep.y.clone();
    // The design is copied only when AR(1) transforms it.
    let mut transformed: Option<Mat<f64>> = None;
    let mut rho_out = Vec::new();

    if opts.corr != AutoCorr::Independent {
        let b0 = ols_with_gram(prep.x.as_ref(), &prep.y, &prep.names, &prep.gram_x)?.b;
        let e0 = residuals(prep.x.as_ref(), &prep.y, &b0);
        let est: Vec<Option<(f64, usize)>> = (0..m)
            .map(|p| {
                let (lo, hi) = prep.panel_range(p);
                lag_rho(&e0[lo..hi], &prep.has_pred[lo..hi])
                    .map(|(r, pairs)| (if opts.clip_rho { r.clamp(-1.0, 1.0) } else { r }, pairs))
            })
            .collect();
        let rho_use: Vec<f64> = if opts.corr == AutoCorr::Ar1 {
            let extra = usize::from(opts.np1);
            let (num, den) = est
                .iter()
                .flatten()
                .fold((0.0, 0.0), |(a, d), &(r, pairs)| {
                    let w = (pairs + extra) as f64;
                    (a + w * r, d + w)
                });
            if den == 0.0 {
                return Err(GlsError::RhoUndefined { panel: None });
            }
            rho_out.push(num / den);
            vec![num / den; m]
        } else {
            // Stata: "rho_i could not be computed ... assumed to be 0".
            rho_out = est.iter().map(|e| e.map_or(0.0, |(r, _)| r)).collect();
            rho_out.clone()
        };
        transformed = Some(prep.ar1_transform(&mut ys, &rho_use, opts.corr)?);
    }
    let xs: &Mat<f64> = transformed.as_ref().unwrap_or(&prep.x);

    let fit = prep.ols_of(transformed.as_ref(), &ys)?;
    let e = residuals(xs.as_ref(), &ys, &fit.b);
    let rss: f64 = e.iter().map(|v| v * v).sum();
    // A residual norm at rounding level of |y| is a perfect fit (Stata: rmse == 0).
    if rss <= PERFECT_FIT_TOL * ys.iter().map(|v| v * v).sum::<f64>() {
        return Err(GlsError::PerfectFit);
    }
    let tss = if prep.constant.is_some() {
        let mean = ys.iter().sum::<f64>() / n as f64;
        ys.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>()
    } else {
        ys.iter().map(|v| v * v).sum::<f64>()
    };
    let r2 = 1.0 - rss / tss;

    // `h` (casewise Sigma only): the meat is h'h / |C|, so V = G'G with G = h A / sqrt(|C|).
    let mut meat_root: Option<(Mat<f64>, f64)> = None;
    let (meat, sigma2, n_sigma_periods) = match opts.sigma {
        PcseSigma::Independent => {
            let s2 = rss / n as f64;
            let mut g = gram(xs.as_ref());
            for j in 0..k {
                for i in 0..k {
                    g[(i, j)] *= s2;
                }
            }
            (g, vec![s2], None)
        }
        PcseSigma::HetOnly => {
            let s2: Vec<f64> = (0..m)
                .map(|p| {
                    let (lo, hi) = prep.panel_range(p);
                    mean_square(&e[lo..hi])
                })
                .collect();
            let sd: Vec<f64> = (0..n).map(|i| s2[prep.row_panel[i]].sqrt()).collect();
            let xw = scale_rows(xs.as_ref(), &sd);
            (gram(xw.as_ref()), s2, None)
        }
        PcseSigma::Correlated => {
            let grid = Grid::new(&prep, &e);
            if opts.pairwise {
                let (meat, diag) = pairwise_meat(&prep, &grid, xs);
                (meat, diag, None)
            } else {
                let common: Vec<usize> = (0..prep.n_periods)
                    .filter(|&t| (0..m).all(|p| grid.row[p * prep.n_periods + t].is_some()))
                    .collect();
                if common.is_empty() {
                    return Err(GlsError::NoCommonPeriods);
                }
                let (meat, diag, h) = casewise_meat(&prep, &grid, xs, &common);
                meat_root = Some((h, common.len() as f64));
                (meat, diag, Some(common.len()))
            }
        }
    };

    // V = A meat A with A = (X'X)^-1.
    let a = fit.gram.llt.inverse();
    let mut tmp = Mat::<f64>::zeros(k, k);
    faer::linalg::matmul::matmul(tmp.as_mut(), Accum::Replace, &a, &meat, 1.0, Par::Seq);
    let mut v = Mat::<f64>::zeros(k, k);
    faer::linalg::matmul::matmul(v.as_mut(), Accum::Replace, &tmp, &a, 1.0, Par::Seq);
    symmetrize(&mut v);
    if opts.nmk {
        scale_checked(&mut v, n, k)?;
    }
    let psd = !(opts.pairwise && opts.sigma == PcseSigma::Correlated);
    let inf = match meat_root {
        Some((h, c)) => {
            let mut g = Mat::<f64>::zeros(h.nrows(), k);
            faer::linalg::matmul::matmul(g.as_mut(), Accum::Replace, &h, &a, 1.0, Par::Seq);
            // nmk scales V by N / (N - k), so G by its square root.
            let scale = if opts.nmk {
                (n as f64 / (n - k) as f64).sqrt()
            } else {
                1.0
            };
            let s = scale / c.sqrt();
            for j in 0..k {
                for i in 0..g.nrows() {
                    g[(i, j)] *= s;
                }
            }
            Inference::with_factor(&fit.b, v.as_ref(), prep.constant, g.as_ref())?
        }
        None => Inference::new(&fit.b, v.as_ref(), prep.constant, psd)?,
    };
    let balanced = (0..m).all(|p| prep.panel_len(p) == prep.n_periods);
    Ok(PcseResult {
        options: *opts,
        names: prep.names.clone(),
        collinear_dropped: prep.collinear_dropped.clone(),
        b: fit.b,
        se: inf.se,
        z: inf.z,
        p: inf.p,
        vcov: inf.vcov,
        constant: prep.constant,
        wald_chi2: inf.wald_chi2,
        wald_df: inf.wald_df,
        wald_p: inf.wald_p,
        r2,
        n,
        n_panels: m,
        n_periods: prep.n_periods,
        balanced,
        panel_ids: prep.panel_ids.clone(),
        rho: rho_out,
        sigma2,
        n_sigma_periods,
    })
}

/// Residuals and rows on the panel x period grid (`index = panel * n_periods + period`).
struct Grid {
    e: Vec<f64>,
    row: Vec<Option<usize>>,
}

impl Grid {
    fn new(prep: &Prepared, e: &[f64]) -> Self {
        let cells = prep.n_panels() * prep.n_periods;
        let mut grid = Self {
            e: vec![0.0; cells],
            row: vec![None; cells],
        };
        for (r, &er) in e.iter().enumerate() {
            let c = prep.row_panel[r] * prep.n_periods + prep.period[r];
            grid.e[c] = er;
            grid.row[c] = Some(r);
        }
        grid
    }
}

/// Casewise meat `(1/|C|) sum_{s in C} sum_t h_st h_st'`, `h_st = sum_{i observed at t} x_it e_is`
/// (that is `sum_t X_t' Sigma X_t` with `Sigma = E_C'E_C / |C|`), and the diagonal of Sigma.
fn casewise_meat(
    prep: &Prepared,
    grid: &Grid,
    xs: &Mat<f64>,
    common: &[usize],
) -> (Mat<f64>, Vec<f64>, Mat<f64>) {
    let (k, np, m) = (prep.k, prep.n_periods, prep.n_panels());
    let c = common.len();
    // Rows t*c .. (t+1)*c of h hold h_{s,t}' = e_s' X_t for s in C (as E_C' X_t per period t).
    let mut h = Mat::<f64>::zeros(c * np, k);
    let mut rows_at: Vec<Vec<usize>> = vec![Vec::new(); np];
    for r in 0..prep.n {
        rows_at[prep.period[r]].push(r);
    }
    for (t, rows) in rows_at.iter().enumerate() {
        if rows.is_empty() {
            continue;
        }
        let xt = Mat::from_fn(rows.len(), k, |i, j| xs[(rows[i], j)]);
        let et = Mat::from_fn(c, rows.len(), |a, i| {
            grid.e[prep.row_panel[rows[i]] * np + common[a]]
        });
        faer::linalg::matmul::matmul(
            h.as_mut().submatrix_mut(t * c, 0, c, k),
            Accum::Replace,
            &et,
            &xt,
            1.0,
            Par::Seq,
        );
    }
    let mut meat = gram(h.as_ref());
    let inv_c = 1.0 / c as f64;
    for j in 0..k {
        for i in 0..k {
            meat[(i, j)] *= inv_c;
        }
    }
    let diag = (0..m)
        .map(|p| {
            common
                .iter()
                .map(|&s| grid.e[p * np + s].powi(2))
                .sum::<f64>()
                * inv_c
        })
        .collect();
    (meat, diag, h)
}

/// Pairwise meat `sum_t X_t' Sigma_t X_t` with `Sigma_ij` over the periods common to i and j, and
/// the diagonal of Sigma.
fn pairwise_meat(prep: &Prepared, grid: &Grid, xs: &Mat<f64>) -> (Mat<f64>, Vec<f64>) {
    let (k, np, m) = (prep.k, prep.n_periods, prep.n_panels());
    let mut sigma = Mat::<f64>::zeros(m, m);
    for i in 0..m {
        for j in 0..=i {
            let (mut sum, mut count) = (0.0, 0usize);
            for t in 0..np {
                if grid.row[i * np + t].is_some() && grid.row[j * np + t].is_some() {
                    sum += grid.e[i * np + t] * grid.e[j * np + t];
                    count += 1;
                }
            }
            let s = if count > 0 { sum / count as f64 } else { 0.0 };
            sigma[(i, j)] = s;
            sigma[(j, i)] = s;
        }
    }
    let mut meat = Mat::<f64>::zeros(k, k);
    for t in 0..np {
        let present: Vec<(usize, usize)> = (0..m)
            .filter_map(|p| grid.row[p * np + t].map(|r| (p, r)))
            .collect();
        let nt = present.len();
        if nt == 0 {
            continue;
        }
        let xt = Mat::from_fn(nt, k, |a, j| xs[(present[a].1, j)]);
        let st = Mat::from_fn(nt, nt, |a, b| sigma[(present[a].0, present[b].0)]);
        let mut sx = Mat::<f64>::zeros(nt, k);
        faer::linalg::matmul::matmul(sx.as_mut(), Accum::Replace, &st, &xt, 1.0, Par::Seq);
        faer::linalg::matmul::matmul(
            meat.as_mut(),
            Accum::Add,
            xt.transpose(),
            &sx,
            1.0,
            Par::Seq,
        );
    }
    symmetrize(&mut meat);
    let diag = (0..m).map(|p| sigma[(p, p)]).collect();
    (meat, diag)
}
