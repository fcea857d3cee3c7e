//! OLS with absorbed fixed effects (reghdfe / pyfixest `feols` conventions).

use crate::linear::{
    absorb_named, check_finite, check_len, fit_linear, inference, keep_noncollinear, to_rows,
    Prepared,
};
use crate::{EstimateError, FitOptions, Vce};
use serde::Serialize;

/// A regression design: outcome, named regressors and fixed-effect id vectors, all with
/// one entry per observation. A constant is always included (absorbed by the first FE
/// when there is one, reported as `_cons`).
#[derive(Debug, Clone, Default)]
pub struct Design<'a> {
    pub y: &'a [f64],
    pub x: Vec<(&'a str, &'a [f64])>,
    pub fe: Vec<&'a [u32]>,
}

impl<'a> Design<'a> {
    /// Design with outcome `y` and no regressors or FE yet.
    pub fn new(y: &'a [f64]) -> Self {
        Self {
            y,
            x: Vec::new(),
            fe: Vec::new(),
        }
    }

    /// Adds a regressor.
    pub fn regressor(mut self, name: &'a str, values: &'a [f64]) -> Self {
        self.x.push((name, values));
        self
    }

    /// Adds a fixed-effect dimension (any `u32` ids).
    pub fn absorb(mut self, ids: &'a [u32]) -> Self {
        self.fe.push(ids);
        self
    }

    pub(crate) fn validate(&self) -> Result<(), EstimateError> {
        let n = self.y.len();
        if n == 0 {
            return Err(EstimateError::EmptySample(
                "outcome has no observations".into(),
            ));
        }
        check_finite("y", self.y)?;
        for (name, v) in &self.x {
            check_len(name, v.len(), n)?;
            check_finite(name, v)?;
        }
        Ok(())
    }
}

/// Result of [`ols_fe`]: coefficients in the order of the kept regressors, then `_cons`.
#[derive(Debug, Clone, Serialize)]
pub struct OlsResult {
    /// Kept regressor names, then `"_cons"`.
    pub names: Vec<String>,
    pub b: Vec<f64>,
    pub se: Vec<f64>,
    pub t: Vec<f64>,
    /// Two-sided p-values from Student t with `df_t` degrees of freedom.
    pub p: Vec<f64>,
    /// Degrees of freedom of the t tests: `N - K` (unadjusted, robust) or `G - 1` (cluster,
    /// `min(G_1, G_2) - 1` for two-way).
    pub df_t: f64,
    /// Observations used (after singletons).
    pub n: usize,
    /// Parameters counted in the small-sample factor: regressors + constant + absorbed FE
    /// levels not nested in a cluster.
    pub k: usize,
    /// Number of clusters of each cluster variable (empty without clustering).
    pub n_clusters: Vec<usize>,
    /// Small-sample factor applied to the sandwich (1 for unadjusted, whose `s^2` uses N - K).
    pub ssc: f64,
    /// `1 - RSS / Σ ỹ^2` with both (all) fixed effects partialled out (reghdfe "within R2").
    pub r2_within: f64,
    /// `1 - RSS / Σ (y - ȳ)^2` of the full model including the fixed effects.
    pub r2_overall: f64,
    pub rss: f64,
    pub singletons_dropped: usize,
    /// Regressors dropped as collinear with the FE, the constant or earlier regressors.
    pub collinear_dropped: Vec<String>,
    /// Levels of each FE dimension on the estimation sample.
    pub fe_levels: Vec<usize>,
    /// Full covariance matrix of `b` (rows in `names` order).
    pub vcov: Vec<Vec<f64>>,
    /// Residuals on the estimation sample (`y - ŷ` including the fixed effects).
    #[serde(skip)]
    pub residuals: Vec<f64>,
    /// Row indices (into the input) of the estimation sample.
    #[serde(skip)]
    pub sample: Vec<usize>,
}

impl OlsResult {
    /// Position of a coefficient by name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// `(b, se, t, p)` of a named coefficient.
    pub fn coef(&self, name: &str) -> Option<(f64, f64, f64, f64)> {
        self.index_of(name)
            .map(|i| (self.b[i], self.se[i], self.t[i], self.p[i]))
    }

    /// The covariance matrix as a faer matrix.
    pub fn vcov_matrix(&self) -> faer::Mat<f64> {
        let k = self.vcov.len();
        faer::Mat::from_fn(k, k, |i, j| self.vcov[i][j])
    }
}

/// OLS of `d.y` on `d.x` with the fixed effects `d.fe` absorbed, default options.
///
/// ```
/// use robocarb_estimate::{ols_fe, Design, Vce};
/// let y = [1.0, 2.0, 2.5, 4.5, 5.0, 6.5, 6.0, 8.5];
/// let x = [0.0, 1.0, 1.0, 3.0, 4.0, 5.0, 5.0, 7.0];
/// let city = [1u32, 1, 2, 2, 3, 3, 4, 4];
/// let r = ols_fe(&Design::new(&y).regressor("x", &x).absorb(&city), Vce::Cluster(&city)).unwrap();
/// assert_eq!(r.names, ["x", "_cons"]);
/// ```
pub fn ols_fe(d: &Design, vce: Vce) -> Result<OlsResult, EstimateError> {
    ols_fe_with(d, vce, &FitOptions::default())
}

/// [`ols_fe`] with explicit options.
pub fn ols_fe_with(d: &Design, vce: Vce, opts: &FitOptions) -> Result<OlsResult, EstimateError> {
    d.validate()?;
    if d.x.is_empty() {
        return Err(EstimateError::InvalidArgument("no regressors".into()));
    }
    let prep = Prepared::new(d.y.len(), &d.fe, &vce, opts)?;
    ols_prepared(&prep, d.y, &d.x, opts)
}

pub(crate) fn ols_prepared(
    prep: &Prepared,
    y: &[f64],
    x: &[(&str, &[f64])],
    opts: &FitOptions,
) -> Result<OlsResult, EstimateError> {
    let ya = absorb_named(prep, "y", y)?;
    let xs = x
        .iter()
        .map(|(name, v)| absorb_named(prep, name, v))
        .collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<&_> = xs.iter().collect();
    let keep = keep_noncollinear(&[], &refs, opts.collinearity_tolerance);
    let collinear_dropped: Vec<String> = (0..xs.len())
        .filter(|j| !keep.contains(j))
        .map(|j| xs[j].name.clone())
        .collect();
    if keep.is_empty() {
        return Err(EstimateError::AllRegressorsCollinear(collinear_dropped));
    }
    let kept: Vec<&_> = keep.iter().map(|&j| &xs[j]).collect();
    let fit = fit_linear(prep, &ya, &kept, None)?;
    let (se, t, p) = inference(&fit.b, &fit.vcov, fit.df_t);
    let tss_within = crate::linalg::dot(&ya.values, &ya.values);
    let tss = ya.raw_css;
    let mut names: Vec<String> = kept.iter().map(|a| a.name.clone()).collect();
    names.push("_cons".into());
    Ok(OlsResult {
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
        r2_overall: if tss > 0.0 { 1.0 - fit.rss / tss } else { 0.0 },
        rss: fit.rss,
        singletons_dropped: prep.singletons,
        collinear_dropped,
        fe_levels: prep.absorber.levels().to_vec(),
        vcov: to_rows(&fit.vcov, fit.k_cols),
        residuals: fit.resid,
        sample: prep.kept.clone(),
    })
}
