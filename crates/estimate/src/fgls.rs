//! Feasible GLS for panel data, as Stata `xtgls` (paper Table 6 col. 3).
//!
//! Model `y_it = x_it'b + u_it` with panel heteroskedasticity (`panels(hetero)`) or a common
//! variance (`panels(iid)`), and no autocorrelation, a common AR(1) (`corr(ar1)`) or a panel-specific
//! AR(1) (`corr(psar1)`). The steps follow Stata's `xtgls.ado` (version 2.7.2):
//!
//! 1. AR(1) only: OLS residuals `e`; per panel `rho_i = sum_t e_t e_{t-1} / sum_t e_{t-1}^2`
//!    (Stata's default `rhotype(regress)`); `corr(ar1)` uses the common
//!    `rho = sum_i T_i rho_i / sum_i T_i` (weights are the panel sizes `T_i`, as in `xtgls.ado`;
//!    `xtpcse` weights by `T_i - 1` instead). Then the Prais-Winsten transform per panel:
//!    `z*_1 = sqrt(1 - rho^2) z_1`, `z*_t = z_t - rho z_{t-1}` for `y` and every column of `X`
//!    (the constant too).
//! 2. OLS on the (transformed) data; residuals `e*` give `sigma_i^2 = e*_i'e*_i / T_i`
//!    (`panels(hetero)`) or `sigma^2 = e*'e* / N` (`panels(iid)`).
//! 3. GLS: `b = (X*'W X*)^-1 X*'W y*`, `V = (X*'W X*)^-1`, `W = diag(1 / sigma_i^2)`.
//!    `igls` repeats step 2 with the GLS residuals (rho stays fixed, as in Stata) until
//!    `max_j |b_j - b_j_old| / (|b_j_old| + 1) <= tolerance`.
//!
//! Inference uses z = b / se with normal p-values; the Wald statistic is `b_s' V_ss^- b_s` over the
//! slope coefficients (all but the constant), with the generalized inverse of an in-order sweep
//! (coefficients whose variance is explained by earlier ones are dropped, like Stata's `test`);
//! `wald_df` is the number kept.
//!
//! The computation never forms the N x N covariance: the transform and the weights act panel by
//! panel, so the cost is a few `N k^2` cross products. Unit fixed effects can be absorbed rather
//! than passed as dummy columns ([`GlsOptions::unit_effects`], see [`crate::panel_effects`]):
//! the same numbers at `O(N k^2)` with `k` the other regressors only.
//!
//! Gaps: under AR(1) a panel observed at t and t + 2 but not t + 1 is refused
//! ([`GlsError::TimeGap`]) unless [`GlsOptions::force`] (Stata `force`), which takes the previous
//! observation of the panel as the lag.
//!
//! ```
//! use faer::Mat;
//! use robocarb_estimate::fgls::{xtgls, GlsOptions, PanelRegression};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Two panels x 4 years; regressors: x and a constant (a column of ones).
//! let y = [1.0, 2.1, 2.9, 4.2, 0.5, 1.4, 2.6, 3.3];
//! let x = Mat::from_fn(8, 2, |i, j| if j == 0 { (i % 4) as f64 } else { 1.0 });
//! let names = ["x".to_string(), "_cons".to_string()];
//! let panel = [1, 1, 1, 1, 2, 2, 2, 2];
//! let time = [2006, 2007, 2008, 2009, 2006, 2007, 2008, 2009];
//! let data = PanelRegression { y: &y, x: x.as_ref(), names: &names, panel: &panel, time: &time };
//! let fit = xtgls(&data, &GlsOptions::hetero_ar1())?; // xtgls y x, panels(hetero) corr(ar1)
//! assert_eq!(fit.rho.len(), 1);
//! assert!(fit.z[0].is_finite());
//! # Ok(())
//! # }
//! ```
//!
//! Deviations from Stata, all refusals rather than silent changes: a panel with one observation
//! under AR(1) is an error (Stata drops it with a note); a `rho` outside `[-1, 1]` is an error unless
//! [`GlsOptions::clip_rho`] is set (Stata silently drops the first observation of such panels);
//! `panels(correlated)` is not offered.

use faer::linalg::matmul::triangular::{matmul as tri_matmul, BlockStructure};
use faer::linalg::solvers::{DenseSolveCore, Llt, Solve};
use faer::{Accum, Mat, MatRef, Par, Side};
use serde::Serialize;

pub use crate::panel_effects::UnitEffects;
use crate::panel_effects::{
    effects_of, prepare_absorbed, project_per_panel, with_panel_dummies, Coef, Effects,
    PanelProjection,
};

/// Why an FGLS or PCSE estimation could not be carried out.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GlsError {
    #[error("length mismatch: {what} has {got} entries, expected {expected}")]
    LengthMismatch {
        what: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("no observations or no regressors")]
    Empty,
    #[error("non-finite value in {what} at row {row}")]
    NonFinite { what: String, row: usize },
    #[error("duplicate observation for panel {panel} at time {time}")]
    DuplicateKey { panel: u32, time: i32 },
    #[error("{n} observations are too few for {k} coefficients")]
    TooFewObservations { n: usize, k: usize },
    #[error("regressor `{name}` is collinear with the regressors before it")]
    Collinear { name: String },
    #[error(
        "regressor `{name}` does not vary within panels: it is collinear with the absorbed panel effects"
    )]
    CollinearWithEffects { name: String },
    #[error("panel {panel} has a single observation; an AR(1) model needs at least two")]
    SingletonPanel { panel: u32 },
    #[error(
        "panel {panel} skips periods after time {time}; xtgls with AR(1) needs consecutive periods (or force)"
    )]
    TimeGap { panel: u32, time: i32 },
    #[error(
        "autocorrelation {rho} (panel {panel:?}) is outside [-1, 1]; set clip_rho to bound it"
    )]
    RhoOutOfRange { panel: Option<u32>, rho: f64 },
    #[error("the autocorrelation of panel {panel:?} cannot be estimated (no usable lag pairs)")]
    RhoUndefined { panel: Option<u32> },
    #[error("zero residual variance (panel {panel:?}); the weights are undefined")]
    ZeroVariance { panel: Option<u32> },
    #[error("iterated GLS did not converge in {iterations} iterations")]
    NotConverged { iterations: usize },
    #[error(
        "no time period is observed in every panel; the casewise Sigma is undefined (use pairwise)"
    )]
    NoCommonPeriods,
    #[error(
        "the estimated covariance matrix of the coefficients is not positive semidefinite \
         (a pairwise PCSE Sigma need not be PSD on an unbalanced panel; the `psd` option \
         projects it onto the PSD cone)"
    )]
    CovarianceNotPsd,
    #[error("the eigendecomposition of the pairwise Sigma did not converge")]
    SigmaEigenNotConverged,
    #[error("the model fits the dependent variable perfectly")]
    PerfectFit,
    #[error("invalid option: {0}")]
    InvalidOption(String),
}

