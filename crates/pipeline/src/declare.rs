//! From the declarations of a pipeline file (`[sets]`, `[aliases]`, `[xtset]`, `[models]`, ...) to
//! resolved models: formulas expanded through the named sets and pyfixest's multiple estimation,
//! the estimator, VCE and sample checked, aliases and panel variables attached. Used by the loader
//! for every declaration and by `robocarb fit` for a formula typed on the command line.

use crate::ops::model::ResolvedModel;
use robocarb_spec::{expand_formula, Estimator, ModelSpec, Sets, SpecError};
use std::collections::BTreeMap;

/// What the file declares once for every model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Declarations {
    /// Named variable sets, e.g. the paper's eight controls.
    pub sets: Sets,
    /// Formula name -> data column (e.g. `city` -> `city_code`).
    pub aliases: BTreeMap<String, String>,
    /// Stata's `xtset`: the panel and time variables (formula names).
    pub panel: Option<String>,
    pub time: Option<String>,
}

/// One model declaration's text parts (as written in the file or on the command line).
#[derive(Debug, Clone, Default)]
pub struct ModelText<'a> {
    pub formula: &'a str,
    pub estimator: Option<&'a str>,
    pub vcov: Option<&'a str>,
    pub sample: Option<&'a str>,
    pub years: Option<&'a str>,
    pub sample_name: Option<&'a str>,
}

impl Declarations {
    /// Every model the declaration stands for, in pyfixest's order.
    pub fn resolve(&self, t: &ModelText<'_>) -> Result<Vec<ResolvedModel>, SpecError> {
        let expanded = expand_formula(t.formula, &self.sets)?;
        let mut out = Vec::with_capacity(expanded.len());
        for e in expanded {
            let spec = ModelSpec::new(e.formula, t.estimator, t.vcov, t.sample, t.years)?;
            let gls = matches!(
                spec.estimator,
                Estimator::Fgls { .. } | Estimator::Pcse { .. }
            );
            let panel = if gls { self.panel.clone() } else { None };
            let time = if gls || spec.years.is_some() {
                self.time.clone()
            } else {
                None
            };
            let mut names: Vec<&str> = spec.columns();
            names.extend(panel.as_deref());
            names.extend(time.as_deref());
            let aliases = names
                .iter()
                .filter_map(|n| self.aliases.get(*n).map(|c| (n.to_string(), c.clone())))
                .collect();
            let sample_name = match (t.sample_name, t.sample, t.years) {
                (Some(n), _, _) => n.to_string(),
                (None, None, None) => "all".to_string(),
                (None, s, y) => [s.map(str::to_string), y.map(|y| format!("years {y}"))]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            out.push(ResolvedModel {
                spec,
                aliases,
                panel,
                time,
                sample_name,
                sets: e.sets_used,
            });
        }
        Ok(out)
    }
}
