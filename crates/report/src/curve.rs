//! The specification curve of a multiverse (Simonsohn, Simmons and Nelson 2020, in the layout of
//! R's specr): every specification's estimate, ranked, with its 95% interval and, when given, the
//! per-rank null band of the joint bootstrap; below it the indicator panel, one row per option
//! grouped by dimension, with a mark in the column of each specification that uses the option.
//!
//! It draws what it is given and must compute no statistics beyond sorting by the estimate and
//! classing each one by its sign and `p < alpha`: p-values, intervals and null bands come from the
//! caller. Sized for 1 to a few thousand specifications in a 960 px figure. At 1,920 columns a
//! column is about a third of a pixel wide, so the indicator marks of adjacent columns are merged
//! into one rectangle per run, and the per-point tooltips are left out (`TOOLTIP_MAX`): that keeps
//! the SVG of the study's multiverse well under a megabyte. Deterministic: the same input gives
//! the same bytes.

use std::cmp::Ordering;
use std::fmt::Write as _;

use crate::grid::{format_number, html_escape};
use crate::svg::{
    axis_labels, bold_width, c, nice_ticks, no_data_at, numeric_ticks, open, text_width,
    ticks_with_zero, widest, x_axis, y_axis, y_axis_margin, Frame, Scale, FONT, PALETTE,
    TITLE_FONT,
};

/// One specification of the curve.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveSpec {
    /// The option label it takes in each dimension, in the order of [`CurveInput::dimensions`].
    pub labels: Vec<String>,
    pub b: f64,
    /// 95% interval.
    pub ci_lo: f64,
    pub ci_hi: f64,
    pub p: f64,
}

/// What [`spec_curve`] draws.
#[derive(Debug, Clone, Copy)]
pub struct CurveInput<'a> {
    /// The `id` of the `<svg>` element.
    pub id: &'a str,
    pub title: &'a str,
    /// Label of the estimate axis (with its unit).
    pub y_label: &'a str,
    /// Dimension name and its option labels, in declared order (the indicator rows' order).
    pub dimensions: &'a [(String, Vec<String>)],
    /// In any order; the figure ranks them by `b`, ties in input order.
    pub specs: &'a [CurveSpec],
    /// Per rank (ascending `b`, counting only specifications with a finite `b`): the null
    /// distribution's 2.5%, 50% and 97.5% points.
    pub bands: Option<&'a [[f64; 3]]>,
    /// Significance level of the colours (0.05).
    pub alpha: f64,
}

/// Default width, px: the report's page holds it unscaled. Grows only when labels need the room.
const WIDTH: f64 = 960.0;
/// Narrowest plot area, px.
const MIN_PLOT: f64 = 400.0;
/// Least height of the estimate panel, px (more when the y label is longer).
const PANEL_MIN: f64 = 260.0;
/// Height of an option row and of a dimension's heading row in the indicator panel, px.
const ROW_H: f64 = 14.0;
const GROUP_H: f64 = 18.0;
/// How far option labels stand in from their dimension's name, px.
const INDENT: f64 = 12.0;
/// Under this column width (px) separate marks would blur into each other anyway, so a run of
/// adjacent columns becomes one rectangle: the SVG then grows with the number of runs, not of
/// specifications. At or above it each column gets its own mark, with a gap.
const RUN_BELOW: f64 = 3.0;
/// Above this many specifications no point gets a tooltip: its circle is too narrow to hover on
/// its own, and the tooltips would double the figure's size.
const TOOLTIP_MAX: usize = 400;
const NOT_SIGNIFICANT: &str = "#9a9a9a";
const MARK: &str = "#404040";
const BAND_FILL: &str = "#c6dbef";
const ZEBRA: &str = "#f3f3f3";
/// The legend's line height and the gap between its items, px.
const LEGEND_LINE: f64 = 16.0;
const LEGEND_GAP: f64 = 16.0;
/// A legend swatch's width and the gap to its text, px.
const SWATCH: f64 = 14.0;
const SWATCH_GAP: f64 = 5.0;

/// The start of the figure's root element.
pub(crate) const SVG_NS: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" ";

/// Sign and significance of an estimate: the three colours of the curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    NotSignificant,
    Negative,
    Positive,
}

