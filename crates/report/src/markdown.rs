//! A small Markdown-to-HTML converter for the summaries the report embeds (the multiverse's
//! `summary.md`): headings, paragraphs, bullet lists, pipe tables and fenced code, with `code`
//! and **bold** inline. Everything else is shown as text. All text is escaped, so no input can
//! add markup, links or scripts to the report.

use std::fmt::Write as _;

use crate::grid::html_escape;

/// Inline markup of one line: backtick spans as `<code>`, `**` pairs as `<strong>` (outside
/// code). An unpaired marker is kept as text.
fn inline(text: &str) -> String {
    spans(text, "`", "code", &|t| {
        spans(t, "**", "strong", &html_escape)
    })
}

/// The text between pairs of `marker` wrapped in `tag` (escaped), the rest through `outside`.
fn spans(text: &str, marker: &str, tag: &str, outside: &dyn Fn(&str) -> String) -> String {
    let parts: Vec<&str> = text.split(marker).collect();
    // An even number of parts means an odd number of markers: one has no partner.
    if parts.len().is_multiple_of(2) {
        return outside(text);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<{tag}>{}</{tag}>", html_escape(part))
            } else {
                outside(part)
            }
        })
        .collect()
}

/// The cells of a pipe-table row (outer pipes optional).
fn cells(line: &str) -> Vec<&str> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = t.strip_suffix('|').unwrap_or(t);
    t.split('|').map(str::trim).collect()
}

/// A table's separator row: `|---|:--:|`.
fn is_separator(line: &str) -> bool {
    let cs = cells(line);
    !cs.is_empty()
        && cs.iter().all(|c| {
            !c.is_empty() && c.contains('-') && c.chars().all(|ch| matches!(ch, '-' | ':' | ' '))
        })
}

/// A run of pipe-table lines as a report table (in its own scroll box, like the report's other
/// tables). Rows before the separator are the head; a row's first cell is its label.
fn table(out: &mut String, lines: &[&str]) {
    let split = lines.iter().position(|l| is_separator(l));
    let (head, body) = match split {
        Some(k) => (&lines[..k], &lines[k + 1..]),
        None => (&lines[..0], lines),
    };
    out.push_str("<div class=\"rc-scroll\">\n<table class=\"rc-table\">\n");
    if !head.is_empty() {
        out.push_str("<thead>");
        for l in head {
            out.push_str("<tr>");
            for c in cells(l) {
                let _ = write!(out, "<th>{}</th>", inline(c));
            }
            out.push_str("</tr>");
        }
        out.push_str("</thead>\n");
    }
    out.push_str("<tbody>\n");
    for l in body {
        out.push_str("<tr>");
        for (i, c) in cells(l).into_iter().enumerate() {
            let tag = if i == 0 { "th" } else { "td" };
            let _ = write!(out, "<{tag}>{}</{tag}>", inline(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n</div>\n");
}

/// A fenced block, wrapped rather than scrolled: a printed page has no scroll bar.
fn code_block(out: &mut String, lines: &[&str]) {
    let _ = writeln!(
        out,
        "<pre style=\"white-space:pre-wrap\">{}</pre>",
        html_escape(&lines.join("\n"))
    );
}

/// Which block the lines being gathered belong to.
#[derive(PartialEq)]
enum Block {
    None,
    Paragraph,
    List,
    Table,
}

/// Markdown as an HTML fragment (see the module documentation).
pub(crate) fn markdown_html(md: &str) -> String {
    let mut out = String::new();
    let mut block = Block::None;
    let mut lines: Vec<&str> = Vec::new();
    let flush = |out: &mut String, block: &Block, lines: &mut Vec<&str>| {
        match block {
            Block::None => {}
            Block::Paragraph => {
                let text: Vec<String> = lines.iter().map(|l| inline(l.trim())).collect();
                let _ = writeln!(out, "<p>{}</p>", text.join("\n"));
            }
            Block::List => {
                out.push_str("<ul>\n");
                for l in lines.iter() {
                    let _ = writeln!(out, "<li>{}</li>", inline(l));
                }
                out.push_str("</ul>\n");
            }
            Block::Table => table(out, lines),
        }
        lines.clear();
    };
    let mut code: Option<Vec<&str>> = None;
    for line in md.lines() {
        let t = line.trim();
        if let Some(body) = code.as_mut() {
            if t.starts_with("```") {
                code_block(&mut out, body);
                code = None;
            } else {
                body.push(line);
            }
            continue;
        }
        let (kind, content) = if t.starts_with("```") {
            flush(&mut out, &block, &mut lines);
            block = Block::None;
            code = Some(Vec::new());
            continue;
        } else if t.is_empty() {
            (Block::None, t)
        } else if t.starts_with('#') {
            flush(&mut out, &block, &mut lines);
            block = Block::None;
            let level = t.chars().take_while(|&ch| ch == '#').count();
            let tag = if level <= 1 { "h3" } else { "h4" };
            let _ = writeln!(
                out,
                "<{tag}>{}</{tag}>",
                inline(t.trim_start_matches('#').trim())
            );
            continue;
        } else if t.starts_with('|') {
            (Block::Table, t)
        } else if let Some(item) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            (Block::List, item)
        } else {
            (Block::Paragraph, t)
        };
        // A paragraph's next line continues it; any other change of kind ends the block.
        if kind != block && !(block == Block::Paragraph && kind == Block::Paragraph) {
            flush(&mut out, &block, &mut lines);
            block = kind;
        }
        if block != Block::None {
            lines.push(content);
        }
    }
    if let Some(body) = code {
        // An unclosed fence still shows its text.
        code_block(&mut out, &body);
    }
    flush(&mut out, &block, &mut lines);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_lists_headings_and_inline_markup() {
        let md = "# Summary of `robot_carbon`\n\nMedian b is **-0.02** <b>.\nSecond line.\n\n- one\n- two & three\n\n| statistic | observed | p |\n|---|---:|---:|\n| median b | -0.021 | 0.002 |\n| share | 0.9 | 0.004 |\n\n```\nraw <text>\n```\n";
        let html = markdown_html(md);
        assert!(html.contains("<h3>Summary of <code>robot_carbon</code></h3>"));
        assert!(html.contains("<p>Median b is <strong>-0.02</strong> &lt;b&gt;.\nSecond line.</p>"));
        assert!(html.contains("<ul>\n<li>one</li>\n<li>two &amp; three</li>\n</ul>"));
        assert!(
            html.contains("<thead><tr><th>statistic</th><th>observed</th><th>p</th></tr></thead>")
        );
        assert!(html.contains("<tr><th>median b</th><td>-0.021</td><td>0.002</td></tr>"));
        assert!(html.contains("<pre style=\"white-space:pre-wrap\">raw &lt;text&gt;</pre>"));
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn unpaired_markers_stay_text() {
        assert_eq!(inline("a ` b ** c"), "a ` b ** c");
        assert_eq!(inline("x < y"), "x &lt; y");
    }
}
