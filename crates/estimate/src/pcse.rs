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
//!      and j (0 when there are none; on a balanced panel pairwise is casewise);
//!    - `hetonly`: `Sigma = diag(e_i'e_i / T_i)`;
//!    - `independent`: `Sigma = (e'e / N) I`.
//!
//!    `nmk` scales V by N / (N - k).
//!
//! On an unbalanced panel the pairwise Sigma need not be positive semidefinite, and V then need
//! not be either: Stata refuses to post such a VCE, and so does [`xtpcse`]
//! ([`GlsError::CovarianceNotPsd`]). The `psd` option (not Stata's) instead replaces a pairwise
//! Sigma that is clearly not PSD (smallest eigenvalue below `-1e-10` times the largest in absolute
//! value) by its projection onto the PSD cone, the nearest PSD matrix in the Frobenius norm:
//! `U max(Lambda, 0) U'` from the symmetric eigendecomposition `Sigma = U Lambda U'`. V is then PSD
//! by construction. A Sigma that passes the test is left as it is (the option changes nothing).
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
use faer::{Accum, Mat, MatRef, Par, Side};
use serde::Serialize;

use crate::fgls::{
    absorb_effects, check_psd, first_ols_residuals, gram, lag_rho, mean_square, residuals,
    scale_checked, scale_rows, symmetrize, wald_statistic, with_effects, Inference, Prepared,
    WaldCov, PERFECT_FIT_TOL,
};
pub use crate::fgls::{AutoCorr, GlsError, PanelRegression, UnitEffects};
use crate::panel_effects::{
    coef_value, effects_of, factor_column, mul, prepare_absorbed, with_panel_dummies, Coef,
    EffectCovariance, Effects, PanelProjection,
};

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
    /// Project a pairwise Sigma that is not PSD onto the PSD cone (see the module doc). Only with
    /// correlated panels and `pairwise`; not a Stata option.
    pub psd: bool,
    /// Unit (panel) fixed effects: in `x`, as dummies added here, or absorbed.
    pub unit_effects: UnitEffects,
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
            psd: false,
            unit_effects: UnitEffects::InDesign,
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
    /// Diagonal of Sigma as used for V (one entry per panel; after the projection with `psd`), or
    /// the single variance for `independent`.
    pub sigma2: Vec<f64>,
    /// Casewise: the number of periods common to all panels used for Sigma.
    pub n_sigma_periods: Option<usize>,
    /// `psd` only: `Some(k)` when the pairwise Sigma was not PSD and was replaced by its
    /// projection, `k` the number of its clearly negative eigenvalues (below `-1e-10` times the
    /// largest in absolute value), which were set to 0 with any rounding-level negative ones.
    pub sigma_projected: Option<usize>,
}

/// A pairwise Sigma is clearly not PSD when its smallest eigenvalue is below `-SIGMA_PSD_TOL`
/// times its largest in absolute value. The eigendecomposition's own error is of order
/// `M * eps * max|lambda|` (about 1e-13 for a few hundred panels): a Sigma that is PSD up to
/// rounding (singular, with more panels than periods) is not mistaken for an indefinite one.
pub const SIGMA_PSD_TOL: f64 = 1e-10;

