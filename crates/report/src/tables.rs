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
    rows
}

/// Extra statistics that are draws or seeds: stated in the note, not as rows.
const NOTE_KEYS: [&str; 3] = ["boot_reps", "permutations", "seed"];

/// Intervals shown as `[lo, hi]`: (label, lower key, upper key).
const INTERVALS: [(&str, &str, &str); 2] = [
    (
        "Bootstrap 95% CI of ab (percentile)",
        "boot_pct_lo",
        "boot_pct_hi",
    ),
    (
        "Bootstrap 95% CI of ab (bias-corrected)",
        "boot_bc_lo",
        "boot_bc_hi",
    ),
];

/// An extra statistic of a panel: (key, label, is a count).
type Statistic = (&'static str, &'static str, bool);

/// Extra statistics by panel, in the order shown.
const PANELS: [(&str, &[Statistic]); 3] = [
    (
        "Mediation: indirect effect of ROBOT through the mediator",
        &[
            ("indirect_ab", "Indirect effect ab", false),
            ("sobel_z", "Sobel z", false),
            ("sobel_p", "Sobel p", false),
            ("aroian_z", "Aroian z", false),
            ("aroian_p", "Aroian p", false),
            ("goodman_z", "Goodman z", false),
            ("goodman_p", "Goodman p", false),
            ("proportion_mediated", "Share of the effect mediated", false),
        ],
    ),
    (
        "Difference between the groups",
        &[
            ("diff_p", "Permutation p of the difference", false),
            ("chow_p", "Chow test p", false),
        ],
    ),
    (
        "Diagnostics",
        &[
            ("wald_chi2", "Wald chi2", false),
            ("wald_df", "Wald df", true),
            ("rho", "AR(1) rho", false),
            (
                "sigma_eigenvalues_clipped",
                "PCSE: negative eigenvalues of pairwise Sigma set to 0",
                true,
            ),
            ("cragg_donald_f", "Cragg-Donald Wald F", false),
            ("kleibergen_paap_f", "Kleibergen-Paap rk Wald F", false),
            ("first_stage_partial_f", "First-stage partial F", false),
            ("partial_f", "Partial F of the instrument", false),
            ("partial_r2", "Partial R2 of the instrument", false),
            ("anderson_rubin_f", "Anderson-Rubin F", false),
            ("anderson_rubin_p", "Anderson-Rubin p", false),
            (
                "stock_yogo_excluded_instruments",
                "Excluded instruments",
                true,
            ),
            (
                "stock_yogo_size_10",
                "Stock-Yogo 10% size critical value",
                false,
            ),
            (
                "stock_yogo_size_15",
                "Stock-Yogo 15% size critical value",
                false,
            ),
            (
                "stock_yogo_size_20",
                "Stock-Yogo 20% size critical value",
                false,
            ),
            (
                "stock_yogo_size_25",
                "Stock-Yogo 25% size critical value",
                false,
            ),
            ("singletons_dropped", "Singletons dropped", true),
        ],
    ),
];

/// How a table shows the extra statistic `key`: `Some(label)` for a row of the statistics panel,
/// `None` for a key shown otherwise (draws and seeds in the note, interval bounds as `[lo, hi]`).
pub fn statistic_label(key: &str) -> Option<String> {
    if NOTE_KEYS.contains(&key) || INTERVALS.iter().any(|(_, lo, hi)| key == *lo || key == *hi) {
        return None;
    }
    Some(
        PANELS
            .iter()
            .flat_map(|(_, stats)| stats.iter())
            .find(|(k, _, _)| *k == key)
            .map_or_else(|| humanize(key), |(_, label, _)| label.to_string()),
    )
}

/// A key no panel names, as words (`some_stat` -> `Some stat`).
fn humanize(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut c = words.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The panel of extra statistics under the foot: a labelled header row per group of tests, each
/// statistic with its name, intervals as `[lo, hi]`, counts as integers.
fn statistics_panel(columns: &[ColumnDoc]) -> Vec<Vec<Cell>> {
    let keys: BTreeSet<&str> = columns
        .iter()
        .flat_map(|c| c.extra.keys().map(String::as_str))
        .collect();
    let mut used: BTreeSet<&str> = NOTE_KEYS.into_iter().collect();
    let mut out = Vec::new();
    let row = |label: &str, cell: &dyn Fn(&ColumnDoc) -> Cell| -> Vec<Cell> {
        std::iter::once(Cell::text(label))
            .chain(columns.iter().map(cell))
            .collect()
    };
    let heading = |label: &str| -> Vec<Cell> {
        std::iter::once(Cell::text(label))
            .chain(columns.iter().map(|_| Cell::Empty))
            .collect()
    };
    for (p, (title, stats)) in PANELS.iter().enumerate() {
        let mut rows = Vec::new();
        for (key, label, count) in *stats {
            if !keys.contains(key) {
                continue;
            }
            used.insert(key);
            rows.push(row(label, &|c| match c.extra.get(*key) {
                Some(v) if *count && v.fract() == 0.0 && v.abs() < 9e15 => Cell::Int(*v as i64),
                v => Cell::opt_num(v.copied(), DIGITS),
            }));
        }
        if p == 0 {
            for (label, lo, hi) in INTERVALS {
                if !keys.contains(lo) && !keys.contains(hi) {
                    continue;
                }
                used.extend([lo, hi]);
                rows.push(row(label, &|c| match (c.extra.get(lo), c.extra.get(hi)) {
                    (Some(a), Some(b)) => Cell::text(format!("[{a:.DIGITS$}, {b:.DIGITS$}]")),
                    _ => Cell::Empty,
                }));
            }
        }
        if p == 2 {
            for key in &keys {
                if !used.contains(key) {
                    rows.push(row(&humanize(key), &|c| {
                        Cell::opt_num(c.extra.get(*key).copied(), DIGITS)
                    }));
                }
            }
        }
        if !rows.is_empty() {
            out.push(heading(title));
            out.extend(rows);
        }
    }
    out
}

/// The note on resampling: draws and seed of each bootstrap and permutation test.
fn draws_note(columns: &[ColumnDoc]) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for (reps_key, what) in [
        ("boot_reps", "city-cluster bootstrap of ab"),
        ("permutations", "permutation test of the difference"),
    ] {
        let mut seen: Vec<(i64, Option<i64>)> = Vec::new();
        for c in columns {
            if let Some(r) = c.extra.get(reps_key) {
                let v = (*r as i64, c.extra.get("seed").map(|s| *s as i64));
                if !seen.contains(&v) {
                    seen.push(v);
                }
            }
        }
        for (reps, seed) in seen {
            parts.push(match seed {
                Some(s) => format!("{what}: {reps} draws, seed {s}"),
                None => format!("{what}: {reps} draws"),
            });
        }
    }
    (!parts.is_empty()).then(|| {
        let mut s = parts.join("; ");
        if let Some(f) = s.get_mut(0..1) {
            f.make_ascii_uppercase();
        }
        s + "."
    })
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
        notes.extend(draws_note(&self.columns));
        notes.push(statistic_note(&self.columns));
        let mut blocks = vec![coef_rows, foot];
        let panel = statistics_panel(&self.columns);
        if !panel.is_empty() {
            blocks.push(panel);
        }
        Grid {
            id: self.table.clone(),
            title: self.title.clone(),
            header,
            blocks,
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
