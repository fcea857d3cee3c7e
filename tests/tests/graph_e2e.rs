//! End-to-end acceptance tests of the build graph on the real pipeline and the embedded default
//! data, calling the `robocarb` binary.

mod common;
use common::{downstream, Project};
use std::time::Duration;

const VENT: &str = "data/default/climate/ventilation.csv";

/// Change the first data value of the ventilation file (a number in the middle of the sample).
fn bump_ventilation(p: &Project) -> String {
    let path = p.path(VENT);
    let original = std::fs::read_to_string(&path).expect("read");
    let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    let last = cells.len() - 1;
    let v: f64 = cells[last].parse().expect("number");
    cells[last] = format!("{}", v * 1.05 + 0.01);
    lines[1] = cells.join(",");
    let mut changed = lines.join("\n");
    if original.ends_with('\n') {
        changed.push('\n');
    }
    std::fs::write(&path, changed).expect("write");
    original
}

#[test]
fn second_run_executes_nothing_and_says_so() {
    let p = Project::new();
    let (executed, _) = p.run_json(&[]);
    assert!(executed.contains(&"table4".to_string()), "{executed:?}");
    let out = p.ok(&["run"]);
    assert!(out.contains("nothing to do"), "{out}");
    let (executed, cached) = p.run_json(&[]);
    assert!(executed.is_empty(), "{executed:?}");
    assert!(cached.contains(&"report".to_string()));
    for t in [
        "table1", "table3", "table4", "table5", "table6", "table7", "table8", "table9",
    ] {
        for ext in ["md", "tex", "csv", "json"] {
            assert!(
                p.path(&format!("out/tables/{t}.{ext}")).exists(),
                "missing out/tables/{t}.{ext}"
            );
        }
    }
    assert!(p.path("out/report.html").exists());
    check_table_snapshots(&p);
}

/// Every published table on the default data equals its snapshot in tests/snapshots/tables/
/// (regenerate with UPDATE_SNAPSHOTS=1 after an intended change of the data or the code).
fn check_table_snapshots(p: &Project) {
    let dir = common::tests_dir().join("snapshots/tables");
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    let mut checked = 0;
    for (rel, bytes) in p.outputs() {
        let Some(name) = rel.strip_prefix("tables/") else {
            continue;
        };
        let snap = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).expect("mkdir");
            std::fs::write(&snap, &bytes).expect("write snapshot");
        } else {
            let expected = std::fs::read(&snap).unwrap_or_else(|_| {
                panic!(
                    "no snapshot {}; run with UPDATE_SNAPSHOTS=1",
                    snap.display()
                )
            });
            assert!(
                expected == bytes,
                "out/tables/{name} differs from its snapshot {}",
                snap.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 8 * 5, "only {checked} table files published");
}

#[test]
fn appended_newline_reruns_only_the_source_node() {
    let p = Project::new();
    p.run_json(&[]);
    let path = p.path(VENT);
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push('\n');
    std::fs::write(&path, text).expect("write");
    let (_, direct) = p.stale();
    assert_eq!(direct, vec!["climate"]);
    let (executed, _) = p.run_json(&[]);
    assert_eq!(
        executed,
        vec!["climate"],
        "early cutoff must stop the wave after the parse"
    );
}

#[test]
fn one_value_change_reaches_exactly_its_downstream_and_revert_is_free() {
    let p = Project::new();
    p.run_json(&[]);
    let before = p.outputs();
    let original = bump_ventilation(&p);
    let expected = downstream(&p, &["climate"]);
    let (stale, direct) = p.stale();
    assert_eq!(stale, expected);
    assert_eq!(direct, vec!["climate"]);
    let why = p.ok(&["why", "table3"]);
    assert!(why.contains("input source:ventilation ("), "{why}");
    assert!(
        why.contains("ventilation.csv") && why.contains(" -> "),
        "{why}"
    );
    let (executed, _) = p.run_json(&[]);
    assert!(
        executed.iter().all(|n| expected.contains(n)),
        "{executed:?} not within {expected:?}"
    );
    assert!(executed.contains(&"panel".to_string()));
    std::fs::write(p.path(VENT), original).expect("revert");
    let (executed, _) = p.run_json(&[]);
    assert!(
        executed.is_empty(),
        "revert must come from the store: {executed:?}"
    );
    assert_eq!(p.outputs(), before);
}

