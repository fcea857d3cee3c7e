//! The DEA nodes: `dea_inputs` (one output per year), `dea_frontier` (one partition per year:
//! E^t(t)), `dea_ml` (one partition per pair of adjacent years: the cross-period scores and the
//! index), and `tfp` (the index per city-year, with TP = TC / TE).

use super::{frame_in, op_err, param_str, table_in, FnOp, UpstreamNames, NODE};
use robocarb_dag::{OpError, Outputs, Params, PartitionPlan, TaskContext};
use robocarb_dea::{DeaData, ProgramStatus, Returns, Score, ScoreKind};
use robocarb_panel::{Column, Frame};
use std::collections::BTreeMap;

const GLUE: &str = "ops/dea.rs";
const VARS_IN: [&str; 3] = ["labour", "capital", "energy"];
const VARS_GOOD: [&str; 1] = ["gdp_real"];
const VARS_BAD: [&str; 3] = ["so2", "dust", "wastewater"];

pub static DEA_INPUTS: FnOp = FnOp::new(
    "dea_inputs",
    &["ingest", "dea", "panel"],
    GLUE,
    &[
        ("yearbook", NODE, true),
        ("environment", NODE, true),
        ("cities", NODE, true),
    ],
    run_dea_inputs,
);
pub static DEA_FRONTIER: FnOp = FnOp::new(
    "dea_frontier",
    &["dea", "panel"],
    GLUE,
    &[("inputs", NODE, true)],
    run_frontier,
)
.partitioned(plan_frontier)
// One year's programs: small and short; a class of its own on a cluster.
.with_resources(Some(1), Some("1G"), Some("00:20:00"));
pub static DEA_ML: FnOp = FnOp::new(
    "dea_ml",
    &["dea", "panel"],
    GLUE,
    &[("inputs", NODE, true), ("frontier", NODE, true)],
    run_ml,
)
.partitioned(plan_ml)
.with_resources(Some(1), Some("1G"), Some("00:20:00"));
pub static TFP: FnOp = FnOp::new(
    "tfp",
    &["dea", "panel"],
    GLUE,
    &[("ml", NODE, true), ("frontier", NODE, true)],
    run_tfp,
);

fn years_of(names: &[String]) -> Vec<String> {
    let mut v: Vec<String> = names
        .iter()
        .filter(|n| n.len() == 4 && n.chars().all(|c| c.is_ascii_digit()))
        .cloned()
        .collect();
    v.sort();
    v
}

fn returns_name(r: Returns) -> &'static str {
    match r {
        Returns::Vrs => "vrs",
        Returns::Crs => "crs",
    }
}

fn returns(ctx: &TaskContext<'_>) -> Result<Returns, OpError> {
    match param_str(ctx, "returns")? {
        "vrs" => Ok(Returns::Vrs),
        "crs" => Ok(Returns::Crs),
        other => Err(OpError::new(format!(
            "returns must be \"vrs\" or \"crs\", not \"{other}\""
        ))),
    }
}

