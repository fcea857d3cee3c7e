//! Multiverses end to end: a small multiverse with every kind of option (outcome, exposure,
//! controls, fixed effects, VCE, sample, years, an upstream parameter) equals pyfixest in every
//! specification; `--list` counts without running; adding an option runs only the
//! specifications it creates plus the summary and the report, and a second run runs nothing; the
//! joint test of a 14-specification multiverse, every null refit and the three p-values, equals an
//! independent numpy implementation replaying the same draws.

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
    let json_run = |p: &Project| p.run_json_with(&args, &[]);
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

/// The multiverse of `crates/pipeline/oracles/multiverse_joint_numpy.py` (keep the two in step):
/// 14 specifications, the full sample only with CARBON and all controls, where the effect is
/// strong; elsewhere the sample without resource-based cities, where it is weak, so that the
/// null draws reach the observed statistics and the three k counts are not all 0.
const JOINT: &str = r#"
extends = "paper.toml"

[multiverses.joint_small]
outcome = "CARBON"
exposure = "ROBOT"
controls = "controls"
fe = "city + year"
vcov = "cluster:city"
bootstrap_reps = 30
seed = 20240611

[[multiverses.joint_small.dimensions]]
name = "outcome"
options = ["CARBON", "CARBON_I"]

[[multiverses.joint_small.dimensions]]
name = "controls"
options = [
  { label = "all", controls = "controls" },
  { label = "none", controls = [] },
  { label = "-GDP", controls = "controls - GDP" },
]

[[multiverses.joint_small.dimensions]]
name = "vcov"
options = ["cluster:city", "cluster:province"]

[[multiverses.joint_small.dimensions]]
name = "sample"
options = [
  { label = "no_resource_based", sample = "resource_based == 0" },
  { label = "all" },
]

[[multiverses.joint_small.exclude]]
sample = "all"
outcome = "CARBON_I"

[[multiverses.joint_small.exclude]]
sample = "all"
controls = ["none", "-GDP"]
"#;
const JOINT_REPS: usize = 30;
const JOINT_SEED: u64 = 20240611;
const JOINT_DRAWS: &str = "multiverse_joint_draws.json";

/// `a` equals the oracle's `b` to 1e-8 relative (1e-10 absolute near 0).
fn close_or_tiny(a: f64, b: f64) -> bool {
    (a - b).abs() <= (1e-8 * b.abs()).max(1e-10)
}

fn f64_at(v: &serde_json::Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number: {v}"))
}

/// The draws of the joint test as the oracle reads them: `draws[d][j]` the position of the j-th
/// city drawn in draw d, position k = the k-th smallest city_code of the data node.
fn draws_json(units: usize, draws: &[Vec<u32>]) -> String {
    let rows: Vec<String> = draws
        .iter()
        .map(|d| {
            let v: Vec<String> = d.iter().map(u32::to_string).collect();
            format!("  [{}]", v.join(","))
        })
        .collect();
    format!(
        "{{\n \"about\": \"robocarb_estimate::resample::bootstrap_draws({JOINT_REPS}, {units}, {JOINT_SEED}), the draws of the multiverse `joint_small` of tests/tests/multiverse_e2e.rs, written by that test (UPDATE_GOLDEN=1) for crates/pipeline/oracles/multiverse_joint_numpy.py\",\n \"reps\": {JOINT_REPS},\n \"units\": {units},\n \"seed\": {JOINT_SEED},\n \"draws\": [\n{}\n ]\n}}\n",
        rows.join(",\n")
    )
}

