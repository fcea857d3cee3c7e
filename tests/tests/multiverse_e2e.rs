//! Multiverses end to end: a small multiverse with every kind of option (outcome, exposure,
//! controls, fixed effects, VCE, sample, years, an upstream parameter) equals pyfixest in every
//! specification; `--list` counts without running; adding an option runs only the
//! specifications it creates plus the summary and the report, and a second run runs nothing.

mod common;
use common::{repo_root, Project, TINY_MULTIVERSE};
use std::path::PathBuf;

/// The multiverse of `crates/pipeline/oracles/multiverse_pyfixest.py` (keep the two in step).
const SMALL: &str = r#"
extends = "paper.toml"

[multiverses.small]
outcome = "CARBON"
exposure = "ROBOT"
controls = "controls"
fe = "city + year"
vcov = "cluster:city"
bootstrap_reps = 0
seed = 1

[[multiverses.small.dimensions]]
name = "outcome"
options = ["CARBON", "CARBON_I"]

[[multiverses.small.dimensions]]
name = "exposure"
options = ["ROBOT", "ROBOT_R"]

[[multiverses.small.dimensions]]
name = "controls"
options = [
  { label = "all", controls = "controls" },
  { label = "none", controls = [] },
  { label = "-GDP", controls = "controls - GDP" },
]

[[multiverses.small.dimensions]]
name = "fe"
options = ["city+year", "city+province^year"]

[[multiverses.small.dimensions]]
name = "vcov"
options = ["cluster:city", "cluster:province", "hetero"]

[[multiverses.small.dimensions]]
name = "sample"
options = [
  { label = "all" },
  { label = "no_resource_based", sample = "resource_based == 0" },
  { label = "2008..2019", years = "2008..2019" },
]

[[multiverses.small.dimensions]]
name = "winsor"
options = [
  { label = "0.01" },
  { label = "0", params = { panel = { winsor_lower = 0.0, winsor_upper = 1.0 } } },
]

[[multiverses.small.exclude]]
fe = "city+province^year"
vcov = "hetero"
"#;

const WINSOR0: &str = "panel~panel.winsor_lower=0.0+panel.winsor_upper=1.0";

fn golden_dir() -> PathBuf {
    repo_root().join("crates/pipeline/tests/golden")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-8 * b.abs()
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let head: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (head, rows)
}

