//! The numbers printed in Markdown, LaTeX, CSV and HTML agree with the JSON to the
//! printed precision: each format is parsed back into a grid of cell strings (CSV
//! with the csv crate), and every coefficient, statistic, N, R2, cluster count and
//! extra is compared with the value read from the JSON.

mod common;

use robocarb_report::*;

type Rows = Vec<Vec<String>>;

fn parse_markdown(s: &str) -> Rows {
    s.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("| :---"))
        .map(|l| {
            let inner = l.trim().trim_start_matches('|').trim_end_matches('|');
            inner
                .split(" | ")
                .map(|c| c.trim().replace('\\', ""))
                .collect()
        })
        .collect()
}

fn parse_latex(s: &str) -> Rows {
    s.lines()
        .filter(|l| l.ends_with("\\\\"))
        .map(|l| {
            l.trim_end_matches("\\\\")
                .split(" & ")
                .map(|c| {
                    c.trim()
                        .replace('$', "")
                        .replace("^{", "")
                        .replace('}', "")
                        .replace("\\_", "_")
                })
                .collect()
        })
        .collect()
}

fn parse_csv(s: &str) -> Rows {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(s.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in s.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn parse_html(s: &str) -> Rows {
    let mut rows = Vec::new();
    for tr in s.split("<tr>").skip(1) {
        let tr = tr.split("</tr>").next().unwrap_or("");
        let cells = tr
            .split("</t")
            .filter_map(|part| {
                let start = part.rfind("<th>").or_else(|| part.rfind("<td>"))?;
                Some(strip_tags(&part[start + 4..]).trim().to_string())
            })
            .collect();
        rows.push(cells);
    }
    rows
}

/// The number in a cell, without stars and parentheses.
fn number(cell: &str) -> f64 {
    let t = cell
        .trim_end_matches('*')
        .trim_start_matches('(')
        .trim_end_matches(')');
    t.parse()
        .unwrap_or_else(|_| panic!("not a number: {cell:?}"))
}

/// Printed with `digits` decimals, the cell must be exactly the rounded JSON value.
fn agrees(cell: &str, value: f64, digits: usize, what: &str) {
    let printed = number(cell);
    let tol = 0.5 * 10f64.powi(-(digits as i32)) * (1.0 + 1e-9);
    assert!(
        (printed - value).abs() <= tol,
        "{what}: printed {cell:?}, JSON {value}"
    );
    assert_eq!(
        format_number(printed, digits),
        format_number(value, digits),
        "{what}"
    );
}

fn find_row<'a>(rows: &'a Rows, label: &str) -> (usize, &'a Vec<String>) {
    rows.iter()
        .enumerate()
        .find(|(_, r)| r.first().map(String::as_str) == Some(label))
        .unwrap_or_else(|| panic!("no row {label:?}"))
}

fn check_regression(rows: &Rows, doc: &TableDoc, format: &str) {
    let labels = &rows[0];
    for (j, col) in doc.columns.iter().enumerate() {
        assert_eq!(labels[j + 1], col.label, "{format}");
        for name in &doc.rows {
            let Some(k) = col.coefs.get(name) else {
                continue;
            };
            let (i, est) = find_row(rows, name);
            let stat = &rows[i + 1];
            let what = format!("{format} {} {name}", col.label);
            agrees(&est[j + 1], k.b, DIGITS, &what);
            assert_eq!(
                est[j + 1].chars().filter(|c| *c == '*').count(),
                usize::from(stars(k.p)),
                "{what} stars"
            );
            assert!(
                stat[j + 1].starts_with('(') && stat[j + 1].ends_with(')'),
                "{what}"
            );
            agrees(&stat[j + 1], k.stat, DIGITS, &format!("{what} stat"));
        }
        let n = find_row(rows, "N").1;
        assert_eq!(number(&n[j + 1]) as u64, col.n, "{format}");
        if let Some(r2) = col.r2_within {
            agrees(
                &find_row(rows, "Within R2").1[j + 1],
                r2,
                DIGITS,
                &format!("{format} R2"),
            );
        }
        let clusters = &find_row(rows, "Clusters").1[j + 1];
        match col.clusters {
            Some(g) => assert_eq!(number(clusters) as u64, g),
            None => assert!(clusters.is_empty()),
        }
        for (key, v) in &col.extra {
            let Some(label) = robocarb_report::statistic_label(key) else {
                continue;
            };
            agrees(
                &find_row(rows, &label).1[j + 1],
                *v,
                DIGITS,
                &format!("{format} {key}"),
            );
        }
        let yes_no = |label: &str, flag: bool| {
            assert_eq!(
                find_row(rows, label).1[j + 1],
                if flag { "Yes" } else { "No" },
                "{format} {label}"
            );
        };
        yes_no("Controls", col.controls);
        yes_no("City effects", col.fe.iter().any(|f| f == "city"));
        yes_no("Year effects", col.fe.iter().any(|f| f == "year"));
    }
}

fn parsed(format: Format, text: &str) -> Rows {
    match format {
        Format::Markdown => parse_markdown(text),
        Format::Latex => parse_latex(text),
        Format::Csv => parse_csv(text),
        Format::Html => parse_html(text),
        Format::Json => unreachable!(),
    }
}

const TEXT_FORMATS: [Format; 4] = [Format::Markdown, Format::Latex, Format::Csv, Format::Html];

#[test]
fn regression_formats_agree_with_json() {
    let json = render(&common::sample_table(), Format::Json).unwrap();
    let doc: TableDoc = serde_json::from_str(&json).unwrap();
    assert_eq!(doc, common::sample_table(), "JSON round trip");
    for f in TEXT_FORMATS {
        let text = render(&doc, f).unwrap();
        check_regression(&parsed(f, &text), &doc, f.extension());
    }
}

#[test]
fn descriptive_formats_agree_with_json() {
    let json = render(&common::sample_descriptive(), Format::Json).unwrap();
    let doc: DescriptiveTable = serde_json::from_str(&json).unwrap();
    for f in TEXT_FORMATS {
        let rows = parsed(f, &render(&doc, f).unwrap());
        for r in &doc.rows {
            let row = find_row(&rows, &r.variable).1;
            assert_eq!(number(&row[1]) as u64, r.n);
            for (k, v) in [r.mean, r.sd, r.min, r.median, r.max]
                .into_iter()
                .enumerate()
            {
                agrees(
                    &row[k + 2],
                    v,
                    DIGITS,
                    &format!("{} {}", f.extension(), r.variable),
                );
            }
        }
    }
}

#[test]
fn robot_table_formats_agree_with_json() {
    let json = render(&common::sample_robot_table(), Format::Json).unwrap();
    let doc: RobotTable = serde_json::from_str(&json).unwrap();
    for f in TEXT_FORMATS {
        let rows = parsed(f, &render(&doc, f).unwrap());
        for (j, y) in doc.years.iter().enumerate() {
            assert_eq!(rows[0][j + 1], y.year.to_string());
            for ind in &doc.industries {
                let cell = &find_row(&rows, ind).1[j + 1];
                match y.stocks.get(ind) {
                    Some(v) => agrees(cell, *v, 0, &format!("{} {ind} {}", f.extension(), y.year)),
                    None => assert!(cell.is_empty(), "{ind} {} should be blank", y.year),
                }
            }
        }
    }
}

#[test]
fn comparison_formats_agree_with_json() {
    let cmp = compare_regression(&common::sample_table(), &published().unwrap()).unwrap();
    let doc: Comparison = serde_json::from_str(&render(&cmp, Format::Json).unwrap()).unwrap();
    for f in TEXT_FORMATS {
        let rows = parsed(f, &render(&doc, f).unwrap());
        // Header, one row per comparison row, then (CSV only) one row per note.
        let notes = if f == Format::Csv { doc.notes.len() } else { 0 };
        assert_eq!(rows.len(), 1 + doc.rows.len() + notes, "{}", f.extension());
        let body = &rows[1..=doc.rows.len()];
        for (r, row) in doc.rows.iter().zip(body) {
            assert_eq!(
                (&row[0], &row[1], &row[2]),
                (&r.column, &r.term, &r.statistic)
            );
            for (cell, v) in row[3..].iter().zip([r.paper, r.run, r.difference]) {
                match v {
                    Some(v) => agrees(cell, v, r.digits, &format!("{} {r:?}", f.extension())),
                    None => assert!(cell.is_empty()),
                }
            }
        }
    }
}

mod random_tables {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    const NAMES: [&str; 5] = ["ROBOT", "ROBOT_R", "GDP", "TP", "const"];

    fn coef() -> impl Strategy<Value = Option<CoefDoc>> {
        proptest::option::of(
            (-1e4f64..1e4, 1e-6f64..1e3, 0f64..1.0).prop_map(|(b, se, p)| CoefDoc {
                b,
                se,
                stat: b / se,
                p,
            }),
        )
    }

    fn column() -> impl Strategy<Value = ColumnDoc> {
        (
            proptest::collection::vec(coef(), NAMES.len()),
            1u64..100_000,
            proptest::option::of(2u64..400),
            proptest::option::of(0f64..1.0),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(0f64..1e5),
        )
            .prop_map(|(coefs, n, clusters, r2, z, controls, wald)| ColumnDoc {
                label: String::new(),
                dep: "CARBON".into(),
                estimator: if z { "fgls".into() } else { "ols_fe".into() },
                sample: "all".into(),
                n,
                clusters,
                r2_within: r2,
                r2_overall: None,
                stat_kind: if z { "z".into() } else { "t".into() },
                coefs: NAMES
                    .iter()
                    .zip(coefs)
                    .filter_map(|(k, c)| c.map(|c| (k.to_string(), c)))
                    .collect::<BTreeMap<_, _>>(),
                extra: wald
                    .map(|w| ("wald_chi2".to_string(), w))
                    .into_iter()
                    .collect(),
                fe: if controls {
                    vec!["city".into(), "year".into()]
                } else {
                    vec!["city".into()]
                },
                controls,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn random_tables_agree_with_json(cols in proptest::collection::vec(column(), 1..6)) {
            let columns: Vec<ColumnDoc> = cols
                .into_iter()
                .enumerate()
                .map(|(i, mut c)| { c.label = format!("({})", i + 1); c })
                .collect();
            let doc = TableDoc {
                table: "table5".into(),
                title: "random".into(),
                columns,
                rows: NAMES.iter().map(|s| s.to_string()).collect(),
                notes: vec![],
            };
            let back: TableDoc = serde_json::from_str(&render(&doc, Format::Json).unwrap()).unwrap();
            prop_assert_eq!(&back, &doc);
            for f in TEXT_FORMATS {
                check_regression(&parsed(f, &render(&back, f).unwrap()), &back, f.extension());
            }
        }
    }
}
