//! Multiverse nodes: `multiverse_spec`, one per specification (the fit of its exposure
//! coefficient and, for the joint inference, its refits under the null on the shared bootstrap
//! draws), and `multiverse`, the summary (specs table, the specification curve, the joint test).
//!
//! A specification's node is keyed by its own model, draws and data, so adding an option runs
//! only the specifications it creates, plus the summary. The null is imposed on each
//! specification's own sample (`y* = y - b x`) and the draws resample units of the data node's
//! universe, the same draws for every specification (Simonsohn, Simmons and Nelson 2020).

use super::model::{fit_ols, prepare, sorted_level_ids, vce, ResolvedModel};
use super::{
    intern, op_err, param_i64, param_str, required_node_slots, shared_frame_in, str_list, FnOp,
    NODE,
};
use crate::fingerprint::fingerprint;
use robocarb_dag::{OpError, Operation, Outputs, ParamValue, SlotSpec, TaskContext};
use robocarb_estimate::dist::t_quantile;
use robocarb_estimate::refit::{refit_draws, RefitDesign, RefitPath};
use robocarb_estimate::resample::bootstrap_draws;
use robocarb_estimate::spec_curve::{joint_inference, JointInference, JointOptions, SpecEstimate};
use robocarb_estimate::FitOptions;
use robocarb_panel::{Column, Frame};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// Significance level of the curve's colours, the count statistic and the intervals (95%).
pub const ALPHA: f64 = 0.05;

pub static MULTIVERSE_SPEC: FnOp = FnOp::new(
    "multiverse_spec",
    &["estimate", "panel", "spec"],
    "ops/multiverse.rs",
    &[("data", NODE, true)],
    run_spec,
);

/// What a specification node writes (`fit.json`); its null refits are in `null.f64`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecFit {
    pub formula: String,
    pub vcov: String,
    pub sample: String,
    pub b: f64,
    pub se: f64,
    pub stat: f64,
    pub p: f64,
    pub ci_lo: f64,
    pub ci_hi: f64,
    /// Degrees of freedom of the t statistic (G - 1 with clusters).
    pub df: f64,
    pub n: u64,
    pub clusters: Option<u64>,
    /// Null refits asked for, and how many failed (their entries are NaN).
    pub null_reps: u64,
    pub null_failed: u64,
    /// The first failure's message, when some refit failed.
    pub null_error: Option<String>,
    /// Refits solved from per-city moments (the rest took the general path).
    pub null_fast: u64,
}

/// Dense ids of `col` over the whole data node (the resampling universe), for the rows of `sub`.
fn universe_ids(full: &Frame, sub: &Frame, col: &str) -> Result<(Vec<u32>, usize), OpError> {
    fn map<T: Ord + std::hash::Hash>(all: &[T], rows: &[T]) -> (Vec<u32>, usize) {
        let (ids, levels) = sorted_level_ids(all);
        let of: std::collections::HashMap<&T, u32> = all.iter().zip(ids).collect();
        let rows = rows
            .iter()
            .map(|x| of.get(x).copied().unwrap_or(u32::MAX))
            .collect();
        (rows, levels)
    }
    let missing = || OpError::new(format!("no column `{col}` (the resampling unit)"));
    Ok(match (full.column(col), sub.column(col)) {
        (Some(Column::Str(a)), Some(Column::Str(b))) => map(a, b),
        (Some(Column::I64(a)), Some(Column::I64(b))) => map(a, b),
        (Some(Column::F64(_)), _) => {
            return Err(OpError::new(format!(
                "the resampling unit `{col}` must be a code (text or integer), not a float column"
            )))
        }
        _ => return Err(missing()),
    })
}

