//! Hand-drawn SVG figures (no plotting crate): a coefficient plot, box plots by
//! year, line charts and horizontal bars, each with a title, axis labels with
//! units, and ticks. Output is deterministic text.

use std::fmt::Write as _;

use crate::grid::html_escape;

/// One interval of a coefficient plot.
#[derive(Debug, Clone, PartialEq)]
pub struct CoefPoint {
    pub label: String,
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// One named series of a line chart, points as (x, y).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// Default figure width, px; a figure grows beyond it when its labels need the room (the page
/// scales it down to fit, see the report's CSS).
const WIDTH: f64 = 760.0;
/// Narrowest plot area, px.
const MIN_PLOT: f64 = 480.0;
/// Font size of ticks, labels and legends; of titles (bold).
pub(crate) const FONT: f64 = 12.0;
pub(crate) const TITLE_FONT: f64 = 14.0;
/// Room at the left edge for the rotated y-axis label (centred on x = 14).
pub(crate) const Y_LABEL_ROOM: f64 = 24.0;
pub(crate) const PALETTE: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
];

/// Width of one line of text, px: an upper estimate for the usual sans-serif fonts (per-character
/// advances of DejaVu Sans, the widest common default, rounded up; full-width CJK characters one em).
/// Margins are sized from it so that no label is cut; the browser test measures the real widths.
pub fn text_width(text: &str, font_size: f64) -> f64 {
    let ems: f64 = text
        .chars()
        .map(|ch| match ch {
            ' ' => 0.33,
            'm' | 'w' | 'M' | 'W' | '%' | '@' => 1.0,
            'A'..='Z' | '&' | '=' | '+' | '<' | '>' | '~' | '#' => 0.8,
            'a'..='z' | '0'..='9' | '$' | '?' => 0.65,
            _ if ch.is_ascii() => 0.5,
            _ if u32::from(ch) >= 0x2E80 => 1.0,
            _ => 0.85,
        })
        .sum();
    ems * font_size
}

/// Bold text is about a tenth wider.
pub(crate) fn bold_width(text: &str, font_size: f64) -> f64 {
    1.1 * text_width(text, font_size)
}

/// The widest of some labels, px.
pub(crate) fn widest<'a>(labels: impl IntoIterator<Item = &'a str>) -> f64 {
    labels
        .into_iter()
        .map(|l| text_width(l, FONT))
        .fold(0.0, f64::max)
}

/// Coordinates rounded to 0.01 px so the text is short and stable.
pub(crate) fn c(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// "Nice" tick values (steps of 1, 2 or 5 x 10^k) covering [lo, hi].
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) {
        return Vec::new();
    }
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).floor() as i64;
    let end = (hi / step).ceil() as i64;
    (start..=end).map(|i| i as f64 * step).collect()
}

/// Ticks of an estimate axis: covering the finite values and zero (the reference of every
/// estimate), about six of them. Never empty.
pub(crate) fn ticks_with_zero(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((0.0, 0.0), |(lo, hi): (f64, f64), v| (lo.min(v), hi.max(v)));
    nice_ticks(lo, hi, 6)
}

fn tick_label(v: f64, ticks: &[f64]) -> String {
    let step = if ticks.len() > 1 {
        (ticks[1] - ticks[0]).abs()
    } else {
        1.0
    };
    let digits = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    crate::grid::format_number(v, digits)
}

/// Linear map from data to pixels.
#[derive(Clone, Copy)]
pub(crate) struct Scale {
    pub(crate) d0: f64,
    pub(crate) d1: f64,
    pub(crate) p0: f64,
    pub(crate) p1: f64,
}
impl Scale {
    pub(crate) fn at(&self, v: f64) -> f64 {
        if self.d1 == self.d0 {
            (self.p0 + self.p1) / 2.0
        } else {
            self.p0 + (v - self.d0) / (self.d1 - self.d0) * (self.p1 - self.p0)
        }
    }
}

