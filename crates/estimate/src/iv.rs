//! Two-stage least squares with absorbed fixed effects, first stages and weak-instrument
//! diagnostics (ivreghdfe / ivreg2 / pyfixest conventions).
//!
//! Which first-stage F each statistic equals (one endogenous regressor `d`, `L`
//! excluded instruments, `K1` = parameters of the first stage counted as in the OLS
//! small-sample factor, i.e. exogenous regressors + `L` + constant + FE levels not nested
//! in a cluster variable):
//! * [`FirstStage::partial_f`]: Wald test of the excluded instruments in the first stage
//!   under the chosen VCE (with its small-sample factor), divided by `L`; F(L, df) with
//!   `df = G - 1` (cluster) or `N - K1`. Equals pyfixest `Feiv._f_stat_1st_stage`.
//! * [`IvResult::cragg_donald_f`]: the same partial F under the *unadjusted* VCE, i.e.
//!   `(ESS_Z / L) / (RSS / (N - K1))`. For one endogenous regressor this is Stata's
//!   `estat firststage` minimum eigenvalue statistic and ivreg2's Cragg-Donald Wald F;
//!   in general `min eig(Σ_vv^{-1/2} D'M_X Z (Z'M_X Z)^{-1} Z'M_X D Σ_vv^{-1/2}) / L` with
//!   `Σ_vv = V'V / (N - K1)`. Under a cluster VCE `K1` does not count FE nested in the
//!   cluster variable (ivreghdfe passes the same absorbed dof to ivreg2).
//! * [`IvResult::kleibergen_paap_f`] (robust or cluster VCE, one endogenous regressor):
//!   ivreg2's rk Wald F, `rk/(N-1) (N-K1) (G-1)/G / L` for cluster (`rk/N (N-K1) / L`
//!   for robust), where `rk` is the Wald statistic with the unscaled sandwich. Since our
//!   sandwich carries `q = (N-1)/(N-K1) G/(G-1)` (`N/(N-K1)`), this is exactly the
//!   first-stage partial F under the chosen VCE, and it is computed as such.
//! * [`AndersonRubin`]: regress `y` on the exogenous regressors and the excluded
//!   instruments (FE absorbed) and Wald-test the instruments under the chosen VCE
//!   (H0: all endogenous coefficients are 0); `F = W / L` on F(L, df), `chi2 = W` on
//!   chi2(L). (ivreg2's chi2 form omits the small-sample factor; ours keeps it.)

use crate::linalg::{dot, gram, symmetric_eigenvalues, wald, SpdFactor};
use crate::linear::{
    absorb_named, fit_linear, inference, keep_noncollinear, to_rows, Absorbed, Prepared, VceKind,
};
use crate::stock_yogo::{stock_yogo_size, StockYogoSize};
use crate::{dist, EstimateError, FitOptions, Vce};
use serde::Serialize;

/// An IV design: outcome, exogenous regressors, endogenous regressors, excluded
/// instruments and FE ids, one entry per observation.
#[derive(Debug, Clone, Default)]
pub struct IvDesign<'a> {
    pub y: &'a [f64],
    pub exog: Vec<(&'a str, &'a [f64])>,
    pub endog: Vec<(&'a str, &'a [f64])>,
    pub instruments: Vec<(&'a str, &'a [f64])>,
    pub fe: Vec<&'a [u32]>,
}

impl<'a> IvDesign<'a> {
    pub fn new(y: &'a [f64]) -> Self {
        Self {
            y,
            ..Default::default()
        }
    }
    pub fn exogenous(mut self, name: &'a str, v: &'a [f64]) -> Self {
        self.exog.push((name, v));
        self
    }
    pub fn endogenous(mut self, name: &'a str, v: &'a [f64]) -> Self {
        self.endog.push((name, v));
        self
    }
    pub fn instrument(mut self, name: &'a str, v: &'a [f64]) -> Self {
        self.instruments.push((name, v));
        self
    }
    pub fn absorb(mut self, ids: &'a [u32]) -> Self {
        self.fe.push(ids);
        self
    }
}

