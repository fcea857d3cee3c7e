//! The bad-inputs corpus (`tests/tests/bad_inputs/cases.json`): malformed source files, pipeline files
//! and sources files, each with the message fragments and exit code the user must see.
//!
//! Bad files are made here by mutating a copy of the real default file (so the corpus survives a
//! regeneration of the twin); a few small static files live beside the manifest. Data cases run
//! against a copy of a store built by one good run, and must leave the store's blobs, action
//! entries and node records byte-identical (`stat-cache.json` may change: it is a hint, keyed by
//! path and mtime, not content) and `cache verify` clean.
//!
//! `ROBOCARB_CORPUS_REPORT=FILE` writes a Markdown table of every case and its message.

mod common;
use common::{store_snapshot, Project};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A source name -> its default file under data/default (from pipelines/paper.toml).
fn default_paths(p: &Project) -> BTreeMap<String, PathBuf> {
    let text = std::fs::read_to_string(p.path("pipelines/paper.toml")).expect("pipeline");
    let mut map = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line
            .strip_prefix("[sources.")
            .and_then(|s| s.strip_suffix(']'))
        {
            current = Some(name.to_string());
        } else if line.starts_with('[') {
            current = None;
        } else if let (Some(name), Some(rest)) = (&current, line.strip_prefix("path = \"")) {
            let rel = rest.trim_end_matches('"');
            map.insert(name.clone(), p.path("pipelines").join(rel));
        }
    }
    map
}

/// The CSV file as lines of bytes (GBK files are mutated byte-wise: a GBK trail byte is never
/// `,` or `\n`, so splitting on them is safe).
struct Csv {
    lines: Vec<Vec<u8>>,
    trailing_newline: bool,
}

impl Csv {
    fn parse(bytes: &[u8]) -> Csv {
        let trailing_newline = bytes.ends_with(b"\n");
        let body = if trailing_newline {
            &bytes[..bytes.len() - 1]
        } else {
            bytes
        };
        Csv {
            lines: body.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect(),
            trailing_newline,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = self.lines.join(&b'\n');
        if self.trailing_newline {
            out.push(b'\n');
        }
        out
    }

    fn cells(line: &[u8]) -> Vec<Vec<u8>> {
        line.split(|&b| b == b',').map(<[u8]>::to_vec).collect()
    }

    /// Column index by header name (`column`) or position (`index`).
    fn col(&self, edit: &Value) -> usize {
        if let Some(i) = edit["index"].as_u64() {
            return i as usize;
        }
        let name = edit["column"].as_str().expect("edit needs column or index");
        Csv::cells(&self.lines[0])
            .iter()
            .position(|h| h == name.as_bytes())
            .unwrap_or_else(|| panic!("no column {name} in the default file"))
    }

    fn map_row(&mut self, row: usize, f: impl Fn(&mut Vec<Vec<u8>>)) {
        let mut cells = Csv::cells(&self.lines[row - 1]);
        f(&mut cells);
        self.lines[row - 1] = cells.join(&b',');
    }
}

fn s<'a>(edit: &'a Value, k: &str) -> &'a str {
    edit[k]
        .as_str()
        .unwrap_or_else(|| panic!("edit needs `{k}`: {edit}"))
}

fn n(edit: &Value, k: &str) -> usize {
    edit[k]
        .as_u64()
        .unwrap_or_else(|| panic!("edit needs `{k}`: {edit}")) as usize
}

/// The UTF-8 twin of the GBK city yearbook: headers from the generator's list, city names from
/// the (UTF-8) city list; every number unchanged.
fn yearbook_as_utf8(bytes: &[u8], city_list: &Path) -> Vec<u8> {
    let names: BTreeMap<String, String> = std::fs::read_to_string(city_list)
        .expect("city list")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            Some((c.first()?.to_string(), c.get(1)?.to_string()))
        })
        .collect();
    let mut csv = Csv::parse(bytes);
    let header = format!(
        "城市代码,城市,年份,{}",
        robocarb_synth::YEARBOOK_HEADERS.join(",")
    );
    csv.lines[0] = header.into_bytes();
    for line in csv.lines.iter_mut().skip(1) {
        let mut cells = Csv::cells(line);
        let code = String::from_utf8_lossy(&cells[0]).into_owned();
        cells[1] = names.get(&code).cloned().unwrap_or_default().into_bytes();
        *line = cells.join(&b',');
    }
    csv.bytes()
}

