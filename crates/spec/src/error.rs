//! Errors that point at the position in the text where parsing failed.

/// A specification error: what was expected, in which text, at which byte.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{what} `{text}`: {message}\n  {text}\n  {caret}^", caret = " ".repeat(caret_column(text, *pos)))]
pub struct SpecError {
    /// What the text is (`formula`, `sample`, `vcov`, `estimator`, `years`).
    pub what: &'static str,
    pub text: String,
    /// Byte offset into `text` of the problem.
    pub pos: usize,
    pub message: String,
}

/// Characters (not bytes) before `pos`, so the caret lines up under non-ASCII text.
fn caret_column(text: &str, pos: usize) -> usize {
    text.char_indices().take_while(|(i, _)| *i < pos).count()
}

impl SpecError {
    pub fn new(what: &'static str, text: &str, pos: usize, message: impl Into<String>) -> Self {
        SpecError {
            what,
            text: text.to_string(),
            pos: pos.min(text.len()),
            message: message.into(),
        }
    }
}

/// A token of the formula and filter languages, with its byte offset.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Name(String),
    Num(f64),
    Str(String),
    Sym(&'static str),
}

/// Split `text` into tokens: names (letters, digits, `_`, `.`), numbers, double- or single-quoted
/// strings, and the symbols of both languages.
pub(crate) fn tokenize(what: &'static str, text: &str) -> Result<Vec<(usize, Tok)>, SpecError> {
    const SYMS: [&str; 18] = [
        "==", "!=", "<=", ">=", "<", ">", "=", "~", "|", "+", ",", "(", ")", "[", "]", ":", "*",
        "^",
    ];
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'"' || c == b'\'' {
            let Some(end) = text[i + 1..].find(c as char) else {
                return Err(SpecError::new(what, text, i, "unclosed string"));
            };
            out.push((i, Tok::Str(text[i + 1..i + 1 + end].to_string())));
            i += end + 2;
            continue;
        }
        if c.is_ascii_digit() || (c == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let start = i;
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_digit() || matches!(bytes[i], b'.' | b'e' | b'E'))
            {
                i += 1;
            }
            let s = &text[start..i];
            let v: f64 = s
                .parse()
                .map_err(|_| SpecError::new(what, text, start, format!("`{s}` is not a number")))?;
            out.push((start, Tok::Num(v)));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || matches!(bytes[i], b'_' | b'.')
                    || bytes[i] >= 0x80)
            {
                i += 1;
            }
            out.push((start, Tok::Name(text[start..i].to_string())));
            continue;
        }
        match SYMS.iter().find(|s| text[i..].starts_with(**s)) {
            Some(s) => {
                out.push((i, Tok::Sym(s)));
                i += s.len();
            }
            None => {
                let ch = text[i..].chars().next().unwrap_or('?');
                return Err(SpecError::new(
                    what,
                    text,
                    i,
                    format!("unexpected character `{ch}`"),
                ));
            }
        }
    }
    Ok(out)
}
