//! Unit (panel) fixed effects in [`crate::fgls::xtgls`] and [`crate::pcse::xtpcse`]: as explicit
//! dummy columns, or absorbed, with the same coefficients, standard errors and Wald statistic.
//!
//! The dummy form inserts one indicator per panel (the first panel omitted when `x` has a
//! constant) before a given column of `x` and estimates as usual: `N x (k + M)` numbers, and a
//! cost of `O(N (k + M)^2)`. The absorbed form never builds those columns (Frisch-Waugh-Lovell):
//!
//! - Under the Prais-Winsten transform a panel's dummy becomes the transformed column of ones
//!   `c*` restricted to that panel (zero elsewhere); the panel weights of `panels(hetero)` are
//!   constant within a panel, so they cancel from the projection. Partialling the dummies out
//!   is therefore a projection of `y*` and of every column of `X*` on `c*`, panel by panel
//!   ([`project_per_panel`]); without AR(1) it is the within transformation.
//! - The residuals of both forms are identical, so are the AR coefficients, the panel variances
//!   and Sigma that FGLS and PCSE estimate from them; the coefficients of `x` and their
//!   covariance block follow from the projected regression.
//! - The constant is the first panel's effect, `alpha_1 = c*_1'(y* - X* b) / c*_1'c*_1`; its
//!   variance and covariances, and the Wald statistic of the dummy form (all coefficients but the
//!   constant, the panel contrasts `alpha_p - alpha_1` included, in the dummy form's column
//!   order), follow from the linear map from the disturbances to `(b, alpha)`:
//!   FGLS from the fitted values (`V` is a Gram inverse, so the Wald statistic is the weighted
//!   sum of squares of the fitted values net of the constant); PCSE from a factor of `V`
//!   (casewise Sigma, `R x (k + M)` with `R` = periods x common periods) or from `V` itself
//!   (pairwise, hetonly, independent), swept in the dummy form's order as there.
//!
//! Memory: nothing of size `N x M`; PCSE with a casewise Sigma holds an `R x (k + M)` factor,
//! the other PCSE variants an `(k + M) x (k + M)` covariance for the Wald test.

use faer::{Accum, Mat, MatRef, Par};
use serde::Serialize;

use crate::fgls::{GlsError, PanelRegression, Prepared};

/// How the unit (panel) fixed effects enter [`crate::fgls::xtgls`] and
/// [`crate::pcse::xtpcse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case", tag = "form")]
pub enum UnitEffects {
    /// `x` holds every regressor; no effects are added (the default).
    #[default]
    InDesign,
    /// One dummy per panel (the first omitted when `x` has a constant), inserted before column
    /// `at` of `x` (`at == x.ncols()`: after the last), estimated as explicit columns; the result
    /// reports them as `panel_<id>`.
    Dummies { at: usize },
    /// The same model with the panel effects absorbed: the coefficients, standard errors, z,
    /// p and Wald statistic of the columns of `x` equal those of [`UnitEffects::Dummies`] with
    /// the same `at` (which fixes the dummies' place in the Wald test's in-order sweep); the
    /// constant, if any, is the first panel's effect, as there. Columns of `x` that do not vary
    /// within panels are refused ([`GlsError::CollinearWithEffects`]).
    Absorbed { at: usize },
}

/// `x` with the panel dummies of [`UnitEffects::Dummies`] inserted before column `at`.
pub(crate) fn with_panel_dummies(
    data: &PanelRegression<'_>,
    at: usize,
) -> Result<(Mat<f64>, Vec<String>), GlsError> {
    let (n, k) = (data.x.nrows(), data.x.ncols());
    if at > k {
        return Err(GlsError::InvalidOption(format!(
            "panel dummies placed before column {at}, but x has {k} columns"
        )));
    }
    if data.panel.len() != n {
        return Err(GlsError::LengthMismatch {
            what: "panel",
            got: data.panel.len(),
            expected: n,
        });
    }
    let mut ids = data.panel.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let has_constant = (0..k).any(|j| (0..n).all(|r| data.x[(r, j)] == 1.0));
    let dummies = &ids[usize::from(has_constant).min(ids.len())..];
    let mut names: Vec<String> = data.names[..at.min(data.names.len())].to_vec();
    names.extend(dummies.iter().map(|id| format!("panel_{id}")));
    names.extend(data.names[at.min(data.names.len())..].iter().cloned());
    let d = dummies.len();
    let x = Mat::from_fn(n, k + d, |r, j| {
        if j < at {
            data.x[(r, j)]
        } else if j < at + d {
            f64::from(u8::from(data.panel[r] == dummies[j - at]))
        } else {
            data.x[(r, j - d)]
        }
    });
    Ok((x, names))
}

