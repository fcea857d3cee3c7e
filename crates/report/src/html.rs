//! The self-contained HTML report: every table (with the paper comparison), the
//! data-build graph with node states, four figures drawn as inline SVG, a multiverse's
//! specification curve and summary when there is one, and a provenance block. No external
//! requests: inline CSS, no scripts, no fonts.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::curve::SVG_NS;
use crate::grid::{html_escape, render_html};
use crate::markdown::markdown_html;
use crate::published::{compare_descriptive, compare_regression, compare_robots, published};
use crate::svg::{
    bar_chart, box_plot, coefficient_plot, line_chart, text_width, CoefPoint, Series,
};
use crate::tables::ReportTable;
use crate::types::{DescriptiveTable, RobotTable, TableDoc};

/// A node of the data-build graph as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub name: String,
    /// Operation name.
    pub op: String,
    /// `"fresh"`, `"stale"`, `"never_built"`, `"failed"`, ... (shown as given).
    pub state: String,
    /// Duration of the last run, milliseconds.
    pub duration_ms: Option<u64>,
    /// Node key (blake3 hex).
    pub key: String,
}

/// Mean TE, TC and TP across cities in a year (Malmquist-Luenberger components).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TfpYearMeans {
    pub year: i32,
    pub te: f64,
    pub tc: f64,
    pub tp: f64,
}

/// Robot stock by province in one year, robots (units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvinceRobots {
    pub year: i32,
    /// (province name or code, units).
    pub stocks: Vec<(String, f64)>,
}

/// Where the numbers came from; all passed in as text, printed as plain text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub git_commit: String,
    pub git_dirty: bool,
    /// Build time, only if the caller wants one in the report (kept out by default
    /// so that the report is a function of its inputs).
    pub generated_at: Option<String>,
    /// (node, key).
    pub node_keys: Vec<(String, String)>,
    /// (input file, content hash).
    pub input_hashes: Vec<(String, String)>,
    /// (what, seed).
    pub seeds: Vec<(String, u64)>,
    /// (tool, version).
    pub tool_versions: Vec<(String, String)>,
}

/// Everything the HTML report shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportInput {
    pub title: String,
    pub robot_table: Option<RobotTable>,
    pub descriptive: Option<DescriptiveTable>,
    /// Regression tables (Tables 4-9), in display order.
    pub tables: Vec<TableDoc>,
    /// Set each table beside the paper's published figures.
    pub compare_with_paper: bool,
    pub nodes: Vec<NodeInfo>,
    /// (from, to): `to` depends on `from`.
    pub edges: Vec<(String, String)>,
    /// ROBOT (thousand robots) of every city, by year.
    pub robot_by_year: Vec<(i32, Vec<f64>)>,
    pub tfp_by_year: Vec<TfpYearMeans>,
    pub province_robots: Option<ProvinceRobots>,
    pub provenance: Provenance,
    /// Tables that were not produced in this run, each with its error (shown in their place so
    /// that one failed table does not hide the others).
    #[serde(default)]
    pub failed_tables: Vec<FailedTable>,
    /// The multiverse's specification curve and summary, shown in a section of their own. Left
    /// out of the JSON when absent, so a report input without one serializes as it always has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiverse: Option<MultiverseSection>,
}

/// A multiverse as the report shows it: the curve ([`crate::spec_curve`]) and the summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MultiverseSection {
    /// The multiverse's name (`robot_carbon`).
    pub name: String,
    /// The specification curve, a self-contained `<svg>`, embedded as given.
    pub curve_svg: String,
    /// The summary in Markdown (`summary.md`), shown converted and escaped.
    pub summary_markdown: String,
}

