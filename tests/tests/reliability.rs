//! Reliability of the store and the runs: SIGKILL at random points, failed writes, corrupted
//! blobs, concurrent runs, and determinism across thread counts and locales.
//!
//! Every check compares published outputs (everything under out/ except report.html, which
//! carries timings) with one uninterrupted reference run, byte for byte.
//!
//! `ROBOCARB_FAULT_RUNS` (default 5) sets the number of killed runs; `ROBOCARB_FAULT_SEED` the
//! seed of the kill delays. `ROBOCARB_TEST_BIN` runs a copy of the binary instead of the one
//! cargo built (for long runs while the shared target folder may be rebuilt).

mod common;
use common::{outputs_of, store_snapshot, Project};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// `robocarb` on the project, as `Project::cmd` but with the `ROBOCARB_TEST_BIN` override.
fn cmd(p: &Project, args: &[&str]) -> std::process::Command {
    let mut c = p.cmd(args);
    if let Ok(bin) = std::env::var("ROBOCARB_TEST_BIN") {
        let mut own = std::process::Command::new(bin);
        own.current_dir(p.dir.path())
            .args(args)
            .env_remove("ROBOCARB_CODE_SALT")
            .env("RUST_LOG", "warn");
        c = own;
    }
    c
}

fn run(p: &Project, args: &[&str]) -> Output {
    cmd(p, args).output().expect("run robocarb")
}

/// One uninterrupted run, shared by every test of this file.
struct Reference {
    project: Project,
    outputs: Vec<(String, Vec<u8>)>,
    seconds: f64,
}

fn reference() -> &'static Reference {
    static REF: OnceLock<Reference> = OnceLock::new();
    REF.get_or_init(|| {
        let project = Project::new();
        let start = Instant::now();
        let o = run(&project, &["run"]);
        assert!(o.status.success(), "reference run: {}", text(&o));
        let seconds = start.elapsed().as_secs_f64();
        let outputs = outputs_of(&project.path("out"));
        assert!(
            outputs.iter().any(|(p, _)| p == "tables/table4.csv"),
            "reference run published no table4"
        );
        Reference {
            project,
            outputs,
            seconds,
        }
    })
}

fn assert_same_outputs(what: &str, got: &[(String, Vec<u8>)], want: &[(String, Vec<u8>)]) {
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(got),
        names(want),
        "{what}: different set of published files"
    );
    for ((name, a), (_, b)) in got.iter().zip(want) {
        assert!(a == b, "{what}: {name} differs from the reference run");
    }
}

/// Global flags pointing the store and the output folder at `dir/cache` and `dir/out`.
fn at(dir: &Path) -> Vec<String> {
    vec![
        "--cache".into(),
        dir.join("cache").display().to_string(),
        "--out".into(),
        dir.join("out").display().to_string(),
    ]
}

fn with<'a>(flags: &'a [String], args: &[&'a str]) -> Vec<&'a str> {
    flags
        .iter()
        .map(String::as_str)
        .chain(args.iter().copied())
        .collect()
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn verify_clean(p: &Project, flags: &[String], when: &str) {
    let o = run(p, &with(flags, &["cache", "verify"]));
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("store is valid"),
        "cache verify {when}: {}",
        text(&o)
    );
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

/// SplitMix64: the kill delays are a pure function of the seed.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn runs_killed_at_random_points_recover_to_identical_outputs() {
    let r = reference();
    let p = &r.project;
    let runs = env_u64("ROBOCARB_FAULT_RUNS", 5);
    let mut seed = env_u64("ROBOCARB_FAULT_SEED", 20240401);
    // Kill points cover the whole length of a run from an empty store, and a little beyond.
    let span_ms = (r.seconds * 1100.0) as u64 + 1;
    let mut killed_mid_run = 0;
    for k in 0..runs {
        let delay = splitmix(&mut seed) % span_ms;
        let dir = p.path(&format!("fault/{k}"));
        let flags = at(&dir);
        let mut child = cmd(p, &with(&flags, &["run"]))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(delay));
        let finished = child.try_wait().expect("try_wait").is_some();
        if !finished {
            // Child::kill sends SIGKILL on Unix.
            child.kill().expect("SIGKILL");
            killed_mid_run += 1;
        }
        let status = child.wait().expect("wait");
        verify_clean(p, &flags, &format!("right after kill {k} at {delay} ms"));
        let recovery = run(p, &with(&flags, &["run", "--json"]));
        assert!(
            recovery.status.success(),
            "recovery run {k}: {}",
            text(&recovery)
        );
        let v: serde_json::Value = serde_json::from_slice(&recovery.stdout).expect("json");
        eprintln!(
            "fault {k}: SIGKILL after {delay} ms ({}), recovery executed {} node(s)",
            if finished {
                "run had already finished".to_string()
            } else {
                format!("{status}")
            },
            v["executed"].as_array().map_or(0, Vec::len)
        );
        assert_same_outputs(
            &format!("after kill {k} at {delay} ms"),
            &outputs_of(&dir.join("out")),
            &r.outputs,
        );
        verify_clean(p, &flags, &format!("after recovery {k}"));
        let _ = std::fs::remove_dir_all(&dir);
    }
    eprintln!(
        "{runs} killed runs ({killed_mid_run} killed while running), all recovered identically"
    );
}

