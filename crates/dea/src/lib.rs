//! Data envelopment analysis for the study's green total-factor productivity: SBM (Tone 2001),
//! SBM with undesirable outputs (Tone 2004) and super-SBM with undesirable outputs, under CRS or
//! VRS, solved exactly as LPs (Charnes-Cooper transformation, a dense revised simplex built for
//! DEA's shape); contemporaneous, sequential and global frontiers; the Malmquist-Luenberger
//! index with its TE x TC decomposition and TP = TC / TE; the zero-data rule; radial (CCR/BCC,
//! input or output oriented) Farrell efficiency and the radial Malmquist index with its
//! EC x TC, PEC x SEC x TC and Ray-Desli decompositions ([`radial`]). Every SBM and super-SBM
//! program is solved against the frame of its reference set (its extreme units, found by Dula's
//! BuildHull) and certified against all units by pricing, so results equal those against the
//! whole reference set. (The
//! perpetual-inventory capital stock is built in `ingest`, where the DEA inputs are assembled.)
//!
//! What it must not do: depend on polars, read or write files, or turn an infeasible program
//! into a number. Inputs are plain unit-major slices; every infeasibility is reported per unit
//! and program ([`Score::infeasible`], [`ProgramStatus`]).
//!
//! ```
//! use robocarb_dea::{frontier_scores, DeaData, Returns, ScoreKind};
//! // Two inputs, one good and one bad output; unit 0 is dominated by unit 1.
//! let period = DeaData {
//!     inputs: vec![vec![4.0, 3.0], vec![2.0, 2.0], vec![3.0, 1.0]],
//!     good: vec![vec![1.0], vec![1.0], vec![1.0]],
//!     bad: vec![vec![1.0], vec![1.0], vec![1.0]],
//! };
//! let scores = frontier_scores(&period, Returns::Vrs, None).unwrap();
//! assert!(scores[0].value.unwrap() < 1.0);
//! assert_eq!(scores[1].kind, ScoreKind::Super); // efficient: super-SBM score >= 1
//! assert!(scores[1].value.unwrap() >= 1.0);
//! ```

mod data;
mod frame;
#[cfg(test)]
mod frame_check;
mod malmquist;
#[cfg(test)]
mod microlp_check;
pub mod radial;
mod sbm;
pub mod simplex;

pub use data::{replace_zeros, DeaData, Dims, Variable, VariableKind, ZeroReplacement};
pub use malmquist::{
    combine_pair, cross_scores, cross_scores_on_efficient, frontier_scores, malmquist_luenberger,
    malmquist_luenberger_against, ml_pair, sbm_scores, CrossScores, Frontier, MlResult, MlRow,
    Progress, Reference, YearRow,
};
pub use radial::{
    radial_malmquist, radial_malmquist_decomposition, radial_scores, MalmquistDecompositionRow,
    Orientation, RadialMalmquistResult, RadialMalmquistRow, RadialScore,
};
pub use sbm::{ProgramStatus, Returns, Score, ScoreKind, Slacks, EFFICIENT_TOL};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum DeaError {
    /// Inconsistent shapes (unit counts, variable counts).
    #[error("shape error: {0}")]
    Shape(String),
    /// A NaN or infinite value.
    #[error("non-finite value for unit {unit}, {variable}")]
    NonFinite {
        /// Unit index.
        unit: usize,
        /// Variable.
        variable: Variable,
    },
    /// A negative value.
    #[error("negative value {value} for unit {unit}, {variable}")]
    Negative {
        /// Unit index.
        unit: usize,
        /// Variable.
        variable: Variable,
        /// The value.
        value: f64,
    },
    /// A zero in an evaluated unit (the SBM divides by it); apply [`replace_zeros`] first.
    #[error("zero value for evaluated unit {unit}, {variable}: apply the zero-data rule (replace_zeros) first")]
    ZeroInEvaluated {
        /// Unit index.
        unit: usize,
        /// Variable.
        variable: Variable,
    },
    /// The simplex failed (iteration limit or an unbounded program, which valid data cannot give).
    #[error("LP solver failure for unit {unit}: {detail}")]
    Solver {
        /// Unit index.
        unit: usize,
        /// What happened.
        detail: String,
    },
}
