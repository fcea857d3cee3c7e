//! Monte Carlo of the paper's estimators over many synthetic twins (docs/montecarlo.md).
//!
//! ```text
//! cargo run --release -p robocarb-pipeline --example montecarlo -- [REPS] [--threads N]
//!     [--first-seed S] [--json PATH] [--process default|well-specified] [--years A..B]
//! ```
//!
//! `--process` picks the twin's data-generating process (`robocarb_synth::TwinProcess`): the
//! embedded twin's (AR(1) errors, group-specific slopes) or the one under which every estimator
//! here is correctly specified (serially uncorrelated errors, one slope).
//!
//! For seeds S, S+1, ..., S+REPS-1 (default 1..=200): generate the twin (`robocarb_synth::generate`)
//! into a temporary folder, run `pipelines/montecarlo.toml` (the paper's pipeline up to `panel`,
//! without DEA) with the sources pointed at that twin, and run on the panel the paper's own
//! specifications as `pipelines/paper.toml` declares them (`t4_4`, `t7_iv`, `t6_fgls`, `t6_pcse`, `t8_di_a`, `t8_di_b`): Table 4 col. 4 (two-way FE, controls,
//! city-clustered SE), Table 7's 2SLS second stage, Table 6's FGLS and PCSE, and Table 8's DI a and b
//! paths. Each runs twice: on the paper's panel (CARBON and DI winsorized at 1/99, as the paper
//! does) and on the same panel with CARBON and DI as the twin generated them (`*_unwinsorized`;
//! the twin's equations hold exactly there). Each estimate is compared with the twin's
//! `truth.toml` (read per twin, never hard-coded), with the quantity it is consistent for given
//! the twin's design (the "design target", below) and with its pseudo-true value (the mean of the
//! other replications' estimates: what winsorizing the outcome moves the estimand to).
//!
//! Design target. The twin's CO2 equation is
//! `CARBON_it = alpha_i + delta_t + beta_i ROBOT_it + b_TP TP_it + gamma'X_it + noise_it`, with
//! `beta_i = beta_direct_base + shifts'g_i + a_DI b_DI + a_IU b_IU` (g_i: resource, pilot,
//! gov-business-low flags; the DI and IU mediators are linear in ROBOT plus independent noise),
//! TP the twin's measured technical progress (it rises with ROBOT, not linearly) and noise
//! independent of (ROBOT, TP, X, the instrument). A linear estimator `b = A y` is then centred,
//! given the design, on `A y*`: the same estimator run with `CARBON` replaced by
//! `Y*_it = beta_i ROBOT_it + b_TP TP_it`. With one slope this is truth.toml's -0.025 for FE up to
//! `b_TP` times the gap between TP's slope on ROBOT given the controls and without them (truth.toml
//! uses the latter), while 2SLS picks up TP's nonlinearity in ROBOT through the instrument. Otherwise
//! it is a weighted mean of the city slopes with the estimator's
//! own weights (FE with controls: `sum_t r_it ROBOT_it`, r = ROBOT net of FE and controls; 2SLS:
//! the same with the instrument's residual), whereas truth.toml's -0.025 uses the weights
//! `sum_t (two-way demeaned ROBOT)^2`. PCSE's point estimate is OLS with dummies, so its target is
//! the FE one; FGLS re-weights by estimated AR(1)/heteroskedastic weights, and the FE target is
//! only an approximation for it.
//!
//! Replications run on `--threads` workers (default 2), each replication single-threaded and
//! independent, results collected in seed order: the output does not depend on the thread count
//! (only the `run.elapsed_seconds` field does).

mod common;

use common::{
    load_for_twin, mean, median, run_outputs, run_seeds, sd, split_failures, Error, TwinArgs,
};
use robocarb_estimate::dist::{normal_two_sided_p, t_two_sided_p};
use robocarb_panel::{Column, Frame};
use robocarb_pipeline::ops::model::{fit_model, ModelResult, ResolvedModel};
use robocarb_pipeline::MultiverseSelection;
use robocarb_synth::{generate_panel, write, SynthConfig, TwinProcess};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