#[test]
fn a_failed_store_write_gives_a_clear_error_and_leaves_the_store_valid() {
    let r = reference();
    let p = &r.project;
    let dir = p.path("failed-write");
    copy_dir(&p.path("cache"), &dir.join("cache"));
    let flags = at(&dir);
    // A changed source, so the run must write new blobs.
    let vent = p.path("data/default/climate/ventilation.csv");
    let mut lines: Vec<String> = std::fs::read_to_string(&vent)
        .expect("ventilation")
        .lines()
        .map(str::to_string)
        .collect();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    let last = cells.len() - 1;
    let v: f64 = cells[last].parse().expect("number");
    cells[last] = format!("{}", v * 1.05 + 0.01);
    lines[1] = cells.join(",");
    std::fs::write(dir.join("ventilation.csv"), lines.join("\n") + "\n").expect("write");
    std::fs::write(
        dir.join("sources.toml"),
        "[sources.ventilation]\npath = \"ventilation.csv\"\n",
    )
    .expect("sources");
    let sources = dir.join("sources.toml").display().to_string();
    let tmp = dir.join("cache/tmp");
    let before = store_snapshot(&dir.join("cache"));

    // Every store write goes through cache/tmp. Pointing it at a folder of /proc makes file
    // creation fail even for root (chmod does not stop root, and CI runs tests as root).
    std::fs::remove_dir_all(&tmp).expect("rm tmp");
    std::os::unix::fs::symlink("/proc/self/fdinfo", &tmp).expect("symlink");
    let unwritable = std::fs::write(tmp.join("probe"), b"x").is_err();
    if unwritable {
        let o = run(p, &with(&flags, &["--sources", &sources, "run"]));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            err.contains("error:") && err.contains("tmp"),
            "the error must name the path that could not be written: {}",
            text(&o)
        );
        eprintln!("failed write (tmp -> /proc): {}", err.trim());
    } else {
        eprintln!("SKIPPED the /proc technique: files can be created under /proc/self/fdinfo here");
    }
    std::fs::remove_file(&tmp).expect("rm symlink");
    std::fs::create_dir(&tmp).expect("mkdir tmp");

    // The classic technique: a read-only folder. Root ignores permissions; detect and skip.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    if std::fs::write(tmp.join("probe"), b"x").is_ok() {
        let _ = std::fs::remove_file(tmp.join("probe"));
        eprintln!(
            "SKIPPED the chmod technique: running as root, a read-only folder does not stop writes"
        );
    } else {
        let o = run(p, &with(&flags, &["--sources", &sources, "run"]));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            err.contains("error:") && err.contains("tmp"),
            "{}",
            text(&o)
        );
        eprintln!("failed write (chmod 555): {}", err.trim());
    }
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).expect("chmod back");

    assert!(
        unwritable || !cfg!(target_os = "linux"),
        "no failed-write technique applied"
    );
    assert!(
        store_snapshot(&dir.join("cache")) == before,
        "a failed run must not change blobs, action entries or records"
    );
    verify_clean(p, &flags, "after the failed write");
    // The store still serves the unchanged inputs, and accepts the new one once writable.
    let (executed, _) = run_json(p, &flags, &[]);
    assert!(executed.is_empty(), "{executed:?}");
    assert_same_outputs(
        "after the failed write",
        &outputs_of(&dir.join("out")),
        &r.outputs,
    );
    let (executed, _) = run_json(p, &flags, &["--sources", &sources]);
    assert!(executed.contains(&"climate".to_string()), "{executed:?}");
    verify_clean(p, &flags, "after the run with the new source");
}

