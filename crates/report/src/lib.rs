//! robocarb-report: the paper's tables and figures from result values.
//!
//! Takes values (regression tables as [`TableDoc`], Table 3 as [`DescriptiveTable`],
//! Table 1 as [`RobotTable`], graph state and figure data in [`ReportInput`]) and
//! returns text: Markdown, LaTeX (booktabs), CSV, JSON and HTML fragments per table
//! ([`render`]), the "paper | this run | difference" comparison with the published
//! figures embedded from `data/published_tables.toml` ([`published`],
//! [`compare_regression`]), a multiverse's specification curve ([`spec_curve`]), and one
//! self-contained HTML report ([`html_report`]).
//!
//! It must not re-estimate anything, read or write files, depend on polars, or put
//! anything non-deterministic (time, random ids) into its output unless passed in.
//!
//! Layout follows esttab and the paper: one column per specification, coefficient
//! with stars (`***` p < 0.01, `**` p < 0.05, `*` p < 0.1), t (or z) in parentheses
//! beneath, then rows for controls, city and year effects, N, within R2, clusters.
//!
//! ```
//! use std::collections::BTreeMap;
//! use robocarb_report::*;
//! let mut coefs = BTreeMap::new();
//! coefs.insert("ROBOT".to_string(), CoefDoc { b: -0.025, se: 0.0094, stat: -2.672, p: 0.008 });
//! let table = TableDoc {
//!     table: "table4".into(), title: "Baseline".into(), rows: vec!["ROBOT".into()], notes: vec![],
//!     columns: vec![ColumnDoc {
//!         label: "(4)".into(), dep: "CARBON".into(), estimator: "ols_fe".into(), sample: "all".into(),
//!         n: 3836, clusters: Some(274), r2_within: Some(0.347), r2_overall: None, stat_kind: "t".into(),
//!         coefs, extra: BTreeMap::new(), fe: vec!["city".into(), "year".into()], controls: true,
//!     }],
//! };
//! let md = render(&table, Format::Markdown).unwrap();
//! assert!(md.contains(r"-0.025\*\*\*") && md.contains("(-2.672)"));
//! let cmp = compare_regression(&table, &published().unwrap()).unwrap();
//! let row = cmp.rows.iter().find(|r| r.column == "(4)" && r.term == "ROBOT" && r.statistic == "coef").unwrap();
//! assert_eq!(row.paper, Some(-0.025));
//! ```

mod curve;
mod grid;
mod html;
mod markdown;
mod published;
mod svg;
mod tables;
mod types;

pub use curve::{spec_curve, CurveInput, CurveSpec};
pub use grid::{
    cell_plain, format_number, html_escape, latex_document, latex_escape, render_csv, render_html,
    render_latex, render_markdown, stars, Cell, Grid,
};
pub use html::{
    dag_svg, html_report, robot_coefficients, FailedTable, MultiverseSection, NodeInfo, Provenance,
    ProvinceRobots, ReportInput, TfpYearMeans,
};
pub use published::{
    compare_descriptive, compare_regression, compare_robots, match_column, published, Comparison,
    ComparisonRow, Published, PublishedColumn, PublishedSample, PublishedStocks, PublishedTable1,
    PUBLISHED_TOML, TABLE9_GROUPS,
};
pub use svg::{
    bar_chart, box_plot, box_stats, coefficient_plot, line_chart, nice_ticks, quantile, BoxStats,
    CoefPoint, Series,
};
pub use tables::{
    estimator_name, render, statistic_label, table_files, to_json, Format, ReportTable, DIGITS,
};
pub use types::{
    CoefDoc, ColumnDoc, DescriptiveRow, DescriptiveTable, RobotTable, RobotYear, TableDoc,
    CONSTANT_NAMES, TABLE1_INDUSTRIES,
};

/// Errors of the report crate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    #[error("JSON serialization failed: {0}")]
    Json(String),
    #[error("published tables (data/published_tables.toml) do not parse: {0}")]
    Published(String),
    #[error("the paper has no table {0:?} to compare with (expected table4 .. table9)")]
    UnknownTable(String),
}