#[test]
fn small_multiverse_equals_pyfixest_in_every_specification() {
    let p = Project::new();
    std::fs::write(p.path("pipelines/small.toml"), SMALL).expect("write");
    let list = p.ok(&[
        "--pipeline",
        "pipelines/small.toml",
        "multiverse",
        "small",
        "--list",
    ]);
    assert!(
        list.contains("360 specifications (432 combinations, 72 excluded); 1 upstream variant(s)"),
        "{list}"
    );
    // Nothing ran for the listing.
    assert!(!p.path("cache").exists() || !p.path("out/multiverse").exists());
    let summary = p.ok(&["--pipeline", "pipelines/small.toml", "multiverse", "small"]);
    assert!(summary.contains("360 specifications"), "{summary}");
    assert!(summary.contains("Joint inference: not run"), "{summary}");

    // The panels the oracle read are the ones this run built.
    for (node, file) in [
        ("panel", "multiverse_panel_w01.csv"),
        (WINSOR0, "multiverse_panel_w0.csv"),
    ] {
        let out = p.path(file);
        p.ok(&[
            "--pipeline",
            "pipelines/small.toml",
            "--multiverse",
            "small",
            "export",
            node,
            "--format",
            "csv",
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        let built = std::fs::read(&out).expect("export");
        let stored = golden_dir().join(file);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&stored, &built).expect("update golden panel");
        }
        assert!(
            std::fs::read(&stored).expect("golden panel") == built,
            "{node} differs from {}: rerun with UPDATE_GOLDEN=1 and then crates/pipeline/oracles/multiverse_pyfixest.py",
            stored.display()
        );
    }

    let dir = p.path("out/multiverse/small");
    for f in [
        "specs.csv",
        "specs.json",
        "specs.parquet",
        "summary.json",
        "summary.md",
        "curve.svg",
    ] {
        assert!(dir.join(f).exists(), "{f} not published");
    }
    let (head, rows) = csv_rows(&std::fs::read_to_string(dir.join("specs.csv")).expect("csv"));
    assert_eq!(
        head,
        [
            "outcome", "exposure", "controls", "fe", "vcov", "sample", "winsor", "b", "se", "stat",
            "p", "ci_lo", "ci_hi", "n", "clusters"
        ]
    );
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(golden_dir().join("multiverse_pyfixest.json")).expect("golden"),
    )
    .expect("json");
    let specs = golden["specifications"].as_array().expect("specs");
    assert_eq!(specs.len(), 360);
    assert_eq!(rows.len(), specs.len());
    for (row, g) in rows.iter().zip(specs) {
        let labels: Vec<&str> = g["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .map(|l| l.as_str().expect("label"))
            .collect();
        assert_eq!(&row[..7], labels.as_slice(), "order of specifications");
        let num = |k: usize| row[k].parse::<f64>().expect("number");
        let (b, se) = (g["b"].as_f64().expect("b"), g["se"].as_f64().expect("se"));
        assert!(close(num(7), b), "{labels:?}: b {} vs pyfixest {b}", num(7));
        assert!(
            close(num(8), se),
            "{labels:?}: se {} vs pyfixest {se}",
            num(8)
        );
        assert_eq!(row[13], g["n"].to_string(), "{labels:?}: n");
        // The interval is b -/+ t(0.975, df) se.
        assert!(num(11) < num(7) && num(7) < num(12), "{labels:?}: interval");
    }
}

#[test]
fn adding_an_option_runs_only_its_specifications_and_the_summary() {
    let p = Project::new();
    std::fs::write(p.path("pipelines/tiny.toml"), TINY_MULTIVERSE).expect("write");
    let args = ["--pipeline", "pipelines/tiny.toml", "--multiverse", "tiny"];
    let json_run = |p: &Project| {
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["run", "--json"]);
        let v = p.json(&a);
        let list = |k: &str| -> Vec<String> {
            let mut l: Vec<String> = v[k]
                .as_array()
                .expect(k)
                .iter()
                .map(|s| s.as_str().expect("name").to_string())
                .collect();
            l.sort();
            l
        };
        (list("executed"), list("cached"))
    };
    let (first, _) = json_run(&p);
    for n in [
        "tiny[all,0.01]",
        "tiny[none,0.025]",
        "tiny",
        "panel~panel.winsor_lower=0.025+panel.winsor_upper=0.975",
    ] {
        assert!(
            first.contains(&n.to_string()),
            "{n} not executed: {first:?}"
        );
    }
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(p.path("out/multiverse/tiny/summary.json")).expect("summary"),
    )
    .expect("json");
    assert_eq!(summary["specifications"], 4);
    assert_eq!(summary["joint"]["draws"], 20);
    let report = std::fs::read_to_string(p.path("out/report.html")).expect("report");
    assert!(
        report.contains("Multiverse: tiny"),
        "the report shows the multiverse"
    );

    let (again, _) = json_run(&p);
    assert!(again.is_empty(), "second run executed {again:?}");

    let path = p.path("pipelines/tiny.toml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replacen(
            "{ label = \"none\", controls = [] },",
            "{ label = \"none\", controls = [] },\n  { label = \"-GDP\", controls = \"controls - GDP\" },",
            1,
        ),
    )
    .expect("write");
    let (added, _) = json_run(&p);
    assert_eq!(
        added,
        ["report", "tiny", "tiny[-GDP,0.01]", "tiny[-GDP,0.025]"],
        "only the new specifications, the summary and the report"
    );
}
