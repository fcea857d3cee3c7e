//! The specification curve: one point per finite specification, ranked by estimate and coloured
//! by sign and significance; every option in the indicator panel; null bands only when given; a
//! valid figure for no specifications; small and deterministic at the study's 1,920.

use robocarb_report::*;

const POSITIVE: &str = "#1f77b4";
const NEGATIVE: &str = "#d62728";
const NOT_SIGNIFICANT: &str = "#9a9a9a";

/// Dimension names with their option labels.
type Dims = Vec<(String, Vec<String>)>;

fn dims(list: &[(&str, &[&str])]) -> Dims {
    list.iter()
        .map(|(d, o)| (d.to_string(), o.iter().map(|s| s.to_string()).collect()))
        .collect()
}

fn spec(labels: &[&str], b: f64, se: f64, p: f64) -> CurveSpec {
    CurveSpec {
        labels: labels.iter().map(|s| s.to_string()).collect(),
        b,
        ci_lo: b - 1.96 * se,
        ci_hi: b + 1.96 * se,
        p,
    }
}

/// 3 dimensions; specifications out of order, one without a finite estimate, one without a
/// finite interval.
fn small() -> (Dims, Vec<CurveSpec>) {
    let d = dims(&[
        ("outcome", &["CARBON", "CARBON_I"]),
        ("controls", &["all", "none", "-GDP"]),
        ("sample", &["all", "no_municipality_or_plan"]),
    ]);
    let specs = vec![
        spec(&["CARBON", "all", "all"], -0.025, 0.009, 0.008),
        spec(&["CARBON_I", "none", "all"], 0.012, 0.004, 0.003),
        spec(
            &["CARBON", "none", "no_municipality_or_plan"],
            -0.004,
            0.01,
            0.6,
        ),
        spec(&["CARBON_I", "-GDP", "all"], f64::NAN, 0.01, f64::NAN),
        spec(&["CARBON", "-GDP", "all"], -0.031, 0.012, 0.01),
        spec(
            &["CARBON_I", "all", "no_municipality_or_plan"],
            0.002,
            0.01,
            0.8,
        ),
        CurveSpec {
            labels: vec![
                "CARBON".into(),
                "-GDP".into(),
                "no_municipality_or_plan".into(),
            ],
            b: -0.018,
            ci_lo: f64::NAN,
            ci_hi: f64::INFINITY,
            p: 0.02,
        },
    ];
    (d, specs)
}

fn input<'a>(
    d: &'a [(String, Vec<String>)],
    specs: &'a [CurveSpec],
    bands: Option<&'a [[f64; 3]]>,
) -> CurveInput<'a> {
    CurveInput {
        id: "fig-curve",
        title: "Specification curve: ROBOT on CO2",
        y_label: "Coefficient on ROBOT (per thousand robots)",
        dimensions: d,
        specs,
        bands,
        alpha: 0.05,
    }
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    Some(tag[at..at + tag[at..].find('"')?].to_string())
}

/// Every tag of the SVG: (name, whole tag text), closing tags named with their slash.
fn tags(svg: &str) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        let end = i + rest[i..].find('>').expect("tag closed");
        let tag = &rest[i..=end];
        let name: String = tag[1..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>')
            .collect();
        out.push((name.trim_end_matches('/').to_string(), tag));
        rest = &rest[end + 1..];
    }
    out
}

/// Tags nest and close: the SVG is well formed (text is escaped, so `<` only opens tags).
fn assert_well_formed(svg: &str) {
    // A valid SVG file on its own: the root names its namespace.
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"")
            && svg.ends_with("</svg>\n")
    );
    let mut stack: Vec<String> = Vec::new();
    for (name, tag) in tags(svg) {
        if let Some(closing) = name.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(closing), "at {tag}");
        } else if !tag.ends_with("/>") {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    for bad in ["NaN", "inf\"", "inf ", "inf,"] {
        assert!(!svg.contains(bad), "{bad} in the figure");
    }
}