/// One panel regression: `y` on the columns of `x`, observation `r` belonging to panel `panel[r]`
/// at period `time[r]` (consecutive periods differ by 1). Rows may come in any order.
///
/// `x` holds every regressor, dummies and the constant included; a column whose entries are all
/// exactly 1.0 is taken as the constant (it is left out of the Wald test and makes R2 centred).
#[derive(Debug, Clone, Copy)]
pub struct PanelRegression<'a> {
    pub y: &'a [f64],
    pub x: MatRef<'a, f64>,
    pub names: &'a [String],
    pub panel: &'a [u32],
    pub time: &'a [i32],
}

/// Stata `panels()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GlsPanels {
    /// One error variance for all panels.
    Iid,
    /// One error variance per panel.
    Hetero,
}

/// Stata `corr()` for `xtgls` and `xtpcse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoCorr {
    /// No autocorrelation.
    Independent,
    /// One AR(1) coefficient for all panels.
    Ar1,
    /// One AR(1) coefficient per panel.
    Psar1,
}

/// Options of [`xtgls`]. `Default` is Stata's default: `panels(iid) corr(independent)`, two-step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GlsOptions {
    pub panels: GlsPanels,
    pub corr: AutoCorr,
    /// Iterate the variance estimates to convergence (Stata `igls`) instead of two steps.
    pub igls: bool,
    /// Bound each estimated rho to [-1, 1] instead of refusing values outside.
    pub clip_rho: bool,
    /// Scale V by N / (N - k) (Stata `nmk`).
    pub nmk: bool,
    /// `igls` convergence: max relative change of b, `|b - b_old| / (|b_old| + 1)` (Stata 1e-7).
    pub tolerance: f64,
    /// `igls` iteration limit (Stata's default `maxiter` 300).
    pub max_iterations: usize,
    /// Stata `force`: under AR(1), a panel with gaps in time is fitted as if its observations were
    /// consecutive (the lag of an observation is the previous observation of its panel, whatever
    /// the time between them), instead of refusing it with [`GlsError::TimeGap`].
    pub force: bool,
    /// Unit (panel) fixed effects: in `x`, as dummies added here, or absorbed.
    pub unit_effects: UnitEffects,
}

impl Default for GlsOptions {
    fn default() -> Self {
        Self {
            panels: GlsPanels::Iid,
            corr: AutoCorr::Independent,
            igls: false,
            clip_rho: false,
            nmk: false,
            tolerance: 1e-7,
            max_iterations: 300,
            force: false,
            unit_effects: UnitEffects::InDesign,
        }
    }
}

impl GlsOptions {
    /// `xtgls, panels(hetero) corr(ar1)`, two-step: the paper's Table 6 col. 3.
    pub fn hetero_ar1() -> Self {
        Self {
            panels: GlsPanels::Hetero,
            corr: AutoCorr::Ar1,
            ..Self::default()
        }
    }
}

/// What [`xtgls`] returns. Vectors indexed by coefficient follow the column order of `x`;
/// vectors indexed by panel follow `panel_ids` (ascending).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlsResult {
    pub options: GlsOptions,
    /// Names of the kept regressors (coefficient vectors follow them).
    pub names: Vec<String>,
    /// Regressors dropped as collinear before estimation, as Stata's `_rmcoll` notes them.
    pub collinear_dropped: Vec<String>,
    pub b: Vec<f64>,
    pub se: Vec<f64>,
    pub z: Vec<f64>,
    /// Two-sided normal p-values.
    pub p: Vec<f64>,
    /// Row-major k x k covariance of `b`.
    pub vcov: Vec<Vec<f64>>,
    /// Index of the constant column, if any.
    pub constant: Option<usize>,
    pub wald_chi2: f64,
    pub wald_df: usize,
    pub wald_p: f64,
    pub n: usize,
    pub n_panels: usize,
    pub n_periods: usize,
    pub panel_ids: Vec<u32>,
    /// Empty without AR(1); one common value for `ar1`; one per panel for `psar1`.
    pub rho: Vec<f64>,
    /// One value for `panels(iid)`, one per panel for `panels(hetero)` (last iteration's).
    pub sigma2: Vec<f64>,
    /// GLS passes (1 for two-step).
    pub iterations: usize,
    /// Gaussian log likelihood, reported (as Stata does) only without AR(1) and for
    /// `panels(iid)` or `igls`.
    pub log_likelihood: Option<f64>,
}

