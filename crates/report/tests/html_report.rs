//! The HTML report is self-contained and every figure is labelled.

mod common;

use robocarb_report::*;

fn provenance_span(html: &str) -> (usize, usize) {
    let start = html
        .find("<pre class=\"provenance\">")
        .expect("provenance block");
    let end = start + html[start..].find("</pre>").expect("end of provenance");
    (start, end)
}

#[test]
fn no_external_references() {
    let html = html_report(&common::sample_input());
    let (p0, p1) = provenance_span(&html);
    for scheme in ["http://", "https://"] {
        for (at, _) in html.match_indices(scheme) {
            assert!(
                at > p0 && at < p1,
                "URL outside the provenance text at byte {at}: {:?}",
                &html[at..html.len().min(at + 60)]
            );
        }
    }
    // The provenance URL is plain text, not a link.
    assert!(html[p0..p1].contains("https://ceads.net/city_2019.xlsx"));
    let lower = html.to_lowercase();
    for needle in [
        "<link",
        "<script",
        "<iframe",
        "<img",
        "@import",
        "url(",
        " src=",
        "@font-face",
    ] {
        assert!(!lower.contains(needle), "found {needle:?}");
    }
    for (at, _) in lower.match_indices("href=\"") {
        assert!(lower[at + 6..].starts_with('#'), "non-local href at {at}");
    }
    assert!(html.contains("<style>"));
}

fn svgs(html: &str) -> Vec<&str> {
    html.match_indices("<svg")
        .map(|(at, _)| {
            let end = at + html[at..].find("</svg>").expect("closed svg");
            &html[at..end]
        })
        .collect()
}

fn text_of_class<'a>(svg: &'a str, class: &str) -> Vec<&'a str> {
    svg.match_indices(&format!("class=\"{class}"))
        .filter_map(|(at, _)| {
            let rest = &svg[at..];
            let open = rest.find('>')? + 1;
            let close = rest.find("</text>")?;
            Some(rest[open..close].trim())
        })
        .collect()
}

#[test]
fn every_svg_has_title_and_axis_labels() {
    let html = html_report(&common::sample_input());
    let figures = svgs(&html);
    assert_eq!(figures.len(), 5, "four figures and the graph");
    for svg in &figures {
        let x = text_of_class(svg, "axis-label x-label");
        let y = text_of_class(svg, "axis-label y-label");
        let title = text_of_class(svg, "title");
        assert!(
            x.len() == 1 && !x[0].is_empty(),
            "x label in {}",
            &svg[..80]
        );
        assert!(
            y.len() == 1 && !y[0].is_empty(),
            "y label in {}",
            &svg[..80]
        );
        assert!(
            title.len() == 1 && !title[0].is_empty(),
            "title in {}",
            &svg[..80]
        );
    }
    // Units on the value axes.
    assert!(html.contains("ROBOT (thousand robots)"));
    assert!(html.contains("Robot stock (units)"));
    // Empty inputs still give labelled figures.
    let empty = html_report(&ReportInput::default());
    for svg in svgs(&empty) {
        assert_eq!(text_of_class(svg, "axis-label x-label").len(), 1);
        assert_eq!(text_of_class(svg, "axis-label y-label").len(), 1);
    }
}

#[test]
fn report_contains_every_table_graph_and_provenance() {
    let input = common::sample_input();
    let html = html_report(&input);
    for id in [
        "table1",
        "table3",
        "table4",
        "table6",
        "table4-comparison",
        "table6-comparison",
        "table1-comparison",
        "table3-comparison",
        "nodes",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "missing {id}");
    }
    for n in &input.nodes {
        assert!(html.contains(&format!("<th>{}</th>", n.name)));
        assert!(html.contains(&format!("<tr class=\"state-{}\">", n.state)));
    }
    assert!(html.contains("120 ms") && html.contains("900"));
    assert!(html.contains("0123456789abcdef0123456789abcdef01234567 (dirty working tree)"));
    assert!(html.contains("bootstrap  20240601"));
    assert!(html.contains("rustc  1.95.0"));
    // Title is escaped.
    assert!(html.contains("robots and CO2 &lt;sample&gt;"));
    // One coefficient point per ROBOT coefficient in Tables 4-9 (two sample tables x 4 columns).
    assert_eq!(robot_coefficients(&input.tables).len(), 8);
    assert!(html.matches("<circle cx").count() >= 8);
    // No timestamp unless passed in.
    let mut with_time = input.clone();
    with_time.provenance.generated_at = Some("2026-11-29T07:00:00Z".into());
    assert!(!html.contains("generated at"));
    assert!(html_report(&with_time).contains("generated at: 2026-11-29T07:00:00Z"));
}

#[test]
fn failed_tables_are_shown_with_their_error_beside_the_others() {
    let mut input = common::sample_input();
    input.failed_tables = vec![FailedTable {
        node: "table6".into(),
        error: "PCSE (xtpcse): no time period is observed in every panel <casewise>".into(),
    }];
    let html = html_report(&input);
    let at = html
        .find("<div class=\"failed-table\" id=\"failed-table6\">")
        .expect("failed table block");
    let block = &html[at..at + html[at..].find("</div>").expect("end of block")];
    assert!(block.contains("table6: not produced"), "{block}");
    assert!(
        block.contains("no time period is observed in every panel &lt;casewise&gt;"),
        "{block}"
    );
    // The tables that exist are still rendered, before the failed one, in the tables section.
    let tables = html
        .find("<section id=\"tables\">")
        .expect("tables section");
    let figures = html
        .find("<section id=\"figures\">")
        .expect("figures section");
    assert!(tables < at && at < figures);
    assert!(html[tables..at].contains("Baseline"));
    // Without failures there is no such block.
    assert!(!html_report(&common::sample_input()).contains("failed-table\""));
}