/// The points: (cx, cy, fill of their group).
fn points(svg: &str) -> Vec<(f64, f64, String)> {
    let mut fill = String::new();
    let mut out = Vec::new();
    for (name, tag) in tags(svg) {
        if name == "g" && attr(tag, "class").as_deref() == Some("points") {
            fill = attr(tag, "fill").expect("points' fill");
        }
        if name == "circle" {
            let num = |k: &str| attr(tag, k).expect(k).parse::<f64>().expect("number");
            out.push((num("cx"), num("cy"), fill.clone()));
        }
    }
    out
}

fn texts_of_class<'a>(svg: &'a str, class: &str) -> Vec<&'a str> {
    svg.match_indices(&format!("<text class=\"{class}\""))
        .map(|(at, _)| {
            let rest = &svg[at..];
            &rest[rest.find('>').unwrap() + 1..rest.find("</text>").unwrap()]
        })
        .collect()
}

#[test]
fn one_point_per_finite_spec_ranked_and_coloured() {
    let (d, specs) = small();
    let svg = spec_curve(&input(&d, &specs, None));
    assert_well_formed(&svg);
    let mut pts = points(&svg);
    assert_eq!(pts.len(), 6, "one point per finite estimate");
    // Ranked ascending left to right (the y axis points down).
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(pts.windows(2).all(|w| w[0].1 > w[1].1), "{pts:?}");
    let mut expect: Vec<&CurveSpec> = specs.iter().filter(|s| s.b.is_finite()).collect();
    expect.sort_by(|a, b| a.b.total_cmp(&b.b));
    let colours: Vec<&str> = pts.iter().map(|p| p.2.as_str()).collect();
    let want: Vec<&str> = expect
        .iter()
        .map(|s| match (s.p < 0.05, s.b > 0.0) {
            (true, true) => POSITIVE,
            (true, false) => NEGATIVE,
            _ => NOT_SIGNIFICANT,
        })
        .collect();
    assert_eq!(colours, want);
    assert_eq!(want.iter().filter(|c| **c == NEGATIVE).count(), 3);
    // A tooltip names the specification's options.
    assert!(svg.contains("<title>#1: CARBON · -GDP · all: b = -0.0310"));
    // The legend names the three classes; the missing estimate is counted in a note.
    for t in [
        "significant positive (p &lt; 0.05)",
        "significant negative (p &lt; 0.05)",
        "not significant",
    ] {
        assert!(texts_of_class(&svg, "legend").contains(&t), "{t}");
    }
    assert_eq!(
        texts_of_class(&svg, "note"),
        ["1 of 7 specifications have no finite estimate and are not shown"]
    );
    // Five finite intervals (the one with a NaN end is not drawn): five vertical segments.
    let segments: usize = tags(&svg)
        .iter()
        .filter(|(name, tag)| name == "path" && tag.contains("class=\"intervals\""))
        .map(|(_, tag)| attr(tag, "d").unwrap().matches('V').count())
        .sum();
    assert_eq!(segments, 5);
}

#[test]
fn every_option_row_and_marks_in_the_right_columns() {
    let (d, specs) = small();
    let svg = spec_curve(&input(&d, &specs, None));
    assert_eq!(
        texts_of_class(&svg, "dimension"),
        ["outcome", "controls", "sample"]
    );
    assert_eq!(
        texts_of_class(&svg, "option"),
        [
            "CARBON",
            "CARBON_I",
            "all",
            "none",
            "-GDP",
            "all",
            "no_municipality_or_plan"
        ]
    );
    // Each shown specification has one mark per dimension (wide columns: one rect per column),
    // each inside the column of its point.
    let marks: Vec<&str> = svg
        .split("<g class=\"marks\"")
        .skip(1)
        .map(|g| &g[..g.find("</g>").unwrap()])
        .collect();
    let rects: usize = marks.iter().map(|g| g.matches("<rect").count()).sum();
    assert_eq!(rects, 6 * 3);
    let xs: Vec<f64> = points(&svg).iter().map(|p| p.0).collect();
    for g in &marks {
        for (name, tag) in tags(g) {
            if name == "rect" {
                let x: f64 = attr(tag, "x").unwrap().parse().unwrap();
                let w: f64 = attr(tag, "width").unwrap().parse().unwrap();
                assert!(xs.iter().any(|cx| x < *cx && *cx < x + w), "{tag}");
            }
        }
    }
}