/// First-stage regression of one endogenous regressor on the exogenous regressors and the
/// excluded instruments (FE absorbed), under the chosen VCE.
#[derive(Debug, Clone, Serialize)]
pub struct FirstStage {
    pub endogenous: String,
    /// Excluded instruments (kept ones), with their coefficients, SEs, t and p.
    pub instruments: Vec<String>,
    pub b: Vec<f64>,
    pub se: Vec<f64>,
    pub t: Vec<f64>,
    pub p: Vec<f64>,
    /// Wald / L test of the excluded instruments under the chosen VCE.
    pub partial_f: f64,
    pub partial_f_df: (f64, f64),
    pub partial_f_p: f64,
    /// Partial R2 of the excluded instruments (after FE and exogenous regressors).
    pub partial_r2: f64,
}

/// Anderson-Rubin test of H0: all endogenous coefficients are zero.
#[derive(Debug, Clone, Serialize)]
pub struct AndersonRubin {
    pub f: f64,
    pub f_df: (f64, f64),
    pub f_p: f64,
    pub chi2: f64,
    pub chi2_df: f64,
    pub chi2_p: f64,
}

/// Result of [`iv_fe`]: second-stage coefficients (exogenous kept, endogenous, `_cons`).
#[derive(Debug, Clone, Serialize)]
pub struct IvResult {
    pub names: Vec<String>,
    pub b: Vec<f64>,
    pub se: Vec<f64>,
    pub t: Vec<f64>,
    pub p: Vec<f64>,
    pub df_t: f64,
    pub n: usize,
    pub k: usize,
    pub n_clusters: Vec<usize>,
    pub ssc: f64,
    /// Within and overall R2 from the 2SLS residuals `y - W b` (may be negative).
    pub r2_within: f64,
    pub r2_overall: f64,
    pub rss: f64,
    pub singletons_dropped: usize,
    pub collinear_dropped: Vec<String>,
    pub vcov: Vec<Vec<f64>>,
    pub first_stages: Vec<FirstStage>,
    pub cragg_donald_f: f64,
    /// `Some` under robust / cluster VCE with one endogenous regressor.
    pub kleibergen_paap_f: Option<f64>,
    /// Critical values for the number of excluded instruments (one endogenous regressor).
    pub stock_yogo: Option<StockYogoSize>,
    pub anderson_rubin: AndersonRubin,
}

impl IvResult {
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
    pub fn coef(&self, name: &str) -> Option<(f64, f64, f64, f64)> {
        self.index_of(name)
            .map(|i| (self.b[i], self.se[i], self.t[i], self.p[i]))
    }
}

fn validate(d: &IvDesign) -> Result<(), EstimateError> {
    let n = d.y.len();
    if n == 0 {
        return Err(EstimateError::EmptySample(
            "outcome has no observations".into(),
        ));
    }
    crate::linear::check_finite("y", d.y)?;
    for (name, v) in d.exog.iter().chain(&d.endog).chain(&d.instruments) {
        crate::linear::check_len(name, v.len(), n)?;
        crate::linear::check_finite(name, v)?;
    }
    if d.endog.is_empty() {
        return Err(EstimateError::InvalidArgument(
            "no endogenous regressor".into(),
        ));
    }
    Ok(())
}

/// Least-squares fitted values of `v` on `cols` (all absorbed, so no constant needed).
fn project(cols: &[&Absorbed], v: &[f64]) -> Result<Vec<f64>, EstimateError> {
    let n = v.len();
    if cols.is_empty() {
        return Ok(vec![0.0; n]);
    }
    let c: Vec<Vec<f64>> = cols.iter().map(|a| a.values.clone()).collect();
    let f = SpdFactor::new(&gram(&c), c.len())?;
    let b = f.solve(&crate::linalg::cross_vec(&c, v));
    let mut out = vec![0.0; n];
    for (col, bj) in c.iter().zip(&b) {
        for (o, x) in out.iter_mut().zip(col) {
            *o += bj * x;
        }
    }
    Ok(out)
}

/// 2SLS of `d.y` on `d.exog` and `d.endog` instrumented by `d.instruments`, FE absorbed.
pub fn iv_fe(d: &IvDesign, vce: Vce) -> Result<IvResult, EstimateError> {
    iv_fe_with(d, vce, &FitOptions::default())
}

