//! A format-neutral table layout ([`Grid`]) and its renderers: Markdown, LaTeX
//! (booktabs), CSV and an HTML fragment. Every table type is first laid out as a
//! grid, so all formats show the same cells.

use std::fmt::Write as _;

/// One cell of a laid-out table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A number printed with `digits` decimals, `stars` significance stars (0-3),
    /// in parentheses when `paren` (a t or z statistic under its coefficient).
    Num {
        value: f64,
        digits: usize,
        stars: u8,
        paren: bool,
    },
    Int(i64),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Cell::Text(s.into())
    }
    pub fn num(value: f64, digits: usize) -> Self {
        Cell::Num {
            value,
            digits,
            stars: 0,
            paren: false,
        }
    }
    pub fn opt_num(value: Option<f64>, digits: usize) -> Self {
        value.map_or(Cell::Empty, |v| Cell::num(v, digits))
    }
    pub fn yes_no(flag: bool) -> Self {
        Cell::text(if flag { "Yes" } else { "No" })
    }
}

/// A laid-out table: header rows, body blocks (separated by rules) and notes.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Identifier, e.g. `"table4"` (HTML id, LaTeX label).
    pub id: String,
    pub title: String,
    pub header: Vec<Vec<Cell>>,
    pub blocks: Vec<Vec<Vec<Cell>>>,
    pub notes: Vec<String>,
}

impl Grid {
    /// Number of columns (the widest row).
    pub fn width(&self) -> usize {
        self.header
            .iter()
            .chain(self.blocks.iter().flatten())
            .map(Vec::len)
            .max()
            .unwrap_or(0)
    }
}

/// Significance stars: `***` p < 0.01, `**` p < 0.05, `*` p < 0.1.
pub fn stars(p: f64) -> u8 {
    if p < 0.01 {
        3
    } else if p < 0.05 {
        2
    } else if p < 0.1 {
        1
    } else {
        0
    }
}

/// `value` with `digits` decimals; `-0.000` is printed `0.000`; non-finite as `n/a`.
pub fn format_number(value: f64, digits: usize) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    let s = format!("{value:.digits$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
        _ => s,
    }
}

fn plain_cell(cell: &Cell) -> (String, u8, bool) {
    match cell {
        Cell::Empty => (String::new(), 0, false),
        Cell::Text(s) => (s.clone(), 0, false),
        Cell::Num {
            value,
            digits,
            stars,
            paren,
        } => (format_number(*value, *digits), *stars, *paren),
        Cell::Int(i) => (i.to_string(), 0, false),
    }
}

fn star_string(n: u8) -> String {
    "*".repeat(usize::from(n))
}

/// Cell text without markup: `-0.025***`, `(-2.672)`.
pub fn cell_plain(cell: &Cell) -> String {
    let (s, st, paren) = plain_cell(cell);
    let s = if paren { format!("({s})") } else { s };
    format!("{s}{}", star_string(st))
}

fn rows(grid: &Grid) -> impl Iterator<Item = &Vec<Cell>> {
    grid.header.iter().chain(grid.blocks.iter().flatten())
}

fn padded(row: &[Cell], width: usize) -> Vec<&Cell> {
    let mut v: Vec<&Cell> = row.iter().collect();
    while v.len() < width {
        v.push(&Cell::Empty);
    }
    v
}

// ---------------------------------------------------------------- Markdown

fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '*' | '_' | '\\' | '`' | '<' | '>' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn md_cell(cell: &Cell) -> String {
    md_escape(&cell_plain(cell))
}

/// GitHub-flavoured Markdown: bold title, a pipe table (first header row as the
/// table header, the others as its first rows), notes as paragraphs.
pub fn render_markdown(grid: &Grid) -> String {
    let width = grid.width();
    let mut out = String::new();
    let _ = writeln!(out, "**{}**\n", md_escape(&grid.title));
    let empty = Vec::new();
    let first = grid.header.first().unwrap_or(&empty);
    let line = |row: &[Cell]| {
        let cells: Vec<String> = padded(row, width).into_iter().map(md_cell).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&line(first));
    let align: Vec<&str> = (0..width)
        .map(|i| if i == 0 { ":---" } else { "---:" })
        .collect();
    let _ = writeln!(out, "| {} |", align.join(" | "));
    for row in rows(grid).skip(usize::from(!grid.header.is_empty())) {
        out.push_str(&line(row));
    }
    for note in &grid.notes {
        let _ = write!(out, "\n{}\n", md_escape(note));
    }
    out
}

// ---------------------------------------------------------------- LaTeX

/// Escapes LaTeX special characters in text mode.
pub fn latex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '<' => out.push_str("\\textless{}"),
            '>' => out.push_str("\\textgreater{}"),
            '|' => out.push_str("\\textbar{}"),
            _ => out.push(c),
        }
    }
    out
}

