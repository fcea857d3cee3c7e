//! The paper's published figures (`data/published_tables.toml`, a copy of
//! `shared/paper/published_tables.toml`) as typed values, and the
//! "paper | this run | difference" comparison of a run's table with them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::grid::{Cell, Grid};
use crate::tables::{ReportTable, DIGITS};
use crate::types::{ColumnDoc, DescriptiveTable, RobotTable, TableDoc, CONSTANT_NAMES};
use crate::ReportError;

/// The TOML text of the published tables, embedded at build time.
pub const PUBLISHED_TOML: &str = include_str!("../data/published_tables.toml");

/// All published figures.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Published {
    pub sample: PublishedSample,
    pub table1: PublishedTable1,
    /// Variable -> [mean, sd, min, median, max].
    pub table3: BTreeMap<String, [f64; 5]>,
    pub table4: BTreeMap<String, PublishedColumn>,
    pub table5: BTreeMap<String, PublishedColumn>,
    pub table6: BTreeMap<String, PublishedColumn>,
    pub table7: BTreeMap<String, PublishedColumn>,
    pub table8: BTreeMap<String, PublishedColumn>,
    pub table9: BTreeMap<String, PublishedColumn>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublishedSample {
    pub cities: u64,
    pub years: [i32; 2],
    pub observations: u64,
    pub resource_based_cities: u64,
    pub non_resource_cities: u64,
    pub smart_city_pilot_cities: u64,
    pub non_pilot_cities: u64,
    pub municipalities_and_plan_cities: u64,
    pub gov_business_high_cities: u64,
    pub gov_business_low_cities: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublishedTable1 {
    pub gbt2002: PublishedStocks,
    pub gbt2011: PublishedStocks,
}

/// Industries and, per year key `yYYYY`, the stocks in the same order.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublishedStocks {
    pub industries: Vec<String>,
    #[serde(flatten)]
    pub years: BTreeMap<String, Vec<f64>>,
}

/// A published regression column: every regressor as `[coef, t]` (`const` for the constant).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublishedColumn {
    pub dep: Option<String>,
    pub fe: Option<Vec<String>>,
    pub controls: Option<bool>,
    pub n: u64,
    /// The paper's "pseudo R2" row, compared with the run's within R2.
    pub r2: Option<f64>,
    pub wald_chi2: Option<f64>,
    pub min_eigenvalue_stat: Option<f64>,
    pub diff_p: Option<f64>,
    #[serde(flatten)]
    pub coefs: BTreeMap<String, [f64; 2]>,
}

impl PublishedColumn {
    fn extras(&self) -> Vec<(&'static str, f64)> {
        [
            ("wald_chi2", self.wald_chi2),
            ("min_eigenvalue_stat", self.min_eigenvalue_stat),
            ("diff_p", self.diff_p),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }
}

/// Parses the embedded published tables.
pub fn published() -> Result<Published, ReportError> {
    toml::from_str(PUBLISHED_TOML).map_err(|e| ReportError::Published(e.to_string()))
}

impl Published {
    /// The published columns of a regression table (`"table4"` .. `"table9"`).
    pub fn regression(&self, table: &str) -> Option<&BTreeMap<String, PublishedColumn>> {
        match table {
            "table4" => Some(&self.table4),
            "table5" => Some(&self.table5),
            "table6" => Some(&self.table6),
            "table7" => Some(&self.table7),
            "table8" => Some(&self.table8),
            "table9" => Some(&self.table9),
            _ => None,
        }
    }
}

/// The order of the paper's Table 9 groups; a run column matches a group by its
/// `sample` name, or else by position label `(1)`..`(6)` in this order.
pub const TABLE9_GROUPS: [&str; 6] = [
    "resource",
    "non_resource",
    "pilot",
    "non_pilot",
    "gov_business_high",
    "gov_business_low",
];

/// The run column a published column corresponds to:
/// - `colK` -> label `(K)`;
/// - table7 `first_stage` / `second_stage` -> estimator `iv_first` / `iv_2sls`, else `(1)` / `(2)`;
/// - table9 group -> `sample` equal to the group name, else the label by [`TABLE9_GROUPS`] position.
pub fn match_column<'a>(table: &'a TableDoc, paper_key: &str) -> Option<&'a ColumnDoc> {
    let by_label = |label: &str| table.columns.iter().find(|c| c.label == label);
    if let Some(k) = paper_key.strip_prefix("col") {
        return by_label(&format!("({k})"));
    }
    match paper_key {
        "first_stage" => table
            .columns
            .iter()
            .find(|c| c.estimator == "iv_first")
            .or_else(|| by_label("(1)")),
        "second_stage" => table
            .columns
            .iter()
            .find(|c| c.estimator == "iv_2sls")
            .or_else(|| by_label("(2)")),
        group => table
            .columns
            .iter()
            .find(|c| c.sample == group)
            .or_else(|| {
                TABLE9_GROUPS
                    .iter()
                    .position(|g| *g == group)
                    .and_then(|i| by_label(&format!("({})", i + 1)))
            }),
    }
}