/// Drawing order: the significant points on top of the others.
const CLASSES: [Class; 3] = [Class::NotSignificant, Class::Negative, Class::Positive];

impl Class {
    fn of(s: &CurveSpec, alpha: f64) -> Class {
        // A NaN p (or alpha) compares false: not significant. An estimate of exactly zero has no
        // sign to be significant in.
        match (s.p < alpha, s.b.partial_cmp(&0.0)) {
            (true, Some(Ordering::Greater)) => Class::Positive,
            (true, Some(Ordering::Less)) => Class::Negative,
            _ => Class::NotSignificant,
        }
    }
    fn colour(self) -> &'static str {
        match self {
            Class::Positive => PALETTE[0],
            Class::Negative => PALETTE[1],
            Class::NotSignificant => NOT_SIGNIFICANT,
        }
    }
    fn legend(self, alpha: f64) -> String {
        match self {
            Class::Positive => format!("significant positive (p < {alpha})"),
            Class::Negative => format!("significant negative (p < {alpha})"),
            Class::NotSignificant => "not significant".to_string(),
        }
    }
}

/// What a legend item shows before its text.
#[derive(Clone, Copy)]
enum Swatch {
    Point(&'static str),
    Interval,
    Band,
}

fn legend_item_width(text: &str) -> f64 {
    SWATCH + SWATCH_GAP + text_width(text, FONT)
}

fn draw_swatch(out: &mut String, swatch: Swatch, x: f64, baseline: f64) {
    let mid = baseline - 4.0;
    match swatch {
        // A round rect, not a circle: the figure's circles are its points, one per specification.
        Swatch::Point(colour) => {
            let _ = writeln!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"8\" height=\"8\" rx=\"4\" fill=\"{colour}\"/>",
                c(x + 3.0),
                c(mid - 4.0)
            );
        }
        Swatch::Interval => {
            let _ = writeln!(
                out,
                "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{NOT_SIGNIFICANT}\" stroke-width=\"1.5\"/>",
                c(mid - 6.0),
                c(mid + 6.0),
                x = c(x + 7.0)
            );
        }
        Swatch::Band => {
            let _ = writeln!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{SWATCH}\" height=\"10\" fill=\"{BAND_FILL}\"/><line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#333\" stroke-dasharray=\"3 2\"/>",
                c(x),
                c(mid - 5.0),
                c(x),
                c(x + SWATCH),
                y = c(mid)
            );
        }
    }
}

/// Maximal runs `[start, end]` of consecutive indices in `columns` (ascending).
fn runs(columns: &[usize]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &i in columns {
        match out.last_mut() {
            Some((_, end)) if *end + 1 == i => *end = i,
            _ => out.push((i, i)),
        }
    }
    out
}

