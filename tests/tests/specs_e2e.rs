//! Specifications as data, end to end: editing one model of the pipeline file reruns that model,
//! the tables that show it and the report, and `why` names the changed part; `robocarb fit`
//! answers from a built store without writing to it; a file that `extends` the paper's runs only
//! its new nodes; the tutorial's commands (docs/specifications.md) do what it says.

mod common;
use common::{store_snapshot, Project};

fn edit(p: &Project, file: &str, from: &str, to: &str) {
    let path = p.path(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "`{from}` not in {file}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn editing_one_model_reruns_that_model_its_tables_and_the_report() {
    let p = Project::new();
    p.run_json(&[]);
    edit(
        &p,
        "pipelines/paper.toml",
        "formula = \"CARBON ~ ROBOT | city\"",
        "formula = \"CARBON ~ ROBOT + GDP | city\"",
    );
    let why = p.ok(&["why", "t4_1"]);
    assert!(why.contains("param formula"), "{why}");
    assert!(
        why.contains("CARBON ~ ROBOT | city")
            && why.contains(" -> ")
            && why.contains("CARBON ~ ROBOT + GDP | city"),
        "{why}"
    );
    let (executed, _) = p.run_json(&[]);
    assert_eq!(executed, vec!["report", "t4_1", "table4"]);
    // A model shown in two tables (Table 4 col. 4 is Table 8 col. 1) reruns both.
    edit(
        &p,
        "pipelines/paper.toml",
        "[models.t4_4]\nformula = \"CARBON ~ ROBOT + controls | city + year\"\nvcov = \"cluster:city\"",
        "[models.t4_4]\nformula = \"CARBON ~ ROBOT + controls | city + year\"\nvcov = \"hetero\"",
    );
    let (executed, _) = p.run_json(&[]);
    assert_eq!(executed, vec!["report", "t4_4", "table4", "table8"]);
}

#[test]
fn fit_answers_from_the_store_in_the_table_json_schema_and_writes_nothing() {
    let p = Project::new();
    p.run_json(&[]);
    let before = store_snapshot(&p.path("cache"));
    let one = p.json(&[
        "fit",
        "CARBON ~ ROBOT + controls | city + year",
        "--vcov",
        "cluster:city",
        "--json",
    ]);
    let table4: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(p.path("out/tables/table4.json")).expect("table4.json"),
    )
    .expect("json");
    let col4 = &table4["columns"][3];
    for key in ["n", "clusters", "r2_within", "stat_kind", "coefs", "extra"] {
        assert_eq!(one[key], col4[key], "{key}");
    }
    assert_eq!(
        one["model"],
        "CARBON ~ ROBOT + GDP + PS + FDI + FP + URB + EC + HC + VC | city + year"
    );
    let two = p.json(&[
        "fit",
        "CARBON ~ ROBOT + csw0(GDP, PS) | city",
        "--vcov",
        "hetero",
        "--json",
    ]);
    let arr = two.as_array().expect("an array when the formula expands");
    assert_eq!(arr.len(), 3);
    assert_eq!(arr[2]["model"], "CARBON ~ ROBOT + GDP + PS | city");
    assert!(arr[0]["coefs"]["ROBOT"]["se"].as_f64().is_some());
    let text = p.ok(&[
        "fit",
        "CARBON ~ ROBOT | city + year",
        "--vcov",
        "cluster:city",
    ]);
    assert!(text.contains("ROBOT") && text.contains("(1)"), "{text}");
    assert!(
        store_snapshot(&p.path("cache")) == before,
        "fit wrote to the store"
    );
}

