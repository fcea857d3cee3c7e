//! robocarb-estimate: the panel econometrics of the study on plain slices in, plain
//! result values out — fixed-effect absorption, OLS and 2SLS with unadjusted / HC1 /
//! one- and two-way cluster VCEs (reghdfe small-sample conventions), first-stage and
//! weak-instrument diagnostics, Baron-Kenny mediation with Sobel-type tests and a
//! cluster bootstrap, and between-group coefficient tests (bdiff permutation, Chow).
//! FGLS (`fgls`) and panel-corrected SEs (`pcse`) live in their own modules; their unit
//! fixed effects are explicit dummies or absorbed, with identical results
//! ([`panel_effects::UnitEffects`]).
//!
//! Entry points: [`ols_fe`] ([`Design`]), [`iv_fe`] ([`IvDesign`]), [`mediation`]
//! ([`MediationInput`]), [`group_difference`] ([`GroupDiffInput`]), [`refit_draws`]
//! ([`RefitDesign`]: null refits on resampled units, for specification-curve inference);
//! [`joint_inference`] aggregates a specification curve's observed and null estimates into
//! its joint test ([`spec_curve`]). The variance estimator is a [`Vce`] value. Conventions
//! (all pinned by golden tests against pyfixest, linearmodels, statsmodels and scipy, see
//! `oracles/gen_golden.py`):
//! * FE absorption: [`absorb`] (balanced two-way closed form, CG otherwise, singletons
//!   dropped iteratively);
//! * a constant is always estimated and reported as `_cons = mean(y) - mean(X)'b`;
//! * `K` = regressors + constant + FE levels not nested in a cluster variable (exact
//!   mobility-group redundancy for the first two FE), reghdfe / pyfixest
//!   `ssc(k_fixef="nonnested", G_df="min")`;
//! * collinear regressors are dropped (later ones first) and listed, never an error
//!   unless all are;
//! * draws (bootstrap, permutations) are seeded ChaCha8 or injected, see [`resample`].
//!
//! What this crate must not do: read or write files, depend on polars or on the
//! pipeline graph, or panic on user data (every degenerate input is an
//! [`EstimateError`]). Random draws are seeded parameters or injected explicitly.
//!
//! ```
//! use robocarb_estimate::{ols_fe, Design, Vce};
//! // y = 2 x + city effect + year effect + noise, 3 cities x 3 years.
//! let city = [1u32, 1, 1, 2, 2, 2, 3, 3, 3];
//! let year = [1u32, 2, 3, 1, 2, 3, 1, 2, 3];
//! let x = [0.1, 0.5, 0.9, 0.4, 0.2, 0.8, 0.3, 0.7, 0.6];
//! let y: Vec<f64> = (0..9).map(|i| 2.0 * x[i] + city[i] as f64 + 0.1 * year[i] as f64
//!     + if i % 2 == 0 { 0.01 } else { -0.01 }).collect();
//! let fit = ols_fe(&Design::new(&y).regressor("x", &x).absorb(&city).absorb(&year),
//!                  Vce::Cluster(&city)).unwrap();
//! assert!((fit.b[0] - 2.0).abs() < 0.05);
//! ```

pub mod absorb;
mod cluster_moments;
pub mod describe;
pub mod dist;
mod error;
pub mod fgls;
pub mod groupdiff;
pub mod iv;
mod linalg;
mod linear;
pub mod mediation;
mod ols;
pub mod panel_effects;
pub mod pcse;
pub mod refit;
pub mod resample;
pub mod spec_curve;
pub mod stock_yogo;

pub use describe::{describe, Describe};
pub use error::EstimateError;
pub use groupdiff::{group_difference, GroupDiffInput, GroupDiffOptions, GroupDiffResult};
pub use iv::{iv_fe, iv_fe_with, AndersonRubin, FirstStage, IvDesign, IvResult};
pub use mediation::{mediation, MediationInput, MediationOptions, MediationResult};
pub use ols::{ols_fe, ols_fe_with, Design, OlsResult};
pub use refit::{refit_draws, RefitDesign, RefitDraw, RefitPath, RefitStats, Refits};
pub use resample::Draws;
pub use spec_curve::{joint_inference, JointInference, JointOptions, SpecEstimate};

/// The variance estimator, passed by value to every estimator. Cluster ids are raw
/// `u32` codes with one entry per observation.
///
/// Small-sample factors (reghdfe; pyfixest `ssc(k_adj=True, k_fixef="nonnested",
/// G_adj=True, G_df="min")`), with `K` = regressors + constant + FE levels not nested
/// in a cluster variable:
/// * `Unadjusted`: `V = e'e/(N-K) (X'X)^{-1}`, t with `N-K` df;
/// * `Robust` (HC1): factor `N/(N-K)`, t with `N-K` df;
/// * `Cluster(g)`: factor `(N-1)/(N-K) G/(G-1)`, t with `G-1` df;
/// * `TwoWayCluster(g, h)`: `M_g + M_h - M_{g∩h}` with `G = min(G_g, G_h)` in the factor
///   and the df (no eigenvalue fix for a non-PSD result).
#[derive(Debug, Clone, Copy)]
pub enum Vce<'a> {
    Unadjusted,
    Robust,
    Cluster(&'a [u32]),
    TwoWayCluster(&'a [u32], &'a [u32]),
}

/// Numerical options shared by the estimators.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// Drop singleton observations iteratively (reghdfe default: yes).
    pub drop_singletons: bool,
    /// Convergence tolerance of the iterative FE solver.
    pub tolerance: f64,
    /// Iteration cap of the iterative FE solver.
    pub max_iterations: usize,
    /// A regressor is dropped as collinear when its squared norm after absorbing the FE
    /// and projecting on earlier kept regressors is at most this fraction of its raw
    /// centered sum of squares.
    pub collinearity_tolerance: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            drop_singletons: true,
            tolerance: absorb::DEFAULT_TOLERANCE,
            max_iterations: absorb::DEFAULT_MAX_ITERATIONS,
            collinearity_tolerance: 1e-9,
        }
    }
}
