//! What the published report names, read from `out/report.html`: provinces by name, not by code.

mod common;
use common::Project;
use std::collections::BTreeSet;

/// The `<svg id="ID">` element of the report, whole.
fn figure<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<svg id=\"{id}\""))
        .unwrap_or_else(|| panic!("no figure {id}"));
    let len = html[start..].find("</svg>").expect("end of the figure");
    &html[start..start + len]
}

/// Texts of the `<text>` elements whose opening tag contains every one of `attrs`.
fn texts<'a>(svg: &'a str, attrs: &[&str]) -> Vec<&'a str> {
    svg.split("<text ")
        .skip(1)
        .filter_map(|t| {
            let (tag, rest) = t.split_once('>')?;
            attrs
                .iter()
                .all(|a| tag.contains(a))
                .then(|| rest.split("</text>").next().unwrap_or(""))
        })
        .collect()
}

#[test]
fn figure_4_names_every_province() {
    let p = Project::new();
    p.ok(&["run", "report"]);
    let html = std::fs::read_to_string(p.path("out/report.html")).expect("report");
    // Bar labels are right-aligned before the axis; the axis ticks are centred.
    let labels: BTreeSet<&str> = texts(
        figure(&html, "fig-province-robots"),
        &["class=\"tick\"", "text-anchor=\"end\""],
    )
    .into_iter()
    .collect();
    let list = std::fs::read_to_string(p.path("data/default/admin/cities.csv")).expect("city list");
    let provinces: BTreeSet<&str> = list
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(4))
        .collect();
    assert_eq!(
        labels, provinces,
        "Figure 4's bars are the city list's provinces, by name"
    );
}