#[test]
fn joint_test_refits_included_equals_numpy() {
    let p = Project::new();
    std::fs::write(p.path("pipelines/joint_small.toml"), JOINT).expect("write");
    let args = [
        "--pipeline",
        "pipelines/joint_small.toml",
        "--multiverse",
        "joint_small",
    ];
    let run = |extra: &[&str]| {
        let mut a = args.to_vec();
        a.extend_from_slice(extra);
        p.ok(&a)
    };
    let printed = p.ok(&[
        "--pipeline",
        "pipelines/joint_small.toml",
        "multiverse",
        "joint_small",
    ]);
    assert!(printed.contains("14 specifications"), "{printed}");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();

    // The data node is the panel the oracle reads (the small multiverse's test owns that file).
    let panel_csv = p.path("panel.csv");
    run(&[
        "export",
        "panel",
        "--format",
        "csv",
        "--out",
        panel_csv.to_str().expect("utf-8"),
    ]);
    let panel = std::fs::read_to_string(&panel_csv).expect("panel");
    if !update {
        assert!(
            std::fs::read_to_string(golden_dir().join("multiverse_panel_w01.csv"))
                .expect("golden panel")
                == panel,
            "the panel differs from multiverse_panel_w01.csv: rerun with UPDATE_GOLDEN=1 and then the oracles"
        );
    }

    // The draws the pipeline makes: G = the cities of the data node, whatever the sample.
    let (head, rows) = csv_rows(&panel);
    let col = head
        .iter()
        .position(|h| h == "city_code")
        .expect("city_code");
    let mut cities: Vec<&str> = rows.iter().map(|r| r[col].as_str()).collect();
    cities.sort_unstable();
    cities.dedup();
    let draws = robocarb_estimate::resample::bootstrap_draws(JOINT_REPS, cities.len(), JOINT_SEED);
    let draws_file = golden_dir().join(JOINT_DRAWS);
    let text = draws_json(cities.len(), &draws);
    if update {
        std::fs::write(&draws_file, &text).expect("update golden draws");
    }
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(
            &std::fs::read_to_string(&draws_file).expect("golden draws")
        )
        .expect("json"),
        serde_json::from_str::<serde_json::Value>(&text).expect("json"),
        "{JOINT_DRAWS} is not what bootstrap_draws gives: rerun with UPDATE_GOLDEN=1 and then crates/pipeline/oracles/multiverse_joint_numpy.py"
    );

    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(golden_dir().join("multiverse_joint_numpy.json")).expect("golden"),
    )
    .expect("json");
    assert_eq!(golden["inputs"]["seed"], JOINT_SEED);
    assert_eq!(golden["inputs"]["reps"], JOINT_REPS);
    let dir = p.path("out/multiverse/joint_small");
    let specs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("specs.json")).expect("specs.json"))
            .expect("json");
    let specs = specs.as_array().expect("rows");
    let want = golden["specifications"].as_array().expect("specs");
    assert_eq!(specs.len(), 14);
    assert_eq!(specs.len(), want.len());

    // Each specification: the full-sample fit and its 30 null refits (b, se, p) from the store.
    for (s, g) in specs.iter().zip(want) {
        assert_eq!(s["labels"], g["labels"], "order of specifications");
        let node = s["node"].as_str().expect("node");
        let labels = &g["labels"];
        for k in ["b", "se", "p"] {
            let (a, b) = (f64_at(&s[k], k), f64_at(&g[k], k));
            assert!(close(a, b), "{labels}: {k} {a} vs numpy {b}");
        }
        assert_eq!(s["n"], g["n"], "{labels}: n");
        assert_eq!(s["clusters"], g["clusters"], "{labels}: clusters");
        assert_eq!(s["null_reps"], JOINT_REPS);
        assert_eq!(s["null_failed"], 0, "{labels}: {}", s["null_error"]);
        let out = p.path("null.f64");
        run(&[
            "export",
            node,
            "--output",
            "null.f64",
            "--format",
            "raw",
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        let null: Vec<f64> = std::fs::read(&out)
            .expect("null.f64")
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        assert_eq!(null.len(), 3 * JOINT_REPS, "{node}: 3 f64 per draw");
        for (d, v) in null.chunks_exact(3).enumerate() {
            let at = |k: &str| f64_at(&g[k][d], k);
            let (b, se, pv) = (at("null_b"), at("null_se"), at("null_p"));
            assert!(
                close_or_tiny(v[0], b),
                "{node} draw {d}: b {} vs numpy {b}",
                v[0]
            );
            assert!(
                close(v[1], se),
                "{node} draw {d}: se {} vs numpy {se}",
                v[1]
            );
            assert!(close(v[2], pv), "{node} draw {d}: p {} vs numpy {pv}", v[2]);
        }
    }

    // The joint test: the observed statistics, each draw's, the k counts and p-values exactly.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).expect("summary"))
            .expect("json");
    let (j, o) = (&summary["joint"], &golden["joint"]);
    assert_eq!(j["draws"], JOINT_REPS);
    assert_eq!(j["failed_refits"], 0);
    assert_eq!(o["failed_refits"], 0);
    let same_statistics = |a: &serde_json::Value, b: &serde_json::Value, what: &str| {
        for k in ["median", "mean_z"] {
            let (x, y) = (f64_at(&a[k], k), f64_at(&b[k], k));
            assert!(close(x, y), "{what}: {k} {x} vs numpy {y}");
        }
        for k in ["n_significant", "dominant_sign", "n_specs"] {
            assert_eq!(a[k], b[k], "{what}: {k}");
        }
    };
    same_statistics(&j["observed"], &o["observed"], "observed");
    let (jn, on) = (
        j["null"].as_array().expect("null"),
        o["null"].as_array().expect("null"),
    );
    assert_eq!(jn.len(), on.len());
    for (d, (a, b)) in jn.iter().zip(on).enumerate() {
        same_statistics(&a["statistics"], b, &format!("draw {d}"));
    }
    // One-sided p = max(k, 1) / B; the headline p doubles it (capped at 1) for the median and
    // Stouffer, not for the count (each draw's own dominant sign).
    for (s, doubled) in [("median", true), ("count", false), ("stouffer", true)] {
        let (k, pk) = (format!("k_{s}"), format!("p_{s}"));
        assert_eq!(j[&k], o[&k], "{k}");
        assert_eq!(j[&pk], o[&pk], "{pk}");
        let one_sided = j[&k].as_u64().expect("k") as f64;
        let one_sided = one_sided.max(1.0) / JOINT_REPS as f64;
        if doubled {
            let p1 = format!("p_{s}_one_sided");
            assert_eq!(j[&p1], o[&p1], "{p1}");
            assert_eq!(f64_at(&j[&p1], &p1), one_sided, "{p1}");
            assert_eq!(f64_at(&j[&pk], &pk), (2.0 * one_sided).min(1.0), "{pk}");
        } else {
            assert_eq!(f64_at(&j[&pk], &pk), one_sided, "{pk}");
        }
    }
}
