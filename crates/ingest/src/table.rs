//! Reading raw CSV (UTF-8 or GBK) and XLSX bytes into an untyped table, then extracting typed
//! columns by a schema with located errors.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};
use robocarb_panel::{Column, Frame};

use crate::error::{IngestError, Location, Problem};

/// Text encoding of a CSV source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (a leading byte-order mark is skipped).
    #[default]
    Utf8,
    /// GBK / GB18030 (decoded with the GB18030 decoder, a superset of GBK).
    Gbk,
}

impl Encoding {
    /// Parse a sources-file spelling: `utf-8`, `utf8`, `gbk`, `gb2312`, `gb18030` (any case).
    pub fn parse(name: &str) -> Option<Encoding> {
        match name.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "gbk" | "gb2312" | "gb18030" | "cp936" => Some(Encoding::Gbk),
            _ => None,
        }
    }
}

/// One raw cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Empty,
    Text(String),
    Number(f64),
}

impl Cell {
    pub(crate) fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(x) => format!("{x}"),
        }
    }
}

/// An untyped table: headers and rows of cells, each row with its 1-based row number in the
/// file (header row = 1 for CSV; Excel's row number for workbooks).
#[derive(Debug, Clone)]
pub(crate) struct RawTable {
    pub file: String,
    pub headers: Vec<String>,
    pub header_row: usize,
    pub rows: Vec<Vec<Cell>>,
    pub row_numbers: Vec<usize>,
}

/// Read a whole file, mapping I/O errors to a located error.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, IngestError> {
    std::fs::read(path).map_err(|e| {
        IngestError::data(
            Location::file(&path.display().to_string()),
            Problem::Unreadable(e.to_string()),
        )
    })
}

/// True when the path's extension says Excel workbook.
pub(crate) fn is_xlsx(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xlsm"))
}

/// Decode CSV bytes to text in the declared encoding.
fn decode_text(bytes: &[u8], file: &str, encoding: Encoding) -> Result<String, IngestError> {
    match encoding {
        Encoding::Utf8 => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            match std::str::from_utf8(bytes) {
                Ok(s) => Ok(s.to_string()),
                Err(e) => {
                    let row = bytes[..e.valid_up_to()]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count()
                        + 1;
                    Err(IngestError::data(
                        Location::row(file, row),
                        Problem::NotUtf8,
                    ))
                }
            }
        }
        Encoding::Gbk => {
            let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            if had_errors {
                let row = text
                    .split('\n')
                    .position(|l| l.contains('\u{FFFD}'))
                    .map_or(1, |p| p + 1);
                return Err(IngestError::data(
                    Location::row(file, row),
                    Problem::BadEncoding(
                        "bytes are not valid GBK/GB18030; check the file's encoding".into(),
                    ),
                ));
            }
            Ok(text.into_owned())
        }
    }
}

fn text_cell(s: &str) -> Cell {
    let t = s.trim();
    if t.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(t.to_string())
    }
}

/// Parse CSV bytes. Fully empty lines are skipped; every other row must have as many fields
/// as the header.
pub(crate) fn read_csv_bytes(
    bytes: &[u8],
    file: &str,
    encoding: Encoding,
) -> Result<RawTable, IngestError> {
    let text = decode_text(bytes, file, encoding)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let malformed = |row: usize, e: csv::Error| {
        IngestError::data(Location::row(file, row), Problem::Malformed(e.to_string()))
    };
    let headers: Vec<String> = match records.next() {
        None => {
            return Err(IngestError::data(
                Location::row(file, 1),
                Problem::Malformed("the file is empty; expected a header row".into()),
            ))
        }
        Some(r) => r
            .map_err(|e| malformed(1, e))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect(),
    };
    let mut rows = Vec::new();
    let mut row_numbers = Vec::new();
    for (i, record) in records.enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| malformed(row, e))?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != headers.len() {
            return Err(IngestError::data(
                Location::row(file, row),
                Problem::Malformed(format!(
                    "expected {} fields as in the header, found {}",
                    headers.len(),
                    record.len()
                )),
            ));
        }
        rows.push(record.iter().map(text_cell).collect());
        row_numbers.push(row);
    }
    Ok(RawTable {
        file: file.to_string(),
        headers,
        header_row: 1,
        rows,
        row_numbers,
    })
}

fn data_cell(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(x) => Cell::Number(*x),
        Data::String(s) => text_cell(s),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => text_cell(s),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}

fn open_xlsx(bytes: &[u8], file: &str) -> Result<Xlsx<Cursor<Vec<u8>>>, IngestError> {
    calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).map_err(
        |e: calamine::XlsxError| {
            IngestError::data(
                Location::file(file),
                Problem::Malformed(format!("not a readable .xlsx workbook: {e}")),
            )
        },
    )
}

