//! Layouts of the paper's tables as [`Grid`]s, and the one entry point
//! [`render`] that writes any table in any format.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::grid::{render_csv, render_html, render_latex, render_markdown, stars, Cell, Grid};
use crate::types::{ColumnDoc, DescriptiveTable, RobotTable, TableDoc};
use crate::ReportError;

/// Decimals of coefficients, statistics, R2 and extras in regression tables (as the paper).
pub const DIGITS: usize = 3;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Markdown,
    Latex,
    Csv,
    Json,
    Html,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Markdown,
        Format::Latex,
        Format::Csv,
        Format::Json,
        Format::Html,
    ];

    /// File extension: `md`, `tex`, `csv`, `json`, `html`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Latex => "tex",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Html => "html",
        }
    }
}

/// A table that can be laid out as a grid and serialized as JSON.
pub trait ReportTable: Serialize {
    fn grid(&self) -> Grid;
}

/// Renders `table` in `format`. JSON is the serde form (pretty, fields in declaration
/// order, map keys sorted); the other formats render [`ReportTable::grid`].
pub fn render<T: ReportTable + ?Sized>(table: &T, format: Format) -> Result<String, ReportError> {
    Ok(match format {
        Format::Json => to_json(table)?,
        Format::Markdown => render_markdown(&table.grid()),
        Format::Latex => render_latex(&table.grid()),
        Format::Csv => render_csv(&table.grid()),
        Format::Html => render_html(&table.grid()),
    })
}

/// Every format of a table as (file name, contents), file names `<table>.<ext>`
/// (e.g. `table4.md`), in [`Format::ALL`] order: what `out/tables/` holds.
pub fn table_files<T: ReportTable + ?Sized>(
    name: &str,
    table: &T,
) -> Result<Vec<(String, String)>, ReportError> {
    Format::ALL
        .iter()
        .map(|f| Ok((format!("{name}.{}", f.extension()), render(table, *f)?)))
        .collect()
}

/// Pretty JSON with a trailing newline; keys in a stable order (struct fields in
/// declaration order, `BTreeMap` keys sorted).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, ReportError> {
    let mut s =
        serde_json::to_string_pretty(value).map_err(|e| ReportError::Json(e.to_string()))?;
    s.push('\n');
    Ok(s)
}

/// Display name of an estimator code.
pub fn estimator_name(code: &str) -> &str {
    match code {
        "ols_fe" => "FE",
        "iv_2sls" => "2SLS",
        "iv_first" => "First stage",
        "fgls" => "FGLS",
        "pcse" => "PCSE",
        other => other,
    }
}

/// Rows of the foot block of a regression table, in order, as (label, cell per column).
fn foot_rows(columns: &[ColumnDoc]) -> Vec<(String, Vec<Cell>)> {
    let mut rows = vec![
        (
            "Controls".to_string(),
            columns.iter().map(|c| Cell::yes_no(c.controls)).collect(),
        ),
        (
            "City effects".to_string(),
            columns
                .iter()
                .map(|c| Cell::yes_no(c.fe.iter().any(|f| f == "city")))
                .collect(),
        ),
        (
            "Year effects".to_string(),
            columns
                .iter()
                .map(|c| Cell::yes_no(c.fe.iter().any(|f| f == "year")))
                .collect(),
        ),
        (
            "N".to_string(),
            columns
                .iter()
                .map(|c| Cell::Int(i64::try_from(c.n).unwrap_or(i64::MAX)))
                .collect(),
        ),
        (
            "Within R2".to_string(),
            columns
                .iter()
                .map(|c| Cell::opt_num(c.r2_within, DIGITS))
                .collect(),
        ),
    ];
    if columns.iter().any(|c| c.r2_overall.is_some()) {
        rows.push((
            "Overall R2".to_string(),
            columns
                .iter()
                .map(|c| Cell::opt_num(c.r2_overall, DIGITS))
                .collect(),
        ));
    }
    rows.push((
        "Clusters".to_string(),
        columns
            .iter()
            .map(|c| {
                c.clusters.map_or(Cell::Empty, |g| {
                    Cell::Int(i64::try_from(g).unwrap_or(i64::MAX))
                })
            })
            .collect(),
    ));
    let extras: BTreeSet<&String> = columns.iter().flat_map(|c| c.extra.keys()).collect();
    for key in extras {
        rows.push((
            key.clone(),
            columns
                .iter()
                .map(|c| Cell::opt_num(c.extra.get(key).copied(), DIGITS))
                .collect(),
        ));
    }
    rows
}