/// `export` answers for the current sources: after a build from changed data and a revert without
/// a run, it gives the original build (still in the store), not the last one; for inputs never
/// built it falls back to the last build and says so.
#[test]
fn export_follows_the_current_sources_not_the_last_build() {
    let p = Project::new();
    p.ok(&["run", "climate"]);
    let export = |p: &Project, file: &str| -> (Vec<u8>, String) {
        let out = p.run(&["export", "climate", "--out", file]);
        assert!(out.status.success(), "{out:?}");
        (
            std::fs::read(p.path(file)).expect("exported"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (first, warn) = export(&p, "first.csv");
    assert!(!warn.contains("not up to date"), "{warn}");
    let original = bump_ventilation(&p);
    p.ok(&["run", "climate"]);
    let (second, _) = export(&p, "second.csv");
    assert!(first != second, "the bumped data changes the export");
    std::fs::write(p.path(VENT), &original).expect("revert");
    let (again, warn) = export(&p, "again.csv");
    assert!(again == first, "the build for the current data");
    assert!(!warn.contains("not up to date"), "{warn}");
    bump_ventilation(&p);
    bump_ventilation(&p);
    let (stale, warn) = export(&p, "stale.csv");
    assert!(stale == second, "the last build (the bumped one), said so");
    assert!(warn.contains("`climate` is not up to date"), "{warn}");
}

#[test]
fn touching_a_file_executes_nothing() {
    let p = Project::new();
    p.run_json(&[]);
    let later = std::time::SystemTime::now() + Duration::from_secs(30);
    std::fs::File::options()
        .write(true)
        .open(p.path(VENT))
        .expect("open")
        .set_modified(later)
        .expect("touch");
    let (executed, _) = p.run_json(&[]);
    assert!(executed.is_empty(), "{executed:?}");
}

#[test]
fn editing_one_crate_makes_only_its_nodes_stale() {
    let p = Project::new();
    p.run_json(&[]);
    let out = p
        .cmd(&["status", "--json"])
        .env("ROBOCARB_CODE_SALT", "crate:dea=edited")
        .output()
        .expect("status");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut direct: Vec<String> = v
        .as_array()
        .expect("array")
        .iter()
        .filter(|s| s["direct"] == true)
        .map(|s| s["node"].as_str().expect("name").to_string())
        .collect();
    direct.sort();
    assert_eq!(direct, vec!["dea_frontier", "dea_inputs", "dea_ml", "tfp"]);
    let why = p
        .cmd(&["why", "tfp"])
        .env("ROBOCARB_CODE_SALT", "crate:dea=edited")
        .output()
        .expect("why");
    let why = String::from_utf8_lossy(&why.stdout);
    assert!(why.contains("code crate:dea changed"), "{why}");
    // Editing the estimation code reaches the models, tests and tables only, not the data build.
    let data_build = [
        "cities",
        "ifr",
        "employment",
        "yearbook",
        "environment",
        "ceads",
        "climate",
        "energy",
        "firms",
        "attributes",
        "exposure",
        "dea_inputs",
        "dea_frontier",
        "dea_ml",
        "tfp",
        "panel",
        "table1",
    ];
    let out = p
        .cmd(&["status", "--json"])
        .env("ROBOCARB_CODE_SALT", "crate:estimate=edited")
        .output()
        .expect("status");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    for s in v.as_array().expect("array") {
        let name = s["node"].as_str().expect("name");
        let should = !data_build.contains(&name);
        assert_eq!(s["state"] != "fresh", should, "{name}: {s}");
    }
}

#[test]
fn killed_run_then_rerun_gives_identical_outputs() {
    let reference = Project::new();
    reference.run_json(&[]);
    let expected = reference.outputs();
    let p = Project::new();
    for delay_ms in [150u64, 600, 1500] {
        let mut child = p.cmd(&["run"]).spawn().expect("spawn");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    p.ok(&["run"]);
    assert_eq!(p.outputs(), expected);
    let verify = p.ok(&["cache", "verify"]);
    assert!(verify.contains("store is valid"), "{verify}");
}

#[test]
fn flipped_blob_is_detected_and_recomputed() {
    let p = Project::new();
    p.run_json(&[]);
    let expected = p.outputs();
    // Flip a byte in every blob of the cache's first shard that is large enough.
    let blobs = p.path("cache/blobs");
    let mut flipped = 0;
    for shard in std::fs::read_dir(&blobs).expect("blobs").flatten().take(3) {
        for f in std::fs::read_dir(shard.path()).expect("shard").flatten() {
            let mut b = std::fs::read(f.path()).expect("read");
            if b.len() > 10 {
                b[5] ^= 0x20;
                std::fs::write(f.path(), b).expect("write");
                flipped += 1;
            }
        }
    }
    assert!(flipped > 0);
    let out = p.run(&["cache", "verify"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "verify must fail on corrupted blobs"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("corrupted"));
    p.ok(&["run"]);
    assert_eq!(p.outputs(), expected);
    assert!(p.ok(&["cache", "verify"]).contains("store is valid"));
}

#[test]
fn concurrent_runs_both_finish_with_correct_results() {
    let reference = Project::new();
    reference.run_json(&[]);
    let expected = reference.outputs();
    let p = Project::new();
    let a = p.cmd(&["run"]).spawn().expect("spawn a");
    let b = p.cmd(&["run"]).spawn().expect("spawn b");
    let (ra, rb) = (
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    );
    assert!(ra.status.success() && rb.status.success());
    assert_eq!(p.outputs(), expected);
}

#[test]
fn results_identical_for_any_job_count() {
    let one = Project::new();
    one.ok(&["run", "--jobs", "1"]);
    let many = Project::new();
    many.ok(&["run", "--jobs", "8"]);
    assert_eq!(one.outputs(), many.outputs());
}

#[test]
fn dag_dot_is_valid() {
    let p = Project::new();
    let dot = p.ok(&["dag", "--format", "dot"]);
    check_dot(&dot);
    if let Ok(out) = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        let mut child = out;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(dot.as_bytes())
            .expect("write");
        let res = child.wait_with_output().expect("dot");
        assert!(res.status.success(), "graphviz rejected the dot output");
    } else {
        eprintln!("skipped: graphviz `dot` not installed; checked with the built-in parser only");
    }
    let mermaid = p.ok(&["dag", "--format", "mermaid"]);
    assert!(mermaid.starts_with("graph LR"));
}

/// A small structural parser for the subset of DOT the CLI writes.
fn check_dot(dot: &str) {
    let body = dot
        .trim()
        .strip_prefix("digraph robocarb {")
        .and_then(|s| s.strip_suffix('}'))
        .expect("digraph wrapper");
    let mut declared = std::collections::BTreeSet::new();
    let mut edges = Vec::new();
    for stmt in body.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        let stmt = stmt.trim_end_matches(';');
        if stmt.starts_with("rankdir") || stmt.starts_with("node [") {
            continue;
        }
        assert_eq!(
            stmt.matches('"').count() % 2,
            0,
            "unbalanced quotes: {stmt}"
        );
        if let Some((a, b)) = stmt.split_once(" -> ") {
            edges.push((
                a.trim_matches('"').to_string(),
                b.trim_matches('"').to_string(),
            ));
        } else {
            let name = stmt
                .split(" [")
                .next()
                .expect("name")
                .trim_matches('"')
                .to_string();
            assert!(stmt.ends_with(']'), "attribute list not closed: {stmt}");
            declared.insert(name);
        }
    }
    assert!(declared.len() > 20);
    for (a, b) in edges {
        assert!(
            declared.contains(&a) && declared.contains(&b),
            "edge to undeclared node: {a} -> {b}"
        );
    }
}

/// Change one city's employees (a DEA input) in one year of the GBK yearbook, byte by byte (GBK
/// leaves ASCII bytes as they are, and its trail bytes are never a comma).
fn bump_yearbook(p: &Project, city: &str, year: &str) {
    let path = p.path("data/default/yearbook/city_yearbook.csv");
    let bytes = std::fs::read(&path).expect("read");
    let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let mut changed = false;
    for line in lines.iter_mut() {
        let fields: Vec<&[u8]> = line.split(|b| *b == b',').collect();
        if fields.len() > 3 && fields[0] == city.as_bytes() && fields[2] == year.as_bytes() {
            let v: f64 = std::str::from_utf8(fields[3])
                .expect("ascii")
                .parse()
                .expect("employees");
            let new = format!("{}", v * 1.01);
            let mut out: Vec<u8> = Vec::new();
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(if i == 3 { new.as_bytes() } else { f });
            }
            *line = out;
            changed = true;
        }
    }
    assert!(changed, "row {city} {year} not found");
    std::fs::write(&path, lines.join(&b'\n')).expect("write");
}

#[test]
fn one_city_year_of_dea_data_resolves_only_its_year_and_two_pairs() {
    let p = Project::new();
    p.run_json(&[]);
    bump_yearbook(&p, "130100", "2015");
    let v = p.json(&["run", "--json"]);
    let node = |name: &str| {
        v["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .find(|n| n["node"] == name)
            .cloned()
            .expect(name)
    };
    let parts = |name: &str| -> Vec<String> {
        let mut l: Vec<String> = node(name)["tasks_executed"]
            .as_array()
            .expect("tasks")
            .iter()
            .map(|s| s.as_str().expect("s").to_string())
            .collect();
        l.sort();
        l
    };
    assert_eq!(parts("dea_frontier"), vec!["2015"]);
    assert_eq!(parts("dea_ml"), vec!["2014-2015", "2015-2016"]);
    assert_eq!(node("dea_frontier")["tasks_cached"], 13);
    assert_eq!(node("dea_ml")["tasks_cached"], 11);
}