/// The specification curve as a self-contained `<svg>` (see the module documentation).
pub fn spec_curve(input: &CurveInput) -> String {
    // A specification without a finite estimate has no place on the curve: left out, and counted
    // in a note. The sort is stable, so ties keep the input order.
    let mut ranked: Vec<&CurveSpec> = input.specs.iter().filter(|s| s.b.is_finite()).collect();
    ranked.sort_by(|a, b| a.b.partial_cmp(&b.b).unwrap_or(Ordering::Equal));
    let n = ranked.len();
    let mut notes = Vec::new();
    if n < input.specs.len() {
        notes.push(format!(
            "{} of {} specifications have no finite estimate and are not shown",
            input.specs.len() - n,
            input.specs.len()
        ));
    }
    // Bands belong to ranks: with another count they would sit beside the wrong estimates.
    let bands = match input.bands {
        Some(b) if b.len() == n => (n > 0).then_some(b),
        Some(b) => {
            notes.push(format!(
                "null bands not shown: {} ranks given for {} specifications",
                b.len(),
                n
            ));
            None
        }
        None => None,
    };

    let ticks = ticks_with_zero(
        ranked
            .iter()
            .flat_map(|s| [s.b, s.ci_lo, s.ci_hi])
            .chain(bands.into_iter().flatten().flatten().copied()),
    );
    let y_ticks = numeric_ticks(&ticks);
    let rank_ticks: Vec<(f64, String)> = if n == 0 {
        Vec::new()
    } else {
        // Ranks are whole numbers: fractional ticks (of a short curve) are dropped, and rounding
        // absorbs the step's floating-point error.
        let mut whole: Vec<i64> = nice_ticks(1.0, n as f64, 8)
            .into_iter()
            .filter(|t| (t - t.round()).abs() < 1e-9)
            .map(|t| t.round() as i64)
            .filter(|t| *t >= 1 && *t <= n as i64)
            .collect();
        whole.dedup();
        whole
            .into_iter()
            .map(|t| (t as f64, format_number(t as f64, 0)))
            .collect()
    };

    // Margins from the labels: the y ticks and the option labels share the left margin (the
    // option labels end 8 px before the plot, indented under their dimension's name).
    let options = widest(
        input
            .dimensions
            .iter()
            .flat_map(|(_, o)| o.iter().map(String::as_str)),
    );
    let groups = input
        .dimensions
        .iter()
        .map(|(d, _)| bold_width(d, FONT))
        .fold(0.0, f64::max);
    let left = y_axis_margin(&y_ticks)
        .max(8.0 + INDENT + options + 8.0)
        .max(8.0 + groups + 8.0)
        .ceil();
    let right = rank_ticks
        .last()
        .map_or(0.0, |t| text_width(&t.1, FONT) / 2.0 + 8.0)
        .max(20.0)
        .ceil();

    let mut legend: Vec<(Swatch, String)> = CLASSES
        .iter()
        .rev()
        .map(|k| (Swatch::Point(k.colour()), k.legend(input.alpha)))
        .collect();
    legend.push((Swatch::Interval, "95% interval".to_string()));
    if bands.is_some() {
        legend.push((Swatch::Band, "null (joint bootstrap) 95% band".to_string()));
    }
    let x_label =
        format!("Specifications ranked by estimate (n = {n}); below: the options each one uses");
    let width = [
        WIDTH,
        left + MIN_PLOT + right,
        bold_width(input.title, TITLE_FONT) + 20.0,
        text_width(&x_label, FONT) + 20.0,
        left + widest(notes.iter().map(String::as_str)) + right,
        left + legend
            .iter()
            .map(|(_, t)| legend_item_width(t))
            .fold(0.0, f64::max)
            + right,
    ]
    .into_iter()
    .fold(0.0, f64::max)
    .ceil();

    // The legend flows left to right from the plot's left edge, wrapping at its right edge.
    let mut placed = Vec::new();
    let (mut x, mut line) = (left, 0usize);
    for (swatch, text) in &legend {
        let w = legend_item_width(text);
        if x > left && x + w > width - right {
            line += 1;
            x = left;
        }
        placed.push((x, line, *swatch, text));
        x += w + LEGEND_GAP;
    }
    let lines = line + 1 + notes.len();
    let baseline = |k: usize| 38.0 + LEGEND_LINE * k as f64;
    // The top tick's label reaches 8 px above the panel: 10 px below the last legend line.
    let top = baseline(lines - 1) + 18.0;
    let panel_bottom = top + PANEL_MIN.max(text_width(input.y_label, FONT) + 16.0);
    // Rank tick labels sit 18 px below the panel.
    let rows_top = panel_bottom + 30.0;
    let rows_height: f64 = input
        .dimensions
        .iter()
        .map(|(_, o)| GROUP_H + ROW_H * o.len() as f64)
        .sum();
    let height = (rows_top + rows_height + 34.0).ceil();
    let f = Frame {
        width,
        height,
        left,
        right,
        top,
        bottom: height - panel_bottom,
    };
    let plot_right = width - right;
    let col_w = (plot_right - left) / n.max(1) as f64;
    let col_x = |i: usize| left + col_w * (i as f64 + 0.5);

    // The namespace makes the figure a valid SVG file on its own (`curve.svg`); the report's
    // other figures are only ever inline, where HTML supplies it.
    let mut out = String::new();
    open(&mut out, input.id, input.title, &f);
    let mut out = out.replacen("<svg ", SVG_NS, 1);
    for (x, line, swatch, text) in placed {
        draw_swatch(&mut out, swatch, x, baseline(line));
        let _ = writeln!(
            out,
            "<text class=\"legend\" x=\"{}\" y=\"{}\">{}</text>",
            c(x + SWATCH + SWATCH_GAP),
            c(baseline(line)),
            html_escape(text)
        );
    }
    for (k, note) in notes.iter().enumerate() {
        let _ = writeln!(
            out,
            "<text class=\"note\" x=\"{}\" y=\"{}\" fill=\"#777\">{}</text>",
            c(left),
            c(baseline(line + 1 + k)),
            html_escape(note)
        );
    }

    let sy = Scale {
        d0: ticks.first().copied().unwrap_or(0.0),
        d1: ticks.last().copied().unwrap_or(0.0),
        p0: panel_bottom,
        p1: top,
    };
    y_axis(&mut out, &f, sy, &y_ticks, true);
    let _ = writeln!(
        out,
        "<line class=\"zero\" x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#555\"/>",
        c(left),
        c(plot_right),
        y = c(sy.at(0.0))
    );

    // Intervals, then points, one element per class: thin lines at sub-pixel spacing read as a
    // band, and one path per colour keeps 1,920 of them small.
    let class: Vec<Class> = ranked.iter().map(|s| Class::of(s, input.alpha)).collect();
    let stroke = (col_w * 0.6).clamp(0.5, 1.5);
    for k in CLASSES {
        let mut d = String::new();
        for (i, s) in ranked.iter().enumerate() {
            if class[i] == k && s.ci_lo.is_finite() && s.ci_hi.is_finite() {
                let _ = write!(
                    d,
                    "M{} {}V{}",
                    c(col_x(i)),
                    c(sy.at(s.ci_lo)),
                    c(sy.at(s.ci_hi))
                );
            }
        }
        if !d.is_empty() {
            let _ = writeln!(
                out,
                "<path class=\"intervals\" fill=\"none\" stroke=\"{}\" stroke-opacity=\"0.55\" stroke-width=\"{}\" d=\"{d}\"/>",
                k.colour(),
                c(stroke)
            );
        }
    }
    // Over the intervals (which would hide it at the study's density), under the points.
    if let Some(bands) = bands {
        draw_bands(&mut out, bands, sy, col_x, col_w);
    }
    let r = (col_w * 0.45).clamp(1.0, 3.5);
    let tooltips = n <= TOOLTIP_MAX;
    for k in CLASSES {
        if !class.contains(&k) {
            continue;
        }
        let _ = writeln!(out, "<g class=\"points\" fill=\"{}\">", k.colour());
        for (i, s) in ranked.iter().enumerate().filter(|(i, _)| class[*i] == k) {
            let _ = write!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\"",
                c(col_x(i)),
                c(sy.at(s.b)),
                c(r)
            );
            if tooltips {
                let _ = writeln!(
                    out,
                    "><title>#{}: {}: b = {} [{}, {}], p = {}</title></circle>",
                    i + 1,
                    html_escape(&s.labels.join(" · ")),
                    format_number(s.b, 4),
                    format_number(s.ci_lo, 4),
                    format_number(s.ci_hi, 4),
                    format_number(s.p, 4)
                );
            } else {
                out.push_str("/>\n");
            }
        }
        out.push_str("</g>\n");
    }
    let sx = Scale {
        d0: 0.5,
        d1: n.max(1) as f64 + 0.5,
        p0: left,
        p1: plot_right,
    };
    x_axis(&mut out, &f, sx, &rank_ticks);
    if n == 0 {
        // Above the middle, where the zero line runs.
        no_data_at(
            &mut out,
            (left + plot_right) / 2.0,
            top + 0.3 * (panel_bottom - top),
        );
    }

    // The indicator panel: a heading row per dimension, then its options, striped for reading
    // across, with marks in the columns of the specifications that use each option.
    let mut y = rows_top;
    let mut stripe = false;
    for (d, (dimension, opts)) in input.dimensions.iter().enumerate() {
        let _ = writeln!(
            out,
            "<text class=\"dimension\" x=\"8\" y=\"{}\" font-weight=\"bold\">{}</text>",
            c(y + 13.0),
            html_escape(dimension)
        );
        y += GROUP_H;
        for opt in opts {
            if stripe {
                let _ = writeln!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{ROW_H}\" fill=\"{ZEBRA}\"/>",
                    c(left),
                    c(y),
                    c(plot_right - left)
                );
            }
            stripe = !stripe;
            let _ = writeln!(
                out,
                "<text class=\"option\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                c(left - 8.0),
                c(y + ROW_H / 2.0 + 4.0),
                html_escape(opt)
            );
            let columns: Vec<usize> = ranked
                .iter()
                .enumerate()
                .filter(|(_, s)| s.labels.get(d) == Some(opt))
                .map(|(i, _)| i)
                .collect();
            if !columns.is_empty() {
                draw_marks(&mut out, &columns, y + ROW_H / 2.0 - 4.0, left, col_w);
            }
            y += ROW_H;
        }
    }
    axis_labels(&mut out, &f, &x_label, input.y_label);
    out.push_str("</svg>\n");
    out
}