/// Where a test statistic is referred to: Student t with `df` degrees of freedom, or N(0, 1).
#[derive(Clone, Copy, Debug)]
enum Reference {
    StudentT(f64),
    Normal,
}

/// One estimate of one replication.
#[derive(Clone, Copy, Debug)]
struct Estimate {
    b: f64,
    se: f64,
    reference: Reference,
}

impl Estimate {
    /// Whether the nominal 95% interval `b ± c se` covers `theta` (c from the estimator's own
    /// reference distribution, as its reported p-value uses).
    fn covers(&self, theta: f64) -> bool {
        let stat = (self.b - theta) / self.se;
        let p = match self.reference {
            Reference::StudentT(df) => t_two_sided_p(stat, df),
            Reference::Normal => normal_two_sided_p(stat),
        };
        p >= 0.05
    }
}

/// What an estimator is compared with.
struct EstimatorSpec {
    key: &'static str,
    label: &'static str,
    /// Name of the truth in truth.toml.
    truth_name: &'static str,
    /// Key of the design target in `Replication::targets`, if there is one.
    target: Option<&'static str>,
    /// Whether the reported SE is meant to be valid under the twin's process.
    se_valid_under_twin: bool,
}

const ESTIMATORS: &[EstimatorSpec] = &[
    EstimatorSpec {
        key: "fe_cluster",
        label: "Two-way FE + controls, city-cluster SE (Table 4 col. 4)",
        truth_name: "carbon.beta_total",
        target: Some("fe"),
        se_valid_under_twin: true,
    },
    EstimatorSpec {
        key: "iv_2sls",
        label: "2SLS second stage, YFE instrument, city-cluster SE (Table 7)",
        truth_name: "carbon.beta_total",
        target: Some("iv"),
        se_valid_under_twin: true,
    },
    EstimatorSpec {
        key: "fgls",
        label: "FGLS xtgls panels(hetero) corr(ar1), dummies (Table 6 col. 3)",
        truth_name: "carbon.beta_total",
        target: Some("fe"),
        se_valid_under_twin: false,
    },
    EstimatorSpec {
        key: "pcse",
        label: "OLS with dummies, panel-corrected SE (Table 6 col. 4)",
        truth_name: "carbon.beta_total",
        target: Some("fe"),
        se_valid_under_twin: false,
    },
    EstimatorSpec {
        key: "di_a",
        label: "DI on ROBOT, FE + controls, cluster SE (Table 8 a path)",
        truth_name: "mediators.DI.a",
        target: None,
        se_valid_under_twin: true,
    },
    EstimatorSpec {
        key: "di_b",
        label: "DI in CARBON ~ ROBOT + DI, FE + controls, cluster SE (Table 8 b path)",
        truth_name: "mediators.DI.b",
        target: None,
        se_valid_under_twin: true,
    },
    EstimatorSpec {
        key: "fe_cluster_unwinsorized",
        label: "Two-way FE + controls, city-cluster SE, CARBON not winsorized",
        truth_name: "carbon.beta_total",
        target: Some("fe"),
        se_valid_under_twin: true,
    },
    EstimatorSpec {
        key: "iv_2sls_unwinsorized",
        label: "2SLS second stage, CARBON not winsorized",
        truth_name: "carbon.beta_total",
        target: Some("iv"),
        se_valid_under_twin: true,
    },
    EstimatorSpec {
        key: "fgls_unwinsorized",
        label: "FGLS xtgls panels(hetero) corr(ar1), CARBON not winsorized",
        truth_name: "carbon.beta_total",
        target: Some("fe"),
        se_valid_under_twin: false,
    },
    EstimatorSpec {
        key: "pcse_unwinsorized",
        label: "OLS with dummies, PCSE, CARBON not winsorized",
        truth_name: "carbon.beta_total",
        target: Some("fe"),
        se_valid_under_twin: false,
    },
    EstimatorSpec {
        key: "di_a_unwinsorized",
        label: "a path with DI not winsorized",
        truth_name: "mediators.DI.a",
        target: None,
        se_valid_under_twin: true,
    },
    EstimatorSpec {
        key: "di_b_unwinsorized",
        label: "b path with CARBON and DI not winsorized",
        truth_name: "mediators.DI.b",
        target: None,
        se_valid_under_twin: true,
    },
];

