//! What the Monte Carlo examples over synthetic twins share (`montecarlo.rs`,
//! `multiverse_calibration.rs`): a pipeline file re-rooted at a generated twin and run through
//! the engine, replications run on worker threads and collected in seed order, and summary
//! statistics. Each example uses part of it.
#![allow(dead_code)]

use robocarb_dag::{Engine, LocalExecutor, LocalStore, RunOptions, Silent, Store};
use robocarb_pipeline::{MultiverseSelection, Pipeline};
use robocarb_synth::{SynthConfig, TwinProcess};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The workspace root (pipelines/, data/).
pub fn workspace_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

/// Load `pipeline_file` (with the multiverses of `selection`) and point its sources, which name
/// files under the workspace's `data/default/`, at the same files under `twin`.
pub fn load_for_twin(
    pipeline_file: &Path,
    twin: &Path,
    selection: &MultiverseSelection,
) -> Result<Pipeline, Error> {
    let registry = robocarb_pipeline::registry();
    let mut pipeline = robocarb_pipeline::load_with(pipeline_file, None, &registry, selection)?;
    let default_data = pipeline.root.join("data").join("default");
    for src in pipeline.graph.sources.values_mut() {
        let rel = src
            .path
            .strip_prefix(&default_data)
            .map_err(|_| {
                format!(
                    "source `{}` ({}) is not under {}",
                    src.name,
                    src.path.display(),
                    default_data.display()
                )
            })?
            .to_path_buf();
        src.path = twin.join(rel);
    }
    Ok(pipeline)
}

/// Run `targets` of `pipeline` on one thread with a store at `cache`, and return, per target, the
/// bytes of the outputs named in `outputs` (in that order).
pub fn run_outputs(
    pipeline: &Pipeline,
    cache: &Path,
    targets: &[&str],
    outputs: &[&str],
) -> Result<BTreeMap<String, Vec<Vec<u8>>>, Error> {
    let store = LocalStore::open(cache)?;
    let engine = Engine::new(&pipeline.graph, &store);
    engine.run(
        &RunOptions {
            targets: targets.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        },
        &LocalExecutor { threads: 1 },
        &Silent,
    )?;
    let mut out = BTreeMap::new();
    for node in targets {
        let hashes = engine
            .last_outputs(node)?
            .ok_or_else(|| format!("node `{node}` has no outputs"))?;
        let mut blobs = Vec::new();
        for name in outputs {
            let hash = hashes
                .get(*name)
                .ok_or_else(|| format!("node `{node}` has no `{name}` output"))?;
            blobs.push(
                store.get_blob(hash)?.ok_or_else(|| {
                    format!("node `{node}`: blob `{name}` missing from the store")
                })?,
            );
        }
        out.insert(node.to_string(), blobs);
    }
    Ok(out)
}

/// Run `replicate(seed)` for every seed on `threads` workers (each replication independent),
/// printing progress; results come back in seed order, so nothing but the elapsed time depends
/// on the thread count. Returns the results and the elapsed seconds.
pub fn run_seeds<T: Send>(
    seeds: &[u64],
    threads: usize,
    replicate: impl Fn(u64) -> Result<T, Error> + Sync,
) -> (Vec<Result<T, String>>, f64) {
    let slots: Vec<Mutex<Option<Result<T, String>>>> =
        seeds.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(&seed) = seeds.get(k) else { break };
                let r = replicate(seed).map_err(|e| e.to_string());
                if let Ok(mut slot) = slots[k].lock() {
                    *slot = Some(r);
                }
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                eprintln!(
                    "replication {n}/{} (seed {seed}) done, {:.0} s elapsed",
                    seeds.len(),
                    start.elapsed().as_secs_f64()
                );
            });
        }
    });
    let results = slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err("did not run".into()))
        })
        .collect();
    (results, start.elapsed().as_secs_f64())
}

/// The replications that succeeded, and a `{seed, error}` record per failure.
pub fn split_failures<T>(
    seeds: &[u64],
    results: Vec<Result<T, String>>,
) -> (Vec<T>, Vec<serde_json::Value>) {
    let mut ok = Vec::new();
    let mut failures = Vec::new();
    for (seed, result) in seeds.iter().zip(results) {
        match result {
            Ok(r) => ok.push(r),
            Err(e) => failures.push(serde_json::json!({ "seed": seed, "error": e })),
        }
    }
    (ok, failures)
}

/// The command line both examples share: `[REPS] [--threads N] [--first-seed S] [--json PATH]
/// [--process default|well-specified] [--years A..B]`.
pub struct TwinArgs {
    pub reps: usize,
    pub threads: usize,
    pub first_seed: u64,
    pub json: Option<PathBuf>,
    /// The twin's process and its name.
    pub process: (&'static str, TwinProcess),
    /// Years of every twin (default 2006..2019, the study's).
    pub years: (i32, i32),
}

impl TwinArgs {
    /// Parse the command line; a flag this does not know goes to `extra(flag, value)`, which
    /// takes the flag's value from `value()` and returns whether it knew the flag.
    pub fn parse(
        usage: &str,
        mut extra: impl FnMut(&str, &mut dyn FnMut() -> Result<String, Error>) -> Result<bool, Error>,
    ) -> Result<Self, Error> {
        let mut a = TwinArgs {
            reps: 200,
            threads: 2,
            first_seed: 1,
            json: None,
            process: ("default", TwinProcess::default()),
            years: SynthConfig::default().years,
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            let mut value = || -> Result<String, Error> {
                Ok(it.next().ok_or_else(|| format!("{arg} needs a value"))?)
            };
            match arg.as_str() {
                "--threads" => a.threads = value()?.parse()?,
                "--first-seed" => a.first_seed = value()?.parse()?,
                "--json" => a.json = Some(PathBuf::from(value()?)),
                "--process" => {
                    a.process = match value()?.as_str() {
                        "default" => ("default", TwinProcess::default()),
                        "well-specified" => ("well-specified", TwinProcess::well_specified()),
                        other => {
                            return Err(format!(
                                "--process must be `default` or `well-specified`, got `{other}`"
                            )
                            .into())
                        }
                    }
                }
                "--years" => {
                    let v = value()?;
                    let (first, last) = v
                        .split_once("..")
                        .ok_or_else(|| format!("--years must look like 1990..2019, got `{v}`"))?;
                    a.years = (first.trim().parse()?, last.trim().parse()?);
                }
                "-h" | "--help" => return Err(format!("usage: {usage}").into()),
                flag if flag.starts_with("--") => {
                    if !extra(flag, &mut value)? {
                        return Err(format!("unknown option `{flag}`; usage: {usage}").into());
                    }
                }
                other => {
                    a.reps = other
                        .parse()
                        .map_err(|_| format!("unknown argument `{other}`"))?
                }
            }
        }
        Ok(a)
    }

    /// The seeds of the replications.
    pub fn seeds(&self) -> Vec<u64> {
        (0..self.reps as u64).map(|k| self.first_seed + k).collect()
    }
}

pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

pub fn sd(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)).sqrt()
}

pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// The 1-minute load average (Linux `/proc/loadavg`), NaN where there is none.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(f64::NAN)
}