/// Apply one edit of the manifest to `bytes`.
fn apply(edit: &Value, bytes: Vec<u8>, ctx: &EditContext) -> Vec<u8> {
    let op = s(edit, "op");
    match op {
        "empty" => Vec::new(),
        "truncate_bytes" => bytes[..n(edit, "keep").min(bytes.len())].to_vec(),
        "static" => std::fs::read(ctx.corpus.join(s(edit, "file"))).expect("static corpus file"),
        "yearbook_as_utf8" => yearbook_as_utf8(&bytes, &ctx.defaults["city_list"]),
        "static_copy" => std::fs::read(&ctx.defaults[s(edit, "source")]).expect("default file"),
        _ => {
            let mut csv = Csv::parse(&bytes);
            match op {
                "set_cell" => {
                    let c = csv.col(edit);
                    let v = s(edit, "value").as_bytes().to_vec();
                    csv.map_row(n(edit, "row"), |cells| cells[c] = v.clone());
                }
                "rename_column" => {
                    let c = csv.col(edit);
                    let v = s(edit, "to").as_bytes().to_vec();
                    csv.map_row(1, |cells| cells[c] = v.clone());
                }
                "drop_column" => {
                    let c = csv.col(edit);
                    // The last column is cut from the end, so quoted commas earlier in a row
                    // (IFR industry names) do not matter.
                    let last = Csv::cells(&csv.lines[0]).len() - 1;
                    for r in 1..=csv.lines.len() {
                        csv.map_row(r, |cells| {
                            if c == last {
                                cells.pop();
                            } else {
                                cells.remove(c);
                            }
                        });
                    }
                }
                "duplicate_row" => {
                    let r = n(edit, "row");
                    let line = csv.lines[r - 1].clone();
                    csv.lines.insert(r, line);
                }
                "delete_rows" => {
                    let c = csv.col(edit);
                    let v = s(edit, "equals").as_bytes();
                    let header = csv.lines[0].clone();
                    csv.lines.retain(|l| *l == header || Csv::cells(l)[c] != v);
                }
                "replace_all" => {
                    let (from, to) = (s(edit, "from").as_bytes(), s(edit, "to").as_bytes());
                    for l in csv.lines.iter_mut() {
                        let cells: Vec<Vec<u8>> = Csv::cells(l)
                            .into_iter()
                            .map(|c| if c == from { to.to_vec() } else { c })
                            .collect();
                        *l = cells.join(&b',');
                    }
                }
                "header_only" => csv.lines.truncate(1),
                // Cut the file inside row `row`, keeping its first `fields` fields.
                "truncate_row" => {
                    let r = n(edit, "row");
                    let keep = n(edit, "fields");
                    csv.lines.truncate(r);
                    csv.map_row(r, |cells| cells.truncate(keep));
                    csv.trailing_newline = false;
                }
                other => panic!("unknown edit op `{other}`"),
            }
            csv.bytes()
        }
    }
}

struct EditContext {
    corpus: PathBuf,
    defaults: BTreeMap<String, PathBuf>,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).expect("json string")
}

struct Outcome {
    name: String,
    what: String,
    message: String,
    problems: Vec<String>,
}