/// Feasible GLS as Stata `xtgls depvar indepvars, panels(..) corr(..) [igls]`; see the module doc.
pub fn xtgls(data: &PanelRegression<'_>, opts: &GlsOptions) -> Result<GlsResult, GlsError> {
    if opts.tolerance.is_nan() || opts.tolerance <= 0.0 || opts.max_iterations == 0 {
        return Err(GlsError::InvalidOption(
            "tolerance must be positive and max_iterations at least 1".into(),
        ));
    }
    let (mut prep, effects) = match opts.unit_effects {
        UnitEffects::InDesign => (Prepared::new(data)?, None),
        UnitEffects::Dummies { at } => {
            let (x, names) = with_panel_dummies(data, at)?;
            let expanded = PanelRegression {
                x: x.as_ref(),
                names: &names,
                ..*data
            };
            let plain = GlsOptions {
                unit_effects: UnitEffects::InDesign,
                ..*opts
            };
            let mut r = xtgls(&expanded, &plain)?;
            r.options = *opts;
            return Ok(r);
        }
        UnitEffects::Absorbed { at } => {
            let (prep, effects) = prepare_absorbed(data, at)?;
            (prep, Some(effects))
        }
    };
    if opts.force {
        prep.lag_previous_observation();
    }
    let (n, k, m) = (prep.n, prep.k, prep.n_panels());
    // Coefficients of the model as estimated (the dummy form's with absorbed effects).
    let k_model = if effects.is_some() { k + m } else { k };
    let mut ys = prep.y.clone();
    // The design is copied only when AR(1) transforms it or the effects are absorbed (it can be
    // large: Table 6 in the dummy form at county scale has thousands of columns).
    let mut transformed: Option<Mat<f64>> = None;
    let mut rho_out = Vec::new();
    let mut rho_used: Option<Vec<f64>> = None;

    if opts.corr != AutoCorr::Independent {
        for p in 0..m {
            let (lo, hi) = prep.panel_range(p);
            if hi - lo < 2 {
                return Err(GlsError::SingletonPanel {
                    panel: prep.panel_ids[p],
                });
            }
            if let Some(r) = (lo + 1..hi).find(|&r| !prep.has_pred[r]) {
                return Err(GlsError::TimeGap {
                    panel: prep.panel_ids[p],
                    time: prep.time[r - 1],
                });
            }
        }
        let e0 = first_ols_residuals(&prep, effects.is_some())?;
        let mut rho_panel = Vec::with_capacity(m);
        for p in 0..m {
            let (lo, hi) = prep.panel_range(p);
            let Some((r, _pairs)) = lag_rho(&e0[lo..hi], &prep.has_pred[lo..hi]) else {
                return Err(GlsError::RhoUndefined {
                    panel: Some(prep.panel_ids[p]),
                });
            };
            rho_panel.push(if opts.clip_rho { r.clamp(-1.0, 1.0) } else { r });
        }
        let rho_use: Vec<f64> = if opts.corr == AutoCorr::Ar1 {
            // xtgls.ado weights each panel's rho by its number of observations T_i.
            let (num, den) = (0..m).fold((0.0, 0.0), |(a, d), p| {
                let t = prep.panel_len(p) as f64;
                (a + t * rho_panel[p], d + t)
            });
            let common = num / den;
            rho_out.push(common);
            vec![common; m]
        } else {
            rho_out.clone_from(&rho_panel);
            rho_panel
        };
        transformed = Some(prep.ar1_transform(&mut ys, &rho_use, opts.corr)?);
        rho_used = Some(rho_use);
    }
    let projection = match effects {
        None => None,
        Some(_) => {
            let (x, proj) =
                absorb_effects(&prep, transformed.take(), &mut ys, rho_used.as_deref())?;
            transformed = Some(x);
            Some(proj)
        }
    };
    let xs: &Mat<f64> = transformed.as_ref().unwrap_or(&prep.x);

    // Step 2: OLS on the (transformed) data gives the residuals for the variances.
    let first = prep.ols_of(transformed.as_ref(), &ys).map_err(|e| {
        if effects.is_some() {
            with_effects(e)
        } else {
            e
        }
    })?;
    let mut e = residuals(xs.as_ref(), &ys, &first.b);
    let y_scale = mean_square(&ys);
    let mut b_old: Option<Vec<f64>> = None;
    let mut iterations = 0;
    let (b, xtwx, sigma2, w) = loop {
        let sigma2 = match opts.panels {
            GlsPanels::Iid => vec![mean_square(&e)],
            GlsPanels::Hetero => (0..m)
                .map(|p| {
                    let (lo, hi) = prep.panel_range(p);
                    mean_square(&e[lo..hi])
                })
                .collect(),
        };
        if let Some(p) = sigma2
            .iter()
            .position(|&s| s.is_nan() || s <= PERFECT_FIT_TOL * y_scale)
        {
            let panel = (opts.panels == GlsPanels::Hetero).then(|| prep.panel_ids[p]);
            return Err(GlsError::ZeroVariance { panel });
        }
        let row_weight = |r: usize| match opts.panels {
            GlsPanels::Iid => 1.0 / sigma2[0],
            GlsPanels::Hetero => 1.0 / sigma2[prep.row_panel[r]],
        };
        let w: Vec<f64> = (0..n).map(row_weight).collect();
        let fit = wls(xs.as_ref(), &ys, &w, &prep.names)?;
        iterations += 1;
        if !opts.igls {
            break (fit.b, fit.gram, sigma2, w);
        }
        if let Some(old) = &b_old {
            if max_rel_diff(&fit.b, old) <= opts.tolerance {
                break (fit.b, fit.gram, sigma2, w);
            }
        }
        if iterations >= opts.max_iterations {
            return Err(GlsError::NotConverged { iterations });
        }
        e = residuals(xs.as_ref(), &ys, &fit.b);
        b_old = Some(fit.b);
    };

    let mut v = xtwx.llt.inverse();
    symmetrize(&mut v);
    // Without AR(1) the (projected) design is the untransformed one, so these are the residuals
    // of the model in its original scale.
    let log_likelihood = (opts.corr == AutoCorr::Independent
        && (opts.igls || opts.panels == GlsPanels::Iid))
        .then(|| {
            let eh = residuals(xs.as_ref(), &ys, &b);
            let s2 = |r: usize| match opts.panels {
                GlsPanels::Iid => sigma2[0],
                GlsPanels::Hetero => sigma2[prep.row_panel[r]],
            };
            let (lndet, quad) = (0..n).fold((0.0, 0.0), |(l, q), r| {
                (l + s2(r).ln(), q + eh[r] * eh[r] / s2(r))
            });
            -0.5 * (n as f64 * (2.0 * std::f64::consts::PI).ln() + lndet + quad)
        });
    let (names, b, constant, inf) = match (&effects, &projection) {
        (Some(eff), Some(proj)) => {
            let e = residuals(xs.as_ref(), &ys, &b);
            let fit = absorbed_fgls_inference(
                &prep, eff, proj, &b, v, &e, &ys, &w, n, k_model, opts.nmk,
            )?;
            (eff.names.clone(), fit.0, eff.constant, fit.1)
        }
        _ => {
            if opts.nmk {
                scale_checked(&mut v, n, k_model)?;
            }
            let inf = Inference::new(&b, v.as_ref(), prep.constant, true)?;
            (prep.names.clone(), b, prep.constant, inf)
        }
    };
    Ok(GlsResult {
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
        n,
        n_panels: m,
        n_periods: prep.n_periods,
        panel_ids: prep.panel_ids.clone(),
        rho: rho_out,
        sigma2,
        iterations,
        log_likelihood,
    })
}

/// Residuals of the first OLS (on the untransformed data, for the AR coefficients); with
/// absorbed effects that of the within-transformed data, which has the same residuals.
pub(crate) fn first_ols_residuals(prep: &Prepared, absorbed: bool) -> Result<Vec<f64>, GlsError> {
    if !absorbed {
        let b0 = ols_with_gram(prep.x.as_ref(), &prep.y, &prep.names, &prep.gram_x)?.b;
        return Ok(residuals(prep.x.as_ref(), &prep.y, &b0));
    }
    let mut y = prep.y.clone();
    let mut x = prep.x.clone();
    project_per_panel(prep, vec![1.0; prep.n], &mut y, &mut x)?;
    let b0 = ols(x.as_ref(), &y, &prep.names).map_err(with_effects)?.b;
    Ok(residuals(x.as_ref(), &y, &b0))
}

/// A collinearity found in the projected design is one with the panel effects.
pub(crate) fn with_effects(e: GlsError) -> GlsError {
    match e {
        GlsError::Collinear { name } => GlsError::CollinearWithEffects { name },
        other => other,
    }
}

/// The design (transformed, or the prepared one) and `y` (in place) with the panel effects
/// projected out: per panel on the transformed column of ones (on ones without AR(1)).
pub(crate) fn absorb_effects(
    prep: &Prepared,
    transformed: Option<Mat<f64>>,
    y: &mut [f64],
    rho: Option<&[f64]>,
) -> Result<(Mat<f64>, PanelProjection), GlsError> {
    let mut c = vec![1.0; prep.n];
    if let Some(r) = rho {
        prep.prais_winsten_column(&mut c, r);
    }
    let mut x = transformed.unwrap_or_else(|| prep.x.clone());
    let proj = project_per_panel(prep, c, y, &mut x)?;
    // A column that vanished is collinear with the effects: name it, as the dummy form's
    // Cholesky would name the dummy.
    for j in 0..x.ncols() {
        let after = x.col(j).iter().map(|v| v * v).sum::<f64>();
        if after.is_nan() || after <= 0.0 {
            return Err(GlsError::CollinearWithEffects {
                name: prep.names[j].clone(),
            });
        }
    }
    Ok((x, proj))
}

