//! robocarb-panel: the study's variable catalogue (paper Table 2: symbols, units, meaning), the
//! panel's key and flag names, and [`Frame`], the small columnar table every artifact of the
//! build store is made of, with its canonical, bit-exact encoding.
//!
//! This crate must not compute statistics or read files: it holds types, names and encodings
//! only (no polars, no I/O).
//!
//! ```
//! use robocarb_panel::{Column, Frame, CITY_CODE, YEAR};
//!
//! let mut f = Frame::new();
//! f.push(CITY_CODE, Column::Str(vec!["130100".into(), "130200".into()]))?;
//! f.push(YEAR, Column::I64(vec![2006, 2006]))?;
//! f.push("CARBON", Column::F64(vec![17.25, f64::NAN]))?;
//! let bytes = f.encode();
//! assert!(bytes.starts_with(b"#robocarb-frame v1\ncity_code:str,year:i64,CARBON:f64\n"));
//! assert_eq!(Frame::decode(&bytes)?, f);
//! # Ok::<(), robocarb_panel::PanelError>(())
//! ```

mod catalogue;
mod codec;
mod frame;

pub use catalogue::{
    is_city_code, variable, Producer, Role, Variable, CITY_CODE, FLAGS, GOV_BUSINESS_HIGH, KEYS,
    MUNICIPALITY_OR_PLAN, RESOURCE_BASED, SMART_CITY_PILOT, VARIABLES, YEAR,
};
pub use codec::MAGIC;
pub use frame::{Column, DType, Frame};

/// Errors of frame construction, access and decoding.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PanelError {
    /// A column name was empty.
    #[error("column names must not be empty")]
    EmptyName,
    /// A column of that name is already in the frame.
    #[error("duplicate column name `{0}`")]
    DuplicateName(String),
    /// A pushed column's length differs from the frame's row count.
    #[error("column `{name}` has {found} rows, the frame has {expected}")]
    LengthMismatch {
        /// Column name.
        name: String,
        /// Rows in the frame.
        expected: usize,
        /// Rows in the column.
        found: usize,
    },
    /// An infinite float was pushed.
    #[error("column `{name}` row {row} (0-based) holds {value}; only finite numbers or NaN (missing) are allowed")]
    NonFinite {
        /// Column name.
        name: String,
        /// 0-based row index.
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// No column of that name.
    #[error("no column `{name}` (columns: {})", available.join(", "))]
    MissingColumn {
        /// Requested name.
        name: String,
        /// Names present.
        available: Vec<String>,
    },
    /// The column exists with another type.
    #[error("column `{name}` is {found}, expected {expected}")]
    WrongType {
        /// Column name.
        name: String,
        /// Requested type.
        expected: DType,
        /// Actual type.
        found: DType,
    },
    /// A filter mask of the wrong length.
    #[error("mask has {found} entries, the frame has {expected} rows")]
    MaskLength {
        /// Rows in the frame.
        expected: usize,
        /// Entries in the mask.
        found: usize,
    },
    /// A row index past the end.
    #[error("row index {row} out of range (frame has {nrows} rows)")]
    RowOutOfRange {
        /// Requested 0-based row.
        row: usize,
        /// Rows in the frame.
        nrows: usize,
    },
    /// Canonical bytes could not be decoded.
    #[error("frame decode error at line {line}{}: {message}", column.as_ref().map(|c| format!(", column `{c}`")).unwrap_or_default())]
    Decode {
        /// 1-based line of the encoding (0 when not applicable).
        line: usize,
        /// Column name when known.
        column: Option<String>,
        /// What was expected.
        message: String,
    },
}