/// Run one case in `case_dir` (which holds a private copy of the built store); returns the
/// problems found (empty = pass) and the message shown.
fn run_case(p: &Project, case: &Value, ctx: &EditContext) -> Outcome {
    let defaults = &ctx.defaults;
    let name = s(case, "name").to_string();
    let case_dir = p.path(&format!("cases/{name}"));
    let cache = case_dir.join("cache");
    copy_dir(&p.path("cache"), &cache);
    let before = store_snapshot(&cache);
    let mut args: Vec<String> = vec![
        "--cache".into(),
        cache.display().to_string(),
        "--out".into(),
        case_dir.join("out").display().to_string(),
    ];
    let what;
    if let Some(source) = case["source"].as_str() {
        let original = defaults
            .get(source)
            .unwrap_or_else(|| panic!("{name}: no source {source}"));
        let file_name = case["file_name"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| {
                original
                    .file_name()
                    .expect("file name")
                    .to_string_lossy()
                    .into_owned()
            });
        let mut bytes = std::fs::read(original).expect("default file");
        for edit in case["edits"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            bytes = apply(edit, bytes, ctx);
        }
        std::fs::write(case_dir.join(&file_name), bytes).expect("write bad file");
        let mut sources = format!("[sources.{source}]\npath = {}\n", toml_string(&file_name));
        if let Some(opts) = case["options"].as_object() {
            for (k, v) in opts {
                sources.push_str(&format!(
                    "{k} = {}\n",
                    toml_string(v.as_str().expect("option"))
                ));
            }
        }
        std::fs::write(case_dir.join("sources.toml"), sources).expect("sources");
        args.push("--sources".into());
        args.push(case_dir.join("sources.toml").display().to_string());
        what = format!("source `{source}`");
    } else if let Some(text) = case["sources_file"].as_str() {
        std::fs::write(case_dir.join("sources.toml"), text).expect("sources");
        args.push("--sources".into());
        args.push(case_dir.join("sources.toml").display().to_string());
        what = "sources file".to_string();
    } else if case["pipeline_edits"].is_array() {
        what = "pipeline file".to_string();
    } else {
        panic!("{name}: a case needs `source`, `sources_file` or `pipeline_edits`");
    }
    if let Some(edits) = case["pipeline_edits"].as_array() {
        let mut text = std::fs::read_to_string(p.path("pipelines/paper.toml")).expect("pipeline");
        for e in edits {
            let (from, to) = (s(e, "from"), s(e, "to"));
            // An edit already made upstream (e.g. a binding the pipeline has since adopted) is
            // skipped; any other missing text is a stale manifest.
            if !text.contains(from) && text.contains(to) {
                continue;
            }
            assert!(
                text.contains(from),
                "{name}: `{from}` not in pipelines/paper.toml"
            );
            text = text.replacen(from, to, 1);
        }
        let file = p.path(&format!("pipelines/bad_{name}.toml"));
        std::fs::write(&file, text).expect("pipeline");
        args.push("--pipeline".into());
        args.push(file.display().to_string());
    }
    args.push("run".into());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = p.run(&argv);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let message = stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("nothing was written"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut problems = Vec::new();
    let want_code = case["exit"].as_i64().unwrap_or(2) as i32;
    if out.status.code() != Some(want_code) {
        problems.push(format!(
            "exit {:?}, expected {want_code}",
            out.status.code()
        ));
    }
    for frag in case["expect"].as_array().expect("expect") {
        let frag = frag.as_str().expect("fragment");
        if !stderr.contains(frag) {
            problems.push(format!("message lacks `{frag}`"));
        }
    }
    for frag in case["expect_once"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let frag = frag.as_str().expect("fragment");
        let k = stderr.matches(frag).count();
        if k != 1 {
            problems.push(format!("`{frag}` appears {k} times, expected once"));
        }
    }
    let mut after = store_snapshot(&cache);
    let mut before = before;
    drop_report_entries(&mut before, &mut after);
    if after != before {
        let added: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
        let changed: Vec<&String> = before
            .keys()
            .filter(|k| after.get(*k).is_some_and(|v| Some(v) != before.get(*k)))
            .collect();
        let removed = before.keys().filter(|k| !after.contains_key(*k)).count();
        // Only new entries, never a changed or removed one, when an upstream node legitimately
        // succeeded on the new input before the failing node (declared per case).
        let grows_ok =
            case["store"].as_str() == Some("grows") && changed.is_empty() && removed == 0;
        if !grows_ok {
            problems.push(format!(
                "store changed: {} added, {} changed, {removed} removed (first added: {:?})",
                added.len(),
                changed.len(),
                added.first()
            ));
        }
    }
    let verify = p.run(&["--cache", &cache.display().to_string(), "cache", "verify"]);
    if !verify.status.success() {
        problems.push(format!(
            "cache verify failed: {}{}",
            String::from_utf8_lossy(&verify.stdout),
            String::from_utf8_lossy(&verify.stderr)
        ));
    }
    // Keep the temp folder small: the store copy is not needed any more.
    let _ = std::fs::remove_dir_all(&cache);
    Outcome {
        name,
        what,
        message,
        problems,
    }
}

#[test]
fn every_bad_input_is_refused_with_a_message_naming_the_place() {
    let p = Project::new();
    p.ok(&["run"]);
    let corpus = common::tests_dir().join("bad_inputs");
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(corpus.join("cases.json")).expect("cases.json"),
    )
    .expect("cases.json is JSON");
    let cases = manifest["cases"].as_array().expect("cases");
    assert!(cases.len() >= 30, "the corpus must hold at least 30 cases");
    let ctx = EditContext {
        corpus: corpus.clone(),
        defaults: default_paths(&p),
    };
    let only = std::env::var("ROBOCARB_CASE").ok();
    let mut outcomes = Vec::new();
    for case in cases {
        if only.as_deref().is_some_and(|o| case["name"] != o) {
            continue;
        }
        let o = run_case(&p, case, &ctx);
        eprintln!(
            "[{}] {}: {}",
            if o.problems.is_empty() { "ok" } else { "FAIL" },
            o.name,
            o.message.replace('\n', " | ")
        );
        outcomes.push(o);
    }
    if let Ok(file) = std::env::var("ROBOCARB_CORPUS_REPORT") {
        let root = p.dir.path().display().to_string();
        let mut md =
            String::from("| case | input | message (temp paths shortened) |\n|---|---|---|\n");
        for o in &outcomes {
            let msg = o
                .message
                .replace(&root, "…")
                .replace('|', "\\|")
                .replace('\n', "<br>");
            md.push_str(&format!("| {} | {} | {} |\n", o.name, o.what, msg));
        }
        std::fs::write(file, md).expect("report");
    }
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.problems.is_empty())
        .map(|o| {
            format!(
                "{}: {}\n    message: {}",
                o.name,
                o.problems.join("; "),
                o.message
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        outcomes.len(),
        failed.join("\n")
    );
}

/// The report node renders despite failed nodes (it shows them with their errors): its new
/// action, the blobs that action names and its record are a complete artifact, not a write of the
/// failed node, so they are left out of the store comparison.
fn drop_report_entries(
    before: &mut std::collections::BTreeMap<String, Vec<u8>>,
    after: &mut std::collections::BTreeMap<String, Vec<u8>>,
) {
    let report_actions: Vec<String> = after
        .iter()
        .filter(|(k, _)| k.starts_with("actions/") && !before.contains_key(*k))
        .filter_map(|(k, v)| {
            let entry: serde_json::Value = serde_json::from_slice(v).ok()?;
            (entry["manifest"]["op"] == "report").then(|| k.clone())
        })
        .collect();
    for k in report_actions {
        if let Some(v) = after.remove(&k) {
            let entry: serde_json::Value = serde_json::from_slice(&v).expect("action json");
            for h in entry["outputs"]
                .as_object()
                .into_iter()
                .flat_map(|o| o.values())
            {
                let h = h.as_str().unwrap_or_default();
                after.retain(|key, _| {
                    before.contains_key(key)
                        || !(key.starts_with("blobs/") && key.replace('/', "").ends_with(h))
                });
            }
        }
    }
    before.remove("records/report.json");
    after.remove("records/report.json");
}