fn run_dea_inputs(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let yearbook = table_in(ctx, "yearbook")?;
    let (first_year, last_year) = super::panel::year_span(&yearbook)?;
    let parts = robocarb_ingest::PanelParts {
        city_list: table_in(ctx, "cities")?,
        first_year,
        last_year,
        yearbook: Some(yearbook),
        environment: Some(table_in(ctx, "environment")?),
        ..Default::default()
    };
    let adapted = robocarb_ingest::dea_inputs(&parts).map_err(|e| OpError::new(e.to_string()))?;
    let frame = adapted.frame;
    let frame = frame
        .sort_by(&["year", "city_code"])
        .map_err(op_err("sorting DEA inputs"))?;
    // The zero-data rule pools every year (min positive value of the variable / 100), so it is
    // applied here, before the data are split by year.
    let years: Vec<i64> = frame.i64("year").map_err(op_err("dea_inputs"))?.to_vec();
    let mut uniq = years.clone();
    uniq.dedup();
    let mut periods = Vec::new();
    let mut codes_by_year = Vec::new();
    for y in &uniq {
        let mask: Vec<bool> = years.iter().map(|v| v == y).collect();
        let part = frame.filter(&mask).map_err(op_err("dea_inputs"))?;
        periods.push(to_dea(&part, *y)?);
        codes_by_year.push(
            part.str("city_code")
                .map_err(op_err("dea_inputs"))?
                .to_vec(),
        );
    }
    let (replaced, report) =
        robocarb_dea::replace_zeros(&periods).map_err(op_err("zero-data rule"))?;
    let mut out = Outputs::new();
    let mut all = Frame::new();
    let mut all_rows: Vec<(String, i64, [f64; 7])> = Vec::new();
    for ((y, data), codes) in uniq.iter().zip(&replaced).zip(&codes_by_year) {
        let f = from_dea(codes, *y, data)?;
        out.insert(y.to_string(), f.encode());
        for (j, c) in codes.iter().enumerate() {
            let r = [
                data.inputs[j][0],
                data.inputs[j][1],
                data.inputs[j][2],
                data.good[j][0],
                data.bad[j][0],
                data.bad[j][1],
                data.bad[j][2],
            ];
            all_rows.push((c.clone(), *y, r));
        }
    }
    all_rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    all.push(
        "city_code",
        Column::Str(all_rows.iter().map(|r| r.0.clone()).collect()),
    )
    .map_err(op_err("dea_inputs"))?;
    all.push("year", Column::I64(all_rows.iter().map(|r| r.1).collect()))
        .map_err(op_err("dea_inputs"))?;
    for (k, name) in VARS_IN
        .iter()
        .chain(&VARS_GOOD)
        .chain(&VARS_BAD)
        .enumerate()
    {
        all.push(
            *name,
            Column::F64(all_rows.iter().map(|r| r.2[k]).collect()),
        )
        .map_err(op_err("dea_inputs"))?;
    }
    out.insert("table".into(), all.encode());
    let summary = serde_json::json!({
        "ingest": adapted.report,
        "zero_replacements": report.count,
        "replaced_by": report.replaced_by,
        "variables": VARS_IN.iter().chain(&VARS_GOOD).chain(&VARS_BAD).collect::<Vec<_>>(),
        "rule": "a zero is replaced by min(positive values of the variable over all years) / 100 (deaR convention)",
    });
    out.insert(
        "validation.json".into(),
        serde_json::to_vec_pretty(&summary).map_err(op_err("json"))?,
    );
    Ok(out)
}

fn to_dea(f: &Frame, year: i64) -> Result<DeaData, OpError> {
    let codes = f.str("city_code").map_err(op_err("dea_inputs"))?;
    let get = |names: &[&str]| -> Result<Vec<Vec<f64>>, OpError> {
        let cols: Vec<&[f64]> = names
            .iter()
            .map(|n| f.f64(n).map_err(op_err("dea_inputs")))
            .collect::<Result<_, _>>()?;
        (0..f.nrows())
            .map(|j| {
                names
                    .iter()
                    .zip(&cols)
                    .map(|(n, c)| {
                        let v = c[j];
                        if v.is_finite() {
                            Ok(v)
                        } else {
                            Err(OpError::new(format!(
                                "DEA input `{n}` is missing for city {} in {year}; every DEA variable must be observed (or interpolated) for every city-year",
                                codes[j]
                            )))
                        }
                    })
                    .collect()
            })
            .collect()
    };
    Ok(DeaData {
        inputs: get(&VARS_IN)?,
        good: get(&VARS_GOOD)?,
        bad: get(&VARS_BAD)?,
    })
}

fn from_dea(codes: &[String], year: i64, d: &DeaData) -> Result<Frame, OpError> {
    let mut f = Frame::new();
    f.push("city_code", Column::Str(codes.to_vec()))
        .map_err(op_err("dea"))?;
    f.push("year", Column::I64(vec![year; codes.len()]))
        .map_err(op_err("dea"))?;
    for (k, n) in VARS_IN.iter().enumerate() {
        f.push(*n, Column::F64(d.inputs.iter().map(|r| r[k]).collect()))
            .map_err(op_err("dea"))?;
    }
    for (k, n) in VARS_GOOD.iter().enumerate() {
        f.push(*n, Column::F64(d.good.iter().map(|r| r[k]).collect()))
            .map_err(op_err("dea"))?;
    }
    for (k, n) in VARS_BAD.iter().enumerate() {
        f.push(*n, Column::F64(d.bad.iter().map(|r| r[k]).collect()))
            .map_err(op_err("dea"))?;
    }
    Ok(f)
}