/// [`iv_fe`] with explicit options.
pub fn iv_fe_with(d: &IvDesign, vce: Vce, opts: &FitOptions) -> Result<IvResult, EstimateError> {
    validate(d)?;
    let prep = Prepared::new(d.y.len(), &d.fe, &vce, opts)?;
    let absorb_all = |list: &[(&str, &[f64])]| -> Result<Vec<Absorbed>, EstimateError> {
        list.iter()
            .map(|(n, v)| absorb_named(&prep, n, v))
            .collect()
    };
    let ya = absorb_named(&prep, "y", d.y)?;
    let exog_all = absorb_all(&d.exog)?;
    let endog = absorb_all(&d.endog)?;
    let inst_all = absorb_all(&d.instruments)?;
    let tol = opts.collinearity_tolerance;
    let mut collinear_dropped = Vec::new();
    let exog_keep = keep_noncollinear(&[], &exog_all.iter().collect::<Vec<_>>(), tol);
    for (j, a) in exog_all.iter().enumerate() {
        if !exog_keep.contains(&j) {
            collinear_dropped.push(a.name.clone());
        }
    }
    let exog: Vec<&Absorbed> = exog_keep.iter().map(|&j| &exog_all[j]).collect();
    let inst_keep = keep_noncollinear(&exog, &inst_all.iter().collect::<Vec<_>>(), tol);
    for (j, a) in inst_all.iter().enumerate() {
        if !inst_keep.contains(&j) {
            collinear_dropped.push(a.name.clone());
        }
    }
    let inst: Vec<&Absorbed> = inst_keep.iter().map(|&j| &inst_all[j]).collect();
    let endog_refs: Vec<&Absorbed> = endog.iter().collect();
    if keep_noncollinear(&exog, &endog_refs, tol).len() != endog.len() {
        return Err(EstimateError::SingularDesign(
            "an endogenous regressor is collinear with the fixed effects or exogenous regressors"
                .into(),
        ));
    }
    let l = inst.len();
    let m = endog.len();
    if l < m {
        return Err(EstimateError::Underidentified(format!(
            "{l} usable excluded instrument(s) for {m} endogenous regressor(s)"
        )));
    }
    let mut zcols: Vec<&Absorbed> = exog.clone();
    zcols.extend(inst.iter().copied());
    let inst_idx: Vec<usize> = (exog.len()..exog.len() + l).collect();

    // First stages.
    let mut first_stages = Vec::with_capacity(m);
    let mut hats: Vec<Vec<f64>> = exog.iter().map(|a| a.values.clone()).collect();
    let mut resid_full = Vec::with_capacity(m);
    let mut resid_restricted = Vec::with_capacity(m);
    for e in &endog {
        let fit = fit_linear(&prep, e, &zcols, None)?;
        let (se, t, p) = inference(&fit.b, &fit.vcov, fit.df_t);
        let w = wald(&fit.b, &fit.vcov, fit.k_cols, &inst_idx).unwrap_or(0.0);
        let restricted = {
            let px = project(&exog, &e.values)?;
            e.values
                .iter()
                .zip(&px)
                .map(|(a, b)| a - b)
                .collect::<Vec<f64>>()
        };
        let hat = project(&zcols, &e.values)?;
        let rss_r = dot(&restricted, &restricted);
        let partial_r2 = if rss_r > 0.0 {
            1.0 - fit.rss / rss_r
        } else {
            0.0
        };
        if partial_r2.is_nan() || partial_r2 <= 1e-12 {
            return Err(EstimateError::Underidentified(format!(
                "excluded instruments have no explanatory power for {}",
                e.name
            )));
        }
        let f = w / l as f64;
        first_stages.push(FirstStage {
            endogenous: e.name.clone(),
            instruments: inst.iter().map(|a| a.name.clone()).collect(),
            b: inst_idx.iter().map(|&i| fit.b[i]).collect(),
            se: inst_idx.iter().map(|&i| se[i]).collect(),
            t: inst_idx.iter().map(|&i| t[i]).collect(),
            p: inst_idx.iter().map(|&i| p[i]).collect(),
            partial_f: f,
            partial_f_df: (l as f64, fit.df_t),
            partial_f_p: dist::f_sf(f, l as f64, fit.df_t),
            partial_r2,
        });
        hats.push(hat);
        resid_full.push(fit.resid.clone());
        resid_restricted.push(restricted);
    }

    // Cragg-Donald: S = R_X'R_X - V'V (explained by the excluded instruments), Σ = V'V/(N-K1).
    let n = prep.n;
    let k1 = zcols.len() + 1 + prep.absorbed_dof();
    if n <= k1 {
        return Err(EstimateError::NoDegreesOfFreedom { n, k: k1 });
    }
    let vv = gram(&resid_full);
    let rr = gram(&resid_restricted);
    let sigma: Vec<f64> = vv.iter().map(|v| v / (n - k1) as f64).collect();
    let s: Vec<f64> = rr.iter().zip(&vv).map(|(a, b)| a - b).collect();
    let cragg_donald_f = min_generalized_eigenvalue(&s, &sigma, m)? / l as f64;
    let kleibergen_paap_f = if m == 1 && prep.kind != VceKind::Unadjusted {
        Some(first_stages[0].partial_f)
    } else {
        None
    };

    // Second stage.
    let mut w: Vec<&Absorbed> = exog.clone();
    w.extend(endog.iter());
    let fit = fit_linear(&prep, &ya, &w, Some(&hats)).map_err(|e| match e {
        EstimateError::SingularDesign(s) => EstimateError::Underidentified(s),
        other => other,
    })?;
    let (se, t, p) = inference(&fit.b, &fit.vcov, fit.df_t);
    let tss_within = dot(&ya.values, &ya.values);
    let mut names: Vec<String> = w.iter().map(|a| a.name.clone()).collect();
    names.push("_cons".into());

    // Anderson-Rubin: reduced form of y on exog + excluded instruments.
    let rf = fit_linear(&prep, &ya, &zcols, None)?;
    let ar_w = wald(&rf.b, &rf.vcov, rf.k_cols, &inst_idx)?;
    let lf = l as f64;
    let anderson_rubin = AndersonRubin {
        f: ar_w / lf,
        f_df: (lf, rf.df_t),
        f_p: dist::f_sf(ar_w / lf, lf, rf.df_t),
        chi2: ar_w,
        chi2_df: lf,
        chi2_p: dist::chi2_sf(ar_w, lf),
    };

    Ok(IvResult {
        names,
        b: fit.b,
        se,
        t,
        p,
        df_t: fit.df_t,
        n: fit.n,
        k: fit.k_dof,
        n_clusters: prep.cluster_counts.clone(),
        ssc: fit.ssc,
        r2_within: if tss_within > 0.0 {
            1.0 - fit.rss / tss_within
        } else {
            0.0
        },
        r2_overall: if ya.raw_css > 0.0 {
            1.0 - fit.rss / ya.raw_css
        } else {
            0.0
        },
        rss: fit.rss,
        singletons_dropped: prep.singletons,
        collinear_dropped,
        vcov: to_rows(&fit.vcov, fit.k_cols),
        first_stages,
        cragg_donald_f,
        kleibergen_paap_f,
        stock_yogo: stock_yogo_size(m, l),
        anderson_rubin,
    })
}

