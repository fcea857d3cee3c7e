//! Typed errors of the estimators: degenerate inputs are reported, never panicked on.

/// Everything that can make an estimate impossible or meaningless.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimateError {
    /// No observations left (before or after dropping singletons).
    #[error("empty sample: {0}")]
    EmptySample(String),
    /// Two inputs that must have one entry per observation differ in length.
    #[error("length mismatch: {what} has {got} entries, expected {expected}")]
    LengthMismatch {
        what: String,
        expected: usize,
        got: usize,
    },
    /// A NaN or infinite value in the data.
    #[error("non-finite value in {what} at observation {index}")]
    NonFinite { what: String, index: usize },
    /// Every regressor is collinear with the fixed effects / constant / earlier regressors.
    #[error("all regressors are collinear (dropped: {0:?})")]
    AllRegressorsCollinear(Vec<String>),
    /// A cross-product matrix that must be positive definite is not.
    #[error("singular design: {0}")]
    SingularDesign(String),
    /// Clustered inference needs at least two clusters.
    #[error("too few clusters: {0} (at least 2 needed)")]
    TooFewClusters(usize),
    /// N is not larger than the number of parameters K.
    #[error("no residual degrees of freedom: N = {n}, K = {k}")]
    NoDegreesOfFreedom { n: usize, k: usize },
    /// The excluded instruments have no explanatory power for an endogenous regressor,
    /// or there are fewer excluded instruments than endogenous regressors.
    #[error("instruments do not identify the model: {0}")]
    Underidentified(String),
    /// The fixed-effect solver did not reach its tolerance.
    #[error("fixed-effect absorption did not converge after {iterations} iterations (relative residual {residual:e})")]
    NotConverged { iterations: usize, residual: f64 },
    /// A named regressor was not found, an option is out of range, or similar.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}