/// What the absorbed form needs to report the columns of `x` as the dummy form does.
pub(crate) struct Effects {
    /// Names of the kept columns of `x`, the constant included (the reported coefficients).
    pub names: Vec<String>,
    /// Index of the constant among `names`.
    pub constant: Option<usize>,
    /// Index among `names` before which the dummy form has its panel dummies.
    pub at: usize,
}

/// The regression of [`UnitEffects::Absorbed`]: the prepared design without the constant, and
/// what is needed to put it back.
pub(crate) fn prepare_absorbed(
    data: &PanelRegression<'_>,
    at: usize,
) -> Result<(Prepared, Effects), GlsError> {
    if at > data.x.ncols() {
        return Err(GlsError::InvalidOption(format!(
            "panel dummies placed before column {at}, but x has {} columns",
            data.x.ncols()
        )));
    }
    let full = Prepared::new(data)?;
    let effects = Effects {
        names: full.names.clone(),
        constant: full.constant,
        at: full
            .kept_cols
            .iter()
            .position(|&j| j >= at)
            .unwrap_or(full.k),
    };
    let prep = match full.constant {
        Some(c) => full.without_column(c)?,
        None => full,
    };
    // The dummy form has k + M coefficients (with a constant: k - 1 + 1 + M - 1).
    let k_model = prep.k + prep.n_panels();
    if prep.n <= k_model {
        return Err(GlsError::TooFewObservations {
            n: prep.n,
            k: k_model,
        });
    }
    Ok((prep, effects))
}

/// The per-panel projection on `c`: `c`, `s_p = c_p'c_p`, and the coefficients of every
/// projected column, `c_p'v_p / s_p` (for `y` and for each column of `x`).
pub(crate) struct PanelProjection {
    pub c: Vec<f64>,
    pub s: Vec<f64>,
    pub coef_y: Vec<f64>,
    /// M x k.
    pub coef_x: Mat<f64>,
}

/// Relative size of `c_p'c_p` below which a panel's (transformed) dummy counts as zero: its
/// effect is not identified (Prais-Winsten with rho = 1 on a single run).
const ZERO_DUMMY_TOL: f64 = 1e-12;

/// Projects `y` and every column of `x` off `c` within each panel (in place).
pub(crate) fn project_per_panel(
    prep: &Prepared,
    c: Vec<f64>,
    y: &mut [f64],
    x: &mut Mat<f64>,
) -> Result<PanelProjection, GlsError> {
    let (m, k) = (prep.n_panels(), x.ncols());
    let mut s = Vec::with_capacity(m);
    let mut coef_y = Vec::with_capacity(m);
    let mut coef_x = Mat::<f64>::zeros(m, k);
    for p in 0..m {
        let (lo, hi) = prep.panel_range(p);
        let cp = &c[lo..hi];
        let sp = crate::linalg::dot(cp, cp);
        if sp.is_nan() || sp <= ZERO_DUMMY_TOL * (hi - lo) as f64 {
            return Err(GlsError::Collinear {
                name: format!("panel_{}", prep.panel_ids[p]),
            });
        }
        let project = |v: &mut [f64]| {
            let a = crate::linalg::dot(cp, v) / sp;
            for (vi, ci) in v.iter_mut().zip(cp) {
                *vi -= a * ci;
            }
            a
        };
        coef_y.push(project(&mut y[lo..hi]));
        for j in 0..k {
            coef_x[(p, j)] = project(&mut x.col_as_slice_mut(j)[lo..hi]);
        }
        s.push(sp);
    }
    Ok(PanelProjection {
        c,
        s,
        coef_y,
        coef_x,
    })
}

/// The panel effects `alpha_p = coef_y_p - coef_x_p'b`.
pub(crate) fn effects_of(proj: &PanelProjection, b: &[f64]) -> Vec<f64> {
    (0..proj.s.len())
        .map(|p| {
            proj.coef_y[p]
                - (0..b.len())
                    .map(|j| proj.coef_x[(p, j)] * b[j])
                    .sum::<f64>()
        })
        .collect()
}

