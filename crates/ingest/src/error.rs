//! Typed errors. Every data error names the file, the 1-based row (header = row 1; for
//! workbooks the sheet's row number as Excel shows it) and the column, and says what was expected.

use std::fmt;

use robocarb_panel::PanelError;

/// Where in a source file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// File label (path as given, or the label passed to a `*_bytes` adapter).
    pub file: String,
    /// 1-based row, header = 1; `None` when the problem concerns the whole file.
    pub row: Option<usize>,
    /// Column (as written in the file), when known.
    pub column: Option<String>,
}

impl Location {
    /// A whole-file location.
    pub fn file(file: &str) -> Location {
        Location {
            file: file.to_string(),
            row: None,
            column: None,
        }
    }

    /// A cell location.
    pub fn cell(file: &str, row: usize, column: &str) -> Location {
        Location {
            file: file.to_string(),
            row: Some(row),
            column: Some(column.to_string()),
        }
    }

    /// A row location without a column.
    pub fn row(file: &str, row: usize) -> Location {
        Location {
            file: file.to_string(),
            row: Some(row),
            column: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column `{column}`")?;
        }
        Ok(())
    }
}

/// What is wrong at a [`Location`].
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The file does not exist or cannot be read.
    Unreadable(String),
    /// Bytes are not valid UTF-8 while encoding = "utf-8" was set.
    NotUtf8,
    /// Bytes are not valid in the declared encoding.
    BadEncoding(String),
    /// Structural CSV/XLSX problem (field count, unreadable workbook...).
    Malformed(String),
    /// A sheet is missing from a workbook.
    MissingSheet {
        /// Sheets present.
        available: Vec<String>,
    },
    /// A required column is missing from the header.
    MissingColumn {
        /// Headers present.
        found: Vec<String>,
    },
    /// A cell should hold a number.
    NotNumeric(String),
    /// A cell should hold an integer.
    NotInteger(String),
    /// A cell holds NaN or infinity.
    NonFinite(String),
    /// A value is negative where that is impossible.
    Negative(f64),
    /// A required cell is empty.
    Empty,
    /// A city code is not 6 ASCII digits (or a province code not 2).
    BadCode(String),
    /// A city code or name is neither in the city list nor in the crosswalk.
    UnknownCity(String),
    /// A (key, year) pair occurs twice.
    Duplicate {
        /// The key (city code, or province code, or another key).
        key: String,
        /// The year, when the key is per year.
        year: Option<i64>,
        /// Row of the first occurrence.
        first_row: usize,
    },
    /// A value outside the allowed set.
    Invalid(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unreadable(e) => write!(f, "cannot read the file: {e}"),
            Problem::NotUtf8 => write!(
                f,
                "the file is not valid UTF-8; if it is GBK-encoded (Chinese Excel exports usually are) \
                 set encoding = \"gbk\" for this source"
            ),
            Problem::BadEncoding(e) => write!(f, "{e}"),
            Problem::Malformed(e) => write!(f, "{e}"),
            Problem::MissingSheet { available } => {
                write!(f, "no such sheet; sheets present: {}", available.join(", "))
            }
            Problem::MissingColumn { found } => write!(
                f,
                "required column missing; header has: {}",
                found.join(", ")
            ),
            Problem::NotNumeric(v) => write!(f, "expected a number, found `{v}`"),
            Problem::NotInteger(v) => write!(f, "expected an integer, found `{v}`"),
            Problem::NonFinite(v) => write!(f, "expected a finite number, found `{v}`"),
            Problem::Negative(v) => write!(f, "expected a non-negative value, found {v}"),
            Problem::Empty => write!(f, "expected a value, found an empty cell"),
            Problem::BadCode(v) => write!(f, "expected a numeric administrative code, found `{v}`"),
            Problem::UnknownCity(v) => write!(
                f,
                "unknown city `{v}`: not in the city list nor in the crosswalk"
            ),
            Problem::Duplicate {
                key,
                year,
                first_row,
            } => match year {
                Some(y) => write!(
                    f,
                    "duplicate ({key}, {y}); first seen at row {first_row}; expected one row per (city, year)"
                ),
                None => write!(f, "duplicate `{key}`; first seen at row {first_row}"),
            },
            Problem::Invalid(e) => write!(f, "{e}"),
        }
    }
}

/// Errors of the ingest crate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IngestError {
    /// A problem in a source file.
    #[error("{location}: {problem}")]
    Data {
        /// Where.
        location: Location,
        /// What.
        problem: Problem,
    },
    /// The user's column map (TOML) is invalid.
    #[error("column map {file}: {message}")]
    ColumnMap {
        /// File label.
        file: String,
        /// What was expected.
        message: String,
    },
    /// A panel-level problem (balance, missing inputs, joins).
    #[error("panel: {0}")]
    Panel(String),
    /// A frame operation failed (a bug or an inconsistent input frame).
    #[error(transparent)]
    Frame(#[from] PanelError),
}

impl IngestError {
    /// Shorthand for a [`IngestError::Data`].
    pub fn data(location: Location, problem: Problem) -> IngestError {
        IngestError::Data { location, problem }
    }

    /// The problem, when this is a data error.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            IngestError::Data { problem, .. } => Some(problem),
            _ => None,
        }
    }

    /// The location, when this is a data error.
    pub fn location(&self) -> Option<&Location> {
        match self {
            IngestError::Data { location, .. } => Some(location),
            _ => None,
        }
    }
}