/// Display name of a published column: `(K)` for `colK`, else the key.
fn paper_label(key: &str) -> String {
    match key.strip_prefix("col") {
        Some(k) => format!("({k})"),
        None => key.to_string(),
    }
}

/// One line of a comparison: a statistic of a term of a column, in the paper and in this run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    pub column: String,
    pub term: String,
    pub statistic: String,
    pub paper: Option<f64>,
    pub run: Option<f64>,
    /// run - paper, when both exist.
    pub difference: Option<f64>,
    /// Decimals used when printing this row.
    pub digits: usize,
}

/// A "paper | this run | difference" table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub table: String,
    pub title: String,
    pub rows: Vec<ComparisonRow>,
    pub notes: Vec<String>,
}

fn row(
    column: &str,
    term: &str,
    statistic: &str,
    paper: Option<f64>,
    run: Option<f64>,
    digits: usize,
) -> ComparisonRow {
    ComparisonRow {
        column: column.to_string(),
        term: term.to_string(),
        statistic: statistic.to_string(),
        paper,
        run,
        difference: match (paper, run) {
            (Some(p), Some(r)) => Some(r - p),
            _ => None,
        },
        digits,
    }
}

/// Compares a run's regression table with the paper's (coef and t or z of every
/// published regressor, N, R2 (paper "pseudo R2" vs run within R2), and the
/// published extras). A published column without a run column shows an empty run.
pub fn compare_regression(run: &TableDoc, paper: &Published) -> Result<Comparison, ReportError> {
    let published = paper
        .regression(&run.table)
        .ok_or_else(|| ReportError::UnknownTable(run.table.clone()))?;
    // Table 9 in the paper's group order; the others in key order (col1, col2, ...).
    let mut keys: Vec<&String> = published.keys().collect();
    if run.table == "table9" {
        keys.sort_by_key(|k| {
            TABLE9_GROUPS
                .iter()
                .position(|g| g == k)
                .unwrap_or(usize::MAX)
        });
    }
    let run_rows = run.coefficient_rows();
    let mut rows = Vec::new();
    for key in keys {
        let pc = &published[key];
        let rc = match_column(run, key);
        let label = paper_label(key);
        // Regressors in the run's row order (unknown ones after, by name), constant last.
        let mut terms: Vec<&str> = pc
            .coefs
            .keys()
            .map(String::as_str)
            .filter(|t| *t != "const")
            .collect();
        terms.sort_by_key(|t| {
            (
                run_rows.iter().position(|r| r == t).unwrap_or(usize::MAX),
                *t,
            )
        });
        if pc.coefs.contains_key("const") {
            terms.push("const");
        }
        for term in terms {
            let Some(&[pb, pt]) = pc.coefs.get(term) else {
                continue;
            };
            let coef = rc.and_then(|c| {
                if term == "const" {
                    CONSTANT_NAMES.iter().find_map(|n| c.coefs.get(*n))
                } else {
                    c.coefs.get(term)
                }
            });
            let stat_name = match rc.map(|c| c.stat_kind.as_str()) {
                Some("z") => "z",
                _ => "t",
            };
            rows.push(row(
                &label,
                term,
                "coef",
                Some(pb),
                coef.map(|k| k.b),
                DIGITS,
            ));
            rows.push(row(
                &label,
                term,
                stat_name,
                Some(pt),
                coef.map(|k| k.stat),
                DIGITS,
            ));
        }
        rows.push(row(
            &label,
            "",
            "N",
            Some(pc.n as f64),
            rc.map(|c| c.n as f64),
            0,
        ));
        if let Some(r2) = pc.r2 {
            rows.push(row(
                &label,
                "",
                "Within R2",
                Some(r2),
                rc.and_then(|c| c.r2_within),
                DIGITS,
            ));
        }
        for (name, value) in pc.extras() {
            rows.push(row(
                &label,
                "",
                name,
                Some(value),
                rc.and_then(|c| c.extra.get(name).copied()),
                DIGITS,
            ));
        }
    }
    Ok(Comparison {
        table: run.table.clone(),
        title: format!("{}: paper vs this run", run.title),
        rows,
        notes: vec![
            "Paper: Resources Science 46(4), on the authors' data; this run: the data of this build. Difference = this run - paper.".into(),
            "The paper's \"pseudo R2\" is compared with the within R2.".into(),
        ],
    })
}

