//! The Slurm executor end to end on a real cluster (the single-node one of
//! scripts/slurm-local.sh). Each test skips, saying so, when no cluster answers; with
//! ROBOCARB_REQUIRE_SLURM=1 (set by .ci/run once the cluster is up) a skip is a failure.

mod common;
use common::{outputs_of, store_snapshot, Project};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VENT: &str = "data/default/climate/ventilation.csv";

/// Whether a Slurm cluster answers with an idle (or busy) node.
fn cluster_up() -> bool {
    let up = Command::new("sinfo")
        .args(["-h", "-o", "%t"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .is_some_and(|s| {
            s.lines()
                .any(|l| ["idle", "mix", "alloc"].contains(&l.trim()))
        });
    if !up {
        assert!(
            std::env::var("ROBOCARB_REQUIRE_SLURM").as_deref() != Ok("1"),
            "ROBOCARB_REQUIRE_SLURM=1 but no Slurm cluster answers (sinfo)"
        );
        eprintln!(
            "skipping: no Slurm cluster answers `sinfo` (start one with scripts/slurm-local.sh as root)"
        );
    }
    up
}

/// A config file with short poll intervals for the test cluster; returns its path.
fn config(p: &Project) -> String {
    let path = p.path("slurm.toml");
    std::fs::write(
        &path,
        "poll_seconds = 0.3\npoll_max_seconds = 2.0\nfs_latency_seconds = 1.0\nsubmit_backoff_seconds = 0.5\n",
    )
    .expect("write config");
    path.display().to_string()
}

fn slurm_args(p: &Project) -> Vec<String> {
    vec![
        "--executor".into(),
        "slurm".into(),
        "--slurm-config".into(),
        config(p),
    ]
}

fn args<'a>(v: &'a [String], extra: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = extra.to_vec();
    out.extend(v.iter().map(String::as_str));
    out
}

/// `run --json` on Slurm: the whole JSON.
fn slurm_run(p: &Project, targets: &[&str]) -> serde_json::Value {
    let s = slurm_args(p);
    let mut a = vec!["run", "--json"];
    a.extend_from_slice(targets);
    p.json(&args(&s, &a))
}

fn names(v: &serde_json::Value, key: &str) -> Vec<String> {
    let mut l: Vec<String> = v[key]
        .as_array()
        .expect(key)
        .iter()
        .map(|s| s.as_str().expect("name").to_string())
        .collect();
    l.sort();
    l
}

/// Tasks a run executed, counted over its nodes (a whole node is one task).
fn tasks_executed(v: &serde_json::Value) -> usize {
    v["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["tasks_executed"].as_array().map_or(0, Vec::len))
        .sum()
}

fn stat(v: &serde_json::Value, key: &str) -> u64 {
    v["slurm"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("no slurm.{key} in {}", v["slurm"]))
}

fn bump_ventilation(p: &Project) {
    let path = p.path(VENT);
    let text = std::fs::read_to_string(&path).expect("read");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    let last = cells.len() - 1;
    let v: f64 = cells[last].parse().expect("number");
    cells[last] = format!("{}", v * 1.05 + 0.01);
    lines[1] = cells.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
}

/// Scheduler load of one run: one array per wave and resource class (two classes in the study:
/// the DEA partitions' and the default), status queries bounded by wall time over the interval.
fn check_load(v: &serde_json::Value, wall: Duration) {
    let waves = stat(v, "waves");
    let sbatch = stat(v, "sbatch_calls");
    assert_eq!(
        sbatch,
        stat(v, "arrays"),
        "no retries expected: {}",
        v["slurm"]
    );
    assert!(sbatch <= 2 * waves, "{}", v["slurm"]);
    let bound = (wall.as_secs_f64() / 0.3).ceil() as u64 + waves;
    assert!(
        stat(v, "status_queries") <= bound,
        "{} status queries in {wall:?}: {}",
        stat(v, "status_queries"),
        v["slurm"]
    );
}

/// Blobs and node records of a store (action entries carry durations, so they differ).
fn store_outputs(p: &Project, cache: &str) -> std::collections::BTreeMap<String, Vec<u8>> {
    store_snapshot(&p.path(cache))
        .into_iter()
        .filter(|(k, _)| !k.starts_with("actions/"))
        .collect()
}

/// The same project run locally into other folders (same paths, so the same keys).
const LOCAL: [&str; 4] = ["--cache", "cache-local", "--out", "out-local"];

fn local_run(p: &Project, targets: &[&str]) -> serde_json::Value {
    let mut a = vec!["run", "--json"];
    a.extend_from_slice(targets);
    a.extend_from_slice(&LOCAL);
    p.json(&a)
}

#[test]
fn study_via_slurm_is_byte_identical_then_submits_nothing_then_only_stale_tasks() {
    if !cluster_up() {
        return;
    }
    let p = Project::new();
    let l = local_run(&p, &[]);
    let start = Instant::now();
    let s = slurm_run(&p, &[]);
    check_load(&s, start.elapsed());
    assert_eq!(names(&s, "executed"), names(&l, "executed"));
    assert_eq!(stat(&s, "tasks_submitted") as usize, tasks_executed(&l));
    assert_eq!(stat(&s, "tasks_failed"), 0);
    assert!(
        p.outputs() == outputs_of(&p.path("out-local")),
        "published outputs differ"
    );
    assert!(
        store_outputs(&p, "cache") == store_outputs(&p, "cache-local"),
        "the stores differ"
    );
    assert!(
        !p.path("cache/slurm").exists(),
        "a successful run removes its run folder"
    );

    let again = slurm_run(&p, &[]);
    assert!(names(&again, "executed").is_empty());
    for key in ["sbatch_calls", "status_queries", "tasks_submitted"] {
        assert_eq!(stat(&again, key), 0, "{key}: {}", again["slurm"]);
    }

    bump_ventilation(&p);
    let l2 = local_run(&p, &[]);
    let start = Instant::now();
    let s2 = slurm_run(&p, &[]);
    check_load(&s2, start.elapsed());
    assert_eq!(names(&s2, "executed"), names(&l2, "executed"));
    let stale_tasks = tasks_executed(&l2);
    assert!(stale_tasks > 0 && stale_tasks < tasks_executed(&l));
    assert_eq!(stat(&s2, "tasks_submitted") as usize, stale_tasks);
    eprintln!(
        "one-cell change: {stale_tasks} task(s) submitted of {} ({} sbatch, {} status queries)",
        tasks_executed(&l),
        stat(&s2, "sbatch_calls"),
        stat(&s2, "status_queries")
    );
    assert!(p.outputs() == outputs_of(&p.path("out-local")));
    assert!(store_outputs(&p, "cache") == store_outputs(&p, "cache-local"));
}

/// The message of the `  node: message` (or `  node (declared at FILE:LINE): message`) line of a
/// failed run's stderr for `node`.
fn failure_of(stderr: &str, node: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| {
            l.strip_prefix(&format!("  {node}"))
                .is_some_and(|rest| rest.starts_with(": ") || rest.starts_with(" (declared at "))
        })
        .unwrap_or_else(|| panic!("no failure of {node} in:\n{stderr}"));
    let rest = &line[2 + node.len()..];
    let message = match rest.strip_prefix(" (declared at ") {
        Some(r) => r.split_once("): ").map_or(r, |(_, m)| m),
        None => &rest[2..],
    };
    message.to_string()
}

#[test]
fn failing_operation_reports_the_local_error_and_its_job_log() {
    if !cluster_up() {
        return;
    }
    let slurm = Project::new();
    std::fs::write(
        slurm.path(VENT),
        "city,year,vc\nBeijing,2010,not-a-number\n",
    )
    .expect("write");
    let mut la = vec!["run", "climate", "cities"];
    la.extend_from_slice(&LOCAL);
    let l = slurm.run(&la);
    assert!(!l.status.success());
    let l_err = String::from_utf8_lossy(&l.stderr).into_owned();
    let s_args = slurm_args(&slurm);
    let s = slurm.run(&args(&s_args, &["run", "climate", "cities"]));
    assert!(!s.status.success());
    let s_err = String::from_utf8_lossy(&s.stderr).into_owned();
    assert_eq!(failure_of(&s_err, "climate"), failure_of(&l_err, "climate"));
    let log_line = s_err
        .lines()
        .find(|l| l.contains("job log: "))
        .unwrap_or_else(|| panic!("no job log in:\n{s_err}"));
    let path = log_line
        .split("job log: ")
        .nth(1)
        .and_then(|r| r.split(" (").next())
        .expect("path");
    let log = std::fs::read_to_string(path).expect("the job log exists");
    assert!(log.contains("failed"), "{log}");
    assert!(s_err.contains("last "), "the log's last lines: {s_err}");
    // The rest completed: `cities` is fresh.
    let st = slurm.json(&["status", "--json", "cities"]);
    assert_eq!(st[0]["state"], "fresh", "{st}");
}

/// `squeue` lines `ID STATE` of the jobs named `run_id` (array elements one per line).
fn jobs_of(run_id: &str) -> Vec<(String, String)> {
    let out = Command::new("squeue")
        .args(["-h", "-r", "-t", "all", "--name", run_id, "-o", "%i %T"])
        .output()
        .expect("squeue");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (a, b) = l.trim().split_once(' ')?;
            Some((a.to_string(), b.to_string()))
        })
        .collect()
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A coordinator running in the background; if the test fails before waiting for it, it gets
/// SIGTERM (so it cancels its held jobs) rather than lingering.
struct Coordinator(Option<std::process::Child>);