/// Parse one sheet of an XLSX workbook (the first sheet when `sheet` is `None`). The header is
/// the first row of the sheet's used range; fully empty rows are skipped when
/// `stop_at_blank` is false and end the table when it is true (footnotes below the data).
pub(crate) fn read_xlsx_bytes(
    bytes: &[u8],
    file: &str,
    sheet: Option<&str>,
    stop_at_blank: bool,
) -> Result<RawTable, IngestError> {
    let mut workbook = open_xlsx(bytes, file)?;
    let names = workbook.sheet_names().to_vec();
    let sheet_name = match sheet {
        Some(s) => s.to_string(),
        None => names.first().cloned().ok_or_else(|| {
            IngestError::data(
                Location::file(file),
                Problem::Malformed("the workbook has no sheets".into()),
            )
        })?,
    };
    let sheet_file = format!("{file} [sheet {sheet_name}]");
    if !names.contains(&sheet_name) {
        return Err(IngestError::data(
            Location::file(&sheet_file),
            Problem::MissingSheet { available: names },
        ));
    }
    let range = workbook.worksheet_range(&sheet_name).map_err(|e| {
        IngestError::data(
            Location::file(&sheet_file),
            Problem::Malformed(format!("cannot read the sheet: {e}")),
        )
    })?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows_iter = range.rows().enumerate();
    let headers: Vec<String> = match rows_iter.next() {
        Some((_, r)) => r
            .iter()
            .map(|d| data_cell(d).display().trim().to_string())
            .collect(),
        None => {
            return Err(IngestError::data(
                Location::row(&sheet_file, first_row + 1),
                Problem::Malformed("the sheet is empty; expected a header row".into()),
            ))
        }
    };
    let mut rows = Vec::new();
    let mut row_numbers = Vec::new();
    for (i, r) in rows_iter {
        let cells: Vec<Cell> = r.iter().map(data_cell).collect();
        if cells.iter().all(|c| *c == Cell::Empty) {
            if stop_at_blank {
                break;
            }
            continue;
        }
        rows.push(cells);
        row_numbers.push(first_row + i + 1);
    }
    Ok(RawTable {
        file: sheet_file,
        headers,
        header_row: first_row + 1,
        rows,
        row_numbers,
    })
}

/// Type of a schema field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 6-digit city code -> Str.
    CityCode,
    /// 2-digit province code -> Str.
    ProvinceCode,
    /// Year -> I64.
    Year,
    /// Free text -> Str (empty allowed).
    Text,
    /// Number -> F64, empty = NaN.
    Num,
    /// Non-negative number -> F64, empty = NaN.
    NonNeg,
}

/// One expected column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

pub(crate) const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

pub(crate) const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

/// A typed frame extracted from a raw table, with the file row of every output row.
#[derive(Debug, Clone)]
pub(crate) struct Extracted {
    pub file: String,
    pub frame: Frame,
    pub rows: Vec<usize>,
    /// Canonical name -> header as written in the file.
    pub headers: BTreeMap<String, String>,
}

impl Extracted {
    pub(crate) fn loc(&self, i: usize, canonical: &str) -> Location {
        let col = self
            .headers
            .get(canonical)
            .map_or(canonical, String::as_str);
        Location::cell(&self.file, self.rows[i], col)
    }
}

