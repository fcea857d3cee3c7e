//! Helpers for the end-to-end tests: a private copy of the project (pipelines/ and data/) in a
//! temporary folder, and a way to call the built `robocarb` binary on it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A pipeline file (beside paper.toml) with a 4-specification multiverse `tiny` whose second
/// dimension changes the panel node's winsorizing, and 20 null draws.
pub const TINY_MULTIVERSE: &str = r#"
extends = "paper.toml"

[multiverses.tiny]
outcome = "CARBON"
exposure = "ROBOT"
controls = "controls"
fe = "city + year"
vcov = "cluster:city"
bootstrap_reps = 20
seed = 5

[[multiverses.tiny.dimensions]]
name = "controls"
options = [
  { label = "all", controls = "controls" },
  { label = "none", controls = [] },
]

[[multiverses.tiny.dimensions]]
name = "winsor"
options = [
  { label = "0.01" },
  { label = "0.025", params = { panel = { winsor_lower = 0.025, winsor_upper = 0.975 } } },
]
"#;

pub struct Project {
    pub dir: tempfile::TempDir,
}

/// The repository root (this package lives in its `tests/` folder).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repo root")
}

/// The folder of the test files, their corpus and snapshots (`tests/tests/`).
pub fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let p = entry.path();
        let dest = to.join(entry.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

impl Project {
    /// A copy of the repository's pipelines/ and data/ folders.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = repo_root();
        copy_dir(&root.join("pipelines"), &dir.path().join("pipelines"));
        copy_dir(&root.join("data"), &dir.path().join("data"));
        Project { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_robocarb-e2e"));
        c.current_dir(self.dir.path())
            .args(args)
            .env_remove("ROBOCARB_CODE_SALT")
            .env("RUST_LOG", "warn");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run robocarb")
    }

    /// Run and require success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "robocarb {args:?} failed ({:?}):\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let s = self.ok(args);
        serde_json::from_str(&s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
    }

    /// `run --json`: (executed, cached) node names.
    pub fn run_json(&self, extra: &[&str]) -> (Vec<String>, Vec<String>) {
        self.run_json_with(&[], extra)
    }

    /// `run --json` with global options (`--pipeline`, `--multiverse`) before it.
    pub fn run_json_with(&self, global: &[&str], extra: &[&str]) -> (Vec<String>, Vec<String>) {
        let mut args = global.to_vec();
        args.extend(["run", "--json"]);
        args.extend_from_slice(extra);
        let v = self.json(&args);
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
    }

    /// Nodes that `status --json` reports as not fresh, and those stale directly.
    pub fn stale(&self) -> (Vec<String>, Vec<String>) {
        let v = self.json(&["status", "--json"]);
        let mut all = Vec::new();
        let mut direct = Vec::new();
        for s in v.as_array().expect("array") {
            let name = s["node"].as_str().expect("node").to_string();
            if s["state"] != "fresh" {
                if s["direct"] == true {
                    direct.push(name.clone());
                }
                all.push(name);
            }
        }
        all.sort();
        direct.sort();
        (all, direct)
    }

    /// Every published file under out/, with its bytes, sorted by path.
    /// Every published file with its bytes, sorted by path, except report.html (it carries
    /// this run's timings; everything else must match exactly).
    pub fn outputs(&self) -> Vec<(String, Vec<u8>)> {
        outputs_of(&self.path("out"))
    }
}

/// Nodes downstream of `start` (inclusive), from `dag --format text`.
pub fn downstream(project: &Project, start: &[&str]) -> Vec<String> {
    let text = project.ok(&["dag", "--format", "text"]);
    let mut edges: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let Some((head, inputs)) = line.split_once(" <- ") else {
            continue;
        };
        let node = head.split_whitespace().next().expect("node").to_string();
        for inp in inputs.split(", ") {
            if let Some((_, target)) = inp.split_once('=') {
                if !target.starts_with("source:") {
                    edges.push((target.to_string(), node.clone()));
                }
            }
        }
    }
    let mut set: Vec<String> = start.iter().map(|s| s.to_string()).collect();
    loop {
        let before = set.len();
        for (a, b) in &edges {
            if set.contains(a) && !set.contains(b) {
                set.push(b.clone());
            }
        }
        if set.len() == before {
            break;
        }
    }
    set.sort();
    set
}

/// Every file below `dir` with its bytes, keyed by its path relative to `dir`.
pub fn files_under(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("prefix");
                out.insert(
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(&p).expect("read"),
                );
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Published files under an output folder, sorted by path, without report.html.
pub fn outputs_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .filter(|(rel, _)| rel != "report.html")
        .collect()
}

/// Blobs, action entries and node records of a store with their bytes (the stat cache is left
/// out: it is a hint keyed by path and mtime and may be rewritten by any run).
pub fn store_snapshot(cache: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    ["blobs", "actions", "records"]
        .iter()
        .flat_map(|sub| {
            files_under(&cache.join(sub))
                .into_iter()
                .map(move |(rel, bytes)| (format!("{sub}/{rel}"), bytes))
        })
        .collect()
}
