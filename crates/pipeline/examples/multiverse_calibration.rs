//! Calibration of the multiverse's joint test (Simonsohn, Simmons and Nelson 2020) over many
//! synthetic twins (docs/multiverse.md, "Calibration of the joint test").
//!
//! ```text
//! cargo run --release -p robocarb-pipeline --example multiverse_calibration -- [REPS]
//!     [--effect E] [--multiverse NAME] [--pipeline FILE] [--threads N] [--first-seed S]
//!     [--json PATH] [--process default|well-specified] [--years A..B]
//! ```
//!
//! For seeds S, S+1, ..., S+REPS-1 (default 1..=200): generate the twin with every path from
//! robots to CO2 scaled by E (`TwinProcess::robot_effect`; 0 = no effect, 1 = the default
//! twin's) into a temporary folder, run the multiverse NAME (default `calibration`) of the
//! pipeline file (default `pipelines/calibration.toml`) through the pipeline library with the
//! sources pointed at that twin (every specification and its null refits, then the joint
//! test), and keep the three joint p-values (median, count, Stouffer) and every specification's
//! estimate. Then the share of twins in which each test rejects at 5% (`p < 0.05`), with a
//! Clopper-Pearson 95% interval: the size of the tests when E = 0, their power otherwise.
//!
//! The tests below read SSN's one-sided median and Stouffer p-values (`p_*_one_sided` of
//! summary.json; one-sided in the observed direction, `spec_curve.rs`): under the null a test
//! that rejects when `p < 0.05` rejects in about 10% of twins. `two_sided_by_doubling` is the
//! test with `2p < 0.05`, i.e. summary.json's headline `p_median` and `p_stouffer`. The count's
//! p needs no doubling (each draw counts in its own dominant sign).
//!
//! Replications run on `--threads` workers (default 2), each single-threaded, collected in seed
//! order: the JSON does not depend on the thread count except the `run` fields.

mod common;

use common::{
    load_average, load_for_twin, mean, run_outputs, run_seeds, sd, split_failures, Error, TwinArgs,
};
use robocarb_estimate::dist::incomplete_beta;
use robocarb_pipeline::MultiverseSelection;
use robocarb_synth::{generate, SynthConfig, TwinProcess};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Significance level of the tests.
const ALPHA: f64 = 0.05;

/// One twin's joint test.
struct Replication {
    seed: u64,
    /// truth.toml's `carbon.beta_total` of the twin.
    beta_total: f64,
    /// p of the median, the count and Stouffer's z.
    p: [f64; 3],
    /// Observed median, count in the dominant sign, dominant sign, mean z.
    observed: Value,
    failed_refits: u64,
    /// Mean and sd over the bootstrap draws of the median and of the mean z (the null
    /// distributions the observed statistics are referred to).
    null_median: [f64; 2],
    null_mean_z: [f64; 2],
    /// Per specification (in the multiverse's order): labels, b, se, p.
    specs: Vec<(Vec<String>, f64, f64, f64)>,
}

const TESTS: [&str; 3] = ["median", "count", "stouffer"];

