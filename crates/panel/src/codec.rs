//! Canonical encoding of a [`Frame`] (the bytes stored in the build store), plus plain CSV and
//! JSON exports.
//!
//! Canonical format (`#robocarb-frame v1`), UTF-8, every line terminated by `\n`:
//!
//! ```text
//! #robocarb-frame v1
//! city_code:str,year:i64,CARBON:f64
//! 130100,2006,17.25
//! 130200,2006,
//! ```
//!
//! * header fields are `name:type`, type in `f64`, `i64`, `str`;
//! * f64 values are printed by `ryu` (shortest representation that parses back to the same
//!   bits), a missing value (NaN) is an empty field; infinities cannot occur (rejected on push);
//! * i64 values in decimal; strings verbatim;
//! * a field is quoted (RFC 4180: `"..."` with inner `"` doubled) iff it contains `,`, `"`,
//!   `\r` or `\n`;
//! * one line per row; a frame with no columns has an empty header line and no rows.
//!
//! The same frame always gives the same bytes, and `decode(encode(f)) == f` bit for bit.

use crate::frame::{Column, DType, Frame};
use crate::PanelError;

/// First line of every canonical encoding.
pub const MAGIC: &str = "#robocarb-frame v1";

fn needs_quotes(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

fn push_field(out: &mut String, s: &str) {
    if needs_quotes(s) {
        out.push('"');
        for ch in s.chars() {
            if ch == '"' {
                out.push('"');
            }
            out.push(ch);
        }
        out.push('"');
    } else {
        out.push_str(s);
    }
}

fn push_f64(out: &mut String, v: f64, buf: &mut ryu::Buffer) {
    if v.is_finite() {
        out.push_str(buf.format_finite(v));
    }
}

fn push_value(out: &mut String, column: &Column, row: usize, buf: &mut ryu::Buffer) {
    match column {
        Column::F64(v) => push_f64(out, v[row], buf),
        Column::I64(v) => out.push_str(&v[row].to_string()),
        Column::Str(v) => push_field(out, &v[row]),
    }
}

fn push_rows(out: &mut String, frame: &Frame) {
    let mut buf = ryu::Buffer::new();
    let columns: Vec<&Column> = frame.iter().map(|(_, c)| c).collect();
    for row in 0..frame.nrows() {
        for (j, column) in columns.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_value(out, column, row, &mut buf);
        }
        out.push('\n');
    }
}