impl Coordinator {
    fn wait(mut self) -> std::process::Output {
        self.0
            .take()
            .expect("running")
            .wait_with_output()
            .expect("wait")
    }
    fn id(&self) -> u32 {
        self.0.as_ref().expect("running").id()
    }
}

impl Drop for Coordinator {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let _ = c.wait();
        }
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    )
}

#[test]
fn cancelled_job_is_reported_with_its_state_and_a_rerun_recovers() {
    if !cluster_up() {
        return;
    }
    let slurm = Project::new();
    local_run(&slurm, &["ifr", "employment"]);
    let run_id = unique("cancel");
    let s_args = slurm_args(&slurm);
    // Held jobs stay pending until released: one is cancelled, the other released.
    let child = slurm
        .cmd(&args(
            &s_args,
            &[
                "run",
                "ifr",
                "employment",
                "--slurm-opt=--hold",
                "--slurm-run-id",
                run_id.as_str(),
            ],
        ))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let child = Coordinator(Some(child));
    let jobs = wait_for("the held jobs", || {
        let j = jobs_of(&run_id);
        (j.len() == 2).then_some(j)
    });
    let status = |args: &[&str]| {
        let ok = Command::new(args[0])
            .args(&args[1..])
            .status()
            .expect("run")
            .success();
        assert!(ok, "{args:?}");
    };
    status(&["scancel", jobs[0].0.as_str()]);
    let array = jobs[1].0.split('_').next().expect("array id").to_string();
    status(&["scontrol", "release", array.as_str()]);
    let out = child.wait();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("CANCELLED"), "{err}");
    assert!(err.contains(&run_id), "{err}");
    let (fresh, cancelled): (Vec<_>, Vec<_>) = ["ifr", "employment"]
        .into_iter()
        .partition(|n| slurm.json(&["status", "--json", *n])[0]["state"] == "fresh");
    assert_eq!((fresh.len(), cancelled.len()), (1, 1), "{err}");
    // The rerun submits only the cancelled task and ends with the local run's bytes.
    let again = slurm_run(&slurm, &["ifr", "employment"]);
    assert_eq!(names(&again, "executed"), vec![cancelled[0].to_string()]);
    assert_eq!(stat(&again, "tasks_submitted"), 1);
    assert!(store_outputs(&slurm, "cache") == store_outputs(&slurm, "cache-local"));
}

