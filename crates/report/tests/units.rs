//! Small pure helpers: stars, number formatting, escaping, quantiles, ticks.

use robocarb_report::*;

#[test]
fn stars_thresholds() {
    assert_eq!(stars(0.0099), 3);
    assert_eq!(stars(0.01), 2);
    assert_eq!(stars(0.0499), 2);
    assert_eq!(stars(0.05), 1);
    assert_eq!(stars(0.0999), 1);
    assert_eq!(stars(0.1), 0);
    assert_eq!(stars(f64::NAN), 0);
}

#[test]
fn number_formatting() {
    assert_eq!(format_number(-0.0004, 3), "0.000");
    assert_eq!(format_number(-0.0005001, 3), "-0.001");
    assert_eq!(format_number(2.5, 0), "2");
    assert_eq!(format_number(12.3456, 2), "12.35");
    assert_eq!(format_number(f64::NAN, 3), "n/a");
    assert_eq!(format_number(f64::INFINITY, 3), "n/a");
}

#[test]
fn escaping() {
    assert_eq!(
        latex_escape("a_b 5% & $x$ #1 {y}"),
        r"a\_b 5\% \& \$x\$ \#1 \{y\}"
    );
    assert_eq!(
        latex_escape(r"\ ~ ^"),
        r"\textbackslash{} \textasciitilde{} \textasciicircum{}"
    );
    assert_eq!(
        html_escape("<a href=\"x\">&'"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
}

/// Quartiles worked by hand with the type-7 rule h = (n - 1) q (numpy's default).
#[test]
fn quantiles_and_box_stats() {
    // [0.5, 1.5, 2.0, 7.25], q = 0.25: h = 0.75 -> 0.5 + 0.75 * 1.0 = 1.25
    assert!((quantile(&[0.5, 1.5, 2.0, 7.25], 0.25) - 1.25).abs() < 1e-15);
    // median: h = 1.5 -> 1.5 + 0.5 * 0.5 = 1.75
    assert!((quantile(&[0.5, 1.5, 2.0, 7.25], 0.5) - 1.75).abs() < 1e-15);
    // [1, 2, 3, 4, 10]: Q1 2, median 3, Q3 4, IQR 2, fences -1 and 7: 10 is an outlier.
    let b = box_stats(&[10.0, 3.0, 1.0, f64::NAN, 4.0, 2.0]).unwrap();
    assert_eq!((b.q1, b.median, b.q3), (2.0, 3.0, 4.0));
    assert_eq!((b.whisker_low, b.whisker_high), (1.0, 4.0));
    assert_eq!(b.outliers, vec![10.0]);
    assert_eq!(b.n, 5);
    assert!(box_stats(&[f64::NAN]).is_none());
}

#[test]
fn ticks_are_nice_and_cover_the_range() {
    assert_eq!(
        nice_ticks(0.0, 1.0, 5),
        vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
    );
    let t = nice_ticks(-0.13, 0.051, 6);
    assert!(t[0] <= -0.13 && *t.last().unwrap() >= 0.051);
    assert_eq!(nice_ticks(2006.0, 2019.0, 8).first(), Some(&2006.0));
    assert!(nice_ticks(f64::NAN, 1.0, 5).is_empty());
    let flat = nice_ticks(3.0, 3.0, 5);
    assert!(flat.len() >= 2 && flat[0] <= 3.0 && *flat.last().unwrap() >= 3.0);
}

#[test]
fn rows_default_to_every_coefficient_constant_last() {
    let json = r#"{"table": "table4", "title": "t", "columns": [
        {"label": "(1)", "dep": "CARBON", "estimator": "ols_fe", "sample": "all", "n": 10,
         "clusters": null, "r2_within": 0.5, "r2_overall": null, "stat_kind": "t", "controls": true,
         "coefs": {"_cons": {"b": 1.0, "se": 1.0, "stat": 1.0, "p": 0.3},
                   "ROBOT": {"b": 2.0, "se": 1.0, "stat": 2.0, "p": 0.04}}},
        {"label": "(2)", "dep": "CARBON", "estimator": "ols_fe", "sample": "all", "n": 10,
         "clusters": 5, "r2_within": null, "r2_overall": null, "stat_kind": "t", "controls": false,
         "coefs": {"GDP": {"b": 3.0, "se": 1.0, "stat": 3.0, "p": 0.001}}, "extra": {}, "fe": ["city"]}]}"#;
    let doc: TableDoc = serde_json::from_str(json).unwrap();
    assert!(doc.rows.is_empty() && doc.notes.is_empty() && doc.columns[0].fe.is_empty());
    assert_eq!(doc.coefficient_rows(), ["ROBOT", "GDP", "_cons"]);
    let md = render(&doc, Format::Markdown).unwrap();
    let robot = md.lines().position(|l| l.starts_with("| ROBOT")).unwrap();
    let gdp = md.lines().position(|l| l.starts_with("| GDP")).unwrap();
    let cons = md.lines().position(|l| l.starts_with(r"| \_cons")).unwrap();
    assert!(robot < gdp && gdp < cons, "{md}");
}

#[test]
fn table_files_names_every_format() {
    let doc = DescriptiveTable {
        table: "table3".into(),
        title: "T3".into(),
        rows: vec![],
        notes: vec![],
    };
    let files = table_files("table3", &doc).unwrap();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "table3.md",
            "table3.tex",
            "table3.csv",
            "table3.json",
            "table3.html"
        ]
    );
    assert_eq!(files[3].1, render(&doc, Format::Json).unwrap());
}