fn replicate(args: &Args, seed: u64) -> Result<Replication, Error> {
    let tmp = tempfile::tempdir()?;
    let twin = tmp.path().join("twin");
    let config = SynthConfig {
        seed,
        years: args.twin.years,
        process: TwinProcess {
            robot_effect: args.effect,
            ..args.twin.process.1
        },
        ..Default::default()
    };
    generate(&config, &twin)?;
    let truth: toml::Table = std::fs::read_to_string(twin.join("truth.toml"))?.parse()?;
    let beta_total = truth
        .get("carbon")
        .and_then(|c| c.get("beta_total"))
        .and_then(toml::Value::as_float)
        .ok_or("truth.toml has no carbon.beta_total")?;
    let pipeline = load_for_twin(
        &args.pipeline,
        &twin,
        &MultiverseSelection::Named(vec![args.multiverse.clone()]),
    )?;
    let mut out = run_outputs(
        &pipeline,
        &tmp.path().join("cache"),
        &[args.multiverse.as_str()],
        &["summary.json", "specs.json"],
    )?;
    let blobs = out
        .remove(&args.multiverse)
        .ok_or("no multiverse outputs")?;
    let summary: Value = serde_json::from_slice(&blobs[0])?;
    let rows: Value = serde_json::from_slice(&blobs[1])?;
    let joint = &summary["joint"];
    if joint.is_null() {
        return Err(format!(
            "multiverse `{}` has no joint test (bootstrap_reps = 0)",
            args.multiverse
        )
        .into());
    }
    let num = |v: &Value, k: &str| -> Result<f64, Error> {
        v[k].as_f64()
            .ok_or_else(|| format!("summary.json: no number `{k}`").into())
    };
    let p = [
        num(joint, "p_median_one_sided")?,
        num(joint, "p_count")?,
        num(joint, "p_stouffer_one_sided")?,
    ];
    let specs = rows
        .as_array()
        .ok_or("specs.json is not a list")?
        .iter()
        .map(|r| -> Result<_, Error> {
            let labels = r["labels"]
                .as_array()
                .ok_or("specs.json: no labels")?
                .iter()
                .map(|l| l.as_str().unwrap_or_default().to_string())
                .collect();
            Ok((labels, num(r, "b")?, num(r, "se")?, num(r, "p")?))
        })
        .collect::<Result<_, _>>()?;
    let draws: Vec<&Value> = joint["null"]
        .as_array()
        .map(|v| v.iter().map(|d| &d["statistics"]).collect())
        .unwrap_or_default();
    let moments = |k: &str| {
        let v: Vec<f64> = draws.iter().filter_map(|d| d[k].as_f64()).collect();
        [mean(&v), sd(&v)]
    };
    Ok(Replication {
        seed,
        beta_total,
        p,
        observed: joint["observed"].clone(),
        failed_refits: joint["failed_refits"].as_u64().unwrap_or(0),
        null_median: moments("median"),
        null_mean_z: moments("mean_z"),
        specs,
    })
}

