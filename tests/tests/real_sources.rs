//! The real public sources shipped in data/real: `robocarb check` on them and on broken sources
//! files, the whole study on them (CEADs, and county CO2 in place of CEADs), and a report that
//! still renders when a table fails.

mod common;

use common::Project;
use serde_json::Value;

fn source<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["source"] == name)
        .unwrap_or_else(|| panic!("no source {name} in {report}"))
}

fn strings(v: &Value, key: &str, field: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x[field].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn check_on_the_real_sources_reports_coverage_and_exits_0() {
    let p = Project::new();
    let r = p.json(&["check", "--sources", "data/real/sources.toml", "--json"]);
    assert_eq!(r["valid"], true, "{r}");
    assert_eq!(r["study_cities"], 337);
    assert_eq!(r["study_years"], serde_json::json!([2006, 2019]));
    let ceads = source(&r, "ceads_city");
    assert_eq!(ceads["adapter"], "ceads_city");
    assert_eq!(ceads["rows_read"], 3929);
    assert!(ceads["declared_in"]
        .as_str()
        .unwrap()
        .ends_with("sources.toml"));
    // Unbalanced: fewer city-years than cities x years, CEADs covers 1997-2019.
    let city_years = ceads["city_years"].as_u64().unwrap();
    let cities = ceads["cities"].as_u64().unwrap();
    assert!(cities >= 280 && city_years < cities * 23, "{ceads}");
    // Province-administered county-level cities have no prefecture code: unmatched, listed.
    let unmatched = strings(ceads, "unmatched", "name");
    for name in ["湖北仙桃", "湖北潜江", "河南济源"] {
        assert!(unmatched.iter().any(|u| u == name), "{unmatched:?}");
    }
    // Crosswalk replacements: 巢湖 into 合肥 (abolished 2011), 莱芜 into 济南 (2019).
    let repl: Vec<(String, String, String)> = ceads["replacements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["from"].as_str().unwrap().to_string(),
                x["to"].as_str().unwrap().to_string(),
                x["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(repl
        .iter()
        .any(|(f, t, why)| f == "安徽巢湖" && t == "340100" && why.contains("abolish_merge")));
    assert!(repl
        .iter()
        .any(|(f, t, why)| f == "山东莱芜" && t == "370100" && why.contains("merge")));
    // The twin's yearbook has the 274 twin cities; the real list has 337: 63 are missing there.
    let yb = source(&r, "city_yearbook");
    assert_eq!(yb["cities"], 274);
    assert_eq!(yb["study_cities_missing"].as_array().unwrap().len(), 63);
    // Resource cities: the real list, matched through the crosswalk's renames.
    let res = source(&r, "resource_cities");
    assert_eq!(res["valid"], true);
    assert!(res["rows_out"].as_u64().unwrap() >= 120, "{res}");
    // Per table, city-years with every variable from the sources: fewer than the panel (CEADs
    // is unbalanced, 63 cities have no yearbook), and Table 4 needs no more than Table 3.
    let tables = r["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 7);
    let complete = |t: &str| {
        tables.iter().find(|x| x["table"] == t).unwrap()["complete_city_years"]
            .as_u64()
            .unwrap()
    };
    let panel = tables[0]["panel_city_years"].as_u64().unwrap();
    assert_eq!(panel, 337 * 14);
    assert!(complete("table4") > 2000 && complete("table4") < 274 * 14);
    assert!(complete("table3") <= complete("table4"));
    // The text report says the same.
    let out = p.run(&["check", "--sources", "data/real/sources.toml"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ceads_city [ceads_city] ok"), "{text}");
    assert!(
        text.contains("河北石家庄 -> 130100 (province prefix"),
        "{text}"
    );
    assert!(text.contains("unmatched, dropped (5): "), "{text}");
    assert!(text.contains("湖北仙桃 (6 rows)"), "{text}");
    assert!(text.contains("all 17 sources valid"), "{text}");
}

/// Write `data/real/broken.toml` with `body` (paths relative to data/real) and check it.
fn check_broken(p: &Project, body: &str) -> (i32, String, Value) {
    std::fs::write(p.path("data/real/broken.toml"), body).expect("write sources file");
    let out = p.run(&["check", "--sources", "data/real/broken.toml"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = p.run(&["check", "--sources", "data/real/broken.toml", "--json"]);
    assert_eq!(json.status.code(), out.status.code());
    let v: Value = serde_json::from_slice(&json.stdout).expect("json");
    (out.status.code().unwrap_or(-1), text, v)
}

#[test]
fn check_on_broken_sources_names_the_problem_and_exits_1() {
    let p = Project::new();
    // 1. Missing file.
    let (code, text, v) = check_broken(
        &p,
        "[sources.ceads_city]\npath = \"ceads-cities/no_such_file.xlsx\"\n",
    );
    assert_eq!(code, 1, "{text}");
    let e = source(&v, "ceads_city")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        e.contains("no_such_file.xlsx") && e.contains("cannot read"),
        "{e}"
    );
    assert!(text.contains("ceads_city [ceads_city] INVALID"), "{text}");
    assert!(text.contains("1 of 17 sources invalid"), "{text}");

    // 2. Wrong sheet.
    let (code, text, v) = check_broken(
        &p,
        "[sources.ceads_city]\npath = \"ceads-cities/The_Emission_Inventories_for_290_Chinese_Cities_from_1997_to_2019.xlsx\"\nsheet = \"Sheet1\"\n",
    );
    assert_eq!(code, 1, "{text}");
    let e = source(&v, "ceads_city")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        e.contains("[sheet Sheet1]") && e.contains("emission vector"),
        "{e}"
    );

    // 3. Wrong encoding: the twin's GBK yearbook declared UTF-8.
    let (code, text, v) = check_broken(
        &p,
        "[sources.city_yearbook]\npath = \"../default/yearbook/city_yearbook.csv\"\nencoding = \"utf-8\"\n",
    );
    assert_eq!(code, 1, "{text}");
    let e = source(&v, "city_yearbook")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        e.contains("city_yearbook.csv") && e.to_lowercase().contains("utf-8"),
        "{e}"
    );

    // 4. A missing column: night lights without `dn_sum`.
    std::fs::write(
        p.path("data/real/lights.csv"),
        "city_code,year,lights\n130100,2006,1.5\n",
    )
    .expect("write");
    let (code, text, v) = check_broken(&p, "[sources.night_lights]\npath = \"lights.csv\"\n");
    assert_eq!(code, 1, "{text}");
    let e = source(&v, "night_lights")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(e.contains("lights.csv") && e.contains("dn_sum"), "{e}");

    // 5a. An unmatched city name in a name-keyed source: dropped and listed, not invalid.
    std::fs::write(
        p.path("data/real/resource.csv"),
        "name,admin_level,type\n淄博市,prefecture,regenerating\n不存在市,prefecture,mature\n",
    )
    .expect("write");
    let (code, text, v) = check_broken(&p, "[sources.resource_cities]\npath = \"resource.csv\"\n");
    assert_eq!(code, 0, "{text}");
    let res = source(&v, "resource_cities");
    assert_eq!(strings(res, "unmatched", "name"), ["不存在市"]);
    assert_eq!(res["rows_out"], 1);
    assert!(
        text.contains("unmatched, dropped (1): 不存在市 (1 rows)"),
        "{text}"
    );

    // 5b. An unmatched city code in a code-keyed source: invalid, with file, row and column.
    std::fs::write(
        p.path("data/real/firms.csv"),
        "city_code,year,robot_rd_service_firms\n130100,2006,1\n999900,2006,2\n",
    )
    .expect("write");
    let (code, text, v) = check_broken(&p, "[sources.robot_firms]\npath = \"firms.csv\"\n");
    assert_eq!(code, 1, "{text}");
    let e = source(&v, "robot_firms")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        e.contains("firms.csv") && e.contains("row 3") && e.contains("999900"),
        "{e}"
    );
    // Everything else was still checked.
    assert_eq!(v["sources"].as_array().unwrap().len(), 17);
}

fn run_to_completion(p: &Project, sources: &str) -> Value {
    let out = p.run(&["run", "--sources", sources, "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the study on {sources} did not complete:\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).expect("run json")
}

fn assert_every_table_published(p: &Project) {
    for t in [
        "table1", "table3", "table4", "table5", "table6", "table7", "table8", "table9",
    ] {
        assert!(
            p.path(&format!("out/tables/{t}.md")).exists(),
            "{t} not published"
        );
    }
    let html = std::fs::read_to_string(p.path("out/report.html")).expect("report");
    assert!(!html.contains("class=\"failed-table\""));
}

/// The study on the real CEADs panel (unbalanced: 84 of 274 cities cover every year) completes,
/// Table 6 included: with city dummies, xtpcse's pairwise Sigma is not positive semidefinite there,
/// and `pcse(pairwise, psd)` projects it onto the PSD cone instead of refusing the estimate (see
/// docs/real-data.md); Table 6 says how many eigenvalues were set to 0.
#[test]
fn the_study_on_the_real_sources_completes() {
    let p = Project::new();
    let r = run_to_completion(&p, "data/real/sources.toml");
    let nodes = r["nodes"].as_array().expect("nodes");
    let outcome = |n: &str| -> String {
        nodes
            .iter()
            .find(|x| x["node"] == n)
            .map_or("absent".into(), |x| {
                x["outcome"].as_str().unwrap_or("").to_string()
            })
    };
    assert_eq!(outcome("t6_fgls"), "executed");
    assert_eq!(outcome("t6_pcse"), "executed");
    assert_every_table_published(&p);
    let t6 = std::fs::read_to_string(p.path("out/tables/table6.json")).expect("table6");
    let t6: Value = serde_json::from_str(&t6).expect("table6 json");
    let pcse = t6["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["estimator"] == "pcse")
        .unwrap_or_else(|| panic!("no PCSE column in {t6}"));
    let clipped = pcse["extra"]["sigma_eigenvalues_clipped"]
        .as_f64()
        .unwrap_or_else(|| panic!("no count of clipped eigenvalues in {pcse}"));
    assert!(clipped >= 1.0, "{pcse}");
    let robot = &pcse["coefs"]["ROBOT"];
    assert!(
        robot["se"]
            .as_f64()
            .is_some_and(|s| s.is_finite() && s > 0.0),
        "{robot}"
    );
    let md = std::fs::read_to_string(p.path("out/tables/table6.md")).expect("table6.md");
    assert!(
        md.contains("negative eigenvalues of pairwise Sigma set to 0"),
        "{md}"
    );
    let t4 = std::fs::read_to_string(p.path("out/tables/table4.md")).expect("table4");
    assert!(t4.contains("ROBOT"), "{t4}");
}

#[test]
fn the_whole_study_completes_with_county_co2_in_place_of_ceads() {
    let p = Project::new();
    let r = run_to_completion(&p, "data/real/sources-county.toml");
    assert!(r["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["node"] == "ceads" && n["outcome"] == "executed"));
    assert_every_table_published(&p);
    // The CO2 node says what it did: counties summed, merged-away units added, 2006-2017 balance.
    p.ok(&[
        "export",
        "ceads",
        "--sources",
        "data/real/sources-county.toml",
        "--output",
        "validation.json",
        "--out",
        "ceads_validation.json",
        "--format",
        "json",
    ]);
    let validation =
        std::fs::read_to_string(p.path("ceads_validation.json")).expect("validation.json");
    assert!(validation.contains("counties summed into"), "{validation}");
    assert!(validation.contains("371200"), "{validation}");
    assert!(
        validation.contains("balanced prefecture panel 2006-2017"),
        "{validation}"
    );
}

#[test]
fn a_failed_table_is_shown_in_the_report_and_the_run_exits_non_zero() {
    let p = Project::new();
    // A resource-city list none of whose names is a study city: no resource-based city, so the
    // resource/non-resource split of Table 9 has an empty group and Table 9 fails.
    std::fs::write(
        p.path("data/real/no_resource.csv"),
        "name,admin_level,type\n不存在市,prefecture,mature\n",
    )
    .expect("write");
    std::fs::write(
        p.path("data/real/broken.toml"),
        "[sources.resource_cities]\npath = \"no_resource.csv\"\n",
    )
    .expect("write");
    let out = p.run(&["run", "--sources", "data/real/broken.toml", "--json"]);
    assert!(!out.status.success());
    assert_ne!(out.status.code(), Some(0));
    let r: Value = serde_json::from_slice(&out.stdout).expect("run json");
    let nodes = r["nodes"].as_array().unwrap();
    let outcome = |n: &str| {
        nodes.iter().find(|x| x["node"] == n).unwrap()["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Table 9 fails itself or is skipped because its group-difference node failed; either way
    // it has an error the report shows.
    assert!(
        ["failed", "skipped"].contains(&outcome("table9").as_str()),
        "{}",
        outcome("table9")
    );
    assert_eq!(outcome("table4"), "executed");
    assert_eq!(outcome("report"), "executed");
    // The error to show: Table 9's own, or that of the failed node it stands behind.
    let error = nodes
        .iter()
        .find(|x| x["node"] == "table9" && x["outcome"] == "failed")
        .or_else(|| nodes.iter().find(|x| x["outcome"] == "failed"))
        .expect("a failed node")["error"]
        .as_str()
        .unwrap()
        .to_string();
    // The report exists, renders the tables that exist, and shows the failed one with its error.
    let html = std::fs::read_to_string(p.path("out/report.html")).expect("report.html");
    let at = html
        .find("id=\"failed-table9\"")
        .expect("table9 shown as failed");
    let first_line = error.lines().next().unwrap_or_default();
    let escaped = robocarb_report::html_escape(first_line);
    assert!(html[at..].contains(&escaped), "{error}");
    assert!(html.contains("class=\"failed-table\""));
    assert!(p.path("out/tables/table4.md").exists());
    assert!(!p.path("out/tables/table9.md").exists());
}