fn plan_frontier(_p: &Params, up: &UpstreamNames) -> Result<Option<Vec<PartitionPlan>>, OpError> {
    let years = years_of(up.get("inputs").map(Vec::as_slice).unwrap_or(&[]));
    Ok(Some(
        years
            .into_iter()
            .map(|y| PartitionPlan {
                key: y.clone(),
                reads: BTreeMap::from([("inputs".to_string(), vec![y])]),
            })
            .collect(),
    ))
}

fn plan_ml(_p: &Params, up: &UpstreamNames) -> Result<Option<Vec<PartitionPlan>>, OpError> {
    let years = years_of(up.get("inputs").map(Vec::as_slice).unwrap_or(&[]));
    Ok(Some(
        years
            .windows(2)
            .map(|w| PartitionPlan {
                key: format!("{}-{}", w[0], w[1]),
                reads: BTreeMap::from([
                    ("inputs".to_string(), vec![w[0].clone(), w[1].clone()]),
                    (
                        "frontier".to_string(),
                        vec![format!("{}/scores", w[0]), format!("{}/scores", w[1])],
                    ),
                ]),
            })
            .collect(),
    ))
}

fn progress_fn<'a>(ctx: &'a TaskContext<'_>) -> impl Fn(usize, usize) + Sync + 'a {
    move |done, total| (ctx.progress)(done as u64, total as u64)
}

fn run_frontier(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let year = ctx
        .partition
        .ok_or_else(|| OpError::new("dea_frontier runs per year"))?;
    let f = frame_in(ctx, "inputs", year)?;
    let y: i64 = year.parse().map_err(op_err("year"))?;
    let data = to_dea(&f, y)?;
    let progress = progress_fn(ctx);
    let rts = returns(ctx)?;
    let scores = robocarb_dea::frontier_scores(&data, rts, Some(&progress))
        .map_err(op_err(&format!("DEA {year}")))?;
    let codes = f.str("city_code").map_err(op_err("dea"))?;
    let mut frame = scores_frame(codes, y, &scores)?;
    // Recorded so that dea_ml can check it combines scores of the same technology.
    frame
        .push(
            "returns",
            Column::Str(vec![returns_name(rts).into(); codes.len()]),
        )
        .map_err(op_err("scores"))?;
    let mut out = Outputs::new();
    out.insert("scores".into(), frame.encode());
    Ok(out)
}

fn status_str(s: ProgramStatus) -> &'static str {
    match s {
        ProgramStatus::NotSolved => "not_solved",
        ProgramStatus::Optimal => "optimal",
        ProgramStatus::Infeasible => "infeasible",
    }
}

fn status_parse(s: &str) -> ProgramStatus {
    match s {
        "optimal" => ProgramStatus::Optimal,
        "infeasible" => ProgramStatus::Infeasible,
        _ => ProgramStatus::NotSolved,
    }
}

fn scores_frame(codes: &[String], year: i64, scores: &[Score]) -> Result<Frame, OpError> {
    let mut f = Frame::new();
    f.push("city_code", Column::Str(codes.to_vec()))
        .map_err(op_err("scores"))?;
    f.push("year", Column::I64(vec![year; codes.len()]))
        .map_err(op_err("scores"))?;
    f.push(
        "score",
        Column::F64(scores.iter().map(|s| s.value.unwrap_or(f64::NAN)).collect()),
    )
    .map_err(op_err("scores"))?;
    f.push(
        "super",
        Column::I64(
            scores
                .iter()
                .map(|s| i64::from(s.kind == ScoreKind::Super))
                .collect(),
        ),
    )
    .map_err(op_err("scores"))?;
    f.push(
        "sbm_status",
        Column::Str(
            scores
                .iter()
                .map(|s| status_str(s.sbm).to_string())
                .collect(),
        ),
    )
    .map_err(op_err("scores"))?;
    f.push(
        "super_status",
        Column::Str(
            scores
                .iter()
                .map(|s| status_str(s.super_sbm).to_string())
                .collect(),
        ),
    )
    .map_err(op_err("scores"))?;
    f.push(
        "infeasible",
        Column::I64(scores.iter().map(|s| i64::from(s.infeasible)).collect()),
    )
    .map_err(op_err("scores"))?;
    Ok(f)
}