/// Clopper-Pearson (exact) two-sided 95% interval of a binomial proportion `k / n`.
fn clopper_pearson(k: usize, n: usize) -> [f64; 2] {
    // the x with I_x(a, b) = q, by bisection (I_x is increasing in x)
    let beta_quantile = |q: f64, a: f64, b: f64| {
        let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if incomplete_beta(a, b, mid) < q {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    let (kf, nf) = (k as f64, n as f64);
    let lower = if k == 0 {
        0.0
    } else {
        beta_quantile(0.025, kf, nf - kf + 1.0)
    };
    let upper = if k == n {
        1.0
    } else {
        beta_quantile(0.975, kf + 1.0, nf - kf)
    };
    [lower, upper]
}

/// The share of `hits`, with its count and exact interval.
fn rate(hits: impl Iterator<Item = bool>) -> Value {
    let (mut k, mut n) = (0, 0);
    for h in hits {
        n += 1;
        k += usize::from(h);
    }
    json!({
        "rejections": k,
        "twins": n,
        "rate": k as f64 / n as f64,
        "ci95": clopper_pearson(k, n),
    })
}

fn percent(v: &Value) -> String {
    let r = v["rate"].as_f64().unwrap_or(f64::NAN);
    let ci = |i: usize| v["ci95"][i].as_f64().unwrap_or(f64::NAN);
    format!(
        "{:.1}% ({}/{}; 95% CI {:.1}-{:.1}%)",
        100.0 * r,
        v["rejections"],
        v["twins"],
        100.0 * ci(0),
        100.0 * ci(1)
    )
}

/// The command line: the shared options plus the robot effect, the multiverse and its file.
struct Args {
    twin: TwinArgs,
    effect: f64,
    multiverse: String,
    pipeline: PathBuf,
    json: PathBuf,
}

fn parse_args(root: &Path) -> Result<Args, Error> {
    let (mut effect, mut multiverse, mut pipeline) = (
        0.0,
        "calibration".to_string(),
        root.join("pipelines").join("calibration.toml"),
    );
    let twin = TwinArgs::parse(
        "multiverse_calibration [REPS] [--effect E] [--multiverse NAME] [--pipeline FILE] [--threads N] [--first-seed S] [--json PATH] [--process default|well-specified] [--years A..B]",
        |flag, value| {
            match flag {
                "--effect" => effect = value()?.parse()?,
                "--multiverse" => multiverse = value()?,
                "--pipeline" => pipeline = PathBuf::from(value()?),
                _ => return Ok(false),
            }
            Ok(true)
        },
    )?;
    if twin.reps < 1 {
        return Err("need at least 1 replication".into());
    }
    let json = twin.json.clone().unwrap_or_else(|| {
        root.join("out")
            .join(format!("multiverse_{multiverse}_effect{effect}.json"))
    });
    Ok(Args {
        twin,
        effect,
        multiverse,
        pipeline,
        json,
    })
}

fn main() -> Result<(), Error> {
    let root = common::workspace_root();
    let args = parse_args(&root)?;
    let seeds = args.twin.seeds();
    // The machine's load while the twins run, sampled every 10 s (other work shares the cores).
    let stop = AtomicBool::new(false);
    let loads = Mutex::new(vec![load_average()]);
    let (results, elapsed) = std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..10 {
                    std::thread::sleep(Duration::from_secs(1));
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                }
                if let Ok(mut l) = loads.lock() {
                    l.push(load_average());
                }
            }
        });
        let r = run_seeds(&seeds, args.twin.threads, |seed| replicate(&args, seed));
        stop.store(true, Ordering::Relaxed);
        r
    });
    let mut loads = loads.into_inner().unwrap_or_default();
    loads.push(load_average());

    let (reps, failures) = split_failures(&seeds, results);
    if reps.is_empty() {
        return Err(format!("no replication succeeded: {failures:?}").into());
    }
    let tests: serde_json::Map<String, Value> = TESTS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut v = rate(reps.iter().map(|r| r.p[i] < ALPHA));
            v["rule"] = json!(format!("p_{name} < {ALPHA}"));
            let p: Vec<f64> = reps.iter().map(|r| r.p[i]).collect();
            v["share_p_below"] = json!({
                "0.01": p.iter().filter(|&&x| x < 0.01).count() as f64 / p.len() as f64,
                "0.05": p.iter().filter(|&&x| x < 0.05).count() as f64 / p.len() as f64,
                "0.10": p.iter().filter(|&&x| x < 0.10).count() as f64 / p.len() as f64,
                "0.50": p.iter().filter(|&&x| x < 0.50).count() as f64 / p.len() as f64,
            });
            (name.to_string(), v)
        })
        .collect();
    // The one-sided p of the median and of Stouffer's z, doubled: the two-sided test at 5%.
    let doubled: serde_json::Map<String, Value> = [(0, "median"), (2, "stouffer")]
        .iter()
        .map(|&(i, name)| {
            let mut v = rate(reps.iter().map(|r| 2.0 * r.p[i] < ALPHA));
            v["rule"] = json!(format!("2 p_{name} < {ALPHA}"));
            (name.to_string(), v)
        })
        .collect();
    // Every specification across the twins: is it centred where the twins' truth says?
    let n_specs = reps[0].specs.len();
    let per_spec: Vec<Value> = (0..n_specs)
        .map(|k| {
            let b: Vec<f64> = reps.iter().map(|r| r.specs[k].1).collect();
            let se: Vec<f64> = reps.iter().map(|r| r.specs[k].2).collect();
            let signif = reps.iter().filter(|r| r.specs[k].3 < ALPHA).count();
            json!({
                "labels": reps[0].specs[k].0,
                "mean_b": mean(&b),
                "mcse_mean_b": sd(&b) / (b.len() as f64).sqrt(),
                "sd_b": sd(&b),
                "mean_se": mean(&se),
                "share_p_below_0.05": signif as f64 / reps.len() as f64,
            })
        })
        .collect();
    let detail: Vec<Value> = reps
        .iter()
        .map(|r| {
            json!({
                "seed": r.seed,
                "p_median": r.p[0],
                "p_count": r.p[1],
                "p_stouffer": r.p[2],
                "observed": r.observed,
                "failed_refits": r.failed_refits,
                "null_median_mean_sd": r.null_median,
                "null_mean_z_mean_sd": r.null_mean_z,
                "b": r.specs.iter().map(|s| s.1).collect::<Vec<_>>(),
            })
        })
        .collect();
    // Is the bootstrap's null distribution as wide as the statistics' sampling distribution
    // across twins? (Under no effect, the observed statistics are draws from the latter.)
    let observed =
        |k: &str| -> Vec<f64> { reps.iter().filter_map(|r| r.observed[k].as_f64()).collect() };
    let spread = |k: &str, null: &dyn Fn(&Replication) -> [f64; 2]| {
        let obs = observed(k);
        let sds: Vec<f64> = reps.iter().map(|r| null(r)[1]).collect();
        let means: Vec<f64> = reps.iter().map(|r| null(r)[0]).collect();
        json!({
            "observed_mean_across_twins": mean(&obs),
            "observed_sd_across_twins": sd(&obs),
            "bootstrap_null_sd_mean_over_twins": mean(&sds),
            "bootstrap_null_mean_mean_over_twins": mean(&means),
        })
    };
    let null_spread = json!({
        "median": spread("median", &|r| r.null_median),
        "mean_z": spread("mean_z", &|r| r.null_mean_z),
    });
    let rel = |p: &Path| {
        p.strip_prefix(&root)
            .map_or_else(|_| p.display().to_string(), |r| r.display().to_string())
    };
    let beta_total: Vec<f64> = reps.iter().map(|r| r.beta_total).collect();
    let doc = json!({
        "command": format!(
            "cargo run --release -p robocarb-pipeline --example multiverse_calibration -- {} --effect {} --multiverse {} --threads {} --first-seed {} --process {} --years {}..{}",
            args.twin.reps, args.effect, args.multiverse, args.twin.threads, args.twin.first_seed, args.twin.process.0, args.twin.years.0, args.twin.years.1
        ),
        "pipeline": rel(&args.pipeline),
        "multiverse": args.multiverse,
        "specifications": n_specs,
        "spec_labels": reps[0].specs.iter().map(|s| s.0.join(",")).collect::<Vec<_>>(),
        "robot_effect": args.effect,
        "truth_beta_total": { "min": beta_total.iter().copied().fold(f64::INFINITY, f64::min), "max": beta_total.iter().copied().fold(f64::NEG_INFINITY, f64::max) },
        "process": { "name": args.twin.process.0, "rho_eps": args.twin.process.1.rho_eps, "slope_heterogeneity": args.twin.process.1.slope_heterogeneity },
        "years": [args.twin.years.0, args.twin.years.1],
        "replications": reps.len(),
        "seeds": { "first": args.twin.first_seed, "last": args.twin.first_seed + args.twin.reps as u64 - 1 },
        "failures": failures,
        "alpha": ALPHA,
        "interval": "Clopper-Pearson exact 95%",
        "tests": tests,
        "two_sided_by_doubling": doubled,
        "null_distribution_vs_sampling": null_spread,
        "failed_refits_total": reps.iter().map(|r| r.failed_refits).sum::<u64>(),
        "per_specification": per_spec,
        "per_replication": detail,
        "run": {
            "threads": args.twin.threads,
            "elapsed_seconds": elapsed,
            "seconds_per_twin_per_thread": elapsed * args.twin.threads as f64 / args.twin.reps as f64,
            "load_average_1min": {
                "start": loads.first(),
                "end": loads.last(),
                "mean": mean(&loads),
                "max": loads.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                "samples": loads.len(),
            },
            "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        },
    });
    if let Some(dir) = args.json.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.json, serde_json::to_string_pretty(&doc)? + "\n")?;
    println!(
        "multiverse `{}` ({} specifications), robot effect {}: {} twins (seeds {}..={}), {} failed, {:.0} s on {} threads",
        args.multiverse,
        n_specs,
        args.effect,
        reps.len(),
        args.twin.first_seed,
        args.twin.first_seed + args.twin.reps as u64 - 1,
        failures.len(),
        elapsed,
        args.twin.threads
    );
    for name in TESTS {
        println!("  reject at 5%, {name:<9} {}", percent(&doc["tests"][name]));
    }
    for name in ["median", "stouffer"] {
        println!(
            "  reject at 5%, {name:<9} two-sided (2p < 0.05): {}",
            percent(&doc["two_sided_by_doubling"][name])
        );
    }
    for k in ["median", "mean_z"] {
        let v = &doc["null_distribution_vs_sampling"][k];
        println!(
            "  {k:<9} sd across twins {:.4}, mean bootstrap null sd {:.4}",
            v["observed_sd_across_twins"].as_f64().unwrap_or(f64::NAN),
            v["bootstrap_null_sd_mean_over_twins"]
                .as_f64()
                .unwrap_or(f64::NAN)
        );
    }
    println!(
        "  load average (1 min) during the run: mean {:.1}, max {:.1} on {} cpus",
        mean(&loads),
        loads.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        doc["run"]["cpus"]
    );
    println!("results: {}", args.json.display());
    Ok(())
}