/// One option row's marks, 8 px tall from `top`: one rectangle per column, or per run of adjacent
/// columns when columns are too narrow to tell apart (`RUN_BELOW`). The row's vertical offset is
/// set once on its group, so each rectangle carries only its x and width.
fn draw_marks(out: &mut String, columns: &[usize], top: f64, left: f64, col_w: f64) {
    let _ = write!(
        out,
        "<g class=\"marks\" fill=\"{MARK}\" transform=\"translate(0 {})\">",
        c(top)
    );
    let spans: Vec<(usize, usize)> = if col_w < RUN_BELOW {
        runs(columns)
    } else {
        columns.iter().map(|&i| (i, i)).collect()
    };
    // Wide columns keep a gap between neighbouring marks so each specification reads as its own.
    let inset = if col_w < RUN_BELOW {
        0.0
    } else {
        (col_w * 0.2).min(3.0)
    };
    for (a, b) in spans {
        let _ = write!(
            out,
            "<rect x=\"{}\" width=\"{}\" height=\"8\"/>",
            c(left + col_w * a as f64 + inset),
            c(col_w * (b - a + 1) as f64 - 2.0 * inset)
        );
    }
    out.push_str("</g>\n");
}

/// The null band: a shaded area between the 2.5% and 97.5% points and the median dashed, each
/// broken where a rank's values are not finite. The ends reach the edges of their columns, so a
/// single rank still shows as a box.
fn draw_bands(
    out: &mut String,
    bands: &[[f64; 3]],
    sy: Scale,
    col_x: impl Fn(usize) -> f64,
    col_w: f64,
) {
    let point = |x: f64, v: f64| format!("{},{}", c(x), c(sy.at(v)));
    // Runs of consecutive ranks where `keep` holds; each as its list of (x, rank) vertices.
    let segments = |keep: &dyn Fn(&[f64; 3]) -> bool| -> Vec<Vec<(f64, usize)>> {
        let ranks: Vec<usize> = (0..bands.len()).filter(|&i| keep(&bands[i])).collect();
        runs(&ranks)
            .into_iter()
            .map(|(a, b)| {
                let mut v = vec![(col_x(a) - col_w / 2.0, a)];
                v.extend((a..=b).map(|i| (col_x(i), i)));
                v.push((col_x(b) + col_w / 2.0, b));
                v
            })
            .collect()
    };
    out.push_str("<g class=\"null-band\">\n");
    for seg in segments(&|r| r[0].is_finite() && r[2].is_finite()) {
        let upper = seg.iter().map(|&(x, i)| point(x, bands[i][2]));
        let lower = seg.iter().rev().map(|&(x, i)| point(x, bands[i][0]));
        let _ = writeln!(
            out,
            "<polygon fill=\"{BAND_FILL}\" fill-opacity=\"0.6\" points=\"{}\"/>",
            upper.chain(lower).collect::<Vec<_>>().join(" ")
        );
    }
    for seg in segments(&|r| r[1].is_finite()) {
        let _ = writeln!(
            out,
            "<polyline fill=\"none\" stroke=\"#333\" stroke-width=\"1\" stroke-dasharray=\"4 3\" points=\"{}\"/>",
            seg.iter()
                .map(|&(x, i)| point(x, bands[i][1]))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    out.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_merge_consecutive_columns() {
        assert_eq!(runs(&[]), vec![]);
        assert_eq!(runs(&[0, 1, 2, 5, 7, 8]), vec![(0, 2), (5, 5), (7, 8)]);
    }

    fn attr(tag: &str, name: &str) -> Option<String> {
        let key = format!(" {name}=\"");
        let at = tag.find(&key)? + key.len();
        Some(tag[at..at + tag[at..].find('"')?].to_string())
    }

    /// Every text's extent by `text_width` (an upper estimate of the rendered width), checked
    /// against the figure's size: the offline stand-in for the browser test's clipping check.
    fn assert_texts_inside(svg: &str) {
        let num = |tag: &str, k: &str| attr(tag, k).unwrap().parse::<f64>().unwrap();
        let root = &svg[..svg.find('>').unwrap()];
        let (w, h) = (num(root, "width"), num(root, "height"));
        let mut texts = 0;
        for (at, _) in svg.match_indices("<text ") {
            let rest = &svg[at..];
            let tag = &rest[..rest.find('>').unwrap()];
            let content = rest[tag.len() + 1..rest.find("</text>").unwrap()]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&amp;", "&");
            let size = attr(tag, "font-size").map_or(FONT, |s| s.parse().unwrap());
            let bold = if tag.contains("font-weight=\"bold\"") {
                1.1
            } else {
                1.0
            };
            let tw = bold * text_width(&content, size);
            let (x, y) = (num(tag, "x"), num(tag, "y"));
            let start = match attr(tag, "text-anchor").as_deref() {
                Some("end") => x - tw,
                Some("middle") => x - tw / 2.0,
                _ => x,
            };
            let inside = if tag.contains("rotate(-90") {
                // Rotated about (x, y): the text runs vertically, centred on y.
                x - size >= 0.0 && y - tw / 2.0 >= 0.0 && y + tw / 2.0 <= h
            } else {
                start >= 0.0 && start + tw <= w && y - size >= 0.0 && y + 4.0 <= h
            };
            assert!(inside, "{content:?} at {tag} in {w} x {h}");
            texts += 1;
        }
        assert!(texts > 5);
    }

    #[test]
    fn every_label_fits_the_figure() {
        let long = "an extremely long option label that needs room".to_string();
        let dims = vec![
            (
                "a very long dimension name, bold".to_string(),
                vec![long.clone(), "x".into()],
            ),
            ("fe".to_string(), vec!["city+province^year".to_string()]),
        ];
        let specs: Vec<CurveSpec> = (0..40)
            .map(|i| CurveSpec {
                labels: vec![
                    if i % 3 == 0 { long.clone() } else { "x".into() },
                    "city+province^year".into(),
                ],
                b: 1234.5 * (f64::from(i) - 20.0),
                ci_lo: 1234.5 * (f64::from(i) - 25.0),
                ci_hi: 1234.5 * (f64::from(i) - 15.0),
                p: if i % 2 == 0 { 0.01 } else { 0.5 },
            })
            .collect();
        let bands = vec![[-1000.0, 0.0, 1000.0]; 40];
        let title = "A title much longer than usual, to see that the figure grows to hold it rather than cutting it at the edge";
        let y_label =
            "Coefficient on robot exposure, per thousand robots, in tonnes of CO2 per capita";
        for (bands, specs) in [
            (Some(&bands[..]), &specs[..]),
            (None, &specs[..3]),
            (None, &[][..]),
        ] {
            let svg = spec_curve(&CurveInput {
                id: "fig",
                title,
                y_label,
                dimensions: &dims,
                specs,
                bands,
                alpha: 0.05,
            });
            assert_texts_inside(&svg);
        }
    }

    #[test]
    fn classes_by_sign_and_significance() {
        let s = |b: f64, p: f64| CurveSpec {
            labels: vec![],
            b,
            ci_lo: b - 1.0,
            ci_hi: b + 1.0,
            p,
        };
        assert_eq!(Class::of(&s(0.5, 0.01), 0.05), Class::Positive);
        assert_eq!(Class::of(&s(-0.5, 0.01), 0.05), Class::Negative);
        assert_eq!(Class::of(&s(-0.5, 0.05), 0.05), Class::NotSignificant);
        assert_eq!(Class::of(&s(0.5, f64::NAN), 0.05), Class::NotSignificant);
        assert_eq!(Class::of(&s(0.0, 0.0), 0.05), Class::NotSignificant);
    }
}