/// One coefficient of the dummy form in terms of the absorbed one's `(b, alpha)`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Coef {
    /// `b_j` (a column of the projected design).
    Slope(usize),
    /// `alpha_p` (the constant is `alpha_0`; without a constant every dummy is one).
    Effect(usize),
    /// `alpha_p - alpha_0`: a panel dummy when `x` has a constant.
    Contrast(usize),
}

impl Effects {
    /// The dummy form's coefficients in its column order, and which of them is the constant.
    pub fn dummy_order(&self, m: usize) -> (Vec<Coef>, Option<usize>) {
        let mut out = Vec::with_capacity(self.names.len() + m);
        let mut constant = None;
        let dummies: Vec<Coef> = match self.constant {
            Some(_) => (1..m).map(Coef::Contrast).collect(),
            None => (0..m).map(Coef::Effect).collect(),
        };
        let mut slope = 0;
        for i in 0..=self.names.len() {
            if i == self.at {
                out.extend(dummies.iter().copied());
            }
            if i == self.names.len() {
                break;
            }
            if Some(i) == self.constant {
                constant = Some(out.len());
                out.push(Coef::Effect(0));
            } else {
                out.push(Coef::Slope(slope));
                slope += 1;
            }
        }
        (out, constant)
    }

    /// The reported coefficients (the columns of `x`): as [`Effects::dummy_order`] without the
    /// dummies.
    pub fn reported(&self) -> Vec<Coef> {
        let mut slope = 0;
        (0..self.names.len())
            .map(|i| {
                if Some(i) == self.constant {
                    Coef::Effect(0)
                } else {
                    slope += 1;
                    Coef::Slope(slope - 1)
                }
            })
            .collect()
    }
}

/// The value of a dummy-form coefficient.
pub(crate) fn coef_value(c: Coef, b: &[f64], alpha: &[f64]) -> f64 {
    match c {
        Coef::Slope(j) => b[j],
        Coef::Effect(p) => alpha[p],
        Coef::Contrast(p) => alpha[p] - alpha[0],
    }
}

/// A linear combination of the columns of a factor `[G_b | G_alpha]`: the factor column of a
/// dummy-form coefficient.
pub(crate) fn factor_column(c: Coef, g_b: MatRef<'_, f64>, g_alpha: MatRef<'_, f64>) -> Vec<f64> {
    match c {
        Coef::Slope(j) => g_b.col(j).iter().copied().collect(),
        Coef::Effect(p) => g_alpha.col(p).iter().copied().collect(),
        Coef::Contrast(p) => g_alpha
            .col(p)
            .iter()
            .zip(g_alpha.col(0).iter())
            .map(|(a, b)| a - b)
            .collect(),
    }
}

/// The covariance of `(b, alpha)` in blocks: `V_bb` (k x k), `C_ab` (M x k), `V_aa` (M x M).
pub(crate) struct EffectCovariance<'a> {
    pub v_bb: MatRef<'a, f64>,
    pub c_ab: MatRef<'a, f64>,
    pub v_aa: MatRef<'a, f64>,
}

impl EffectCovariance<'_> {
    fn alpha_with(&self, p: usize, c: Coef) -> f64 {
        match c {
            Coef::Slope(j) => self.c_ab[(p, j)],
            Coef::Effect(q) => self.v_aa[(p, q)],
            Coef::Contrast(q) => self.v_aa[(p, q)] - self.v_aa[(p, 0)],
        }
    }

    /// `Cov(u, v)` of two dummy-form coefficients.
    pub fn cov(&self, u: Coef, v: Coef) -> f64 {
        match u {
            Coef::Slope(i) => match v {
                Coef::Slope(j) => self.v_bb[(i, j)],
                Coef::Effect(q) => self.c_ab[(q, i)],
                Coef::Contrast(q) => self.c_ab[(q, i)] - self.c_ab[(0, i)],
            },
            Coef::Effect(p) => self.alpha_with(p, v),
            Coef::Contrast(p) => self.alpha_with(p, v) - self.alpha_with(0, v),
        }
    }

    /// The dense covariance of the given coefficients.
    pub fn dense(&self, order: &[Coef]) -> Mat<f64> {
        Mat::from_fn(order.len(), order.len(), |i, j| {
            self.cov(order[i], order[j])
        })
    }
}

/// `a b` (sequential: results do not depend on the thread count).
pub(crate) fn mul(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut out = Mat::<f64>::zeros(a.nrows(), b.ncols());
    faer::linalg::matmul::matmul(out.as_mut(), Accum::Replace, a, b, 1.0, Par::Seq);
    out
}