/// Smallest eigenvalue of `Σ^{-1/2} S Σ^{-1/2}` (m x m), via `Σ = C C'` and `C^{-1} S C^{-T}`.
fn min_generalized_eigenvalue(s: &[f64], sigma: &[f64], m: usize) -> Result<f64, EstimateError> {
    let mut c = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..=i {
            let mut v = sigma[i * m + j];
            for k in 0..j {
                v -= c[i * m + k] * c[j * m + k];
            }
            if i == j {
                if v <= 0.0 {
                    return Err(EstimateError::SingularDesign(
                        "first-stage residual covariance is singular".into(),
                    ));
                }
                c[i * m + i] = v.sqrt();
            } else {
                c[i * m + j] = v / c[j * m + j];
            }
        }
    }
    // Solve C X = S (columns), then C Y' = X' to get C^{-1} S C^{-T}.
    let solve_lower = |b: &[f64]| -> Vec<f64> {
        let mut x = b.to_vec();
        for i in 0..m {
            for k in 0..i {
                x[i] -= c[i * m + k] * x[k];
            }
            x[i] /= c[i * m + i];
        }
        x
    };
    let mut x = vec![0.0; m * m];
    for j in 0..m {
        let col: Vec<f64> = (0..m).map(|i| s[i * m + j]).collect();
        let sol = solve_lower(&col);
        for i in 0..m {
            x[i * m + j] = sol[i];
        }
    }
    let mut y = vec![0.0; m * m];
    for i in 0..m {
        let row: Vec<f64> = x[i * m..(i + 1) * m].to_vec();
        let sol = solve_lower(&row);
        for j in 0..m {
            y[i * m + j] = sol[j];
        }
    }
    let ev = symmetric_eigenvalues(&y, m);
    Ok(ev[0])
}