fn run_spec(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let m = ResolvedModel::from_params(ctx.params)?;
    let focus = param_str(ctx, "focus")?.to_string();
    let unit = param_str(ctx, "unit")?.to_string();
    let reps = usize::try_from(param_i64(ctx, "bootstrap_reps")?)
        .map_err(|_| OpError::new("bootstrap_reps must not be negative"))?;
    let seed = param_i64(ctx, "seed")? as u64;
    let data = shared_frame_in(ctx, "data", "table")?;
    let d = prepare(&data, &m, &[], "data")?;
    let f = &m.spec.formula;
    let regressors: Vec<&str> = f.regressors.iter().map(String::as_str).collect();
    let Some(k) = regressors.iter().position(|r| *r == focus) else {
        return Err(OpError::new(format!(
            "the exposure `{focus}` is not a regressor of `{f}`"
        )));
    };
    let r = fit_ols(&m, &d, &f.dep, &regressors)?;
    let Some(j) = r.index_of(&focus) else {
        return Err(OpError::new(format!(
            "`{focus}` was dropped as collinear in `{f}`: the specification has no estimate"
        )));
    };
    let crit = t_quantile(1.0 - ALPHA / 2.0, r.df_t);
    let mut fit = SpecFit {
        formula: f.to_string(),
        vcov: m.spec.vcov.as_ref().map_or("iid".into(), |v| v.to_string()),
        sample: m.sample_name.clone(),
        b: r.b[j],
        se: r.se[j],
        stat: r.t[j],
        p: r.p[j],
        ci_lo: r.b[j] - crit * r.se[j],
        ci_hi: r.b[j] + crit * r.se[j],
        df: r.df_t,
        n: r.n as u64,
        clusters: r.n_clusters.first().map(|&g| g as u64),
        null_reps: reps as u64,
        null_failed: 0,
        null_error: None,
        null_fast: 0,
    };
    let mut null = Vec::with_capacity(3 * reps);
    if reps > 0 {
        let (units, universe) = universe_ids(&data, &d.frame, m.column(&unit))?;
        let y = d.num(&m, &f.dep)?;
        let cols: Vec<Cow<[f64]>> = regressors
            .iter()
            .map(|x| d.num(&m, x))
            .collect::<Result<_, _>>()?;
        let design = RefitDesign {
            y: &y,
            x: regressors
                .iter()
                .copied()
                .zip(cols.iter().map(|c| &c[..]))
                .collect(),
            fe: f.fe.iter().map(|fe| d.ids(fe)).collect(),
            vce: vce(&m, &d),
            unit: &units,
            units: universe,
        };
        let draws = bootstrap_draws(reps, universe, seed);
        let refits = refit_draws(
            &design,
            k,
            fit.b,
            &draws,
            &FitOptions::default(),
            RefitPath::Fast,
        )
        .map_err(op_err(&format!("null refits of `{f}`")))?;
        fit.null_fast = refits.stats.fast as u64;
        for res in refits.draws {
            match res {
                Ok(dr) => null.extend([dr.b, dr.se, dr.p]),
                Err(e) => {
                    fit.null_failed += 1;
                    fit.null_error.get_or_insert_with(|| e.to_string());
                    null.extend([f64::NAN; 3]);
                }
            }
        }
    }
    let mut out = Outputs::new();
    out.insert(
        "fit.json".into(),
        serde_json::to_vec_pretty(&fit).map_err(op_err("fit.json"))?,
    );
    out.insert(
        "null.f64".into(),
        null.iter().flat_map(|v| v.to_le_bytes()).collect(),
    );
    Ok(out)
}

/// The summary node of one multiverse: its slots are the specification nodes.
pub struct MultiverseOp {
    slots: Vec<&'static str>,
}

impl MultiverseOp {
    pub fn new(spec_nodes: &[String]) -> Self {
        MultiverseOp {
            slots: spec_nodes.iter().map(|n| intern(n)).collect(),
        }
    }
}

impl Operation for MultiverseOp {
    fn name(&self) -> &str {
        "multiverse"
    }
    fn code_fingerprint(&self) -> String {
        static FP: OnceLock<String> = OnceLock::new();
        FP.get_or_init(|| fingerprint(&["estimate", "report"], "ops/multiverse.rs"))
            .clone()
    }
    fn slots(&self) -> Vec<SlotSpec> {
        required_node_slots(&self.slots)
    }
    fn run(&self, ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
        run_summary(ctx)
    }
}