pub(crate) struct Frame {
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub(crate) left: f64,
    pub(crate) right: f64,
    pub(crate) top: f64,
    pub(crate) bottom: f64,
}

impl Frame {
    /// A frame with the given margins, wide enough for a plot area of at least `MIN_PLOT`, the
    /// title and the x-axis label.
    fn fit(height: f64, left: f64, right: f64, title: &str, x_label: &str) -> Frame {
        let width = [
            WIDTH,
            left + MIN_PLOT + right,
            bold_width(title, TITLE_FONT) + 20.0,
            text_width(x_label, FONT) + 20.0,
        ]
        .into_iter()
        .fold(0.0, f64::max)
        .ceil();
        Frame {
            width,
            height,
            left,
            right,
            top: 34.0,
            bottom: 50.0,
        }
    }
}

pub(crate) fn open(out: &mut String, id: &str, title: &str, f: &Frame) {
    let _ = writeln!(
        out,
        "<svg id=\"{}\" class=\"rc-figure\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" font-family=\"sans-serif\" font-size=\"12\">",
        html_escape(id),
        c(f.width),
        c(f.height),
        c(f.width),
        c(f.height),
        html_escape(title)
    );
    let _ = writeln!(
        out,
        "<text class=\"title\" x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        c(f.width / 2.0),
        html_escape(title)
    );
}

pub(crate) fn axis_labels(out: &mut String, f: &Frame, x_label: &str, y_label: &str) {
    let _ = writeln!(
        out,
        "<text class=\"axis-label x-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        // Centred under the plot area, shifted left if it would run past the figure's edge.
        c(((f.left + f.width - f.right) / 2.0).clamp(
            text_width(x_label, FONT) / 2.0 + 4.0,
            f.width - text_width(x_label, FONT) / 2.0 - 4.0
        )),
        c(f.height - 8.0),
        html_escape(x_label)
    );
    let ymid = (f.top + f.height - f.bottom) / 2.0;
    let _ = writeln!(
        out,
        "<text class=\"axis-label y-label\" x=\"14\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {})\">{}</text>",
        c(ymid),
        c(ymid),
        html_escape(y_label)
    );
}

pub(crate) fn x_axis(out: &mut String, f: &Frame, sx: Scale, ticks: &[(f64, String)]) {
    let y = f.height - f.bottom;
    let _ = writeln!(
        out,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>",
        c(f.left),
        c(y),
        c(f.width - f.right),
        c(y)
    );
    for (v, label) in ticks {
        let x = sx.at(*v);
        let _ = writeln!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/><text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            c(x),
            c(y),
            c(x),
            c(y + 5.0),
            c(x),
            c(y + 18.0),
            html_escape(label)
        );
    }
}

pub(crate) fn y_axis(out: &mut String, f: &Frame, sy: Scale, ticks: &[(f64, String)], grid: bool) {
    let _ = writeln!(
        out,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>",
        c(f.left),
        c(f.top),
        c(f.left),
        c(f.height - f.bottom)
    );
    for (v, label) in ticks {
        let y = sy.at(*v);
        if grid {
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e5e5e5\"/>",
                c(f.left),
                c(y),
                c(f.width - f.right),
                c(y)
            );
        }
        let _ = writeln!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/><text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            c(f.left - 5.0),
            c(y),
            c(f.left),
            c(y),
            c(f.left - 8.0),
            c(y + 4.0),
            html_escape(label)
        );
    }
}

/// Left margin for y ticks labelled `ticks` (labels end 8 px before the axis).
pub(crate) fn y_axis_margin(ticks: &[(f64, String)]) -> f64 {
    (Y_LABEL_ROOM + widest(ticks.iter().map(|t| t.1.as_str())) + 8.0)
        .max(70.0)
        .ceil()
}

pub(crate) fn numeric_ticks(ticks: &[f64]) -> Vec<(f64, String)> {
    ticks.iter().map(|t| (*t, tick_label(*t, ticks))).collect()
}