#[test]
fn fit_reports_a_bad_formula_with_a_caret_and_exit_2() {
    let p = Project::new();
    let out = p.run(&["fit", "CARBON ~ ROBOT +"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("expected a variable name"), "{err}");
    assert!(
        err.contains("  CARBON ~ ROBOT +\n                  ^"),
        "{err}"
    );
}

/// Split a command line of the tutorial into arguments (double quotes group words).
fn split_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The fenced blocks of a Markdown text as (language, body).
fn blocks(md: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in md.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(lang)) => current = Some((lang.trim().to_string(), String::new())),
            (Some(_), Some(_)) => out.extend(current.take()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

#[test]
fn the_tutorial_runs_as_written() {
    let doc =
        std::fs::read_to_string(common::repo_root().join("docs/specifications.md")).expect("doc");
    let blocks = blocks(
        doc.split("## The pipeline file's declarations")
            .next()
            .expect("tutorial"),
    );
    let p = Project::new();
    let (_, file) = blocks
        .iter()
        .find(|(l, _)| l == "toml")
        .expect("the user's pipeline file");
    std::fs::write(p.path("pipelines/my_study.toml"), file).expect("write");
    let mut checked_run = false;
    for (i, (lang, body)) in blocks.iter().enumerate() {
        if lang != "sh" {
            continue;
        }
        for line in body.lines().filter(|l| l.starts_with("robocarb ")) {
            let args = split_args(line.trim_start_matches("robocarb "));
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = p.ok(&argv);
            if argv.contains(&"run") && argv.contains(&"--json") {
                // The JSON block after the command states what executes.
                let stated: serde_json::Value =
                    serde_json::from_str(&blocks[i + 1].1).expect("stated outcome");
                let got: serde_json::Value = serde_json::from_str(&out).expect("run json");
                let mut executed: Vec<&str> = got["executed"]
                    .as_array()
                    .expect("executed")
                    .iter()
                    .map(|v| v.as_str().expect("name"))
                    .collect();
                executed.sort();
                let want: Vec<&str> = stated["executed"]
                    .as_array()
                    .expect("executed")
                    .iter()
                    .map(|v| v.as_str().expect("name"))
                    .collect();
                assert_eq!(executed, want, "{line}");
                checked_run = true;
            }
            if argv.contains(&"fit") && argv.contains(&"--json") {
                let v: serde_json::Value = serde_json::from_str(&out).expect("fit json");
                assert_eq!(v.as_array().map(Vec::len), Some(2), "{line}: {out}");
            } else if argv.contains(&"fit") {
                assert!(
                    out.contains("ROBOT") && out.contains("Clusters"),
                    "{line}: {out}"
                );
            }
        }
    }
    assert!(
        checked_run,
        "the tutorial has no `run --json` with its stated outcome"
    );
    let md =
        std::fs::read_to_string(p.path("out/tables/table4_province.md")).expect("the new table");
    assert!(md.contains("Province") && md.contains("ROBOT"), "{md}");
}

/// Issue 18 item 3: no table of any format shows a raw statistic key, and no count has decimals.
#[test]
fn tables_show_labels_not_keys_and_counts_as_integers() {
    let p = Project::new();
    p.run_json(&[]);
    let mut keys = std::collections::BTreeSet::new();
    for t in ["table4", "table5", "table6", "table7", "table8", "table9"] {
        let v: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(p.path(&format!("out/tables/{t}.json"))).expect("json"),
        )
        .expect("json");
        for c in v["columns"].as_array().expect("columns") {
            keys.extend(c["extra"].as_object().expect("extra").keys().cloned());
        }
    }
    assert!(
        keys.contains("boot_bc_hi") && keys.contains("permutations"),
        "{keys:?}"
    );
    let counts = ["N", "Clusters", "Wald df", "Excluded instruments"];
    for t in ["table4", "table5", "table6", "table7", "table8", "table9"] {
        for ext in ["md", "tex", "html", "csv"] {
            let text =
                std::fs::read_to_string(p.path(&format!("out/tables/{t}.{ext}"))).expect("table");
            for k in &keys {
                // A one-word key (`rho`) may be a word of its label; as a row label it may not.
                let forms = if k.contains('_') {
                    vec![k.clone(), k.replace('_', "\\_")]
                } else {
                    vec![
                        format!("| {k} |"),
                        format!("\n{k},"),
                        format!("\n{k} &"),
                        format!(">{k}<"),
                    ]
                };
                for form in forms {
                    assert!(!text.contains(&form), "{t}.{ext} shows the raw key `{k}`");
                }
            }
            for bad in ["1000.000", "20240401.000", "20240401"] {
                if bad == "20240401" && (t == "table8" || t == "table9") {
                    continue;
                }
                assert!(!text.contains(bad), "{t}.{ext} shows `{bad}`");
            }
        }
        let csv = std::fs::read_to_string(p.path(&format!("out/tables/{t}.csv"))).expect("csv");
        for line in csv.lines() {
            let cells: Vec<&str> = line.split(',').collect();
            if counts.contains(&cells[0]) {
                for c in &cells[1..] {
                    assert!(
                        c.is_empty() || c.parse::<i64>().is_ok(),
                        "{t}.csv: `{line}` has a count with decimals"
                    );
                }
            }
        }
    }
    let t8 = std::fs::read_to_string(p.path("out/tables/table8.md")).expect("table8");
    assert!(
        t8.contains("Bootstrap 95% CI of ab (percentile)")
            && (t8.contains("| [-0.") || t8.contains("| \\[-0.")),
        "{t8}"
    );
    assert!(t8.contains("1000 draws, seed 20240401"), "{t8}");
    let t9 = std::fs::read_to_string(p.path("out/tables/table9.md")).expect("table9");
    assert!(
        t9.contains("Permutation p of the difference") && t9.contains("1000 draws, seed 20240401"),
        "{t9}"
    );
}