fn lists(v: Option<&ParamValue>) -> Vec<Vec<String>> {
    match v {
        Some(ParamValue::List(l)) => l
            .iter()
            .map(|x| str_list(Some(x)).into_iter().map(str::to_string).collect())
            .collect(),
        _ => Vec::new(),
    }
}

/// One row of `specs.csv`.
#[derive(Debug, Clone, Serialize)]
pub struct SpecRow {
    /// Option label per dimension, in the dimensions' order.
    pub labels: Vec<String>,
    pub node: String,
    #[serde(flatten)]
    pub fit: SpecFit,
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub name: String,
    pub dimensions: Vec<(String, Vec<String>)>,
    pub specifications: usize,
    pub median_b: f64,
    pub positive: usize,
    pub negative: usize,
    pub significant_positive: usize,
    pub significant_negative: usize,
    pub alpha: f64,
    pub bootstrap_reps: i64,
    pub seed: i64,
    /// Simonsohn-Simmons-Nelson joint test, when the draws were asked for.
    pub joint: Option<JointInference>,
}

fn run_summary(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let name = param_str(ctx, "name")?.to_string();
    let dims = str_list(ctx.params.get("dimensions"))
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    let options = lists(ctx.params.get("options"));
    let specs = lists(ctx.params.get("specs"));
    let reps = param_i64(ctx, "bootstrap_reps")?;
    let seed = param_i64(ctx, "seed")?;
    let mut rows = Vec::with_capacity(specs.len());
    let mut null: Vec<Vec<Option<SpecEstimate>>> =
        vec![Vec::with_capacity(specs.len()); usize::try_from(reps).unwrap_or(0)];
    for s in &specs {
        let Some((node, labels)) = s.split_first() else {
            continue;
        };
        let fit: SpecFit = serde_json::from_slice(ctx.node_output(node, "fit.json")?)
            .map_err(op_err(&format!("{node}: fit.json")))?;
        let bytes = ctx.node_output(node, "null.f64")?;
        let vals: Vec<f64> = bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect();
        if vals.len() != 3 * null.len() {
            return Err(OpError::new(format!(
                "{node}: {} null refits where the multiverse asks for {}",
                vals.len() / 3,
                null.len()
            )));
        }
        for (draw, v) in null.iter_mut().zip(vals.chunks_exact(3)) {
            draw.push(v[0].is_finite().then_some(SpecEstimate {
                b: v[0],
                se: v[1],
                p: v[2],
            }));
        }
        rows.push(SpecRow {
            labels: labels.to_vec(),
            node: node.clone(),
            fit,
        });
    }
    let observed: Vec<SpecEstimate> = rows
        .iter()
        .map(|r| SpecEstimate {
            b: r.fit.b,
            se: r.fit.se,
            p: r.fit.p,
        })
        .collect();
    let joint = if null.is_empty() {
        None
    } else {
        Some(
            joint_inference(&observed, &null, &JointOptions { alpha: ALPHA })
                .map_err(op_err("joint inference"))?,
        )
    };
    let mut bs: Vec<f64> = rows.iter().map(|r| r.fit.b).collect();
    bs.sort_by(f64::total_cmp);
    let median_b = robocarb_estimate::resample::quantile_sorted(&bs, 0.5).unwrap_or(f64::NAN);
    let count = |f: &dyn Fn(&SpecFit) -> bool| rows.iter().filter(|r| f(&r.fit)).count();
    let summary = Summary {
        name: name.clone(),
        dimensions: dims.iter().cloned().zip(options.iter().cloned()).collect(),
        specifications: rows.len(),
        median_b,
        positive: count(&|f| f.b > 0.0),
        negative: count(&|f| f.b < 0.0),
        significant_positive: count(&|f| f.b > 0.0 && f.p < ALPHA),
        significant_negative: count(&|f| f.b < 0.0 && f.p < ALPHA),
        alpha: ALPHA,
        bootstrap_reps: reps,
        seed,
        joint,
    };
    let mut out = Outputs::new();
    out.insert("specs.csv".into(), specs_csv(&dims, &rows).into_bytes());
    out.insert("specs.frame".into(), specs_frame(&dims, &rows)?.encode());
    out.insert(
        "specs.json".into(),
        serde_json::to_vec_pretty(&rows).map_err(op_err("specs.json"))?,
    );
    out.insert(
        "summary.json".into(),
        serde_json::to_vec_pretty(&summary).map_err(op_err("summary.json"))?,
    );
    out.insert("summary.md".into(), summary_markdown(&summary).into_bytes());
    let curve: Vec<robocarb_report::CurveSpec> = rows
        .iter()
        .map(|r| robocarb_report::CurveSpec {
            labels: r.labels.clone(),
            b: r.fit.b,
            ci_lo: r.fit.ci_lo,
            ci_hi: r.fit.ci_hi,
            p: r.fit.p,
        })
        .collect();
    let bands: Option<Vec<[f64; 3]>> = summary.joint.as_ref().map(|j| j.bands.clone());
    let svg = robocarb_report::spec_curve(&robocarb_report::CurveInput {
        id: &format!("curve-{name}"),
        title: &format!(
            "Specification curve: {name} ({} specifications)",
            rows.len()
        ),
        y_label: "estimate",
        dimensions: &summary.dimensions,
        specs: &curve,
        bands: bands.as_deref(),
        alpha: ALPHA,
    });
    out.insert("curve.svg".into(), svg.into_bytes());
    Ok(out)
}