#[test]
fn sigterm_cancels_the_runs_jobs() {
    if !cluster_up() {
        return;
    }
    let p = Project::new();
    let run_id = unique("term");
    let s_args = slurm_args(&p);
    let child = p
        .cmd(&args(
            &s_args,
            &[
                "run",
                "climate",
                "--slurm-opt=--hold",
                "--slurm-run-id",
                run_id.as_str(),
            ],
        ))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let child = Coordinator(Some(child));
    wait_for("the held job", || {
        (!jobs_of(&run_id).is_empty()).then_some(())
    });
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok);
    let out = child.wait();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("interrupted") && err.contains(&run_id),
        "{err}"
    );
    let states = wait_for("the cancellation", || {
        let j = jobs_of(&run_id);
        j.iter().all(|(_, s)| s == "CANCELLED").then_some(j)
    });
    assert!(!states.is_empty());
}

#[test]
fn unknown_partition_is_a_clear_error_naming_the_option() {
    if !cluster_up() {
        return;
    }
    let p = Project::new();
    let s_args = slurm_args(&p);
    let out = p.run(&args(
        &s_args,
        &["run", "climate", "--slurm-partition", "no-such-partition"],
    ));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sbatch refused"), "{err}");
    assert!(
        err.contains("--slurm-partition") && err.contains("no-such-partition"),
        "{err}"
    );
}

/// Issue 16 item 5: a multiverse's specifications (and their null refits) run as Slurm tasks like
/// any node, batched into array elements, with the same bytes as a local run.
#[test]
fn multiverse_specifications_run_as_slurm_tasks_with_local_bytes() {
    if !cluster_up() {
        return;
    }
    let p = Project::new();
    std::fs::write(p.path("pipelines/tiny.toml"), common::TINY_MULTIVERSE).expect("write");
    let global = ["--pipeline", "pipelines/tiny.toml", "--multiverse", "tiny"];
    let mut local: Vec<&str> = global.to_vec();
    local.extend(["run", "--json", "tiny"]);
    local.extend_from_slice(&LOCAL);
    let l = p.json(&local);
    let s = slurm_args(&p);
    let mut remote: Vec<&str> = global.to_vec();
    remote.extend(["run", "--json", "tiny"]);
    let v = p.json(&args(&s, &remote));
    assert_eq!(names(&v, "executed"), names(&l, "executed"));
    let specs = names(&v, "executed")
        .into_iter()
        .filter(|n| n.starts_with("tiny["))
        .count();
    assert_eq!(specs, 4, "{:?}", names(&v, "executed"));
    assert_eq!(stat(&v, "tasks_failed"), 0);
    assert!(
        stat(&v, "sbatch_calls") < stat(&v, "tasks_submitted"),
        "small tasks are batched: {}",
        v["slurm"]
    );
    for f in ["specs.csv", "summary.json", "curve.svg"] {
        let a = std::fs::read(p.path(&format!("out/multiverse/tiny/{f}"))).expect("slurm output");
        let b = std::fs::read(p.path(&format!("out-local/multiverse/tiny/{f}"))).expect("local");
        assert!(a == b, "{f} differs between the Slurm and the local run");
    }
}