/// b, se and the Wald statistic of the columns of `x` for FGLS with absorbed effects, as the
/// dummy form reports them: the constant is `alpha_1` with
/// `Var = 1 / (w_1 s_1) + c_1'V c_1`, `Cov(alpha_1, b) = -V c_1`; the Wald statistic over all
/// coefficients but the constant is `|W^1/2 (yhat* - c* g)|^2`, `yhat*` the fitted values of the
/// transformed model and `g` the weighted projection coefficient of `yhat*` on `c*`.
#[allow(clippy::too_many_arguments)]
fn absorbed_fgls_inference(
    prep: &Prepared,
    eff: &Effects,
    proj: &PanelProjection,
    b_nc: &[f64],
    v: Mat<f64>,
    e: &[f64],
    y_projected: &[f64],
    w: &[f64],
    n: usize,
    k_model: usize,
    nmk: bool,
) -> Result<(Vec<f64>, Inference), GlsError> {
    let k = b_nc.len();
    let alpha = effects_of(proj, b_nc);
    // Fitted values of the transformed model: y* - e*, y* = projected y + c* a_p.
    let fitted: Vec<f64> = (0..n)
        .map(|r| {
            let p = prep.row_panel[r];
            y_projected[r] + proj.c[r] * proj.coef_y[p] - e[r]
        })
        .collect();
    let mut wald = if eff.constant.is_some() {
        let (cw_f, cw_c) = (0..n).fold((0.0, 0.0), |(a, c), r| {
            (
                a + w[r] * proj.c[r] * fitted[r],
                c + w[r] * proj.c[r] * proj.c[r],
            )
        });
        let g = cw_f / cw_c;
        (0..n)
            .map(|r| w[r] * (fitted[r] - g * proj.c[r]).powi(2))
            .sum::<f64>()
    } else {
        (0..n).map(|r| w[r] * fitted[r] * fitted[r]).sum::<f64>()
    };
    let wald_df = k_model - usize::from(eff.constant.is_some());
    // The first panel's effect: its variance and covariances.
    let c1: Vec<f64> = (0..k).map(|j| proj.coef_x[(0, j)]).collect();
    let vc1 = crate::fgls::mat_vec(v.as_ref(), &c1);
    let w1 = w[prep.panel_start[0]];
    let var_alpha1 = 1.0 / (w1 * proj.s[0]) + crate::linalg::dot(&c1, &vc1);
    let reported = eff.reported();
    let value = |c: Coef| match c {
        Coef::Slope(j) => b_nc[j],
        Coef::Effect(p) => alpha[p],
        Coef::Contrast(p) => alpha[p] - alpha[0],
    };
    let cov = |a: Coef, b: Coef| match (a, b) {
        (Coef::Slope(i), Coef::Slope(j)) => v[(i, j)],
        (Coef::Slope(i), _) | (_, Coef::Slope(i)) => -vc1[i],
        _ => var_alpha1,
    };
    let b: Vec<f64> = reported.iter().map(|&c| value(c)).collect();
    let mut vr = Mat::from_fn(reported.len(), reported.len(), |i, j| {
        cov(reported[i], reported[j])
    });
    if nmk {
        scale_checked(&mut vr, n, k_model)?;
        wald /= n as f64 / (n - k_model) as f64;
    }
    Ok((
        b.clone(),
        Inference::with_wald(&b, vr.as_ref(), wald, wald_df),
    ))
}

// ------------------------------------------------------------------------------------------
// Shared machinery for `fgls` and `pcse` (crate-private).

/// The regression sorted by (panel, time), with the panel structure precomputed.
pub(crate) struct Prepared {
    pub n: usize,
    pub k: usize,
    pub y: Vec<f64>,
    pub x: Mat<f64>,
    /// Row ranges of the panels: panel p owns rows `panel_start[p]..panel_start[p + 1]`.
    pub panel_start: Vec<usize>,
    pub panel_ids: Vec<u32>,
    /// Panel index (0..M) of each sorted row.
    pub row_panel: Vec<usize>,
    pub time: Vec<i32>,
    /// Index of each sorted row's time among the distinct times (0..n_periods).
    pub period: Vec<usize>,
    pub n_periods: usize,
    /// The row's panel is also observed at time - 1 (the row before it).
    pub has_pred: Vec<bool>,
    pub constant: Option<usize>,
    /// Names of the kept columns of `x`.
    pub names: Vec<String>,
    /// Regressors dropped as collinear (Stata `_rmcoll`: "omitted because of collinearity").
    pub collinear_dropped: Vec<String>,
    /// `X'X` of the kept columns, in sorted-row order (a sum, so row order does not matter).
    pub gram_x: Mat<f64>,
    /// Index in the caller's `x` of each kept column.
    pub kept_cols: Vec<usize>,
}

/// Tolerance of [`noncollinear_columns`]: a column is dropped when its squared residual on
/// the kept columns is at most this fraction of its centred sum of squares (of its sum of
/// squares for the constant), as the OLS path's `collinearity_tolerance`.
const RMCOLL_TOL: f64 = 1e-9;

/// Indices of the columns kept by an ordered collinearity check (the constant, if any, first;
/// then the others in order), returned in their original order.
/// Also returns `X'X` of the kept columns (reused by the first OLS of both estimators).
fn noncollinear_columns(x: MatRef<'_, f64>, constant: Option<usize>) -> (Vec<usize>, Mat<f64>) {
    let k = x.ncols();
    let order: Vec<usize> = constant
        .into_iter()
        .chain((0..k).filter(|&j| Some(j) != constant))
        .collect();
    // X'X by faer's blocked kernel (the dummy designs of Table 6 have thousands of columns),
    // then permuted to the check's order.
    let g = gram(x);
    let a: Vec<f64> = order
        .iter()
        .flat_map(|&i| order.iter().map(move |&j| (i, j)))
        .map(|(i, j)| g[(i, j)])
        .collect();
    let scale: Vec<f64> = order
        .iter()
        .enumerate()
        .map(|(i, &j)| {
            let c: Vec<f64> = x.col(j).iter().copied().collect();
            let n = c.len() as f64;
            if constant.is_some() && i > 0 {
                let mean = c.iter().sum::<f64>() / n;
                c.iter().map(|v| (v - mean) * (v - mean)).sum()
            } else {
                c.iter().map(|v| v * v).sum()
            }
        })
        .collect();
    let mut kept: Vec<usize> = crate::linalg::detect_collinear(&a, k, &scale, RMCOLL_TOL)
        .into_iter()
        .map(|i| order[i])
        .collect();
    kept.sort_unstable();
    let kept_gram = Mat::from_fn(kept.len(), kept.len(), |i, j| g[(kept[i], kept[j])]);
    (kept, kept_gram)
}