/// A table node that failed (or was not run because an upstream node failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedTable {
    /// The node (`table6`).
    pub node: String,
    /// Its error.
    pub error: String,
}

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
nav ul{columns:3;font-size:.9em}
table.rc-table{border-collapse:collapse;margin:1em 0;font-size:.9em;font-variant-numeric:tabular-nums}
table.rc-table caption{font-weight:bold;text-align:left;padding-bottom:.4em}
table.rc-table th,table.rc-table td{padding:.15em .7em;text-align:right;white-space:nowrap}
table.rc-table tr>th:first-child{text-align:left;font-weight:normal}
table.rc-table thead{border-top:2px solid #222;border-bottom:1px solid #222}
table.rc-table thead th{font-weight:bold}
table.rc-table tbody+tbody{border-top:1px solid #222}
table.rc-table tbody:last-child{border-bottom:2px solid #222}
.rc-notes{font-size:.8em;color:#444;max-width:900px}
.rc-notes p{margin:.2em 0}
svg.rc-figure{display:block;box-sizing:border-box;margin:1em 0;background:#fff;border:1px solid #eee;max-width:100%;height:auto}
.rc-scroll{overflow-x:auto;max-width:100%}
.rc-scroll>svg.rc-figure{max-width:none}
#nodes td:last-child{white-space:normal;min-width:14em}
@media print{body{max-width:none;margin:0;padding:0}.rc-scroll{overflow:visible}.rc-scroll>svg.rc-figure{max-width:100%}table.rc-table{font-size:.75em}table.rc-table td,table.rc-table th{white-space:normal;padding:.1em .3em}}
.state-fresh{background:#d8f0d8}.state-stale{background:#fbe3c2}.state-never_built{background:#e6e6e6}.state-failed{background:#f6c9c9}
pre.provenance{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:.85em}
details{margin:.5em 0}
.failed-table{border-left:4px solid #c0392b;padding:.2em 1em;margin:1em 0;background:#fbeaea}
.failed-table p.error{white-space:pre-wrap;font-family:monospace;font-size:.85em}
";

fn state_colour(state: &str) -> &'static str {
    match state {
        "fresh" => "#7fc97f",
        "stale" => "#fdb462",
        "never_built" => "#d9d9d9",
        "failed" => "#f4a3a3",
        "running" => "#80b1d3",
        _ => "#ffffff",
    }
}

/// Longest-path layer of each node from the sources (nodes without inputs are 0).
/// Edges naming unknown nodes add them; a cycle cannot loop forever (at most n passes).
fn layers(nodes: &[NodeInfo], edges: &[(String, String)]) -> BTreeMap<String, usize> {
    let mut layer: BTreeMap<String, usize> = nodes.iter().map(|n| (n.name.clone(), 0)).collect();
    for (a, b) in edges {
        layer.entry(a.clone()).or_insert(0);
        layer.entry(b.clone()).or_insert(0);
    }
    for _ in 0..layer.len() {
        let mut changed = false;
        for (a, b) in edges {
            let la = layer.get(a).copied().unwrap_or(0);
            let lb = layer.get(b).copied().unwrap_or(0);
            if lb < la + 1 {
                layer.insert(b.clone(), la + 1);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    layer
}

/// A node's last duration as the graph shows it.
fn duration_text(info: Option<&&NodeInfo>) -> String {
    info.and_then(|n| n.duration_ms)
        .map_or("-".to_string(), |d| format!("{d} ms"))
}

/// The graph drawn left to right by layer, boxes coloured by state.
pub fn dag_svg(nodes: &[NodeInfo], edges: &[(String, String)]) -> String {
    let layer = layers(nodes, edges);
    let state: BTreeMap<&str, &NodeInfo> = nodes.iter().map(|n| (n.name.as_str(), n)).collect();
    let mut by_layer: BTreeMap<usize, Vec<&String>> = BTreeMap::new();
    for (name, l) in &layer {
        by_layer.entry(*l).or_default().push(name);
    }
    let n_layers = by_layer.len().max(1);
    let tallest = by_layer.values().map(Vec::len).max().unwrap_or(1);
    let title = "Data-build graph: node state and last duration";
    let x_label = "Layer (longest path from the source nodes; edges point right, to dependants)";
    // Boxes as wide as their longest line (bold name, or state and duration) needs.
    let widest_line = layer
        .keys()
        .map(|name| {
            let info = state.get(name.as_str());
            let second = format!(
                "{} · {}",
                info.map_or("unknown", |n| n.state.as_str()),
                duration_text(info)
            );
            (1.1 * text_width(name, 11.0)).max(text_width(&second, 11.0))
        })
        .fold(0.0, f64::max);
    let box_w = (widest_line + 12.0).max(130.0).ceil();
    let (box_h, gap_x, gap_y) = (34.0, 40.0, 14.0);
    let (left, top) = (40.0, 40.0);
    let width = (left + n_layers as f64 * (box_w + gap_x) + 20.0)
        .max(1.1 * text_width(title, 14.0) + 20.0)
        .max(text_width(x_label, 11.0) + 20.0)
        .ceil();
    let height = top + tallest as f64 * (box_h + gap_y) + 50.0;
    let mut pos: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for (l, names) in &by_layer {
        for (i, name) in names.iter().enumerate() {
            pos.insert(
                name.as_str(),
                (
                    left + *l as f64 * (box_w + gap_x),
                    top + i as f64 * (box_h + gap_y),
                ),
            );
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg id=\"fig-dag\" class=\"rc-figure\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"data-build graph\" font-family=\"sans-serif\" font-size=\"11\">",
        w = width.round(),
        h = height.round()
    );
    let _ = writeln!(
        out,
        "<text class=\"title\" x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{title}</text>",
        (width / 2.0).round()
    );
    for (a, b) in edges {
        if let (Some(pa), Some(pb)) = (pos.get(a.as_str()), pos.get(b.as_str())) {
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/>",
                pa.0 + box_w,
                pa.1 + box_h / 2.0,
                pb.0,
                pb.1 + box_h / 2.0
            );
        }
    }
    for (name, (x, y)) in &pos {
        let info = state.get(name);
        let st = info.map_or("unknown", |n| n.state.as_str());
        let dur = duration_text(info);
        let _ = writeln!(
            out,
            "<g><title>{} ({}): {}, {}</title><rect x=\"{x}\" y=\"{y}\" width=\"{box_w}\" height=\"{box_h}\" rx=\"4\" fill=\"{}\" stroke=\"#444\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{} · {}</text></g>",
            html_escape(name),
            html_escape(info.map_or("", |n| n.op.as_str())),
            html_escape(st),
            html_escape(&dur),
            state_colour(st),
            x + box_w / 2.0,
            y + 14.0,
            html_escape(name),
            x + box_w / 2.0,
            y + 28.0,
            html_escape(st),
            html_escape(&dur)
        );
    }
    let _ = writeln!(
        out,
        "<text class=\"axis-label x-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{x_label}</text>",
        (width / 2.0).round(),
        (height - 10.0).round()
    );
    let _ = writeln!(
        out,
        "<text class=\"axis-label y-label\" x=\"14\" y=\"{y}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {y})\">Nodes of the layer</text>",
        y = (height / 2.0).round()
    );
    out.push_str("</svg>\n");
    out
}

/// Points of the coefficient plot: ROBOT (or ROBOT_R) in every column of Tables 4-9,
/// with b +- 1.96 se.
pub fn robot_coefficients(tables: &[TableDoc]) -> Vec<CoefPoint> {
    let mut points = Vec::new();
    for t in tables {
        let in_scope = matches!(
            t.table.as_str(),
            "table4" | "table5" | "table6" | "table7" | "table8" | "table9"
        );
        if !in_scope {
            continue;
        }
        for col in &t.columns {
            for name in ["ROBOT", "ROBOT_R"] {
                if let Some(k) = col.coefs.get(name) {
                    let sample = if col.sample == "all" {
                        String::new()
                    } else {
                        format!(" {}", col.sample)
                    };
                    points.push(CoefPoint {
                        label: format!(
                            "{} {} {}{}{}",
                            t.table,
                            col.label,
                            col.dep,
                            sample,
                            if name == "ROBOT_R" { " (ROBOT_R)" } else { "" }
                        ),
                        estimate: k.b,
                        low: k.b - 1.96 * k.se,
                        high: k.b + 1.96 * k.se,
                    });
                }
            }
        }
    }
    points
}

/// Wide content (tables, the graph) scrolls inside its own box instead of widening the page.
fn scroll_box(out: &mut String, content: &str) {
    out.push_str("<div class=\"rc-scroll\">\n");
    out.push_str(content);
    out.push_str("</div>\n");
}

fn section_table<T: ReportTable>(out: &mut String, t: &T) {
    scroll_box(out, &render_html(&t.grid()));
}

fn comparison_block<T: ReportTable>(out: &mut String, c: &T) {
    out.push_str("<details><summary>Paper | this run | difference</summary>\n");
    scroll_box(out, &render_html(&c.grid()));
    out.push_str("</details>\n");
}

fn provenance_text(p: &Provenance) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "git commit: {}{}",
        p.git_commit,
        if p.git_dirty {
            " (dirty working tree)"
        } else {
            " (clean)"
        }
    );
    if let Some(t) = &p.generated_at {
        let _ = writeln!(s, "generated at: {t}");
    }
    let mut list = |title: &str, items: Vec<(String, String)>| {
        if !items.is_empty() {
            let _ = writeln!(s, "\n{title}:");
            for (k, v) in items {
                let _ = writeln!(s, "  {k}  {v}");
            }
        }
    };
    list("node keys", p.node_keys.clone());
    list("input hashes", p.input_hashes.clone());
    list(
        "seeds",
        p.seeds
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect(),
    );
    list("tool versions", p.tool_versions.clone());
    s
}

/// One self-contained HTML document with every table, the graph, the figures and
/// the provenance. Deterministic: the same input gives the same bytes.
pub fn html_report(input: &ReportInput) -> String {
    let mut out = String::new();
    let title = if input.title.is_empty() {
        "robocarb report"
    } else {
        input.title.as_str()
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        html_escape(title),
        html_escape(title)
    );
    // The multiverse's entry only when it has one: a report without it keeps its bytes.
    let _ = writeln!(
        out,
        "<nav><ul><li><a href=\"#tables\">Tables</a></li><li><a href=\"#figures\">Figures</a></li>{}<li><a href=\"#graph\">Data-build graph</a></li><li><a href=\"#provenance\">Provenance</a></li></ul></nav>",
        if input.multiverse.is_some() {
            "<li><a href=\"#multiverse\">Multiverse</a></li>"
        } else {
            ""
        }
    );

    let paper = if input.compare_with_paper {
        match published() {
            Ok(p) => Some(p),
            Err(e) => {
                let _ = writeln!(
                    out,
                    "<p class=\"error\">Published tables unavailable: {}</p>",
                    html_escape(&e.to_string())
                );
                None
            }
        }
    } else {
        None
    };

    out.push_str("<section id=\"tables\">\n<h2>Tables</h2>\n");
    if let Some(t) = &input.robot_table {
        section_table(&mut out, t);
        if let Some(p) = &paper {
            comparison_block(&mut out, &compare_robots(t, p));
        }
    }
    if let Some(t) = &input.descriptive {
        section_table(&mut out, t);
        if let Some(p) = &paper {
            comparison_block(&mut out, &compare_descriptive(t, p));
        }
    }
    for t in &input.tables {
        section_table(&mut out, t);
        if let Some(p) = &paper {
            // Tables the paper does not have (extensions) are shown without comparison.
            if let Ok(c) = compare_regression(t, p) {
                comparison_block(&mut out, &c);
            }
        }
    }
    for f in &input.failed_tables {
        let _ = writeln!(
            out,
            "<div class=\"failed-table\" id=\"failed-{}\"><h3>{}: not produced</h3><p class=\"error\">{}</p></div>",
            html_escape(&f.node),
            html_escape(&f.node),
            html_escape(&f.error)
        );
    }
    out.push_str("</section>\n");

    out.push_str("<section id=\"figures\">\n<h2>Figures</h2>\n");
    out.push_str(&coefficient_plot(
        "fig-coefficients",
        "Figure 1. Coefficient on robot exposure in every specification of Tables 4-9",
        "Coefficient per thousand robots (dot: estimate; line: 95% interval, b ± 1.96 se)",
        "Table, column, dependent variable",
        &robot_coefficients(&input.tables),
    ));
    let groups: Vec<(String, Vec<f64>)> = input
        .robot_by_year
        .iter()
        .map(|(y, v)| (y.to_string(), v.clone()))
        .collect();
    out.push_str(&box_plot(
        "fig-robot-by-year",
        "Figure 2. Distribution of city robot exposure (ROBOT) by year",
        "Year",
        "ROBOT (thousand robots)",
        &groups,
    ));
    let series = |name: &str, f: fn(&TfpYearMeans) -> f64| Series {
        name: name.to_string(),
        points: input
            .tfp_by_year
            .iter()
            .map(|m| (f64::from(m.year), f(m)))
            .collect(),
    };
    out.push_str(&line_chart(
        "fig-tfp",
        "Figure 3. Mean efficiency change (TE), technical change (TC) and TP = TC / TE by year",
        "Year",
        "Mean index across cities (1 = no change)",
        &[
            series("TE", |m| m.te),
            series("TC", |m| m.tc),
            series("TP", |m| m.tp),
        ],
    ));
    let (year_text, mut bars) = match &input.province_robots {
        Some(p) => (format!(" in {}", p.year), p.stocks.clone()),
        None => (String::new(), Vec::new()),
    };
    bars.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.push_str(&bar_chart(
        "fig-province-robots",
        &format!("Figure 4. Robot stock by province{year_text}"),
        "Robot stock (units)",
        "Province",
        &bars,
    ));
    out.push_str("</section>\n");

    if let Some(m) = &input.multiverse {
        let _ = writeln!(
            out,
            "<section id=\"multiverse\">\n<h2>Multiverse: {}</h2>",
            html_escape(&m.name)
        );
        // Inline, HTML gives the SVG its namespace; without the attribute the report keeps no
        // URL outside its provenance text.
        let svg = match m.curve_svg.strip_prefix(SVG_NS) {
            Some(rest) => format!("<svg {rest}"),
            None => m.curve_svg.clone(),
        };
        out.push_str(&svg);
        if !svg.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("<div class=\"multiverse-summary\">\n");
        out.push_str(&markdown_html(&m.summary_markdown));
        out.push_str("</div>\n</section>\n");
    }

    out.push_str("<section id=\"graph\">\n<h2>Data-build graph</h2>\n");
    scroll_box(&mut out, &dag_svg(&input.nodes, &input.edges));
    out.push_str("<div class=\"rc-scroll\">\n<table class=\"rc-table\" id=\"nodes\"><caption>Nodes</caption><thead><tr><th>Node</th><th>Operation</th><th>State</th><th>Last duration (ms)</th><th>Key</th><th>Inputs</th></tr></thead><tbody>\n");
    let mut inputs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (a, b) in &input.edges {
        inputs.entry(b.as_str()).or_default().insert(a.as_str());
    }
    for n in &input.nodes {
        let deps: Vec<&str> = inputs
            .get(n.name.as_str())
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr class=\"state-{}\"><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td><code title=\"{}\">{}</code></td><td>{}</td></tr>",
            html_escape(&n.state),
            html_escape(&n.name),
            html_escape(&n.op),
            html_escape(&n.state),
            n.duration_ms.map_or(String::new(), |d| d.to_string()),
            html_escape(&n.key),
            html_escape(&n.key.chars().take(12).collect::<String>()),
            html_escape(&deps.join(", "))
        );
    }
    out.push_str("</tbody></table>\n</div>\n</section>\n");

    out.push_str("<section id=\"provenance\">\n<h2>Provenance</h2>\n<pre class=\"provenance\">");
    out.push_str(&html_escape(&provenance_text(&input.provenance)));
    out.push_str("</pre>\n</section>\n</body>\n</html>\n");
    out
}
