//! The `Frame` columnar table and its column type.

use std::cmp::Ordering;
use std::fmt;

use crate::PanelError;

/// Element type of a [`Column`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// 64-bit float; NaN means missing.
    F64,
    /// 64-bit signed integer (years, counts, 0/1 flags).
    I64,
    /// UTF-8 string (codes, names).
    Str,
}

impl DType {
    /// The type tag used in the canonical header (`f64`, `i64`, `str`).
    pub fn as_str(self) -> &'static str {
        match self {
            DType::F64 => "f64",
            DType::I64 => "i64",
            DType::Str => "str",
        }
    }

    /// Inverse of [`DType::as_str`].
    pub fn parse(tag: &str) -> Option<DType> {
        match tag {
            "f64" => Some(DType::F64),
            "i64" => Some(DType::I64),
            "str" => Some(DType::Str),
            _ => None,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One column of a [`Frame`].
///
/// `F64` uses NaN for a missing value. Infinite values are rejected when the column is pushed
/// into a frame, and every NaN is stored as the canonical quiet NaN so that encoding is exact.
/// Equality compares floats by bit pattern (so NaN == NaN and 0.0 != -0.0): it is the
/// "same artifact" relation, not numeric equality.
#[derive(Debug, Clone)]
pub enum Column {
    /// Floats, NaN = missing.
    F64(Vec<f64>),
    /// Integers (no missing value).
    I64(Vec<i64>),
    /// Strings (no missing value; an empty string is a value).
    Str(Vec<String>),
}

impl PartialEq for Column {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Column::F64(a), Column::F64(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
            }
            (Column::I64(a), Column::I64(b)) => a == b,
            (Column::Str(a), Column::Str(b)) => a == b,
            _ => false,
        }
    }
}

impl Column {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Column::F64(v) => v.len(),
            Column::I64(v) => v.len(),
            Column::Str(v) => v.len(),
        }
    }

    /// True when the column holds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            Column::F64(_) => DType::F64,
            Column::I64(_) => DType::I64,
            Column::Str(_) => DType::Str,
        }
    }

    /// The values at `indices`, in that order. Panics only on an out-of-range index, which
    /// callers inside this crate never produce.
    pub(crate) fn take(&self, indices: &[usize]) -> Column {
        match self {
            Column::F64(v) => Column::F64(indices.iter().map(|&i| v[i]).collect()),
            Column::I64(v) => Column::I64(indices.iter().map(|&i| v[i]).collect()),
            Column::Str(v) => Column::Str(indices.iter().map(|&i| v[i].clone()).collect()),
        }
    }

    /// Order of rows `a` and `b` within this column: floats by `total_cmp` (NaN last, as all
    /// NaNs are the canonical positive NaN), integers numerically, strings bytewise.
    fn cmp_rows(&self, a: usize, b: usize) -> Ordering {
        match self {
            Column::F64(v) => v[a].total_cmp(&v[b]),
            Column::I64(v) => v[a].cmp(&v[b]),
            Column::Str(v) => v[a].cmp(&v[b]),
        }
    }
}

/// A small columnar table: named, typed columns of equal length.
///
/// Invariants (checked on every insertion): names are unique and non-empty, all columns have
/// the same length, float columns hold no infinities, and NaNs are canonical.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    names: Vec<String>,
    columns: Vec<Column>,
}

impl Frame {
    /// An empty frame (no columns, no rows).
    pub fn new() -> Frame {
        Frame::default()
    }

    /// Alias of [`Frame::new`].
    pub fn empty() -> Frame {
        Frame::default()
    }

    /// Build a frame from `(name, column)` pairs, checking every invariant.
    pub fn from_columns<S: Into<String>>(
        columns: impl IntoIterator<Item = (S, Column)>,
    ) -> Result<Frame, PanelError> {
        let mut frame = Frame::new();
        for (name, column) in columns {
            frame.push(name, column)?;
        }
        Ok(frame)
    }

    /// Append a column. Fails on an empty or duplicate name, a length different from the
    /// frame's row count, or an infinite float.
    pub fn push(&mut self, name: impl Into<String>, column: Column) -> Result<(), PanelError> {
        let name = name.into();
        if name.is_empty() {
            return Err(PanelError::EmptyName);
        }
        if self.names.contains(&name) {
            return Err(PanelError::DuplicateName(name));
        }
        let column = self.checked(&name, column)?;
        self.names.push(name);
        self.columns.push(column);
        Ok(())
    }

    /// Replace the column `name` if present (keeping its position), append it otherwise.
    pub fn set(&mut self, name: impl Into<String>, column: Column) -> Result<(), PanelError> {
        let name = name.into();
        match self.position(&name) {
            Some(pos) => {
                let column = if self.columns.len() == 1 {
                    canonical(&name, column)?
                } else {
                    self.checked(&name, column)?
                };
                self.columns[pos] = column;
                Ok(())
            }
            None => self.push(name, column),
        }
    }

    /// Remove and return the column `name`.
    pub fn remove(&mut self, name: &str) -> Option<Column> {
        let pos = self.position(name)?;
        self.names.remove(pos);
        Some(self.columns.remove(pos))
    }