/// A number as the shortest text that reads back to the same f64 (empty when not finite).
fn num(v: f64) -> String {
    if v.is_finite() {
        let mut b = ryu::Buffer::new();
        b.format(v).to_string()
    } else {
        String::new()
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `specs.csv`: a column per dimension (the option label), then the estimate's columns.
pub fn specs_csv(dims: &[String], rows: &[SpecRow]) -> String {
    let mut out = String::new();
    let mut head: Vec<String> = dims.iter().map(|d| csv_field(d)).collect();
    head.extend(
        ["b", "se", "stat", "p", "ci_lo", "ci_hi", "n", "clusters"]
            .iter()
            .map(|s| s.to_string()),
    );
    out.push_str(&head.join(","));
    out.push('\n');
    for r in rows {
        let f = &r.fit;
        let mut cells: Vec<String> = r.labels.iter().map(|l| csv_field(l)).collect();
        cells.extend([
            num(f.b),
            num(f.se),
            num(f.stat),
            num(f.p),
            num(f.ci_lo),
            num(f.ci_hi),
            f.n.to_string(),
            f.clusters.map_or_else(String::new, |g| g.to_string()),
        ]);
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// The specs table as a frame (published as `specs.parquet`): the same columns as `specs.csv`.
pub fn specs_frame(dims: &[String], rows: &[SpecRow]) -> Result<Frame, OpError> {
    let mut cols: Vec<(String, Column)> = dims
        .iter()
        .enumerate()
        .map(|(k, d)| {
            (
                d.clone(),
                Column::Str(rows.iter().map(|r| r.labels[k].clone()).collect()),
            )
        })
        .collect();
    let f = |g: fn(&SpecFit) -> f64| Column::F64(rows.iter().map(|r| g(&r.fit)).collect());
    cols.push(("b".into(), f(|x| x.b)));
    cols.push(("se".into(), f(|x| x.se)));
    cols.push(("stat".into(), f(|x| x.stat)));
    cols.push(("p".into(), f(|x| x.p)));
    cols.push(("ci_lo".into(), f(|x| x.ci_lo)));
    cols.push(("ci_hi".into(), f(|x| x.ci_hi)));
    cols.push((
        "n".into(),
        Column::I64(rows.iter().map(|r| r.fit.n as i64).collect()),
    ));
    // Missing (no clusters) is NaN, a null in parquet.
    cols.push((
        "clusters".into(),
        f(|x| x.clusters.map_or(f64::NAN, |g| g as f64)),
    ));
    Frame::from_columns(cols).map_err(op_err("specs table"))
}

/// The one-screen summary.
pub fn summary_markdown(s: &Summary) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Multiverse `{}`\n", s.name);
    let dims: Vec<String> = s
        .dimensions
        .iter()
        .map(|(d, opts)| format!("{d} ({})", opts.len()))
        .collect();
    let _ = writeln!(
        o,
        "{} specifications over {}.\n",
        s.specifications,
        dims.join(" x ")
    );
    let _ = writeln!(
        o,
        "| | count | share |\n|---|---:|---:|\n| positive | {} | {:.1}% |\n| negative | {} | {:.1}% |\n| significant positive (p < {}) | {} | {:.1}% |\n| significant negative (p < {}) | {} | {:.1}% |\n",
        s.positive,
        pct(s.positive, s.specifications),
        s.negative,
        pct(s.negative, s.specifications),
        s.alpha,
        s.significant_positive,
        pct(s.significant_positive, s.specifications),
        s.alpha,
        s.significant_negative,
        pct(s.significant_negative, s.specifications),
    );
    let _ = writeln!(o, "Median estimate: {}.\n", short(s.median_b));
    match &s.joint {
        None => {
            let _ = writeln!(o, "Joint inference: not run (bootstrap_reps = 0).");
        }
        Some(j) => {
            let _ = writeln!(
                o,
                "Joint inference under the null of no effect (Simonsohn, Simmons and Nelson 2020): {} city-cluster bootstrap draws (seed {}), every specification refit on its own sample.\n",
                j.draws, s.seed
            );
            let _ = writeln!(
                o,
                "| statistic | observed | p | p (one-sided, SSN) |\n|---|---:|---:|---:|\n| median estimate | {} | {} | {} |\n| significant in the dominant sign | {} | {} | {} |\n| mean signed z (Stouffer) | {} | {} | {} |",
                short(j.observed.median),
                short(j.p_median),
                short(j.p_median_one_sided),
                j.observed.n_significant,
                short(j.p_count),
                short(j.p_count),
                short(j.observed.mean_z),
                short(j.p_stouffer),
                short(j.p_stouffer_one_sided),
            );
            let _ = writeln!(
                o,
                "\np is two-sided: for the median and Stouffer's z twice SSN's one-sided p (which looks in the direction the observed statistic happens to take and so, under the null, rejects at about twice its level; docs/multiverse.md, \"Calibration\"); the count looks at the dominant sign of each draw, so it is two-sided already. The smallest reportable p is 1/{}.",
                j.draws
            );
            if j.failed_refits > 0 {
                let _ = writeln!(
                    o,
                    "\n{} of {} null refits failed and were left out (see specs.json).",
                    j.failed_refits,
                    j.draws * s.specifications
                );
            }
        }
    }
    o
}

fn pct(k: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        100.0 * k as f64 / n as f64
    }
}

fn short(v: f64) -> String {
    robocarb_report::format_number(v, 4)
}

/// The reading of a summary node's outputs the report needs.
pub fn report_section(
    outputs: &BTreeMap<String, std::sync::Arc<Vec<u8>>>,
) -> Result<robocarb_report::MultiverseSection, OpError> {
    let get = |k: &str| {
        outputs
            .get(k)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .ok_or_else(|| OpError::new(format!("the multiverse node has no `{k}`")))
    };
    let summary: serde_json::Value =
        serde_json::from_str(&get("summary.json")?).map_err(op_err("summary.json"))?;
    Ok(robocarb_report::MultiverseSection {
        name: summary["name"].as_str().unwrap_or_default().to_string(),
        curve_svg: get("curve.svg")?,
        summary_markdown: get("summary.md")?,
    })
}