#[test]
fn bands_only_when_given() {
    let (d, specs) = small();
    let without = spec_curve(&input(&d, &specs, None));
    assert!(!without.contains("null-band") && !without.contains("joint bootstrap"));
    let mut bands: Vec<[f64; 3]> = (0..6)
        .map(|i| {
            let m = 0.002 * (f64::from(i) - 2.5);
            [m - 0.01, m, m + 0.01]
        })
        .collect();
    bands[3] = [f64::NAN, 0.0, 0.01];
    let with = spec_curve(&input(&d, &specs, Some(&bands)));
    assert_well_formed(&with);
    assert!(texts_of_class(&with, "legend").contains(&"null (joint bootstrap) 95% band"));
    // The rank without a lower bound splits the shaded area in two; the median runs through.
    assert_eq!(with.matches("<polygon").count(), 2);
    assert_eq!(with.matches("<polyline").count(), 1);
    // Bands for another number of ranks are not drawn against the wrong estimates.
    let short = spec_curve(&input(&d, &specs, Some(&bands[..4])));
    assert!(!short.contains("<polygon"));
    assert!(texts_of_class(&short, "note")
        .contains(&"null bands not shown: 4 ranks given for 6 specifications"));
}

#[test]
fn no_specifications_gives_a_valid_figure_with_a_note() {
    for d in [vec![], small().0] {
        let svg = spec_curve(&input(&d, &[], None));
        assert_well_formed(&svg);
        assert!(svg.contains(">no data</text>"));
        assert_eq!(svg.matches("<circle").count(), 0);
        assert_eq!(
            texts_of_class(&svg, "option").len(),
            if d.is_empty() { 0 } else { 7 }
        );
        assert_eq!(texts_of_class(&svg, "axis-label x-label").len(), 1);
        assert_eq!(texts_of_class(&svg, "axis-label y-label").len(), 1);
    }
    let one = [spec(&["CARBON", "all", "all"], 0.5, 0.1, 0.001)];
    let d = small().0;
    let svg = spec_curve(&input(&d, &one, Some(&[[-0.1, 0.0, 0.1]])));
    assert_well_formed(&svg);
    assert_eq!(points(&svg).len(), 1);
    assert_eq!(svg.matches("<polygon").count(), 1);
}

/// The study's multiverse: 2 x 2 x 10 x 2 x 2 x 4 x 3 = 1,920 specifications over 25 options.
fn study() -> (Dims, Vec<CurveSpec>, Vec<[f64; 3]>) {
    let d = dims(&[
        ("outcome", &["CARBON", "CARBON_I"]),
        ("exposure", &["ROBOT", "ROBOT_R"]),
        (
            "controls",
            &[
                "all", "none", "-GDP", "-PS", "-FDI", "-FP", "-URB", "-EC", "-HC", "-VC",
            ],
        ),
        ("fe", &["city+year", "city+province^year"]),
        ("vcov", &["cluster:city", "cluster:province"]),
        (
            "sample",
            &[
                "all",
                "no_municipality_or_plan",
                "no_resource_based",
                "2008..2019",
            ],
        ),
        ("winsor", &["0", "0.01", "0.025"]),
    ]);
    // A fixed pseudo-random stream: the ranking scatters every option over the columns, the most
    // runs (and so the largest figure) a real multiverse could give.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut specs = Vec::new();
    let mut idx = vec![0usize; d.len()];
    'all: loop {
        let labels: Vec<String> = idx
            .iter()
            .zip(&d)
            .map(|(i, (_, o))| o[*i].clone())
            .collect();
        let b = -0.05 + 0.06 * next();
        let se = 0.005 + 0.01 * next();
        let z = b / se;
        let p = (2.0 * (-0.5 * z * z).exp()).min(1.0);
        specs.push(CurveSpec {
            labels,
            b,
            ci_lo: b - 1.96 * se,
            ci_hi: b + 1.96 * se,
            p,
        });
        for k in (0..d.len()).rev() {
            idx[k] += 1;
            if idx[k] < d[k].1.len() {
                continue 'all;
            }
            idx[k] = 0;
        }
        break;
    }
    let n = specs.len();
    let bands = (0..n)
        .map(|i| {
            let m = 0.02 * (i as f64 / n as f64 - 0.5);
            [m - 0.01, m, m + 0.01]
        })
        .collect();
    (d, specs, bands)
}