impl Frame {
    /// Canonical bytes (see the module docs of `codec`). Deterministic; inverse of
    /// [`Frame::decode`].
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::with_capacity(64 + self.nrows() * self.ncols() * 8);
        out.push_str(MAGIC);
        out.push('\n');
        for (j, (name, column)) in self.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_field(&mut out, &format!("{name}:{}", column.dtype()));
        }
        out.push('\n');
        push_rows(&mut out, self);
        out.into_bytes()
    }

    /// Plain CSV for export: header of bare names, same value formatting as `encode`.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        for (j, name) in self.names().iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_field(&mut out, name);
        }
        out.push('\n');
        push_rows(&mut out, self);
        out
    }

    /// JSON export: an array of row objects, keys in column order, NaN as `null`, one row per
    /// line.
    pub fn to_json(&self) -> String {
        let mut buf = ryu::Buffer::new();
        let mut out = String::from("[");
        let names: Vec<String> = self.names().iter().map(|n| json_string(n)).collect();
        let columns: Vec<&Column> = self.iter().map(|(_, c)| c).collect();
        for row in 0..self.nrows() {
            out.push_str(if row == 0 { "\n{" } else { ",\n{" });
            for (j, column) in columns.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push_str(&names[j]);
                out.push(':');
                match column {
                    Column::F64(v) if v[row].is_finite() => out.push_str(buf.format_finite(v[row])),
                    Column::F64(_) => out.push_str("null"),
                    Column::I64(v) => out.push_str(&v[row].to_string()),
                    Column::Str(v) => out.push_str(&json_string(&v[row])),
                }
            }
            out.push('}');
        }
        out.push_str(if self.nrows() == 0 { "]\n" } else { "\n]\n" });
        out
    }

    /// Parse canonical bytes produced by [`Frame::encode`]. Strict: the magic line, a typed
    /// header, and rows with exactly one field per column, each line ending in `\n`.
    pub fn decode(bytes: &[u8]) -> Result<Frame, PanelError> {
        let text = std::str::from_utf8(bytes).map_err(|e| PanelError::Decode {
            line: 0,
            column: None,
            message: format!("not UTF-8 (byte {})", e.valid_up_to()),
        })?;
        let rest = text
            .strip_prefix(MAGIC)
            .and_then(|r| r.strip_prefix('\n'))
            .ok_or_else(|| PanelError::Decode {
                line: 1,
                column: None,
                message: format!("expected first line `{MAGIC}`"),
            })?;
        let mut reader = Records { rest, line: 2 };
        let header_line = reader.line;
        let header = reader.next_record()?.ok_or_else(|| PanelError::Decode {
            line: header_line,
            column: None,
            message: "missing header line".into(),
        })?;
        let mut specs: Vec<(String, DType)> = Vec::new();
        if !(header.len() == 1 && header[0].is_empty()) {
            for field in header {
                let (name, tag) = field.rsplit_once(':').ok_or_else(|| PanelError::Decode {
                    line: header_line,
                    column: Some(field.clone()),
                    message: "header field must be `name:type`".into(),
                })?;
                let dtype = DType::parse(tag).ok_or_else(|| PanelError::Decode {
                    line: header_line,
                    column: Some(name.to_string()),
                    message: format!("unknown type `{tag}` (expected f64, i64 or str)"),
                })?;
                specs.push((name.to_string(), dtype));
            }
        }
        let mut columns: Vec<Column> = specs
            .iter()
            .map(|(_, t)| match t {
                DType::F64 => Column::F64(Vec::new()),
                DType::I64 => Column::I64(Vec::new()),
                DType::Str => Column::Str(Vec::new()),
            })
            .collect();
        loop {
            let line = reader.line;
            let Some(record) = reader.next_record()? else {
                break;
            };
            if record.len() != specs.len() {
                return Err(PanelError::Decode {
                    line,
                    column: None,
                    message: format!("expected {} fields, found {}", specs.len(), record.len()),
                });
            }
            for ((field, column), (name, _)) in record.into_iter().zip(&mut columns).zip(&specs) {
                let bad = |message: String| PanelError::Decode {
                    line,
                    column: Some(name.clone()),
                    message,
                };
                match column {
                    Column::F64(v) => {
                        if field.is_empty() {
                            v.push(f64::NAN);
                        } else {
                            let x: f64 = field
                                .parse()
                                .map_err(|_| bad(format!("`{field}` is not a number")))?;
                            if !x.is_finite() {
                                return Err(bad(format!("`{field}` is not finite")));
                            }
                            v.push(x);
                        }
                    }
                    Column::I64(v) => v.push(
                        field
                            .parse()
                            .map_err(|_| bad(format!("`{field}` is not an integer")))?,
                    ),
                    Column::Str(v) => v.push(field),
                }
            }
        }
        Frame::from_columns(specs.into_iter().map(|(n, _)| n).zip(columns))
    }
}

/// Line-oriented RFC 4180 record reader over canonical text.
struct Records<'a> {
    rest: &'a str,
    /// 1-based line number where the next record starts.
    line: usize,
}

impl Records<'_> {
    fn next_record(&mut self) -> Result<Option<Vec<String>>, PanelError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let start_line = self.line;
        let err = |message: &str| PanelError::Decode {
            line: start_line,
            column: None,
            message: message.to_string(),
        };
        let mut fields = Vec::new();
        let mut chars = self.rest.char_indices().peekable();
        let mut field = String::new();
        loop {
            // At the start of a field.
            if let Some(&(_, '"')) = chars.peek() {
                chars.next();
                loop {
                    match chars.next() {
                        None => return Err(err("unterminated quoted field")),
                        Some((_, '"')) => {
                            if let Some(&(_, '"')) = chars.peek() {
                                chars.next();
                                field.push('"');
                            } else {
                                break;
                            }
                        }
                        Some((_, c)) => {
                            if c == '\n' {
                                self.line += 1;
                            }
                            field.push(c);
                        }
                    }
                }
                match chars.next() {
                    Some((_, ',')) => fields.push(std::mem::take(&mut field)),
                    Some((i, '\n')) => {
                        fields.push(field);
                        self.rest = &self.rest[i + 1..];
                        self.line += 1;
                        return Ok(Some(fields));
                    }
                    None => return Err(err("line does not end with a newline")),
                    Some(_) => return Err(err("text after a closing quote")),
                }
            } else {
                loop {
                    match chars.next() {
                        None => return Err(err("line does not end with a newline")),
                        Some((_, ',')) => {
                            fields.push(std::mem::take(&mut field));
                            break;
                        }
                        Some((i, '\n')) => {
                            fields.push(field);
                            self.rest = &self.rest[i + 1..];
                            self.line += 1;
                            return Ok(Some(fields));
                        }
                        Some((_, '"')) => return Err(err("quote inside an unquoted field")),
                        Some((_, '\r')) => return Err(err("carriage return in an unquoted field")),
                        Some((_, c)) => field.push(c),
                    }
                }
            }
        }
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