fn scores_from(f: &Frame) -> Result<(Vec<String>, Vec<Score>), OpError> {
    let e = || op_err("scores");
    let codes = f.str("city_code").map_err(e())?.to_vec();
    let score = f.f64("score").map_err(e())?;
    let sup = f.i64("super").map_err(e())?;
    let s1 = f.str("sbm_status").map_err(e())?;
    let s2 = f.str("super_status").map_err(e())?;
    let inf = f.i64("infeasible").map_err(e())?;
    let scores = (0..codes.len())
        .map(|j| Score {
            value: if score[j].is_nan() {
                None
            } else {
                Some(score[j])
            },
            kind: if sup[j] == 1 {
                ScoreKind::Super
            } else {
                ScoreKind::Plain
            },
            sbm: status_parse(&s1[j]),
            super_sbm: status_parse(&s2[j]),
            infeasible: inf[j] == 1,
            slacks: None,
        })
        .collect();
    Ok((codes, scores))
}

fn run_ml(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let key = ctx
        .partition
        .ok_or_else(|| OpError::new("dea_ml runs per pair of years"))?;
    let (y0, y1) = key
        .split_once('-')
        .ok_or_else(|| OpError::new(format!("bad pair `{key}`")))?;
    let (t0, t1): (i64, i64) = (
        y0.parse().map_err(op_err("year"))?,
        y1.parse().map_err(op_err("year"))?,
    );
    let f0 = frame_in(ctx, "inputs", y0)?;
    let f1 = frame_in(ctx, "inputs", y1)?;
    let c0 = f0.str("city_code").map_err(op_err("dea"))?;
    let c1 = f1.str("city_code").map_err(op_err("dea"))?;
    if c0 != c1 {
        return Err(OpError::new(format!(
            "the Malmquist-Luenberger index needs the same cities in {y0} and {y1} ({} vs {} cities)",
            c0.len(),
            c1.len()
        )));
    }
    let rts = returns(ctx)?;
    let mut own = Vec::with_capacity(2);
    for y in [y0, y1] {
        let frame = frame_in(ctx, "frontier", &format!("{y}/scores"))?;
        let used = frame.str("returns").map_err(op_err("frontier scores"))?;
        if used.iter().any(|r| r != returns_name(rts)) {
            return Err(OpError::new(format!(
                "dea_ml uses returns = \"{}\" but dea_frontier scored {y} with another; give both nodes the same `returns`",
                returns_name(rts)
            )));
        }
        own.push(scores_from(&frame)?.1);
    }
    let (own0, own1) = (&own[0], &own[1]);
    let d0 = to_dea(&f0, t0)?;
    let d1 = to_dea(&f1, t1)?;
    let progress = progress_fn(ctx);
    // Each frontier spanned by its period's efficient units only: exact (the technology is the
    // same) and several times cheaper at county scale (robocarb_dea::cross_scores_on_efficient).
    let cross = robocarb_dea::cross_scores_on_efficient(&d0, &d1, own0, own1, rts, Some(&progress))
        .map_err(op_err(&format!("DEA {key}")))?;
    let rows =
        robocarb_dea::combine_pair(own0, own1, &cross).map_err(op_err(&format!("DEA {key}")))?;
    let n = rows.len();
    let val = |s: &Option<Score>| s.as_ref().and_then(|s| s.value).unwrap_or(f64::NAN);
    let opt = |v: Option<f64>| v.unwrap_or(f64::NAN);
    let mut f = Frame::new();
    let e = || op_err("ml");
    f.push("city_code", Column::Str(c1.to_vec())).map_err(e())?;
    f.push("year", Column::I64(vec![t1; n])).map_err(e())?;
    let columns: [(&str, Vec<f64>); 8] = [
        ("ML", rows.iter().map(|r| opt(r.ml)).collect()),
        ("TE", rows.iter().map(|r| opt(r.te)).collect()),
        ("TC", rows.iter().map(|r| opt(r.tc)).collect()),
        ("TP", rows.iter().map(|r| opt(r.tp)).collect()),
        (
            "eff_f0_d0",
            rows.iter().map(|r| opt(r.e_f0_d0.value)).collect(),
        ),
        ("eff_f0_d1", rows.iter().map(|r| val(&r.e_f0_d1)).collect()),
        ("eff_f1_d0", rows.iter().map(|r| val(&r.e_f1_d0)).collect()),
        (
            "eff_f1_d1",
            rows.iter().map(|r| opt(r.e_f1_d1.value)).collect(),
        ),
    ];
    for (name, values) in columns {
        f.push(name, Column::F64(values)).map_err(e())?;
    }
    f.push(
        "infeasible",
        Column::I64(rows.iter().map(|r| i64::from(r.infeasible)).collect()),
    )
    .map_err(e())?;
    let mut out = Outputs::new();
    out.insert("index".into(), f.encode());
    Ok(out)
}