#[test]
fn study_sized_curve_is_small_and_deterministic() {
    let (d, specs, bands) = study();
    assert_eq!(specs.len(), 1920);
    assert_eq!(d.iter().map(|(_, o)| o.len()).sum::<usize>(), 25);
    let svg = spec_curve(&input(&d, &specs, Some(&bands)));
    assert_well_formed(&svg);
    println!("1,920 specifications, 25 option rows: {} bytes", svg.len());
    assert!(svg.len() < 1_000_000, "{} bytes", svg.len());
    assert_eq!(points(&svg).len(), 1920);
    // Columns are narrower than a pixel: marks merged into runs, no per-point tooltips.
    let rects = svg.matches("<rect x=\"").count();
    assert!(rects < 1920 * 7, "{rects} marks");
    assert!(!svg.contains("<title>#"));
    let width: f64 = attr(&svg, "width").unwrap().parse().unwrap();
    assert_eq!(width, 960.0);
    assert_eq!(svg, spec_curve(&input(&d, &specs, Some(&bands))));
    // Ties keep their input order (a stable sort): the first given takes the first column.
    let options = ["all", "none", "-GDP"];
    let tied: Vec<CurveSpec> = options.iter().map(|o| spec(&[o], 0.1, 0.01, 0.0)).collect();
    let d = dims(&[("controls", &options)]);
    let svg = spec_curve(&input(&d, &tied, None));
    // One marks group per option row, in row order.
    let xs: Vec<f64> = svg
        .split("<g class=\"marks\"")
        .skip(1)
        .map(|g| {
            attr(&g[g.find("<rect").unwrap()..], "x")
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(xs.len(), 3);
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
}

#[test]
fn report_section_only_when_given() {
    let mut r = ReportInput::default();
    let html = html_report(&r);
    assert!(!html.to_lowercase().contains("multiverse"));
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("multiverse"), "absent from the stored input");
    let (d, specs) = small();
    r.multiverse = Some(MultiverseSection {
        name: "robot_carbon <x>".into(),
        curve_svg: spec_curve(&input(&d, &specs, None)),
        summary_markdown: "## Joint test\n\n| statistic | observed | p |\n|---|---|---|\n| median b | -0.02 | 0.004 |\n\n<script>alert(1)</script>\n".into(),
    });
    let html = html_report(&r);
    assert!(html.contains("<li><a href=\"#multiverse\">Multiverse</a></li>"));
    assert!(html.contains("<section id=\"multiverse\">\n<h2>Multiverse: robot_carbon &lt;x&gt;</h2>\n<svg id=\"fig-curve\""));
    assert!(html.contains("<tr><th>median b</th><td>-0.02</td><td>0.004</td></tr>"));
    assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
    // Inline, the SVG takes HTML's namespace: the report keeps no URL outside its provenance.
    assert!(!html.contains("xmlns") && !html.contains("http"));
    let back: ReportInput = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}