/// The twin's true parameters this Monte Carlo needs, read from its truth.toml.
#[derive(Clone, Debug)]
struct Truth {
    values: BTreeMap<&'static str, f64>,
    beta_direct_base: f64,
    indirect: f64,
    /// TP's a (slope on ROBOT within city and year) and b (effect on CARBON).
    tp_a: f64,
    tp_b: f64,
    shift_resource: f64,
    shift_pilot: f64,
    shift_gov_low: f64,
}

fn number(t: &toml::Table, path: &[&str]) -> Result<f64, Error> {
    let mut cur: &toml::Value = t
        .get(path[0])
        .ok_or_else(|| format!("truth.toml has no `{}`", path[0]))?;
    for key in &path[1..] {
        cur = cur
            .get(key)
            .ok_or_else(|| format!("truth.toml has no `{}`", path.join(".")))?;
    }
    cur.as_float()
        .or_else(|| cur.as_integer().map(|i| i as f64))
        .ok_or_else(|| format!("truth.toml: `{}` is not a number", path.join(".")).into())
}

fn read_truth(file: &Path) -> Result<Truth, Error> {
    let text = std::fs::read_to_string(file)?;
    let t: toml::Table = toml::from_str(&text)?;
    let mut values = BTreeMap::new();
    values.insert("carbon.beta_total", number(&t, &["carbon", "beta_total"])?);
    values.insert("mediators.DI.a", number(&t, &["mediators", "DI", "a"])?);
    values.insert("mediators.DI.b", number(&t, &["mediators", "DI", "b"])?);
    Ok(Truth {
        values,
        beta_direct_base: number(&t, &["carbon", "beta_direct_base"])?,
        indirect: number(&t, &["carbon", "indirect"])?,
        tp_a: number(&t, &["mediators", "TP", "a"])?,
        tp_b: number(&t, &["mediators", "TP", "b"])?,
        shift_resource: number(&t, &["heterogeneity", "resource_based"])?,
        shift_pilot: number(&t, &["heterogeneity", "smart_city_pilot"])?,
        shift_gov_low: number(&t, &["heterogeneity", "gov_business_low"])?,
    })
}

/// One replication's results.
#[derive(Clone, Debug)]
struct Replication {
    seed: u64,
    truth: Truth,
    estimates: BTreeMap<String, Estimate>,
    targets: BTreeMap<&'static str, f64>,
    kleibergen_paap_f: f64,
}

fn first_robot(col: &robocarb_report::ColumnDoc, what: &str) -> Result<(f64, f64), Error> {
    let c = col
        .coefs
        .get("ROBOT")
        .ok_or_else(|| format!("{what}: no ROBOT coefficient"))?;
    Ok((c.b, c.se))
}

/// The paper's models as `pipelines/paper.toml` declares them (read once in `main`).
static PAPER_MODELS: OnceLock<BTreeMap<String, ResolvedModel>> = OnceLock::new();

fn paper_models(root: &Path) -> Result<BTreeMap<String, ResolvedModel>, Error> {
    let registry = robocarb_pipeline::registry();
    let paper =
        robocarb_pipeline::load(&root.join("pipelines").join("paper.toml"), None, &registry)?;
    let mut out = BTreeMap::new();
    for n in paper
        .graph
        .nodes()
        .iter()
        .filter(|n| n.op.name() == "model")
    {
        out.insert(n.name.clone(), ResolvedModel::from_params(&n.params)?);
    }
    Ok(out)
}

/// Fit the paper's model `name` on `frame`.
fn fit(frame: &Frame, name: &str) -> Result<ModelResult, Error> {
    let m = PAPER_MODELS
        .get()
        .and_then(|m| m.get(name))
        .ok_or_else(|| format!("pipelines/paper.toml declares no model `{name}`"))?;
    Ok(fit_model(frame, m, "panel")?)
}