fn no_data(out: &mut String, f: &Frame) {
    no_data_at(out, f.width / 2.0, f.height / 2.0);
}

/// The "no data" note centred on (x, y), for figures whose plot area is not the frame's middle.
pub(crate) fn no_data_at(out: &mut String, x: f64, y: f64) {
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#777\">no data</text>",
        c(x),
        c(y)
    );
}

/// Horizontal coefficient plot: one row per point, estimate as a dot, interval as
/// a line, a dashed line at zero.
pub fn coefficient_plot(
    id: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    points: &[CoefPoint],
) -> String {
    let row_h = 18.0;
    let labels = widest(points.iter().map(|p| p.label.as_str()));
    let f = Frame::fit(
        70.0 + 30.0 + row_h * points.len().max(1) as f64,
        (Y_LABEL_ROOM + labels + 8.0).max(200.0).ceil(),
        20.0,
        title,
        x_label,
    );
    let mut out = String::new();
    open(&mut out, id, title, &f);
    let ticks = ticks_with_zero(points.iter().flat_map(|p| [p.low, p.high, p.estimate]));
    let sx = Scale {
        d0: ticks.first().copied().unwrap_or(0.0),
        d1: ticks.last().copied().unwrap_or(0.0),
        p0: f.left,
        p1: f.width - f.right,
    };
    x_axis(&mut out, &f, sx, &numeric_ticks(&ticks));
    let _ = writeln!(
        out,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>",
        c(sx.at(0.0)),
        c(f.top),
        c(sx.at(0.0)),
        c(f.height - f.bottom)
    );
    if points.is_empty() {
        no_data(&mut out, &f);
    }
    for (i, p) in points.iter().enumerate() {
        let y = f.top + row_h * (i as f64 + 0.5);
        let _ = writeln!(
            out,
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            c(f.left - 8.0),
            c(y + 4.0),
            html_escape(&p.label)
        );
        if p.low.is_finite() && p.high.is_finite() {
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"/>",
                c(sx.at(p.low)),
                c(y),
                c(sx.at(p.high)),
                c(y),
                PALETTE[0]
            );
        }
        if p.estimate.is_finite() {
            let _ = writeln!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\"><title>{}: {} [{}, {}]</title></circle>",
                c(sx.at(p.estimate)),
                c(y),
                PALETTE[1],
                html_escape(&p.label),
                crate::grid::format_number(p.estimate, 4),
                crate::grid::format_number(p.low, 4),
                crate::grid::format_number(p.high, 4)
            );
        }
    }
    axis_labels(&mut out, &f, x_label, y_label);
    out.push_str("</svg>\n");
    out
}

/// Quantile by linear interpolation between order statistics (Hyndman-Fan type 7,
/// the default of R and numpy) of sorted finite values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Tukey box plot statistics: quartiles (type 7), whiskers at the most extreme
/// values within 1.5 IQR of the box, and the values beyond them.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxStats {
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub whisker_low: f64,
    pub whisker_high: f64,
    pub outliers: Vec<f64>,
    pub n: usize,
}

/// Box statistics of the finite values (None when there are none).
pub fn box_stats(values: &[f64]) -> Option<BoxStats> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let (q1, median, q3) = (quantile(&v, 0.25), quantile(&v, 0.5), quantile(&v, 0.75));
    let iqr = q3 - q1;
    let (lo_fence, hi_fence) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
    let inside: Vec<f64> = v
        .iter()
        .copied()
        .filter(|x| *x >= lo_fence && *x <= hi_fence)
        .collect();
    Some(BoxStats {
        q1,
        median,
        q3,
        whisker_low: inside.first().copied().unwrap_or(q1),
        whisker_high: inside.last().copied().unwrap_or(q3),
        outliers: v
            .iter()
            .copied()
            .filter(|x| *x < lo_fence || *x > hi_fence)
            .collect(),
        n: v.len(),
    })
}