/// Compares a run's Table 3 with the paper's moments (N against the paper's sample size).
pub fn compare_descriptive(run: &DescriptiveTable, paper: &Published) -> Comparison {
    let mut rows = Vec::new();
    for (var, moments) in &paper.table3 {
        let r = run.rows.iter().find(|r| &r.variable == var);
        rows.push(row(
            var,
            var,
            "N",
            Some(paper.sample.observations as f64),
            r.map(|r| r.n as f64),
            0,
        ));
        let names = ["mean", "sd", "min", "median", "max"];
        for (i, name) in names.iter().enumerate() {
            let value = r.map(|r| [r.mean, r.sd, r.min, r.median, r.max][i]);
            rows.push(row(var, var, name, Some(moments[i]), value, DIGITS));
        }
    }
    Comparison {
        table: run.table.clone(),
        title: format!("{}: paper vs this run", run.title),
        rows,
        notes: vec!["Difference = this run - paper.".into()],
    }
}

/// Compares a run's Table 1 with the paper's stocks (robots), per classification and year.
pub fn compare_robots(run: &RobotTable, paper: &Published) -> Comparison {
    let mut rows = Vec::new();
    for (classification, stocks) in [
        ("gbt2002", &paper.table1.gbt2002),
        ("gbt2011", &paper.table1.gbt2011),
    ] {
        for (year_key, values) in &stocks.years {
            let year: Option<i32> = year_key.strip_prefix('y').and_then(|y| y.parse().ok());
            let run_year = run.years.iter().find(|y| Some(y.year) == year);
            let column = format!("{} ({classification})", year_key.trim_start_matches('y'));
            for (industry, value) in stocks.industries.iter().zip(values) {
                let r = run_year.and_then(|y| y.stocks.get(industry).copied());
                rows.push(row(&column, industry, "units", Some(*value), r, 0));
            }
        }
    }
    Comparison {
        table: run.table.clone(),
        title: format!("{}: paper vs this run", run.title),
        rows,
        notes: vec!["Robots (units). Difference = this run - paper.".into()],
    }
}

impl ReportTable for Comparison {
    fn grid(&self) -> Grid {
        let header = vec![[
            "Column",
            "Term",
            "Statistic",
            "Paper",
            "This run",
            "Difference",
        ]
        .into_iter()
        .map(Cell::text)
        .collect()];
        let mut blocks: Vec<Vec<Vec<Cell>>> = Vec::new();
        let mut last_column: Option<&str> = None;
        for r in &self.rows {
            if last_column != Some(r.column.as_str()) {
                blocks.push(Vec::new());
                last_column = Some(r.column.as_str());
            }
            let cells = vec![
                Cell::text(&r.column),
                Cell::text(&r.term),
                Cell::text(&r.statistic),
                Cell::opt_num(r.paper, r.digits),
                Cell::opt_num(r.run, r.digits),
                Cell::opt_num(r.difference, r.digits),
            ];
            if let Some(b) = blocks.last_mut() {
                b.push(cells);
            }
        }
        Grid {
            id: format!("{}-comparison", self.table),
            title: self.title.clone(),
            header,
            blocks,
            notes: self.notes.clone(),
        }
    }
}