/// Coefficient `name` of a t-based (clustered) column: Student t with G-1 df, as reghdfe.
fn coef(col: &robocarb_report::ColumnDoc, name: &str) -> Result<Estimate, Error> {
    let c = col
        .coefs
        .get(name)
        .ok_or_else(|| format!("no coefficient `{name}`"))?;
    let g = col
        .clusters
        .ok_or("a clustered model has no cluster count")?;
    Ok(Estimate {
        b: c.b,
        se: c.se,
        reference: Reference::StudentT(g as f64 - 1.0),
    })
}

/// Build the panel of one twin with the reduced pipeline and return (winsorized, unwinsorized).
fn build_panels(pipeline_file: &Path, twin: &Path, cache: &Path) -> Result<(Frame, Frame), Error> {
    let pipeline = load_for_twin(pipeline_file, twin, &MultiverseSelection::None)?;
    let mut frames = run_outputs(
        &pipeline,
        cache,
        &["panel", "panel_unwinsorized"],
        &["table"],
    )?;
    let mut frame = |node: &str| -> Result<Frame, Error> {
        let bytes = frames
            .remove(node)
            .and_then(|mut v| v.pop())
            .ok_or_else(|| format!("no `{node}` table"))?;
        Ok(Frame::decode(&bytes)?)
    };
    Ok((frame("panel")?, frame("panel_unwinsorized")?))
}

/// The paper's specifications on one panel: Table 4 col. 4, Table 7's second stage, Table 6's FGLS
/// and PCSE, Table 8's DI a and b paths; keys get `suffix`. Returns the 2SLS Kleibergen-Paap F.
fn paper_estimates(
    data: &Frame,
    suffix: &str,
    estimates: &mut BTreeMap<String, Estimate>,
) -> Result<f64, Error> {
    let mut put = |key: &str, e: Estimate| estimates.insert(format!("{key}{suffix}"), e);
    put("fe_cluster", coef(&fit(data, "t4_4")?.column, "ROBOT")?);
    let iv = fit(data, "t7_iv")?;
    let second = &iv.column;
    let (b, se) = first_robot(second, "2SLS")?;
    let normal = |(b, se): (f64, f64)| Estimate {
        b,
        se,
        reference: Reference::Normal,
    };
    put("iv_2sls", normal((b, se)));
    put(
        "fgls",
        normal(first_robot(&fit(data, "t6_fgls")?.column, "fgls")?),
    );
    put(
        "pcse",
        normal(first_robot(&fit(data, "t6_pcse")?.column, "pcse")?),
    );
    put("di_a", coef(&fit(data, "t8_di_a")?.column, "ROBOT")?);
    put("di_b", coef(&fit(data, "t8_di_b")?.column, "DI")?);
    Ok(second
        .extra
        .get("kleibergen_paap_f")
        .copied()
        .unwrap_or(f64::NAN))
}

/// The twin's TP (as entered in its CO2 equation) on the panel's rows.
fn twin_tp(g: &robocarb_synth::panel::Generated, frame: &Frame) -> Result<Vec<f64>, Error> {
    let nt = g.years.len();
    let city: BTreeMap<&str, usize> = g
        .cities
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code.as_str(), i))
        .collect();
    let codes = frame.str("city_code")?;
    let years = frame.i64("year")?;
    codes
        .iter()
        .zip(years)
        .map(|(code, &year)| {
            let i = city
                .get(code.as_str())
                .ok_or_else(|| format!("panel city {code} is not in the twin"))?;
            let t = g
                .years
                .iter()
                .position(|&y| i64::from(y) == year)
                .ok_or_else(|| format!("panel year {year} is not in the twin"))?;
            Ok(g.tp[i * nt + t])
        })
        .collect()
}