    /// Rename column `from` to `to`.
    pub fn rename(&mut self, from: &str, to: impl Into<String>) -> Result<(), PanelError> {
        let to = to.into();
        if to.is_empty() {
            return Err(PanelError::EmptyName);
        }
        let pos = self.position(from).ok_or_else(|| self.missing(from))?;
        if to != from && self.names.contains(&to) {
            return Err(PanelError::DuplicateName(to));
        }
        self.names[pos] = to;
        Ok(())
    }

    fn checked(&self, name: &str, column: Column) -> Result<Column, PanelError> {
        if !self.columns.is_empty() && column.len() != self.nrows() {
            return Err(PanelError::LengthMismatch {
                name: name.to_string(),
                expected: self.nrows(),
                found: column.len(),
            });
        }
        canonical(name, column)
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    fn missing(&self, name: &str) -> PanelError {
        PanelError::MissingColumn {
            name: name.to_string(),
            available: self.names.clone(),
        }
    }

    /// Number of rows (0 for a frame without columns).
    pub fn nrows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.columns.len()
    }

    /// Column names in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// True when a column of that name exists.
    pub fn has(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// The column `name`, if any.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.position(name).map(|p| &self.columns[p])
    }

    /// `(name, column)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Column)> {
        self.names
            .iter()
            .map(String::as_str)
            .zip(self.columns.iter())
    }

    fn typed(&self, name: &str, expected: DType) -> Result<&Column, PanelError> {
        let column = self.column(name).ok_or_else(|| self.missing(name))?;
        if column.dtype() != expected {
            return Err(PanelError::WrongType {
                name: name.to_string(),
                expected,
                found: column.dtype(),
            });
        }
        Ok(column)
    }

    /// The float column `name`.
    pub fn f64(&self, name: &str) -> Result<&[f64], PanelError> {
        match self.typed(name, DType::F64)? {
            Column::F64(v) => Ok(v),
            _ => unreachable!("typed() checked the dtype"),
        }
    }

    /// The integer column `name`.
    pub fn i64(&self, name: &str) -> Result<&[i64], PanelError> {
        match self.typed(name, DType::I64)? {
            Column::I64(v) => Ok(v),
            _ => unreachable!("typed() checked the dtype"),
        }
    }

    /// The string column `name`.
    pub fn str(&self, name: &str) -> Result<&[String], PanelError> {
        match self.typed(name, DType::Str)? {
            Column::Str(v) => Ok(v),
            _ => unreachable!("typed() checked the dtype"),
        }
    }

    /// The rows at `indices` (in that order; repeats allowed).
    pub fn take(&self, indices: &[usize]) -> Result<Frame, PanelError> {
        let n = self.nrows();
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            return Err(PanelError::RowOutOfRange { row: bad, nrows: n });
        }
        Ok(Frame {
            names: self.names.clone(),
            columns: self.columns.iter().map(|c| c.take(indices)).collect(),
        })
    }

    /// The rows where `mask` is true. `mask.len()` must equal `nrows()`.
    pub fn filter(&self, mask: &[bool]) -> Result<Frame, PanelError> {
        if mask.len() != self.nrows() {
            return Err(PanelError::MaskLength {
                expected: self.nrows(),
                found: mask.len(),
            });
        }
        let keep: Vec<usize> = (0..mask.len()).filter(|&i| mask[i]).collect();
        self.take(&keep)
    }

    /// The named columns, in the order given.
    pub fn select(&self, names: &[&str]) -> Result<Frame, PanelError> {
        let mut out = Frame::new();
        for &name in names {
            let column = self.column(name).ok_or_else(|| self.missing(name))?;
            out.push(name, column.clone())?;
        }
        Ok(out)
    }

    /// Rows sorted ascending by `keys` (lexicographically, first key first). Stable: rows with
    /// equal keys keep their order. Floats sort by `total_cmp` (missing last).
    pub fn sort_by(&self, keys: &[&str]) -> Result<Frame, PanelError> {
        let key_columns = keys
            .iter()
            .map(|&k| self.column(k).ok_or_else(|| self.missing(k)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut order: Vec<usize> = (0..self.nrows()).collect();
        order.sort_by(|&a, &b| {
            key_columns
                .iter()
                .map(|c| c.cmp_rows(a, b))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        });
        self.take(&order)
    }

    /// The first `n` rows (all of them when `n >= nrows()`).
    pub fn head(&self, n: usize) -> Frame {
        let keep: Vec<usize> = (0..n.min(self.nrows())).collect();
        Frame {
            names: self.names.clone(),
            columns: self.columns.iter().map(|c| c.take(&keep)).collect(),
        }
    }
}

/// Reject infinities and canonicalise NaNs so that encode/decode is bit-exact.
fn canonical(name: &str, column: Column) -> Result<Column, PanelError> {
    match column {
        Column::F64(mut values) => {
            for (row, v) in values.iter_mut().enumerate() {
                if v.is_infinite() {
                    return Err(PanelError::NonFinite {
                        name: name.to_string(),
                        row,
                        value: *v,
                    });
                }
                if v.is_nan() {
                    *v = f64::NAN;
                }
            }
            Ok(Column::F64(values))
        }
        other => Ok(other),
    }
}