/// Base-year rule: the first year has no index; the paper keeps N = 3,836, so the base year gets
/// ML = TE = TC = TP = 1 and `base_year = 1`, with `eff_f1_d1` its own-frontier score.
fn run_tfp(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let ml = ctx.node_outputs("ml")?;
    let frontier = ctx.node_outputs("frontier")?;
    let mut parts: Vec<Frame> = Vec::new();
    for (name, bytes) in ml {
        if name.ends_with("/index") {
            parts.push(Frame::decode(bytes).map_err(op_err(name))?);
        }
    }
    let first_year = frontier
        .keys()
        .filter_map(|k| k.strip_suffix("/scores"))
        .min()
        .map(str::to_string);
    let mut rows: Vec<(String, i64, [f64; 8], i64, i64)> = Vec::new();
    if let Some(y) = &first_year {
        let f = Frame::decode(&frontier[&format!("{y}/scores")]).map_err(op_err("frontier"))?;
        let (codes, scores) = scores_from(&f)?;
        let year: i64 = y.parse().map_err(op_err("year"))?;
        for (c, s) in codes.iter().zip(&scores) {
            let own = s.value.unwrap_or(f64::NAN);
            rows.push((
                c.clone(),
                year,
                [1.0, 1.0, 1.0, 1.0, f64::NAN, f64::NAN, f64::NAN, own],
                i64::from(s.infeasible),
                1,
            ));
        }
    }
    for f in &parts {
        let e = || op_err("tfp");
        let codes = f.str("city_code").map_err(e())?;
        let years = f.i64("year").map_err(e())?;
        let cols: Vec<&[f64]> = [
            "ML",
            "TE",
            "TC",
            "TP",
            "eff_f0_d0",
            "eff_f0_d1",
            "eff_f1_d0",
            "eff_f1_d1",
        ]
        .iter()
        .map(|n| f.f64(n).map_err(e()))
        .collect::<Result<_, _>>()?;
        let inf = f.i64("infeasible").map_err(e())?;
        for j in 0..codes.len() {
            let mut v = [0.0; 8];
            for (k, c) in cols.iter().enumerate() {
                v[k] = c[j];
            }
            rows.push((codes[j].clone(), years[j], v, inf[j], 0));
        }
    }
    rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let mut out_f = Frame::new();
    let e = || op_err("tfp");
    out_f
        .push(
            "city_code",
            Column::Str(rows.iter().map(|r| r.0.clone()).collect()),
        )
        .map_err(e())?;
    out_f
        .push("year", Column::I64(rows.iter().map(|r| r.1).collect()))
        .map_err(e())?;
    for (k, n) in [
        "ML",
        "TE",
        "TC",
        "TP",
        "eff_f0_d0",
        "eff_f0_d1",
        "eff_f1_d0",
        "eff_f1_d1",
    ]
    .iter()
    .enumerate()
    {
        out_f
            .push(*n, Column::F64(rows.iter().map(|r| r.2[k]).collect()))
            .map_err(e())?;
    }
    out_f
        .push(
            "infeasible",
            Column::I64(rows.iter().map(|r| r.3).collect()),
        )
        .map_err(e())?;
    out_f
        .push("base_year", Column::I64(rows.iter().map(|r| r.4).collect()))
        .map_err(e())?;
    let infeasible = rows.iter().filter(|r| r.3 == 1).count();
    let mut out = Outputs::new();
    out.insert("table".into(), out_f.encode());
    out.insert(
        "validation.json".into(),
        serde_json::to_vec_pretty(&serde_json::json!({
            "rows": rows.len(),
            "infeasible_city_years": infeasible,
            "base_year_rule": "the first year has no index; ML = TE = TC = TP = 1 there (base_year = 1), as the paper keeps every city-year",
        }))
        .map_err(op_err("json"))?,
    );
    Ok(out)
}