fn replicate(
    pipeline_file: &Path,
    seed: u64,
    process: TwinProcess,
    years: (i32, i32),
) -> Result<Replication, Error> {
    let tmp = tempfile::tempdir()?;
    let twin = tmp.path().join("twin");
    let config = SynthConfig {
        seed,
        process,
        years,
        ..Default::default()
    };
    let generated = generate_panel(&config)?;
    write(&generated, &config, &twin)?;
    let truth = read_truth(&twin.join("truth.toml"))?;
    let (frame, unw) = build_panels(pipeline_file, &twin, &tmp.path().join("cache"))?;

    // The same panel with the outcomes (CARBON, DI) not winsorized: the twin's CO2 and DI
    // equations hold for them exactly (ROBOT and the controls enter the twin already winsorized,
    // so those stay as they are). Joined by row after checking both panels have the same keys.
    if frame.str("city_code")? != unw.str("city_code")? || frame.i64("year")? != unw.i64("year")? {
        return Err("the two panels' rows differ".into());
    }
    let mut raw_outcomes = frame.clone();
    for name in ["CARBON", "DI"] {
        raw_outcomes.set(name, Column::F64(unw.f64(name)?.to_vec()))?;
    }

    // Y* = beta_i ROBOT_it + b_TP TP_it from the twin's truth, the panel's flags and the twin's TP.
    let robot = frame.f64("ROBOT")?.to_vec();
    let tp = twin_tp(&generated, &frame)?;
    let flag = |name: &str| -> Result<Vec<f64>, Error> {
        Ok(frame
            .i64(name)?
            .iter()
            .map(|&v| f64::from(u8::from(v == 1)))
            .collect())
    };
    let (res, pilot, gov_high) = (
        flag("resource_based")?,
        flag("smart_city_pilot")?,
        flag("gov_business_high")?,
    );
    let beta: Vec<f64> = (0..robot.len())
        .map(|i| {
            truth.beta_direct_base
                + truth.shift_resource * res[i]
                + truth.shift_pilot * pilot[i]
                + truth.shift_gov_low * (1.0 - gov_high[i])
                + truth.indirect
                - truth.tp_a * truth.tp_b
        })
        .collect();
    // One slope for every city and no TP variation: each linear estimator's target is that slope
    // (Y* would be an exact fit, which the estimators rightly refuse).
    let common_slope = (beta
        .iter()
        .all(|b| (b - beta[0]).abs() <= 1e-12 * beta[0].abs())
        && tp.iter().all(|&v| v == tp[0]))
    .then(|| beta[0] + truth.tp_a * truth.tp_b);
    let y_star: Vec<f64> = (0..robot.len())
        .map(|i| beta[i] * robot[i] + truth.tp_b * tp[i])
        .collect();
    let mut star_frame = frame.clone();
    star_frame.set("CARBON", Column::F64(y_star))?;
    let star = star_frame;
    let mut targets = BTreeMap::new();
    let fe_target = match common_slope {
        Some(b) => b,
        None => coef(&fit(&star, "t4_4")?.column, "ROBOT")?.b,
    };
    targets.insert("fe", fe_target);
    let iv_target = match common_slope {
        Some(b) => b,
        None => {
            let iv_star = fit(&star, "t7_iv")?;
            first_robot(&iv_star.column, "2SLS target")?.0
        }
    };
    targets.insert("iv", iv_target);

    let mut estimates = BTreeMap::new();
    let kleibergen_paap_f = paper_estimates(&frame, "", &mut estimates)?;
    paper_estimates(&raw_outcomes, "_unwinsorized", &mut estimates)?;

    Ok(Replication {
        seed,
        truth,
        estimates,
        targets,
        kleibergen_paap_f,
    })
}

/// Coverage and its Monte Carlo standard error sqrt(p (1 - p) / R).
fn coverage(hits: &[bool]) -> (f64, f64) {
    let r = hits.len() as f64;
    let p = hits.iter().filter(|&&h| h).count() as f64 / r;
    (p, (p * (1.0 - p) / r).sqrt())
}