fn tex_cell(cell: &Cell) -> String {
    match cell {
        Cell::Num { .. } | Cell::Int(_) => {
            let (s, st, paren) = plain_cell(cell);
            let s = if paren { format!("({s})") } else { s };
            if st > 0 {
                format!("${s}^{{{}}}$", star_string(st))
            } else {
                format!("${s}$")
            }
        }
        other => latex_escape(&cell_plain(other)),
    }
}

/// A booktabs `table` float (needs `\usepackage{booktabs}`); numbers in math mode,
/// stars as superscripts, notes in a footnotesize paragraph under the tabular.
pub fn render_latex(grid: &Grid) -> String {
    let width = grid.width().max(1);
    let mut out = String::new();
    out.push_str("\\begin{table}[htbp]\n\\centering\n");
    let _ = writeln!(out, "\\caption{{{}}}", latex_escape(&grid.title));
    // Labels cannot hold escaped characters: keep [A-Za-z0-9-], map the rest to '-'.
    let label: String = grid
        .id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let _ = writeln!(out, "\\label{{tab:{label}}}");
    let _ = writeln!(out, "\\begin{{tabular}}{{l{}}}", "c".repeat(width - 1));
    out.push_str("\\toprule\n");
    let line = |row: &[Cell]| {
        let cells: Vec<String> = padded(row, width).into_iter().map(tex_cell).collect();
        format!("{} \\\\\n", cells.join(" & "))
    };
    for row in &grid.header {
        out.push_str(&line(row));
    }
    for block in &grid.blocks {
        out.push_str("\\midrule\n");
        for row in block {
            out.push_str(&line(row));
        }
    }
    out.push_str("\\bottomrule\n\\end{tabular}\n");
    if !grid.notes.is_empty() {
        out.push_str("\\par\\smallskip\n\\begin{minipage}{0.95\\linewidth}\\footnotesize\n");
        for note in &grid.notes {
            let _ = writeln!(out, "{}\\par", latex_escape(note));
        }
        out.push_str("\\end{minipage}\n");
    }
    out.push_str("\\end{table}\n");
    out
}

/// A complete LaTeX document around table fragments (for pdflatex).
pub fn latex_document(fragments: &[String]) -> String {
    let mut out = String::from(
        "\\documentclass{article}\n\\usepackage[margin=2cm]{geometry}\n\\usepackage{booktabs}\n\\begin{document}\n",
    );
    for f in fragments {
        out.push_str(f);
        out.push('\n');
    }
    out.push_str("\\end{document}\n");
    out
}

// ---------------------------------------------------------------- CSV

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// RFC 4180 CSV of the grid (header rows, body rows, then one row per note in the
/// first field); every record has the same number of fields.
pub fn render_csv(grid: &Grid) -> String {
    let width = grid.width().max(1);
    let mut out = String::new();
    let mut record = |fields: Vec<String>| {
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    };
    for row in rows(grid) {
        record(padded(row, width).into_iter().map(cell_plain).collect());
    }
    for note in &grid.notes {
        let mut fields = vec![note.clone()];
        fields.resize(width, String::new());
        record(fields);
    }
    out
}

// ---------------------------------------------------------------- HTML

/// Escapes `& < > " '` for HTML text and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn html_cell(cell: &Cell) -> String {
    match cell {
        Cell::Num { .. } | Cell::Int(_) => {
            let (s, st, paren) = plain_cell(cell);
            let s = if paren { format!("({s})") } else { s };
            if st > 0 {
                format!("{s}<sup>{}</sup>", star_string(st))
            } else {
                s
            }
        }
        other => html_escape(&cell_plain(other)),
    }
}

/// An HTML fragment: `<table class="rc-table">` with caption, thead, one tbody per
/// block, and the notes in a `<div class="rc-notes">`.
pub fn render_html(grid: &Grid) -> String {
    let width = grid.width();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<table class=\"rc-table\" id=\"{}\">\n<caption>{}</caption>",
        html_escape(&grid.id),
        html_escape(&grid.title)
    );
    let line = |row: &[Cell], tag: &str| {
        let mut s = String::from("<tr>");
        for (i, c) in padded(row, width).into_iter().enumerate() {
            let t = if i == 0 && tag == "td" { "th" } else { tag };
            let _ = write!(s, "<{t}>{}</{t}>", html_cell(c));
        }
        s.push_str("</tr>\n");
        s
    };
    if !grid.header.is_empty() {
        out.push_str("<thead>\n");
        for row in &grid.header {
            out.push_str(&line(row, "th"));
        }
        out.push_str("</thead>\n");
    }
    for block in &grid.blocks {
        out.push_str("<tbody>\n");
        for row in block {
            out.push_str(&line(row, "td"));
        }
        out.push_str("</tbody>\n");
    }
    out.push_str("</table>\n");
    if !grid.notes.is_empty() {
        out.push_str("<div class=\"rc-notes\">\n");
        for note in &grid.notes {
            let _ = writeln!(out, "<p>{}</p>", html_escape(note));
        }
        out.push_str("</div>\n");
    }
    out
}
