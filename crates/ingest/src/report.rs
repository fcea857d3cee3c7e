//! Validation reports: what an adapter or a cleaning step saw and changed.

use std::collections::BTreeMap;
use std::fmt;

use robocarb_panel::Frame;
use serde::Serialize;

/// A name (or code) that could not be matched to a city of the study.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unmatched {
    /// The name or code as written in the source.
    pub name: String,
    /// How many rows carried it (all dropped).
    pub rows: usize,
}

/// A value outside its plausible range (kept, but reported).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutOfRange {
    /// 1-based row (header = 1), 0 when the value is computed rather than read.
    pub row: usize,
    /// Column name.
    pub column: String,
    /// The value.
    pub value: f64,
    /// The rule it broke.
    pub rule: String,
}

/// A code or name replaced through the crosswalk (or a similar rule).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replacement {
    /// As written in the source.
    pub from: String,
    /// What it became.
    pub to: String,
    /// Why (crosswalk change kind, name matching rule...).
    pub reason: String,
    /// Rows affected.
    pub rows: usize,
}

/// What an adapter or cleaning step saw and did. Serialisable; `Display` renders it as text.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ValidationReport {
    /// Source name (as in docs/data-formats.md, e.g. `city_yearbook`).
    pub source: String,
    /// File label.
    pub file: String,
    /// Data rows read (header excluded).
    pub rows_read: usize,
    /// Rows in the output frame.
    pub rows_out: usize,
    /// Output rows per year.
    pub coverage_by_year: BTreeMap<i64, usize>,
    /// Cells filled by interpolation, per column.
    pub cells_filled: BTreeMap<String, usize>,
    /// Missing cells left in the output, per column.
    pub cells_missing: BTreeMap<String, usize>,
    /// Names or codes not matched to the study's cities (rows dropped).
    pub unmatched: Vec<Unmatched>,
    /// Values outside plausible ranges (kept).
    pub out_of_range: Vec<OutOfRange>,
    /// Crosswalk and name-matching replacements.
    pub replacements: Vec<Replacement>,
    /// Free-form remarks (aggregations, balance counts...).
    pub notes: Vec<String>,
}

impl ValidationReport {
    /// An empty report for `source` read from `file`.
    pub fn new(source: &str, file: &str) -> ValidationReport {
        ValidationReport {
            source: source.to_string(),
            file: file.to_string(),
            ..ValidationReport::default()
        }
    }

    /// Fill `rows_out`, `coverage_by_year` (when the frame has an i64 `year`) and
    /// `cells_missing` from the output frame.
    pub fn describe_output(&mut self, frame: &Frame) {
        self.rows_out = frame.nrows();
        self.coverage_by_year.clear();
        if let Ok(years) = frame.i64("year") {
            for &y in years {
                *self.coverage_by_year.entry(y).or_insert(0) += 1;
            }
        }
        self.cells_missing.clear();
        for (name, column) in frame.iter() {
            if let robocarb_panel::Column::F64(v) = column {
                let missing = v.iter().filter(|x| x.is_nan()).count();
                if missing > 0 {
                    self.cells_missing.insert(name.to_string(), missing);
                }
            }
        }
    }

    /// Record an unmatched name (aggregating rows).
    pub fn add_unmatched(&mut self, name: &str) {
        match self.unmatched.iter_mut().find(|u| u.name == name) {
            Some(u) => u.rows += 1,
            None => self.unmatched.push(Unmatched {
                name: name.to_string(),
                rows: 1,
            }),
        }
    }

    /// Record a replacement (aggregating rows).
    pub fn add_replacement(&mut self, from: &str, to: &str, reason: &str) {
        match self
            .replacements
            .iter_mut()
            .find(|r| r.from == from && r.to == to && r.reason == reason)
        {
            Some(r) => r.rows += 1,
            None => self.replacements.push(Replacement {
                from: from.to_string(),
                to: to.to_string(),
                reason: reason.to_string(),
                rows: 1,
            }),
        }
    }

    /// JSON rendering (stable key order: struct field order, maps sorted).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "source {} ({})", self.source, self.file)?;
        writeln!(
            f,
            "  rows read {}, rows out {}",
            self.rows_read, self.rows_out
        )?;
        if !self.coverage_by_year.is_empty() {
            let cov: Vec<String> = self
                .coverage_by_year
                .iter()
                .map(|(y, n)| format!("{y}:{n}"))
                .collect();
            writeln!(f, "  rows per year: {}", cov.join(" "))?;
        }
        for (col, n) in &self.cells_filled {
            writeln!(f, "  filled by interpolation: {col} {n}")?;
        }
        for (col, n) in &self.cells_missing {
            writeln!(f, "  still missing: {col} {n}")?;
        }
        if !self.unmatched.is_empty() {
            writeln!(f, "  unmatched ({}):", self.unmatched.len())?;
            for u in &self.unmatched {
                writeln!(f, "    {} ({} rows dropped)", u.name, u.rows)?;
            }
        }
        for r in &self.replacements {
            writeln!(
                f,
                "  replaced {} -> {} ({}, {} rows)",
                r.from, r.to, r.reason, r.rows
            )?;
        }
        for o in &self.out_of_range {
            writeln!(
                f,
                "  out of range: row {} {} = {} ({})",
                o.row, o.column, o.value, o.rule
            )?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        Ok(())
    }
}