impl Prepared {
    pub fn new(d: &PanelRegression<'_>) -> Result<Self, GlsError> {
        let (n, k) = (d.x.nrows(), d.x.ncols());
        for (what, got) in [
            ("y", d.y.len()),
            ("panel", d.panel.len()),
            ("time", d.time.len()),
        ] {
            if got != n {
                return Err(GlsError::LengthMismatch {
                    what,
                    got,
                    expected: n,
                });
            }
        }
        if d.names.len() != k {
            return Err(GlsError::LengthMismatch {
                what: "names",
                got: d.names.len(),
                expected: k,
            });
        }
        if n == 0 || k == 0 {
            return Err(GlsError::Empty);
        }
        if let Some(row) = d.y.iter().position(|v| !v.is_finite()) {
            return Err(GlsError::NonFinite {
                what: "y".into(),
                row,
            });
        }
        for j in 0..k {
            if let Some(row) = (0..n).find(|&r| !d.x[(r, j)].is_finite()) {
                return Err(GlsError::NonFinite {
                    what: d.names[j].clone(),
                    row,
                });
            }
        }
        if n <= k {
            return Err(GlsError::TooFewObservations { n, k });
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&r| (d.panel[r], d.time[r]));
        for w in order.windows(2) {
            if d.panel[w[0]] == d.panel[w[1]] && d.time[w[0]] == d.time[w[1]] {
                return Err(GlsError::DuplicateKey {
                    panel: d.panel[w[0]],
                    time: d.time[w[0]],
                });
            }
        }
        // Rows sorted by (panel, time), so every sum below is independent of the input order.
        let sorted = Mat::from_fn(n, k, |i, j| d.x[(order[i], j)]);
        // Stata's `_rmcoll` before estimating: the constant first, then the regressors in
        // order, each kept unless it is (numerically) a combination of those kept before it.
        let constant_raw = (0..k).find(|&j| (0..n).all(|r| d.x[(r, j)] == 1.0));
        let (kept_cols, gram_x) = noncollinear_columns(sorted.as_ref(), constant_raw);
        let collinear_dropped: Vec<String> = (0..k)
            .filter(|j| !kept_cols.contains(j))
            .map(|j| d.names[j].clone())
            .collect();
        let names: Vec<String> = kept_cols.iter().map(|&j| d.names[j].clone()).collect();
        let x = if kept_cols.len() == k {
            sorted
        } else {
            Mat::from_fn(n, kept_cols.len(), |i, j| sorted[(i, kept_cols[j])])
        };
        let k = kept_cols.len();
        if k == 0 {
            return Err(GlsError::Empty);
        }
        let y: Vec<f64> = order.iter().map(|&r| d.y[r]).collect();
        let time: Vec<i32> = order.iter().map(|&r| d.time[r]).collect();
        let mut panel_start = vec![0];
        let mut panel_ids = vec![d.panel[order[0]]];
        let mut row_panel = Vec::with_capacity(n);
        let mut has_pred = Vec::with_capacity(n);
        for i in 0..n {
            let pid = d.panel[order[i]];
            let same_panel = i > 0 && pid == d.panel[order[i - 1]];
            if i > 0 && !same_panel {
                panel_start.push(i);
                panel_ids.push(pid);
            }
            row_panel.push(panel_ids.len() - 1);
            has_pred.push(same_panel && i64::from(time[i]) - i64::from(time[i - 1]) == 1);
        }
        panel_start.push(n);
        let mut distinct = time.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let period = time
            .iter()
            .map(|t| distinct.partition_point(|d| d < t))
            .collect();
        let constant = kept_cols.iter().position(|&j| Some(j) == constant_raw);
        Ok(Self {
            n,
            k,
            y,
            x,
            panel_start,
            panel_ids,
            row_panel,
            time,
            period,
            n_periods: distinct.len(),
            has_pred,
            constant,
            names,
            collinear_dropped,
            gram_x,
            kept_cols,
        })
    }

    /// The same regression without kept column `j` (the constant, when the panel effects are
    /// absorbed and take its place).
    pub fn without_column(mut self, j: usize) -> Result<Self, GlsError> {
        let k = self.k - 1;
        if k == 0 {
            return Err(GlsError::Empty);
        }
        let others: Vec<usize> = (0..self.k).filter(|&c| c != j).collect();
        self.x = Mat::from_fn(self.n, k, |i, c| self.x[(i, others[c])]);
        self.gram_x = Mat::from_fn(k, k, |a, b| self.gram_x[(others[a], others[b])]);
        self.names.remove(j);
        self.kept_cols.remove(j);
        self.constant = match self.constant {
            Some(c) if c == j => None,
            Some(c) if c > j => Some(c - 1),
            other => other,
        };
        self.k = k;
        Ok(self)
    }

    pub fn n_panels(&self) -> usize {
        self.panel_ids.len()
    }

    pub fn panel_range(&self, p: usize) -> (usize, usize) {
        (self.panel_start[p], self.panel_start[p + 1])
    }

    pub fn panel_len(&self, p: usize) -> usize {
        self.panel_start[p + 1] - self.panel_start[p]
    }

    /// Stata `xtgls, force`: every observation but the first of its panel takes the previous
    /// observation of the panel as its lag, gaps in time notwithstanding.
    pub fn lag_previous_observation(&mut self) {
        for (i, pred) in self.has_pred.iter_mut().enumerate() {
            *pred = i > 0 && self.row_panel[i] == self.row_panel[i - 1];
        }
    }

    /// The Prais-Winsten transformed design for the AR coefficients `rho` (one per panel, each
    /// in [-1, 1], else `RhoOutOfRange` naming the panel under `psar1`); `y` is transformed in place.
    pub fn ar1_transform(
        &self,
        y: &mut [f64],
        rho: &[f64],
        corr: AutoCorr,
    ) -> Result<Mat<f64>, GlsError> {
        for (p, &r) in rho.iter().enumerate() {
            if r.is_nan() || r.abs() > 1.0 {
                let panel = (corr == AutoCorr::Psar1).then(|| self.panel_ids[p]);
                return Err(GlsError::RhoOutOfRange { panel, rho: r });
            }
        }
        let mut x = self.x.clone();
        self.prais_winsten(y, &mut x, rho);
        Ok(x)
    }

    /// OLS of `y` on the transformed design, or on the untransformed one (`None`) with its
    /// stored `X'X`.
    pub fn ols_of(&self, transformed: Option<&Mat<f64>>, y: &[f64]) -> Result<LsFit, GlsError> {
        match transformed {
            Some(x) => ols(x.as_ref(), y, &self.names),
            None => ols_with_gram(self.x.as_ref(), y, &self.names, &self.gram_x),
        }
    }

    /// Prais-Winsten transform in place, `rho[p]` for panel p. An observation whose panel is not
    /// observed at time - 1 (the first one, or the one after a gap) is scaled by sqrt(1 - rho^2);
    /// the others become `z_t - rho z_{t-1}`.
    pub fn prais_winsten(&self, y: &mut [f64], x: &mut Mat<f64>, rho: &[f64]) {
        self.prais_winsten_column(y, rho);
        for j in 0..x.ncols() {
            self.prais_winsten_column(x.col_as_slice_mut(j), rho);
        }
    }