/// Linear regression with panel-corrected standard errors, as Stata
/// `xtpcse depvar indepvars, [correlation(..) hetonly|independent casewise|pairwise np1 nmk]`.
pub fn xtpcse(data: &PanelRegression<'_>, opts: &PcseOptions) -> Result<PcseResult, PcseError> {
    if opts.psd && !(opts.sigma == PcseSigma::Correlated && opts.pairwise) {
        return Err(GlsError::InvalidOption(
            "`psd` applies to the pairwise Sigma of correlated panels only (it needs `pairwise`; \
             a casewise, hetonly or independent Sigma is PSD by construction)"
                .into(),
        ));
    }
    let (prep, effects) = match opts.unit_effects {
        UnitEffects::InDesign => (Prepared::new(data)?, None),
        UnitEffects::Dummies { at } => {
            let (x, names) = with_panel_dummies(data, at)?;
            let expanded = PanelRegression {
                x: x.as_ref(),
                names: &names,
                ..*data
            };
            let plain = PcseOptions {
                unit_effects: UnitEffects::InDesign,
                ..*opts
            };
            let mut r = xtpcse(&expanded, &plain)?;
            r.options = *opts;
            return Ok(r);
        }
        UnitEffects::Absorbed { at } => {
            let (prep, effects) = prepare_absorbed(data, at)?;
            (prep, Some(effects))
        }
    };
    let (n, k, m) = (prep.n, prep.k, prep.n_panels());
    // Coefficients of the model as estimated (the dummy form's with absorbed effects).
    let k_model = if effects.is_some() { k + m } else { k };
    let mut ys = prep.y.clone();
    // The design is copied only when AR(1) transforms it or the effects are absorbed.
    let mut transformed: Option<Mat<f64>> = None;
    let mut rho_out = Vec::new();
    let mut rho_used: Option<Vec<f64>> = None;

    if opts.corr != AutoCorr::Independent {
        let e0 = first_ols_residuals(&prep, effects.is_some())?;
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
        rho_used = Some(rho_use);
    }
    // The dependent variable of the model as estimated (before the effects are projected out):
    // R2 and the perfect-fit check refer to it.
    let (y_model, projection) = match effects {
        None => (None, None),
        Some(_) => {
            let y_model = ys.clone();
            let (x, proj) =
                absorb_effects(&prep, transformed.take(), &mut ys, rho_used.as_deref())?;
            transformed = Some(x);
            (Some(y_model), Some(proj))
        }
    };
    let y_fit: &[f64] = y_model.as_deref().unwrap_or(&ys);
    let xs: &Mat<f64> = transformed.as_ref().unwrap_or(&prep.x);

    let fit = prep.ols_of(transformed.as_ref(), &ys).map_err(|e| {
        if effects.is_some() {
            with_effects(e)
        } else {
            e
        }
    })?;
    let e = residuals(xs.as_ref(), &ys, &fit.b);
    let balanced = (0..m).all(|p| prep.panel_len(p) == prep.n_periods);
    // On a balanced panel every pair of panels shares every period: the pairwise Sigma is the
    // casewise one, which is PSD by construction, so it takes the casewise route (same numbers,
    // and the Wald rank decided on the factor rather than on V).
    let pairwise = opts.pairwise && !balanced;
    let rss: f64 = e.iter().map(|v| v * v).sum();
    // A residual norm at rounding level of |y| is a perfect fit (Stata: rmse == 0).
    if rss <= PERFECT_FIT_TOL * y_fit.iter().map(|v| v * v).sum::<f64>() {
        return Err(GlsError::PerfectFit);
    }
    let tss = if prep.constant.is_some() || effects.as_ref().is_some_and(|e| e.constant.is_some()) {
        let mean = y_fit.iter().sum::<f64>() / n as f64;
        y_fit.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>()
    } else {
        y_fit.iter().map(|v| v * v).sum::<f64>()
    };
    let r2 = 1.0 - rss / tss;

    let grid = Grid::new(&prep, &e);
    let mut sigma_projected = None;
    let (meat, sigma2, n_sigma_periods, sigma) = match opts.sigma {
        PcseSigma::Independent => {
            let s2 = rss / n as f64;
            let mut g = gram(xs.as_ref());
            for j in 0..k {
                for i in 0..k {
                    g[(i, j)] *= s2;
                }
            }
            (g, vec![s2], None, SigmaUsed::Scalar(s2))
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
            (gram(xw.as_ref()), s2.clone(), None, SigmaUsed::Diagonal(s2))
        }
        PcseSigma::Correlated => {
            if pairwise {
                let mut sigma = pairwise_sigma(&prep, &grid);
                if opts.psd {
                    sigma_projected = project_psd(&mut sigma)?;
                }
                let meat = pairwise_meat(&prep, &grid, xs, &sigma);
                let diag = (0..m).map(|p| sigma[(p, p)]).collect();
                (meat, diag, None, SigmaUsed::Full(sigma))
            } else {
                let common: Vec<usize> = (0..prep.n_periods)
                    .filter(|&t| (0..m).all(|p| grid.row[p * prep.n_periods + t].is_some()))
                    .collect();
                if common.is_empty() {
                    return Err(GlsError::NoCommonPeriods);
                }
                let (meat, diag, h) = casewise_meat(&prep, &grid, xs, &common);
                let c = common.len();
                (meat, diag, Some(c), SigmaUsed::Casewise { h, common })
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
    let v_unscaled = effects.as_ref().map(|_| v.clone());
    if opts.nmk {
        scale_checked(&mut v, n, k_model)?;
    }
    // nmk scales V by N / (N - k), so a factor of V by its square root.
    let nmk_root = if opts.nmk {
        (n as f64 / (n - k_model) as f64).sqrt()
    } else {
        1.0
    };
    // Only a pairwise Sigma can make V indefinite; with `psd` it is PSD (projected, or passed the
    // test), so V is PSD up to rounding, which the Wald sweep then treats as such.
    let psd = !(pairwise && opts.sigma == PcseSigma::Correlated) || opts.psd;
    // G = h A / sqrt(|C|) with V = G'G (casewise Sigma).
    let factor = match &sigma {
        SigmaUsed::Casewise { h, common } => {
            let mut g = Mat::<f64>::zeros(h.nrows(), k);
            faer::linalg::matmul::matmul(g.as_mut(), Accum::Replace, h, &a, 1.0, Par::Seq);
            let s = nmk_root / (common.len() as f64).sqrt();
            for j in 0..k {
                for i in 0..g.nrows() {
                    g[(i, j)] *= s;
                }
            }
            Some(g)
        }
        _ => None,
    };
    let (names, b, constant, inf) = match (&effects, &projection) {
        (Some(eff), Some(proj)) => {
            let absorbed = AbsorbedPcse {
                prep: &prep,
                eff,
                proj,
                grid: &grid,
                xs,
                b: &fit.b,
                a: a.as_ref(),
                v: v.as_ref(),
                v_unscaled: v_unscaled.as_ref().unwrap_or(&v).as_ref(),
                nmk_scale: nmk_root * nmk_root,
            };
            let (b, inf) = match (&sigma, &factor) {
                (SigmaUsed::Casewise { common, .. }, Some(g)) => {
                    absorbed.factored(g.as_ref(), common, nmk_root)?
                }
                _ => absorbed.dense(&sigma, psd)?,
            };
            (eff.names.clone(), b, eff.constant, inf)
        }
        _ => {
            let inf = match &factor {
                Some(g) => Inference::with_factor(&fit.b, v.as_ref(), prep.constant, g.as_ref())?,
                None => Inference::new(&fit.b, v.as_ref(), prep.constant, psd)?,
            };
            (prep.names.clone(), fit.b, prep.constant, inf)
        }
    };
    Ok(PcseResult {
        options: *opts,
        names,
        collinear_dropped: prep.collinear_dropped.clone(),
        b,
        se: inf.se,
        z: inf.z,
        p: inf.p,
        vcov: inf.vcov,
        constant,
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
        sigma_projected,
    })
}

/// With `psd`: replaces a pairwise Sigma that is clearly not PSD (see [`SIGMA_PSD_TOL`]) by its
/// projection onto the PSD cone, `U max(Lambda, 0) U'`, and returns the number of clearly
/// negative eigenvalues; leaves any other Sigma untouched (bit for bit) and returns `None`.
fn project_psd(sigma: &mut Mat<f64>) -> Result<Option<usize>, GlsError> {
    let m = sigma.nrows();
    let evd = sigma
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| GlsError::SigmaEigenNotConverged)?;
    let lambda = evd.S().column_vector();
    let largest = (0..m).fold(0.0f64, |a, i| a.max(lambda[i].abs()));
    let negative = (0..m)
        .filter(|&i| lambda[i] < -SIGMA_PSD_TOL * largest)
        .count();
    if negative == 0 {
        return Ok(None);
    }
    let u = evd.U();
    // Every negative eigenvalue goes, rounding-level ones included: that is the projection (the
    // nearest PSD matrix); the threshold only decides whether to project.
    let u_clipped = Mat::from_fn(m, m, |i, j| u[(i, j)] * lambda[j].max(0.0));
    let mut projected = Mat::<f64>::zeros(m, m);
    faer::linalg::matmul::matmul(
        projected.as_mut(),
        Accum::Replace,
        &u_clipped,
        u.transpose(),
        1.0,
        Par::Seq,
    );
    symmetrize(&mut projected);
    *sigma = projected;
    Ok(Some(negative))
}

/// The contemporaneous covariance Sigma as estimated.
enum SigmaUsed {
    /// `s2 I` (Stata `independent`).
    Scalar(f64),
    /// `diag(s2_p)` (`hetonly`).
    Diagonal(Vec<f64>),
    /// Pairwise, M x M.
    Full(Mat<f64>),
    /// Casewise: `E_C'E_C / |C|`, kept as the rows `h` of the meat's factor and the periods C.
    Casewise { h: Mat<f64>, common: Vec<usize> },
}

impl SigmaUsed {
    fn entry(&self, p: usize, q: usize) -> f64 {
        match self {
            Self::Scalar(s2) => {
                if p == q {
                    *s2
                } else {
                    0.0
                }
            }
            Self::Diagonal(s2) => {
                if p == q {
                    s2[p]
                } else {
                    0.0
                }
            }
            Self::Full(s) => s[(p, q)],
            // Not used: the casewise case works on the factor.
            Self::Casewise { .. } => f64::NAN,
        }
    }

    fn is_diagonal(&self) -> bool {
        matches!(self, Self::Scalar(_) | Self::Diagonal(_))
    }
}

/// PCSE with absorbed panel effects: the columns of `x` and the Wald statistic as the dummy
/// form reports them (see [`crate::panel_effects`]). With `psi_b = A X~'` the map from the
/// (transformed) disturbances to `b`, that to the effects is
/// `psi_alpha = S^-1 D*' - C psi_b` (`S = diag(c*_p'c*_p)`, `C` the projection coefficients).
struct AbsorbedPcse<'a> {
    prep: &'a Prepared,
    eff: &'a Effects,
    proj: &'a PanelProjection,
    grid: &'a Grid,
    /// The projected (transformed) design.
    xs: &'a Mat<f64>,
    b: &'a [f64],
    /// `(X~'X~)^-1`.
    a: MatRef<'a, f64>,
    /// V of `b`, scaled by nmk, and unscaled.
    v: MatRef<'a, f64>,
    v_unscaled: MatRef<'a, f64>,
    nmk_scale: f64,
}

impl AbsorbedPcse<'_> {
    /// Casewise Sigma: `V = G'G` with `G = [G_b | G_alpha]`, `G_b` the factor of `b`'s block
    /// and `G_alpha[(t, s), p] = e_ps c*_pt / (s_p sqrt|C|) - G_b c_p`.
    fn factored(
        &self,
        g_b: MatRef<'_, f64>,
        common: &[usize],
        nmk_root: f64,
    ) -> Result<(Vec<f64>, Inference), GlsError> {
        let (prep, proj) = (self.prep, self.proj);
        let (m, np, cn) = (prep.n_panels(), prep.n_periods, common.len());
        let mut g_alpha = mul(g_b, proj.coef_x.transpose());
        for v in g_alpha.col_iter_mut().flat_map(|c| c.iter_mut()) {
            *v = -*v;
        }
        let scale = nmk_root / (cn as f64).sqrt();
        for r in 0..prep.n {
            let (p, t) = (prep.row_panel[r], prep.period[r]);
            let f = proj.c[r] * scale / proj.s[p];
            for (a, &s) in common.iter().enumerate() {
                g_alpha[(t * cn + a, p)] += self.grid.e[p * np + s] * f;
            }
        }
        let alpha = effects_of(proj, self.b);
        let (order, _) = self.eff.dummy_order(m);
        let mut g = Mat::<f64>::zeros(g_b.nrows(), order.len());
        for (j, &c) in order.iter().enumerate() {
            for (dst, v) in
                g.col_as_slice_mut(j)
                    .iter_mut()
                    .zip(factor_column(c, g_b, g_alpha.as_ref()))
            {
                *dst = v;
            }
        }
        let b_dummy: Vec<f64> = order
            .iter()
            .map(|&c| coef_value(c, self.b, &alpha))
            .collect();
        let slopes = self.slopes(&order);
        let (wald_chi2, wald_df) = wald_statistic(&b_dummy, &slopes, WaldCov::Factor(g.as_ref()))?;
        let reported = self.eff.reported();
        let b: Vec<f64> = reported
            .iter()
            .map(|&c| coef_value(c, self.b, &alpha))
            .collect();
        let col = |c: Coef| factor_column(c, g_b, g_alpha.as_ref());
        let vr = Mat::from_fn(reported.len(), reported.len(), |i, j| {
            match (reported[i], reported[j]) {
                (Coef::Slope(a), Coef::Slope(b)) => self.v[(a, b)],
                (u, w) => crate::linalg::dot(&col(u), &col(w)),
            }
        });
        Ok((
            b.clone(),
            Inference::with_wald(&b, vr.as_ref(), wald_chi2, wald_df),
        ))
    }

    /// Pairwise, hetonly or independent Sigma: the covariance of `(b, alpha)` in blocks from
    /// `B = D*' Omega X~` and `Q = D*' Omega D*`, then V of the dummy form, swept as there.
    fn dense(&self, sigma: &SigmaUsed, psd: bool) -> Result<(Vec<f64>, Inference), GlsError> {
        let (prep, proj, xs) = (self.prep, self.proj, self.xs);
        let (m, k) = (prep.n_panels(), xs.ncols());
        let mut rows_at: Vec<Vec<usize>> = vec![Vec::new(); prep.n_periods];
        for r in 0..prep.n {
            rows_at[prep.period[r]].push(r);
        }
        let mut bm = Mat::<f64>::zeros(m, k);
        let mut q = Mat::<f64>::zeros(m, m);
        for rows in &rows_at {
            for &rp in rows {
                let p = prep.row_panel[rp];
                for &rq in rows {
                    let qp = prep.row_panel[rq];
                    if sigma.is_diagonal() && qp != p {
                        continue;
                    }
                    let s = sigma.entry(p, qp);
                    let cs = proj.c[rp] * s;
                    for j in 0..k {
                        bm[(p, j)] += cs * xs[(rq, j)];
                    }
                    q[(p, qp)] += cs * proj.c[rq];
                }
            }
        }
        let cx = proj.coef_x.as_ref();
        let ba = mul(bm.as_ref(), self.a);
        let c_ab = Mat::from_fn(m, k, |p, j| {
            ba[(p, j)] / proj.s[p]
                - (0..k)
                    .map(|i| cx[(p, i)] * self.v_unscaled[(i, j)])
                    .sum::<f64>()
        });
        let t1 = mul(ba.as_ref(), cx.transpose());
        let cv = mul(cx, self.v_unscaled);
        let cvc = mul(cv.as_ref(), cx.transpose());
        let s = &proj.s;
        let v_aa = Mat::from_fn(m, m, |p, r| {
            q[(p, r)] / (s[p] * s[r]) - t1[(p, r)] / s[p] - t1[(r, p)] / s[r] + cvc[(p, r)]
        });
        let cov = EffectCovariance {
            v_bb: self.v_unscaled,
            c_ab: c_ab.as_ref(),
            v_aa: v_aa.as_ref(),
        };
        let alpha = effects_of(proj, self.b);
        let (order, _) = self.eff.dummy_order(m);
        let mut v_dummy = cov.dense(&order);
        let mut vr = cov.dense(&self.eff.reported());
        for mat in [&mut v_dummy, &mut vr] {
            for j in 0..mat.ncols() {
                for i in 0..mat.nrows() {
                    mat[(i, j)] *= self.nmk_scale;
                }
            }
            symmetrize(mat);
        }
        let strict = !psd;
        check_psd(v_dummy.as_ref(), strict)?;
        let b_dummy: Vec<f64> = order
            .iter()
            .map(|&c| coef_value(c, self.b, &alpha))
            .collect();
        let slopes = self.slopes(&order);
        let (wald_chi2, wald_df) = wald_statistic(
            &b_dummy,
            &slopes,
            WaldCov::Dense {
                v: v_dummy.as_ref(),
                strict,
            },
        )?;
        let reported = self.eff.reported();
        let b: Vec<f64> = reported
            .iter()
            .map(|&c| coef_value(c, self.b, &alpha))
            .collect();
        // b's own block as computed directly (the same numbers as `cov`'s, rounding aside).
        for (i, &u) in reported.iter().enumerate() {
            for (j, &w) in reported.iter().enumerate() {
                if let (Coef::Slope(a), Coef::Slope(c)) = (u, w) {
                    vr[(i, j)] = self.v[(a, c)];
                }
            }
        }
        Ok((
            b.clone(),
            Inference::with_wald(&b, vr.as_ref(), wald_chi2, wald_df),
        ))
    }

    /// The dummy form's Wald coefficients: all but the constant.
    fn slopes(&self, order: &[Coef]) -> Vec<usize> {
        let with_constant = self.eff.constant.is_some();
        (0..order.len())
            .filter(|&j| !(with_constant && matches!(order[j], Coef::Effect(0))))
            .collect()
    }
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
    let (k, np, m) = (xs.ncols(), prep.n_periods, prep.n_panels());
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

/// Pairwise Sigma: `Sigma_ij` over the periods common to i and j (0 when there are none).
fn pairwise_sigma(prep: &Prepared, grid: &Grid) -> Mat<f64> {
    let (np, m) = (prep.n_periods, prep.n_panels());
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
    sigma
}

/// Pairwise meat `sum_t X_t' Sigma_t X_t`, `Sigma_t` the block of the panels observed at t.
fn pairwise_meat(prep: &Prepared, grid: &Grid, xs: &Mat<f64>, sigma: &Mat<f64>) -> Mat<f64> {
    let (k, np, m) = (xs.ncols(), prep.n_periods, prep.n_panels());
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
    meat
}
