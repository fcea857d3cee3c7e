//! Snapshot tests of every renderer on fixed sample values. Expected outputs live in
//! tests/snapshots/; run with UPDATE_SNAPSHOTS=1 to (re)write them after a deliberate
//! change, and review the diff.

mod common;

use std::path::PathBuf;

use robocarb_report::*;

fn check(name: &str, actual: &str) {
    let path = PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("tests/snapshots")
    .join(name);
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from its snapshot at line {}:\n  expected: {:?}\n  actual:   {:?}\n(UPDATE_SNAPSHOTS=1 to accept)",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

fn all_formats<T: ReportTable>(stem: &str, t: &T) {
    for f in Format::ALL {
        check(&format!("{stem}.{}", f.extension()), &render(t, f).unwrap());
    }
}

#[test]
fn regression_table_snapshots() {
    all_formats("table6_sample", &common::sample_table());
}

#[test]
fn descriptive_table_snapshots() {
    all_formats("table3_sample", &common::sample_descriptive());
}

#[test]
fn robot_table_snapshots() {
    all_formats("table1_sample", &common::sample_robot_table());
}

#[test]
fn comparison_snapshots() {
    let paper = published().unwrap();
    let mut t = common::sample_table();
    t.table = "table6".into();
    all_formats(
        "table6_comparison",
        &compare_regression(&t, &paper).unwrap(),
    );
}

#[test]
fn html_report_snapshot() {
    let input = common::sample_input();
    let html = html_report(&input);
    assert_eq!(html, html_report(&input), "the report is deterministic");
    check("report.html", &html);
}