impl ReportTable for TableDoc {
    /// Header: labels, dependent variables (and estimators when not all FE);
    /// body: per coefficient of `rows`, the estimate with stars and its t or z
    /// in parentheses beneath; foot: controls, effects, N, R2, clusters, extras.
    fn grid(&self) -> Grid {
        let mut header = vec![
            std::iter::once(Cell::Empty)
                .chain(self.columns.iter().map(|c| Cell::text(&c.label)))
                .collect::<Vec<_>>(),
            std::iter::once(Cell::Empty)
                .chain(self.columns.iter().map(|c| Cell::text(&c.dep)))
                .collect(),
        ];
        if self.columns.iter().any(|c| c.estimator != "ols_fe") {
            header.push(
                std::iter::once(Cell::text("Estimator"))
                    .chain(
                        self.columns
                            .iter()
                            .map(|c| Cell::text(estimator_name(&c.estimator))),
                    )
                    .collect(),
            );
        }
        let mut coef_rows = Vec::new();
        for name in &self.coefficient_rows() {
            if !self.columns.iter().any(|c| c.coefs.contains_key(name)) {
                continue;
            }
            let mut est = vec![Cell::text(name)];
            let mut stat = vec![Cell::Empty];
            for c in &self.columns {
                match c.coefs.get(name) {
                    Some(k) => {
                        est.push(Cell::Num {
                            value: k.b,
                            digits: DIGITS,
                            stars: stars(k.p),
                            paren: false,
                        });
                        stat.push(Cell::Num {
                            value: k.stat,
                            digits: DIGITS,
                            stars: 0,
                            paren: true,
                        });
                    }
                    None => {
                        est.push(Cell::Empty);
                        stat.push(Cell::Empty);
                    }
                }
            }
            coef_rows.push(est);
            coef_rows.push(stat);
        }
        let foot = foot_rows(&self.columns)
            .into_iter()
            .map(|(label, cells)| std::iter::once(Cell::text(label)).chain(cells).collect())
            .collect();
        let mut notes = self.notes.clone();
        notes.push(statistic_note(&self.columns));
        Grid {
            id: self.table.clone(),
            title: self.title.clone(),
            header,
            blocks: vec![coef_rows, foot],
            notes,
        }
    }
}

/// The standard note: which statistic is in parentheses, and the stars.
fn statistic_note(columns: &[ColumnDoc]) -> String {
    let z: Vec<&str> = columns
        .iter()
        .filter(|c| c.stat_kind == "z")
        .map(|c| c.label.as_str())
        .collect();
    let which = if z.is_empty() {
        "t statistics in parentheses".to_string()
    } else if z.len() == columns.len() {
        "z statistics in parentheses".to_string()
    } else {
        format!(
            "t statistics in parentheses (z statistics in column{} {})",
            if z.len() > 1 { "s" } else { "" },
            z.join(", ")
        )
    };
    format!("{which}; *** p<0.01, ** p<0.05, * p<0.1.")
}

impl ReportTable for DescriptiveTable {
    fn grid(&self) -> Grid {
        let header = vec![["Variable", "N", "Mean", "SD", "Min", "Median", "Max"]
            .into_iter()
            .map(Cell::text)
            .collect()];
        let body = self
            .rows
            .iter()
            .map(|r| {
                vec![
                    Cell::text(&r.variable),
                    Cell::Int(i64::try_from(r.n).unwrap_or(i64::MAX)),
                    Cell::num(r.mean, DIGITS),
                    Cell::num(r.sd, DIGITS),
                    Cell::num(r.min, DIGITS),
                    Cell::num(r.median, DIGITS),
                    Cell::num(r.max, DIGITS),
                ]
            })
            .collect();
        Grid {
            id: self.table.clone(),
            title: self.title.clone(),
            header,
            blocks: vec![body],
            notes: self.notes.clone(),
        }
    }
}

impl ReportTable for RobotTable {
    /// Industries as rows, one column per year (headed by year and classification);
    /// blank where the year's classification has no such group.
    fn grid(&self) -> Grid {
        let header = vec![
            std::iter::once(Cell::text("Industry"))
                .chain(self.years.iter().map(|y| Cell::text(y.year.to_string())))
                .collect(),
            std::iter::once(Cell::Empty)
                .chain(self.years.iter().map(|y| Cell::text(&y.classification)))
                .collect(),
        ];
        let body = self
            .industries
            .iter()
            .map(|ind| {
                std::iter::once(Cell::text(ind))
                    .chain(
                        self.years
                            .iter()
                            .map(|y| Cell::opt_num(y.stocks.get(ind).copied(), 0)),
                    )
                    .collect()
            })
            .collect();
        let total = std::iter::once(Cell::text("Total"))
            .chain(
                self.years
                    .iter()
                    .map(|y| Cell::num(y.stocks.values().sum(), 0)),
            )
            .collect();
        Grid {
            id: self.table.clone(),
            title: self.title.clone(),
            header,
            blocks: vec![body, vec![total]],
            notes: self.notes.clone(),
        }
    }
}
