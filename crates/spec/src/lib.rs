//! robocarb-spec: model specifications as data.
//!
//! A model is a value: a fixest-style formula (`dep ~ regressors | fixed effects | endog ~
//! instruments`), an estimator with its options, a VCE, a sample filter and a year range. This
//! crate parses and prints them, expands pyfixest's multiple-estimation operators (`sw`, `sw0`,
//! `csw`, `csw0`) and named variable sets, and evaluates sample filters on columns it is handed.
//! Every error carries the text and the byte position, shown with a caret.
//!
//! It must not do numerics, I/O or know any column of the study: names come from the pipeline file.
//!
//! ```
//! use robocarb_spec::{expand_formula, Sets};
//! let mut sets = Sets::new();
//! sets.insert("controls".into(), vec!["GDP".into(), "PS".into()]);
//! let models = expand_formula("CARBON ~ ROBOT + csw0(controls) | city + year", &sets).unwrap();
//! assert_eq!(models.len(), 2);
//! assert_eq!(models[1].formula.to_string(), "CARBON ~ ROBOT + GDP + PS | city + year");
//! assert_eq!(models[1].sets_used, vec!["controls".to_string()]);
//! ```

mod error;
mod filter;
mod formula;
mod model;

pub use error::SpecError;
pub use filter::{Column, Filter};
pub use formula::{expand_formula, Expanded, Formula, Sets};
pub use model::{closest, Estimator, FglsPanels, GlsCorr, ModelSpec, Vcov, YearRange};