/// Normalise a code cell to a string of `digits` ASCII digits (accepting numeric cells such as
/// 130100.0 from workbooks).
pub(crate) fn code_text(cell: &Cell, digits: usize) -> Option<String> {
    let s = match cell {
        Cell::Number(x) if x.fract() == 0.0 && *x >= 0.0 && *x < 1e12 => format!("{}", *x as i64),
        Cell::Text(s) => s.clone(),
        _ => return None,
    };
    (s.len() == digits && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

pub(crate) fn number(cell: &Cell, loc: impl Fn() -> Location) -> Result<f64, IngestError> {
    match cell {
        Cell::Empty => Ok(f64::NAN),
        Cell::Number(x) if x.is_finite() => Ok(*x),
        Cell::Number(x) => Err(IngestError::data(loc(), Problem::NonFinite(x.to_string()))),
        Cell::Text(s) => match s.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            Ok(_) => Err(IngestError::data(loc(), Problem::NonFinite(s.clone()))),
            Err(_) => Err(IngestError::data(loc(), Problem::NotNumeric(s.clone()))),
        },
    }
}

pub(crate) fn year(cell: &Cell, loc: impl Fn() -> Location) -> Result<i64, IngestError> {
    let x = match cell {
        Cell::Empty => return Err(IngestError::data(loc(), Problem::Empty)),
        Cell::Number(x) => *x,
        Cell::Text(s) => s
            .parse::<f64>()
            .map_err(|_| IngestError::data(loc(), Problem::NotInteger(s.clone())))?,
    };
    if x.fract() != 0.0 || !(1900.0..=2100.0).contains(&x) {
        return Err(IngestError::data(
            loc(),
            Problem::Invalid(format!(
                "expected a year (integer 1900-2100), found `{}`",
                cell.display()
            )),
        ));
    }
    Ok(x as i64)
}

/// Extract `fields` from `raw`. A header matches a field when it equals the canonical name or
/// `column_map` maps it to the canonical name. Missing required fields are an error (row =
/// header row); missing optional fields are left out of the frame.
pub(crate) fn extract(
    raw: &RawTable,
    fields: &[Field],
    column_map: Option<&BTreeMap<String, String>>,
) -> Result<Extracted, IngestError> {
    let mut headers = BTreeMap::new();
    let mut frame = Frame::new();
    for field in fields {
        let pos = raw.headers.iter().position(|h| {
            h == field.name
                || column_map
                    .and_then(|m| m.get(h))
                    .is_some_and(|c| c == field.name)
        });
        let Some(pos) = pos else {
            if field.required {
                return Err(IngestError::data(
                    Location {
                        file: raw.file.clone(),
                        row: Some(raw.header_row),
                        column: Some(expected_header(field.name, column_map)),
                    },
                    Problem::MissingColumn {
                        found: raw.headers.clone(),
                    },
                ));
            }
            continue;
        };
        let header = raw.headers[pos].clone();
        let loc = |i: usize| Location::cell(&raw.file, raw.row_numbers[i], &header);
        let cells = raw.rows.iter().map(|r| &r[pos]);
        let column = match field.kind {
            Kind::CityCode | Kind::ProvinceCode => {
                let digits = if field.kind == Kind::CityCode { 6 } else { 2 };
                let mut out = Vec::with_capacity(raw.rows.len());
                for (i, c) in cells.enumerate() {
                    match code_text(c, digits) {
                        Some(s) => out.push(s),
                        None if *c == Cell::Empty => {
                            return Err(IngestError::data(loc(i), Problem::Empty))
                        }
                        None => {
                            return Err(IngestError::data(
                                loc(i),
                                Problem::BadCode(format!(
                                    "{} (expected {digits} digits)",
                                    c.display()
                                )),
                            ))
                        }
                    }
                }
                Column::Str(out)
            }
            Kind::Year => Column::I64(
                cells
                    .enumerate()
                    .map(|(i, c)| year(c, || loc(i)))
                    .collect::<Result<_, _>>()?,
            ),
            Kind::Text => Column::Str(cells.map(Cell::display).collect()),
            Kind::Num | Kind::NonNeg => {
                let mut out = Vec::with_capacity(raw.rows.len());
                for (i, c) in cells.enumerate() {
                    let x = number(c, || loc(i))?;
                    if field.kind == Kind::NonNeg && x < 0.0 {
                        return Err(IngestError::data(loc(i), Problem::Negative(x)));
                    }
                    out.push(x);
                }
                Column::F64(out)
            }
        };
        frame.push(field.name, column)?;
        headers.insert(field.name.to_string(), header);
    }
    Ok(Extracted {
        file: raw.file.clone(),
        frame,
        rows: raw.row_numbers.clone(),
        headers,
    })
}

fn expected_header(canonical: &str, map: Option<&BTreeMap<String, String>>) -> String {
    let aliases: Vec<&str> = map
        .map(|m| {
            m.iter()
                .filter(|(_, c)| c.as_str() == canonical)
                .map(|(h, _)| h.as_str())
                .collect()
        })
        .unwrap_or_default();
    if aliases.is_empty() {
        canonical.to_string()
    } else {
        format!("{} (canonical `{canonical}`)", aliases.join("` or `"))
    }
}

/// Fail on a repeated key (`key_cols` are Str or I64 columns of `ex.frame`).
pub(crate) fn check_unique(ex: &Extracted, key_cols: &[&str]) -> Result<(), IngestError> {
    let mut seen: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    let cols: Vec<&Column> = key_cols
        .iter()
        .map(|k| ex.frame.column(k))
        .collect::<Option<_>>()
        .ok_or_else(|| IngestError::Panel(format!("key columns {key_cols:?} missing")))?;
    for i in 0..ex.frame.nrows() {
        let key: Vec<String> = cols
            .iter()
            .map(|c| match c {
                Column::Str(v) => v[i].clone(),
                Column::I64(v) => v[i].to_string(),
                Column::F64(v) => v[i].to_string(),
            })
            .collect();
        if let Some(&first) = seen.get(&key) {
            let year = match (key_cols.last(), key.last()) {
                (Some(&"year"), Some(y)) => y.parse().ok(),
                _ => None,
            };
            let shown = if year.is_some() {
                key[..key.len() - 1].join(", ")
            } else {
                key.join(", ")
            };
            let columns: Vec<&str> = key_cols
                .iter()
                .map(|k| ex.headers.get(*k).map_or(*k, String::as_str))
                .collect();
            return Err(IngestError::data(
                Location::cell(&ex.file, ex.rows[i], &columns.join(" + ")),
                Problem::Duplicate {
                    key: shown,
                    year,
                    first_row: ex.rows[first],
                },
            ));
        }
        seen.insert(key, i);
    }
    Ok(())
}
