//! robocarb-pipeline: the operations registry and the pipeline-file loader.
//!
//! This is the one crate where the numeric crates (`ingest`, `exposure`, `dea`, `estimate`,
//! `report`) meet the build graph (`dag`). Each operation in [`ops`] decodes its inputs, calls one
//! crate, and encodes its outputs (tables as `panel::Frame`, rendered tables as text). It must
//! not hold numerics itself: a formula found here belongs in one of the numeric crates.
//!
//! ```no_run
//! let registry = robocarb_pipeline::registry();
//! let pipeline = robocarb_pipeline::load(std::path::Path::new("pipelines/paper.toml"), None, &registry)?;
//! assert!(pipeline.graph.node("table4").is_some());
//! # Ok::<(), robocarb_pipeline::LoadError>(())
//! ```

pub mod check;
pub mod declare;
pub mod fingerprint;
pub mod loader;
pub mod multiverse;
pub mod ops;
pub mod registry;

pub use check::{check_sources, CheckReport, SourceCheck, TableCoverage};
pub use loader::{
    declared_multiverses, declared_sources, load, load_text, load_text_with, load_with,
    DeclaredSources, LoadError, MultiverseSelection, Pipeline,
};
pub use registry::{OpEntry, ParamKind, ParamSpec, Registry};

use robocarb_dag::ParamValue;
use std::sync::Arc;

/// Every operation a pipeline file may name, with its parameters and their defaults.
pub fn registry() -> Registry {
    use ops::*;
    let mut r = Registry::new();
    let none = Vec::new;
    let f = |name: &'static str, default: f64, doc: &'static str| ParamSpec {
        name,
        kind: ParamKind::Float,
        default: ParamValue::Float(default),
        doc,
    };
    let returns = || ParamSpec {
        name: "returns",
        kind: ParamKind::Choice(&["vrs", "crs"]),
        default: ParamValue::Str("vrs".into()),
        doc: "returns to scale of the DEA technology",
    };
    for op in [
        &ingest::READ_CITIES,
        &ingest::READ_IFR,
        &ingest::READ_PROVINCE_EMPLOYMENT,
        &ingest::READ_CITY_YEARBOOK,
        &ingest::READ_CITY_ENVIRONMENT,
        &ingest::READ_CEADS_CITY,
        &ingest::READ_VENTILATION,
        &ingest::READ_ENERGY,
        &ingest::READ_ROBOT_FIRMS,
        &ingest::READ_ATTRIBUTES,
        &exposure::ROBOT_EXPOSURE,
        &exposure::TABLE1,
        &dea::TFP,
        &report::REPORT,
    ] {
        r.register(Arc::new(op), none());
    }
    r.register(Arc::new(&dea::DEA_INPUTS), none());
    r.register(Arc::new(&dea::DEA_FRONTIER), vec![returns()]);
    r.register(Arc::new(&dea::DEA_ML), vec![returns()]);
    r.register(
        Arc::new(&panel::BUILD_PANEL),
        vec![
            f(
                "winsor_lower",
                0.01,
                "lower winsorizing percentile (pooled)",
            ),
            f(
                "winsor_upper",
                0.99,
                "upper winsorizing percentile (pooled)",
            ),
        ],
    );
    r.register(
        Arc::new(&join::ATTACH_COLUMNS),
        vec![
            ParamSpec {
                name: "on",
                kind: ParamKind::Str,
                default: ParamValue::Str(String::new()),
                doc: "the key column of both tables",
            },
            ParamSpec {
                name: "columns",
                kind: ParamKind::StrList,
                default: ParamValue::List(Vec::new()),
                doc: "the lookup's columns to attach",
            },
        ],
    );
    r.register(
        Arc::new(&columns::REPLACE_COLUMNS),
        vec![
            ParamSpec {
                name: "keys",
                kind: ParamKind::StrList,
                default: ParamValue::List(vec![
                    ParamValue::Str("city_code".into()),
                    ParamValue::Str("year".into()),
                ]),
                doc: "key columns, equal row by row in both tables",
            },
            ParamSpec {
                name: "columns",
                kind: ParamKind::StrList,
                default: ParamValue::List(Vec::new()),
                doc: "the columns of `table` replaced by those of `from`",
            },
        ],
    );
    r.register(
        Arc::new(&tables::TABLE3),
        vec![ParamSpec {
            name: "variables",
            kind: ParamKind::StrList,
            default: ParamValue::List(Vec::new()),
            doc: "the variables described, in row order",
        }],
    );
    r
}

/// The output `show` and `export` pick when none is named: `table`, else the first JSON, else the first.
pub fn main_output(names: &[String]) -> Option<String> {
    if names.iter().any(|n| n == "table") {
        return Some("table".into());
    }
    names
        .iter()
        .find(|n| n.ends_with(".json") && !n.contains("validation"))
        .or_else(|| names.first())
        .cloned()
}