    /// [`Prepared::prais_winsten`] of one column.
    pub fn prais_winsten_column(&self, v: &mut [f64], rho: &[f64]) {
        for (p, &r) in rho.iter().enumerate() {
            let (lo, hi) = self.panel_range(p);
            let head = (1.0 - r * r).max(0.0).sqrt();
            // Backwards, so that v[i - 1] is still untransformed when v[i] needs it.
            for i in (lo..hi).rev() {
                if self.has_pred[i] {
                    v[i] -= r * v[i - 1];
                } else {
                    v[i] *= head;
                }
            }
        }
    }
}

/// `rho = sum e_t e_{t-1} / sum e_{t-1}^2` over the rows that have a predecessor (Stata
/// `rhotype(regress)`), with the number of pairs; `None` without pairs or with a zero denominator.
pub(crate) fn lag_rho(e: &[f64], has_pred: &[bool]) -> Option<(f64, usize)> {
    let (mut num, mut den, mut pairs) = (0.0, 0.0, 0usize);
    for i in 1..e.len() {
        if has_pred[i] {
            num += e[i] * e[i - 1];
            den += e[i - 1] * e[i - 1];
            pairs += 1;
        }
    }
    (pairs > 0 && den > 0.0).then(|| (num / den, pairs))
}

/// Residual sum of squares below this share of `y'y` counts as zero (a perfect fit).
pub(crate) const PERFECT_FIT_TOL: f64 = 1e-24;

pub(crate) fn mean_square(e: &[f64]) -> f64 {
    e.iter().map(|v| v * v).sum::<f64>() / e.len() as f64
}

/// `max_j |a_j - b_j| / (|b_j| + 1)` (Stata `mreldif`).
fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / (y.abs() + 1.0))
        .fold(0.0, f64::max)
}

/// `X'X` (lower triangle computed, then mirrored), sequential so results do not depend on threads.
pub(crate) fn gram(x: MatRef<'_, f64>) -> Mat<f64> {
    let k = x.ncols();
    let mut g = Mat::<f64>::zeros(k, k);
    tri_matmul(
        g.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        x.transpose(),
        BlockStructure::Rectangular,
        x,
        BlockStructure::Rectangular,
        1.0,
        Par::Seq,
    );
    symmetrize_from_lower(&mut g);
    g
}

fn symmetrize_from_lower(g: &mut Mat<f64>) {
    for j in 0..g.ncols() {
        for i in 0..j {
            g[(i, j)] = g[(j, i)];
        }
    }
}

/// `(A + A') / 2`.
pub(crate) fn symmetrize(a: &mut Mat<f64>) {
    for j in 0..a.ncols() {
        for i in 0..j {
            let v = 0.5 * (a[(i, j)] + a[(j, i)]);
            a[(i, j)] = v;
            a[(j, i)] = v;
        }
    }
}

pub(crate) fn scale_checked(v: &mut Mat<f64>, n: usize, k: usize) -> Result<(), GlsError> {
    if n <= k {
        return Err(GlsError::TooFewObservations { n, k });
    }
    let s = n as f64 / (n - k) as f64;
    for j in 0..v.ncols() {
        for i in 0..v.nrows() {
            v[(i, j)] *= s;
        }
    }
    Ok(())
}

pub(crate) fn mat_vec(x: MatRef<'_, f64>, b: &[f64]) -> Vec<f64> {
    let bm = faer::ColRef::from_slice(b);
    let mut out = faer::Col::<f64>::zeros(x.nrows());
    faer::linalg::matmul::matmul(out.as_mut(), Accum::Replace, x, bm, 1.0, Par::Seq);
    (0..x.nrows()).map(|i| out[i]).collect()
}

pub(crate) fn residuals(x: MatRef<'_, f64>, y: &[f64], b: &[f64]) -> Vec<f64> {
    let fit = mat_vec(x, b);
    y.iter().zip(fit).map(|(a, f)| a - f).collect()
}

/// A factored Gram matrix `X'WX`.
pub(crate) struct Factored {
    pub llt: Llt<f64>,
}

/// Relative pivot below which a column counts as a linear combination of the earlier ones:
/// `L_jj^2 / A_jj = 1 - R^2` of column j on columns 0..j (scale free).
const COLLINEAR_TOL: f64 = 1e-12;

/// Cholesky of a Gram matrix, refusing (near-)collinear columns with the name of the first one.
pub(crate) fn factor(a: &Mat<f64>, names: &[String]) -> Result<Factored, GlsError> {
    let name = |j: usize| names.get(j).cloned().unwrap_or_else(|| format!("#{j}"));
    for j in 0..a.ncols() {
        if a[(j, j)].is_nan() || a[(j, j)] <= 0.0 {
            return Err(GlsError::Collinear { name: name(j) });
        }
    }
    let llt = match Llt::new(a.as_ref(), Side::Lower) {
        Ok(l) => l,
        Err(faer::linalg::cholesky::llt::factor::LltError::NonPositivePivot { index }) => {
            return Err(GlsError::Collinear { name: name(index) })
        }
    };
    let l = llt.L();
    if let Some(j) = (0..a.ncols()).find(|&j| l[(j, j)] * l[(j, j)] <= COLLINEAR_TOL * a[(j, j)]) {
        return Err(GlsError::Collinear { name: name(j) });
    }
    Ok(Factored { llt })
}

impl Factored {
    pub fn solve(&self, rhs: &[f64]) -> Vec<f64> {
        let mut m = Mat::from_fn(rhs.len(), 1, |i, _| rhs[i]);
        self.llt.solve_in_place(m.as_mut());
        (0..rhs.len()).map(|i| m[(i, 0)]).collect()
    }
}

pub(crate) struct LsFit {
    pub b: Vec<f64>,
    pub gram: Factored,
}

/// OLS `b = (X'X)^-1 X'y`.
pub(crate) fn ols(x: MatRef<'_, f64>, y: &[f64], names: &[String]) -> Result<LsFit, GlsError> {
    ols_with_gram(x, y, names, &gram(x))
}

/// [`ols`] with `X'X` already formed (the untransformed design's, kept by [`Prepared`]).
pub(crate) fn ols_with_gram(
    x: MatRef<'_, f64>,
    y: &[f64],
    names: &[String],
    g: &Mat<f64>,
) -> Result<LsFit, GlsError> {
    let gram = factor(g, names)?;
    let xty = xt_vec(x, y);
    Ok(LsFit {
        b: gram.solve(&xty),
        gram,
    })
}