fn summarise(reps: &[Replication], e: &EstimatorSpec) -> Value {
    let b: Vec<f64> = reps.iter().map(|r| r.estimates[e.key].b).collect();
    let se: Vec<f64> = reps.iter().map(|r| r.estimates[e.key].se).collect();
    let truths: Vec<f64> = reps.iter().map(|r| r.truth.values[e.truth_name]).collect();
    let truth = mean(&truths);
    let truth_constant = truths.iter().all(|&t| t == truths[0]);
    let hits: Vec<bool> = reps
        .iter()
        .map(|r| r.estimates[e.key].covers(r.truth.values[e.truth_name]))
        .collect();
    let (cov, cov_mcse) = coverage(&hits);
    let err: Vec<f64> = b.iter().zip(&truths).map(|(b, t)| b - t).collect();
    let target = e.target.map(|key| {
        let theta: Vec<f64> = reps.iter().map(|r| r.targets[key]).collect();
        let dev: Vec<f64> = b.iter().zip(&theta).map(|(b, t)| b - t).collect();
        let hits: Vec<bool> = reps
            .iter()
            .map(|r| r.estimates[e.key].covers(r.targets[key]))
            .collect();
        let (c, c_mcse) = coverage(&hits);
        json!({
            "name": key,
            "mean": mean(&theta),
            "sd": sd(&theta),
            "mean_estimate_minus_target": mean(&dev),
            "mcse_of_that_mean": sd(&dev) / (dev.len() as f64).sqrt(),
            "sd_estimate_minus_target": sd(&dev),
            "coverage": c,
            "coverage_mcse": c_mcse,
        })
    });
    // The pseudo-true value: what the estimator is consistent for when a data-preparation step
    // (the paper's 1/99 winsorizing of the outcome) moves it off truth.toml's parameter. For
    // replication r it is estimated by the mean of the other replications' estimates, so it is
    // independent of r's own draw.
    let total: f64 = b.iter().sum();
    let others = b.len() as f64 - 1.0;
    let pseudo_hits: Vec<bool> = reps
        .iter()
        .zip(&b)
        .map(|(r, &bi)| r.estimates[e.key].covers((total - bi) / others))
        .collect();
    let (pseudo_cov, pseudo_mcse) = coverage(&pseudo_hits);
    json!({
        "key": e.key,
        "label": e.label,
        "truth_name": e.truth_name,
        "truth": truth,
        "truth_constant_across_twins": truth_constant,
        "se_meant_valid_under_twin": e.se_valid_under_twin,
        "mean": mean(&b),
        "median": median(&b),
        "sd": sd(&b),
        "bias": mean(&err),
        "bias_mcse": sd(&err) / (err.len() as f64).sqrt(),
        "rmse": (err.iter().map(|x| x * x).sum::<f64>() / err.len() as f64).sqrt(),
        "mean_se": mean(&se),
        "sd_over_mean_se": sd(&b) / mean(&se),
        "coverage": cov,
        "coverage_mcse": cov_mcse,
        "design_target": target,
        "pseudo_true": {
            "rule": "leave-one-out mean of the other replications' estimates",
            "minus_truth": mean(&b) - truth,
            "coverage": pseudo_cov,
            "coverage_mcse": pseudo_mcse,
        },
    })
}

fn fmt(x: f64) -> String {
    if x.abs() >= 0.1 {
        format!("{x:.4}")
    } else {
        format!("{x:.5}")
    }
}

fn markdown(summary: &[Value]) -> String {
    let mut s = String::from(
        "| estimator | truth | mean | median | sd | mean SE | sd / mean SE | coverage of truth (MCSE) | design target (mean) | mean(b - target) | coverage of target (MCSE) | coverage of pseudo-true (MCSE) |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for v in summary {
        let g = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        let t = &v["design_target"];
        let (tm, dev, tc) = if t.is_null() {
            ("-".to_string(), "-".to_string(), "-".to_string())
        } else {
            let h = |k: &str| t[k].as_f64().unwrap_or(f64::NAN);
            (
                fmt(h("mean")),
                format!(
                    "{} (MCSE {})",
                    fmt(h("mean_estimate_minus_target")),
                    fmt(h("mcse_of_that_mean"))
                ),
                format!("{:.3} ({:.3})", h("coverage"), h("coverage_mcse")),
            )
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {:.3} | {:.3} ({:.3}) | {} | {} | {} | {:.3} ({:.3}) |\n",
            v["key"].as_str().unwrap_or("?"),
            fmt(g("truth")),
            fmt(g("mean")),
            fmt(g("median")),
            fmt(g("sd")),
            fmt(g("mean_se")),
            g("sd_over_mean_se"),
            g("coverage"),
            g("coverage_mcse"),
            tm,
            dev,
            tc,
            v["pseudo_true"]["coverage"].as_f64().unwrap_or(f64::NAN),
            v["pseudo_true"]["coverage_mcse"].as_f64().unwrap_or(f64::NAN),
        ));
    }
    s
}