/// Vertical box plots, one per group (e.g. year).
pub fn box_plot(
    id: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    groups: &[(String, Vec<f64>)],
) -> String {
    let stats: Vec<(String, Option<BoxStats>)> = groups
        .iter()
        .map(|(g, v)| (g.clone(), box_stats(v)))
        .collect();
    let all: Vec<f64> = stats
        .iter()
        .filter_map(|(_, s)| s.as_ref())
        .flat_map(|s| {
            [s.whisker_low, s.whisker_high]
                .into_iter()
                .chain(s.outliers.iter().copied())
        })
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ticks = if all.is_empty() {
        nice_ticks(0.0, 1.0, 5)
    } else {
        nice_ticks(lo, hi, 6)
    };
    let y_ticks = numeric_ticks(&ticks);
    let f = Frame::fit(380.0, y_axis_margin(&y_ticks), 20.0, title, x_label);
    let mut out = String::new();
    open(&mut out, id, title, &f);
    let sy = Scale {
        d0: ticks.first().copied().unwrap_or(0.0),
        d1: ticks.last().copied().unwrap_or(1.0),
        p0: f.height - f.bottom,
        p1: f.top,
    };
    y_axis(&mut out, &f, sy, &y_ticks, true);
    let n = groups.len().max(1) as f64;
    let slot = (f.width - f.left - f.right) / n;
    let sx = |i: usize| f.left + slot * (i as f64 + 0.5);
    let xt: Vec<(f64, String)> = groups
        .iter()
        .enumerate()
        .map(|(i, (g, _))| (i as f64, g.clone()))
        .collect();
    let sxs = Scale {
        d0: -0.5,
        d1: n - 0.5,
        p0: f.left,
        p1: f.width - f.right,
    };
    x_axis(&mut out, &f, sxs, &xt);
    if groups.is_empty() {
        no_data(&mut out, &f);
    }
    let half = (slot * 0.3).min(18.0);
    for (i, (g, s)) in stats.iter().enumerate() {
        let Some(s) = s else { continue };
        let x = sx(i);
        let _ = writeln!(
            out,
            "<g class=\"box\"><title>{}: n={} median={} IQR=[{}, {}]</title>",
            html_escape(g),
            s.n,
            crate::grid::format_number(s.median, 4),
            crate::grid::format_number(s.q1, 4),
            crate::grid::format_number(s.q3, 4)
        );
        let _ = writeln!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#333\"/><line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#333\"/>",
            c(sy.at(s.whisker_low)),
            c(sy.at(s.q1)),
            c(sy.at(s.q3)),
            c(sy.at(s.whisker_high)),
            x = c(x)
        );
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#cfe0f1\" stroke=\"#1f77b4\"/>",
            c(x - half),
            c(sy.at(s.q3)),
            c(2.0 * half),
            c((sy.at(s.q1) - sy.at(s.q3)).max(0.5))
        );
        let _ = writeln!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d62728\" stroke-width=\"2\"/>",
            c(x - half),
            c(sy.at(s.median)),
            c(x + half),
            c(sy.at(s.median))
        );
        for o in &s.outliers {
            let _ = write!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"1.8\" fill=\"none\" stroke=\"#555\"/>",
                c(x),
                c(sy.at(*o))
            );
        }
        out.push_str("</g>\n");
    }
    axis_labels(&mut out, &f, x_label, y_label);
    out.push_str("</svg>\n");
    out
}