fn run_json(p: &Project, flags: &[String], extra: &[&str]) -> (Vec<String>, Vec<String>) {
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(["run", "--json"]);
    let o = run(p, &with(flags, &args));
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let list = |k: &str| {
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

/// The blob files of a node's last build, by output name.
fn node_blobs(cache: &Path, node: &str) -> (PathBuf, BTreeMap<String, PathBuf>) {
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(cache.join(format!("records/{node}.json"))).expect("record"),
    )
    .expect("record json");
    let key = record["tasks"][""].as_str().expect("unpartitioned node");
    let action = cache.join(format!("actions/{}/{}.json", &key[..2], &key[2..]));
    let entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&action).expect("action")).expect("action json");
    let blobs = entry["outputs"]
        .as_object()
        .expect("outputs")
        .iter()
        .map(|(name, h)| {
            let h = h.as_str().expect("hash");
            (
                name.clone(),
                cache.join(format!("blobs/{}/{}", &h[..2], &h[2..])),
            )
        })
        .collect();
    (action, blobs)
}

#[test]
fn corrupted_and_truncated_blobs_are_reported_by_verify_and_recomputed_by_run() {
    let r = reference();
    let p = &r.project;
    let dir = p.path("corrupt");
    let cache = dir.join("cache");
    copy_dir(&p.path("cache"), &cache);
    let flags = at(&dir);
    verify_clean(p, &flags, "on the copied store");

    let (_, t1) = node_blobs(&cache, "table1");
    let csv = &t1["table1.csv"];
    let mut bytes = std::fs::read(csv).expect("blob");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(csv, &bytes).expect("corrupt");
    let (_, cl) = node_blobs(&cache, "climate");
    let table = &cl["table"];
    let len = std::fs::metadata(table).expect("blob").len();
    std::fs::File::options()
        .write(true)
        .open(table)
        .expect("open")
        .set_len(len / 2)
        .expect("truncate");
    let (action, _) = node_blobs(&cache, "employment");
    let a = std::fs::read(&action).expect("action");
    std::fs::write(&action, &a[..a.len() / 3]).expect("truncate action");

    let o = run(p, &with(&flags, &["cache", "verify"]));
    let all = text(&o);
    assert_eq!(o.status.code(), Some(1), "{all}");
    assert_eq!(
        all.matches("does not match its hash").count(),
        2,
        "both damaged blobs must be named: {all}"
    );
    assert!(
        all.contains("is damaged"),
        "the damaged action entry must be named: {all}"
    );

    let (executed, _) = run_json(p, &flags, &[]);
    for n in ["table1", "climate", "employment"] {
        assert!(
            executed.contains(&n.to_string()),
            "{n} must be recomputed: {executed:?}"
        );
    }
    assert_same_outputs("after repair", &outputs_of(&dir.join("out")), &r.outputs);
    verify_clean(p, &flags, "after the repairing run");
}

#[test]
fn four_concurrent_runs_on_one_store_all_succeed_with_identical_results() {
    let r = reference();
    let p = &r.project;
    let cache = p.path("concurrent/cache").display().to_string();
    let children: Vec<_> = (0..4)
        .map(|i| {
            let out = p.path(&format!("concurrent/out{i}")).display().to_string();
            cmd(p, &["--cache", &cache, "--out", &out, "run"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let o = c.wait_with_output().expect("wait");
        assert!(o.status.success(), "concurrent run {i}: {}", text(&o));
        assert_same_outputs(
            &format!("concurrent run {i}"),
            &outputs_of(&p.path(&format!("concurrent/out{i}"))),
            &r.outputs,
        );
    }
    verify_clean(p, &at(&p.path("concurrent")), "after the concurrent runs");
}

/// `graph_e2e.rs` compares --jobs 1 with 8; here 1, 2 and 8 under two locales, each in a fresh
/// process (so with its own hash-map seeds), against the reference run (default jobs, inherited
/// locale).
#[test]
fn outputs_do_not_depend_on_threads_locale_or_hash_order() {
    let r = reference();
    let p = &r.project;
    for (jobs, lang) in [("1", "C"), ("2", "zh_CN.UTF-8"), ("8", "zh_CN.UTF-8")] {
        let dir = p.path(&format!("determinism/j{jobs}"));
        let flags = at(&dir);
        let o = cmd(p, &with(&flags, &["run", "--jobs", jobs]))
            .env("LANG", lang)
            .env("LC_ALL", lang)
            .output()
            .expect("run");
        assert!(
            o.status.success(),
            "--jobs {jobs} LANG={lang}: {}",
            text(&o)
        );
        assert_same_outputs(
            &format!("--jobs {jobs} LANG={lang}"),
            &outputs_of(&dir.join("out")),
            &r.outputs,
        );
        let _ = std::fs::remove_dir_all(dir.join("cache"));
    }
}