/// Weighted least squares `b = (X'WX)^-1 X'Wy`, `W = diag(w)`, `w > 0`.
pub(crate) fn wls(
    x: MatRef<'_, f64>,
    y: &[f64],
    w: &[f64],
    names: &[String],
) -> Result<LsFit, GlsError> {
    let sw: Vec<f64> = w.iter().map(|v| v.sqrt()).collect();
    let (n, k) = (x.nrows(), x.ncols());
    // X'WX and X'Wy over blocks of rows scaled into a small buffer: a scaled copy of the whole
    // design would double the memory of Table 6 at county scale (~1 GB per copy). The block
    // size is fixed, so the summation order, and the result, do not depend on anything else.
    const BLOCK: usize = 4096;
    let mut g = Mat::<f64>::zeros(k, k);
    let mut xty = vec![0.0; k];
    let mut start = 0;
    while start < n {
        let rows = BLOCK.min(n - start);
        let xb = Mat::from_fn(rows, k, |i, j| x[(start + i, j)] * sw[start + i]);
        tri_matmul(
            g.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Add,
            xb.transpose(),
            BlockStructure::Rectangular,
            xb.as_ref(),
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
        let yb: Vec<f64> = (0..rows).map(|i| y[start + i] * sw[start + i]).collect();
        for (acc, v) in xty.iter_mut().zip(xt_vec(xb.as_ref(), &yb)) {
            *acc += v;
        }
        start += rows;
    }
    symmetrize_from_lower(&mut g);
    let gram = factor(&g, names)?;
    Ok(LsFit {
        b: gram.solve(&xty),
        gram,
    })
}

/// `diag(s) X`, column by column.
pub(crate) fn scale_rows(x: MatRef<'_, f64>, s: &[f64]) -> Mat<f64> {
    let mut out = Mat::<f64>::zeros(x.nrows(), x.ncols());
    for j in 0..x.ncols() {
        let src = x.col(j);
        for (i, (dst, si)) in out.col_as_slice_mut(j).iter_mut().zip(s).enumerate() {
            *dst = src[i] * si;
        }
    }
    out
}

pub(crate) fn xt_vec(x: MatRef<'_, f64>, y: &[f64]) -> Vec<f64> {
    let ym = faer::ColRef::from_slice(y);
    let mut out = faer::Col::<f64>::zeros(x.ncols());
    faer::linalg::matmul::matmul(
        out.as_mut(),
        Accum::Replace,
        x.transpose(),
        ym,
        1.0,
        Par::Seq,
    );
    (0..x.ncols()).map(|j| out[j]).collect()
}

/// z tests and the Wald test of the slopes from b and V.
pub(crate) struct Inference {
    pub se: Vec<f64>,
    pub z: Vec<f64>,
    pub p: Vec<f64>,
    pub vcov: Vec<Vec<f64>>,
    pub wald_chi2: f64,
    pub wald_df: usize,
    pub wald_p: f64,
}

/// Relative residual variance below which the Wald sweep drops a coefficient.
const WALD_TOL: f64 = 1e-10;
/// A residual variance below `-PSD_TOL * V_jj` in the sweep means V is indefinite.
const PSD_TOL: f64 = 1e-8;

impl Inference {
    /// `psd_by_construction`: V is a sandwich or inverse of Gram matrices, so a negative
    /// variance left in the sweep is rounding (V singular: many panels, few periods) and the
    /// coefficient is treated as dependent, as Stata's `invsym` does; otherwise (a pairwise
    /// PCSE Sigma, which need not be PSD) it is an error.
    pub fn new(
        b: &[f64],
        v: MatRef<'_, f64>,
        constant: Option<usize>,
        psd_by_construction: bool,
    ) -> Result<Self, GlsError> {
        Self::build(b, v, constant, psd_by_construction, None)
    }

    /// As [`Inference::new`] for `V = G'G` with the factor `G` at hand (PCSE with a casewise
    /// Sigma: `G = H A / sqrt(|C|)`, a few hundred rows). V is then singular whenever there are
    /// more coefficients than rows of G, and deciding its rank from V's entries loses half the
    /// digits (they are squares): the Wald sweep runs on G's columns instead (modified
    /// Gram-Schmidt, the same in-order rule), which gives a rank and a statistic that do not move
    /// with rounding.
    pub fn with_factor(
        b: &[f64],
        v: MatRef<'_, f64>,
        constant: Option<usize>,
        g: MatRef<'_, f64>,
    ) -> Result<Self, GlsError> {
        Self::build(b, v, constant, true, Some(g))
    }

    fn build(
        b: &[f64],
        v: MatRef<'_, f64>,
        constant: Option<usize>,
        psd_by_construction: bool,
        factor: Option<MatRef<'_, f64>>,
    ) -> Result<Self, GlsError> {
        let k = b.len();
        let strict = !psd_by_construction;
        if factor.is_none() {
            check_psd(v, strict)?;
        }
        let slopes: Vec<usize> = (0..k).filter(|&j| Some(j) != constant).collect();
        let cov = match factor {
            Some(g) => WaldCov::Factor(g),
            None => WaldCov::Dense { v, strict },
        };
        let (wald_chi2, wald_df) = wald_statistic(b, &slopes, cov)?;
        Ok(Self::with_wald(b, v, wald_chi2, wald_df))
    }

    /// z tests from b and V, with a Wald statistic computed elsewhere (the absorbed panel
    /// effects: the statistic of the dummy form).
    pub fn with_wald(b: &[f64], v: MatRef<'_, f64>, wald_chi2: f64, wald_df: usize) -> Self {
        let k = b.len();
        let se: Vec<f64> = (0..k).map(|j| v[(j, j)].sqrt()).collect();
        let z: Vec<f64> = b.iter().zip(&se).map(|(b, s)| b / s).collect();
        let p = z.iter().map(|z| two_sided_normal_p(*z)).collect();
        let wald_p = if wald_df > 0 {
            chi2_sf(wald_chi2, wald_df as f64)
        } else {
            f64::NAN
        };
        let vcov = (0..k)
            .map(|i| (0..k).map(|j| v[(i, j)]).collect())
            .collect();
        Self {
            se,
            z,
            p,
            vcov,
            wald_chi2,
            wald_df,
            wald_p,
        }
    }
}

/// What the Wald test's in-order sweep runs on.
pub(crate) enum WaldCov<'a> {
    /// V itself; `strict`: a clearly negative pivot is an error (V not PSD by construction).
    Dense { v: MatRef<'a, f64>, strict: bool },
    /// A factor `G` with `V = G'G`.
    Factor(MatRef<'a, f64>),
}

/// Refuses a V that is clearly indefinite when `strict` (the in-order sweep over all
/// coefficients).
pub(crate) fn check_psd(v: MatRef<'_, f64>, strict: bool) -> Result<(), GlsError> {
    let all: Vec<usize> = (0..v.ncols()).collect();
    ordered_sweep(v, &all, strict)
        .map(|_| ())
        .ok_or(GlsError::CovarianceNotPsd)
}

/// The Wald statistic `b_K' V_KK^-1 b_K` over the coefficients `idx` kept by the in-order sweep,
/// and its df (the number kept).
pub(crate) fn wald_statistic(
    b: &[f64],
    idx: &[usize],
    cov: WaldCov<'_>,
) -> Result<(f64, usize), GlsError> {
    let (kept, lower) = match cov {
        WaldCov::Factor(g) => ordered_sweep_columns(g, idx),
        WaldCov::Dense { v, strict } => {
            ordered_sweep(v, idx, strict).ok_or(GlsError::CovarianceNotPsd)?
        }
    };
    // W = b_K' V_KK^-1 b_K = |L^-1 b_K|² with L the sweep's Cholesky factor of V_KK (the
    // same factor that decided K, so the two cannot disagree).
    if kept.is_empty() {
        return Ok((f64::NAN, 0));
    }
    let mut z: Vec<f64> = Vec::with_capacity(kept.len());
    for (a, &j) in kept.iter().enumerate() {
        let s: f64 = (0..a).map(|c| lower[a][c] * z[c]).sum();
        z.push((b[j] - s) / lower[a][a]);
    }
    Ok((z.iter().map(|v| v * v).sum(), kept.len()))
}

/// In-order sweep of the submatrix `V[idx, idx]`: keeps index j when its variance left after the
/// kept earlier ones exceeds `WALD_TOL * V_jj` (the generalized inverse of Stata's `invsym`).
/// [`ordered_sweep`] of `V = G'G` computed on the columns of `G` by modified Gram-Schmidt:
/// column j is kept when the squared norm of its residual on the kept earlier columns exceeds
/// `WALD_TOL` times its squared norm (`V_jj`). Returns the kept indices and the rows of `R'`
/// (`G_K = Q R`), which is the Cholesky factor of `V[kept, kept]`.
fn ordered_sweep_columns(g: MatRef<'_, f64>, idx: &[usize]) -> (Vec<usize>, Vec<Vec<f64>>) {
    let mut kept: Vec<usize> = Vec::new();
    let mut q: Vec<Vec<f64>> = Vec::new();
    let mut l: Vec<Vec<f64>> = Vec::new();
    for &j in idx {
        let mut r: Vec<f64> = g.col(j).iter().copied().collect();
        let norm2 = crate::linalg::dot(&r, &r);
        if !(norm2 > 0.0 && norm2.is_finite()) {
            continue;
        }
        let mut row = Vec::with_capacity(kept.len() + 1);
        for qc in &q {
            let coef = crate::linalg::dot(qc, &r);
            for (ri, qi) in r.iter_mut().zip(qc) {
                *ri -= coef * qi;
            }
            row.push(coef);
        }
        let resid = crate::linalg::dot(&r, &r);
        if resid > WALD_TOL * norm2 {
            let len = resid.sqrt();
            r.iter_mut().for_each(|v| *v /= len);
            row.push(len);
            q.push(r);
            l.push(row);
            kept.push(j);
        }
    }
    (kept, l)
}

/// Returns the kept indices and the rows of the Cholesky factor of `V[kept, kept]`, or `None`
/// when `strict` and V is clearly indefinite.
fn ordered_sweep(
    v: MatRef<'_, f64>,
    idx: &[usize],
    strict: bool,
) -> Option<(Vec<usize>, Vec<Vec<f64>>)> {
    // Incremental Cholesky of the kept block: rows of L stored densely.
    let mut kept: Vec<usize> = Vec::new();
    let mut l: Vec<Vec<f64>> = Vec::new();
    for &j in idx {
        let d = v[(j, j)];
        if !d.is_finite() || d < 0.0 {
            return None;
        }
        if d == 0.0 {
            continue;
        }
        let mut row = Vec::with_capacity(kept.len() + 1);
        for (a, &i) in kept.iter().enumerate() {
            let s = crate::linalg::dot(&l[a][..a], &row[..a]);
            row.push((v[(j, i)] - s) / l[a][a]);
        }
        let resid = d - crate::linalg::dot(&row, &row);
        if strict && resid < -PSD_TOL * d {
            return None;
        }
        if resid > WALD_TOL * d {
            row.push(resid.sqrt());
            l.push(row);
            kept.push(j);
        }
    }
    Some((kept, l))
}

// ------------------------------------------------------------------------------------------
// Distributions (private, double precision).

/// `2 * (1 - Phi(|z|)) = erfc(|z| / sqrt 2)`.
pub(crate) fn two_sided_normal_p(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Complementary error function for x >= 0: power series of erf below 1.5 (all terms
/// positive, no cancellation), Lentz continued fraction above.
fn erfc(x: f64) -> f64 {
    if x < 1.5 {
        // erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))
        let mut term = x;
        let mut sum = x;
        let mut n = 0.0;
        while term > 1e-17 * sum {
            n += 1.0;
            term *= 2.0 * x * x / (2.0 * n + 1.0);
            sum += term;
        }
        1.0 - 2.0 / std::f64::consts::PI.sqrt() * (-x * x).exp() * sum
    } else {
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
        let tiny = 1e-300;
        let mut f = x;
        let mut c = x;
        let mut d = 0.0;
        for i in 1..500 {
            let a = f64::from(i) / 2.0;
            d = x + a * d;
            d = if d.abs() < tiny { tiny } else { d };
            c = x + a / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (-x * x).exp() / std::f64::consts::PI.sqrt() / f
    }
}

/// ln Gamma(x), x > 0 (Lanczos, g = 7, nine coefficients).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the approximation in its accurate range.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Upper tail of the chi-square distribution, `Q(df/2, x/2)`.
pub(crate) fn chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let (a, x) = (df / 2.0, x / 2.0);
    let ln_pre = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        // Series for P(a, x).
        let mut ap = a;
        let mut del = 1.0 / a;
        let mut sum = del;
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        1.0 - sum * ln_pre.exp()
    } else {
        // Continued fraction for Q(a, x) (modified Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -f64::from(i) * (f64::from(i) - a);
            b += 2.0;
            d = an * d + b;
            d = if d.abs() < tiny { tiny } else { d };
            c = b + an / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        ln_pre.exp() * h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_reference_values() {
        // Values of erfc from Abramowitz & Stegun / high-precision tables.
        let cases = [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (1.5, 0.033_894_853_524_689_27),
            (2.0, 0.004_677_734_981_047_266),
            (3.0, 2.209_049_699_858_544e-5),
            (5.0, 1.537_459_794_428_035e-12),
        ];
        for (x, want) in cases {
            let got = erfc(x);
            assert!(
                ((got - want) / want).abs() < 1e-13,
                "erfc({x}) = {got}, want {want}"
            );
        }
    }

    #[test]
    fn chi2_sf_matches_reference_values() {
        // chi2 upper tails: df = 2 has the closed form exp(-x/2).
        for x in [0.1, 1.0, 5.0, 30.0] {
            let got = chi2_sf(x, 2.0);
            assert!(((got - (-x / 2.0).exp()) / got).abs() < 1e-13);
        }
        // df = 1: Q = erfc(sqrt(x/2)).
        for x in [0.5, 3.84, 10.0] {
            let got = chi2_sf(x, 1.0);
            let want = erfc((x / 2.0).sqrt());
            assert!(((got - want) / want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn lag_rho_skips_pairs_across_gaps() {
        let e = [1.0, 2.0, -1.0, 0.5];
        let has_pred = [false, true, false, true];
        let (rho, pairs) = lag_rho(&e, &has_pred).unwrap_or((f64::NAN, 0));
        assert_eq!(pairs, 2);
        let want = (2.0 * 1.0 - 0.5) / (1.0 + 1.0);
        assert!((rho - want).abs() < 1e-15);
        assert!(lag_rho(&[1.0], &[false]).is_none());
    }
}