fn main() -> Result<(), Error> {
    let root = common::workspace_root();
    let args = TwinArgs::parse(
        "montecarlo [REPS] [--threads N] [--first-seed S] [--json PATH] [--process default|well-specified] [--years A..B]",
        |_, _| Ok(false),
    )?;
    if args.reps < 2 {
        return Err("need at least 2 replications".into());
    }
    let json = args
        .json
        .clone()
        .unwrap_or_else(|| root.join("out").join("montecarlo.json"));
    PAPER_MODELS
        .set(paper_models(&root)?)
        .map_err(|_| "paper models set twice")?;
    let pipeline_file = root.join("pipelines").join("montecarlo.toml");
    let seeds = args.seeds();
    let (results, elapsed) = run_seeds(&seeds, args.threads, |seed| {
        replicate(&pipeline_file, seed, args.process.1, args.years)
    });

    let (reps, failures) = split_failures(&seeds, results);
    if reps.len() < 2 {
        return Err(format!("fewer than 2 replications succeeded: {failures:?}").into());
    }
    let summary: Vec<Value> = ESTIMATORS.iter().map(|e| summarise(&reps, e)).collect();
    let kp: Vec<f64> = reps.iter().map(|r| r.kleibergen_paap_f).collect();
    let detail: Vec<Value> = reps
        .iter()
        .map(|r| {
            let est: BTreeMap<&str, Value> = r
                .estimates
                .iter()
                .map(|(k, e)| (k.as_str(), json!({ "b": e.b, "se": e.se })))
                .collect();
            json!({
                "seed": r.seed,
                "estimates": est,
                "design_targets": r.targets,
                "kleibergen_paap_f": r.kleibergen_paap_f,
                "truth_beta_direct_base": r.truth.beta_direct_base,
            })
        })
        .collect();
    let doc = json!({
        "command": format!(
            "cargo run --release -p robocarb-pipeline --example montecarlo -- {} --threads {} --first-seed {} --process {} --years {}..{}",
            args.reps, args.threads, args.first_seed, args.process.0, args.years.0, args.years.1
        ),
        "process": { "name": args.process.0, "rho_eps": args.process.1.rho_eps, "slope_heterogeneity": args.process.1.slope_heterogeneity },
        "years": [args.years.0, args.years.1],
        "pipeline": "pipelines/montecarlo.toml",
        "replications": reps.len(),
        "seeds": { "first": args.first_seed, "last": args.first_seed + args.reps as u64 - 1 },
        "failures": failures,
        "coverage_rule": "nominal 95%: |b - theta| / se below the 97.5% point of the estimator's reference (Student t with G-1 df for cluster OLS, N(0,1) for 2SLS, FGLS, PCSE)",
        "iv_kleibergen_paap_f": { "min": kp.iter().copied().fold(f64::INFINITY, f64::min), "median": median(&kp) },
        "estimators": summary,
        "per_replication": detail,
        "run": { "threads": args.threads, "elapsed_seconds": elapsed },
    });
    if let Some(dir) = json.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&json, serde_json::to_string_pretty(&doc)? + "\n")?;
    println!(
        "{} replications (seeds {}..={}), {} failed, {:.0} s on {} threads",
        reps.len(),
        args.first_seed,
        args.first_seed + args.reps as u64 - 1,
        failures.len(),
        elapsed,
        args.threads
    );
    println!(
        "2SLS Kleibergen-Paap F: min {:.1}, median {:.1}",
        kp.iter().copied().fold(f64::INFINITY, f64::min),
        median(&kp)
    );
    print!("{}", markdown(&summary));
    println!("results: {}", json.display());
    Ok(())
}