/// Line chart of several series over a numeric x axis, with a legend.
pub fn line_chart(
    id: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> String {
    let pts: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let (xlo, xhi) = pts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.0), b.max(p.0))
        });
    let (ylo, yhi) = pts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
    let (xticks, yticks) = if pts.is_empty() {
        (nice_ticks(0.0, 1.0, 5), nice_ticks(0.0, 1.0, 5))
    } else {
        (nice_ticks(xlo, xhi, 8), nice_ticks(ylo, yhi, 6))
    };
    let y_ticks = numeric_ticks(&yticks);
    // The legend sits right of the plot: a 20 px line, then the name.
    let legend = widest(series.iter().map(|s| s.name.as_str()));
    let f = Frame::fit(
        360.0,
        y_axis_margin(&y_ticks),
        (12.0 + 26.0 + legend + 8.0).max(110.0).ceil(),
        title,
        x_label,
    );
    let mut out = String::new();
    open(&mut out, id, title, &f);
    let sx = Scale {
        d0: xticks.first().copied().unwrap_or(0.0),
        d1: xticks.last().copied().unwrap_or(1.0),
        p0: f.left,
        p1: f.width - f.right,
    };
    let sy = Scale {
        d0: yticks.first().copied().unwrap_or(0.0),
        d1: yticks.last().copied().unwrap_or(1.0),
        p0: f.height - f.bottom,
        p1: f.top,
    };
    y_axis(&mut out, &f, sy, &y_ticks, true);
    x_axis(&mut out, &f, sx, &numeric_ticks(&xticks));
    if pts.is_empty() {
        no_data(&mut out, &f);
    }
    for (k, s) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let path: Vec<String> = s
            .points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|(x, y)| format!("{},{}", c(sx.at(*x)), c(sy.at(*y))))
            .collect();
        let _ = writeln!(
            out,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>",
            path.join(" "),
            html_escape(&s.name)
        );
        let ly = f.top + 10.0 + 18.0 * k as f64;
        let lx = f.width - f.right + 12.0;
        let _ = writeln!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{colour}\" stroke-width=\"2\"/><text class=\"legend\" x=\"{}\" y=\"{}\">{}</text>",
            c(lx),
            c(ly),
            c(lx + 20.0),
            c(ly),
            c(lx + 26.0),
            c(ly + 4.0),
            html_escape(&s.name)
        );
    }
    axis_labels(&mut out, &f, x_label, y_label);
    out.push_str("</svg>\n");
    out
}

/// Horizontal bar chart, bars in the order given.
pub fn bar_chart(
    id: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    bars: &[(String, f64)],
) -> String {
    let row_h = 16.0;
    let labels = widest(bars.iter().map(|b| b.0.as_str()));
    let f = Frame::fit(
        100.0 + row_h * bars.len().max(1) as f64,
        (Y_LABEL_ROOM + labels + 6.0).max(110.0).ceil(),
        30.0,
        title,
        x_label,
    );
    let mut out = String::new();
    open(&mut out, id, title, &f);
    let hi = bars
        .iter()
        .map(|b| b.1)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let lo = bars
        .iter()
        .map(|b| b.1)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::min);
    let ticks = nice_ticks(lo, if hi > lo { hi } else { lo + 1.0 }, 6);
    let sx = Scale {
        d0: ticks.first().copied().unwrap_or(0.0),
        d1: ticks.last().copied().unwrap_or(1.0),
        p0: f.left,
        p1: f.width - f.right,
    };
    x_axis(&mut out, &f, sx, &numeric_ticks(&ticks));
    if bars.is_empty() {
        no_data(&mut out, &f);
    }
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = f.top + row_h * i as f64 + 2.0;
        let _ = writeln!(
            out,
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            c(f.left - 6.0),
            c(y + row_h / 2.0 + 2.0),
            html_escape(label)
        );
        if v.is_finite() {
            let (a, b) = (sx.at(0.0), sx.at(*v));
            let _ = writeln!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>",
                c(a.min(b)),
                c(y),
                c((b - a).abs()),
                c(row_h - 4.0),
                PALETTE[0],
                html_escape(label),
                crate::grid::format_number(*v, 0)
            );
        }
    }
    axis_labels(&mut out, &f, x_label, y_label);
    out.push_str("</svg>\n");
    out
}
