//! The `report` node: gathers every table and the figure data into a `ReportInput` and renders
//! the self-contained HTML report. Its inputs tolerate failure (`NodeOrFailure`): a table that
//! failed is shown with its error and the others are still rendered. The stored artifact is deterministic; the CLI adds the run's
//! graph state, durations and git provenance when it publishes `out/report.html`.

use super::{op_err, table_in, FnOp};
use robocarb_dag::{ContentHash, OpError, Outputs, SlotKind, TaskContext};
use robocarb_report::{
    html_report, DescriptiveTable, FailedTable, Provenance, ProvinceRobots, ReportInput,
    RobotTable, TableDoc, TfpYearMeans,
};

/// A node input that may have failed.
const NODE_OR_FAILURE: SlotKind = SlotKind::NodeOrFailure;
use std::collections::BTreeMap;

pub static REPORT: FnOp = FnOp::new(
    "report",
    &["report", "panel"],
    "ops/report.rs",
    &[
        ("table1", NODE_OR_FAILURE, true),
        ("table3", NODE_OR_FAILURE, true),
        ("table4", NODE_OR_FAILURE, false),
        ("table5", NODE_OR_FAILURE, false),
        ("table6", NODE_OR_FAILURE, false),
        ("table7", NODE_OR_FAILURE, false),
        ("table8", NODE_OR_FAILURE, false),
        ("table9", NODE_OR_FAILURE, false),
        ("panel", NODE_OR_FAILURE, true),
        ("tfp", NODE_OR_FAILURE, false),
        ("exposure", NODE_OR_FAILURE, false),
        ("cities", NODE_OR_FAILURE, false),
        // A multiverse's summary, when the run includes one (`robocarb multiverse NAME`).
        ("multiverse", NODE_OR_FAILURE, false),
    ],
    run_report,
);

fn json_in<T: serde::de::DeserializeOwned>(
    ctx: &TaskContext<'_>,
    slot: &str,
) -> Result<T, OpError> {
    let bytes = ctx.node_output(slot, &format!("{slot}.json"))?;
    serde_json::from_slice(bytes).map_err(op_err(&format!("{slot}.json")))
}

/// Means by year of a column, skipping missing values.
fn by_year(years: &[i64], v: &[f64]) -> BTreeMap<i64, Vec<f64>> {
    let mut m: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for (y, x) in years.iter().zip(v) {
        if x.is_finite() {
            m.entry(*y).or_default().push(*x);
        }
    }
    m
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Province code -> province name from the city list, when the node has it (codes stay codes
/// without it).
fn province_names(ctx: &TaskContext<'_>) -> Result<BTreeMap<String, String>, OpError> {
    if !present(ctx, "cities") {
        return Ok(BTreeMap::new());
    }
    let cities = table_in(ctx, "cities")?;
    let e = || op_err("city list");
    let codes = cities.str("province_code").map_err(e())?;
    let names = cities.str("province_name").map_err(e())?;
    Ok(codes.iter().cloned().zip(names.iter().cloned()).collect())
}

/// True when `slot` is bound to a node that produced its outputs.
fn present(ctx: &TaskContext<'_>, slot: &str) -> bool {
    ctx.has_input(slot) && ctx.failed_input(slot).is_none()
}

fn run_report(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let mut failed_tables = Vec::new();
    for slot in [
        "table1",
        "table3",
        "table4",
        "table5",
        "table6",
        "table7",
        "table8",
        "table9",
        "multiverse",
    ] {
        if let Some((node, error)) = ctx.failed_input(slot) {
            failed_tables.push(FailedTable {
                node: node.to_string(),
                error: error.to_string(),
            });
        }
    }
    let robot_table: Option<RobotTable> = present(ctx, "table1")
        .then(|| json_in(ctx, "table1"))
        .transpose()?;
    let descriptive: Option<DescriptiveTable> = present(ctx, "table3")
        .then(|| json_in(ctx, "table3"))
        .transpose()?;
    let mut tables: Vec<TableDoc> = Vec::new();
    for t in ["table4", "table5", "table6", "table7", "table8", "table9"] {
        if present(ctx, t) {
            tables.push(json_in(ctx, t)?);
        }
    }
    let mut robot_by_year = Vec::new();
    if present(ctx, "panel") {
        let panel = table_in(ctx, "panel")?;
        let years = panel.i64("year").map_err(op_err("panel"))?;
        let robot = panel.f64("ROBOT").map_err(op_err("panel"))?;
        robot_by_year = by_year(years, robot)
            .into_iter()
            .map(|(y, v)| (y as i32, v))
            .collect();
    }
    let mut tfp_by_year = Vec::new();
    if present(ctx, "tfp") {
        let tfp = table_in(ctx, "tfp")?;
        let ty = tfp.i64("year").map_err(op_err("tfp"))?;
        let te = by_year(ty, tfp.f64("TE").map_err(op_err("tfp"))?);
        let tc = by_year(ty, tfp.f64("TC").map_err(op_err("tfp"))?);
        let tp = by_year(ty, tfp.f64("TP").map_err(op_err("tfp"))?);
        for (y, v) in &te {
            tfp_by_year.push(TfpYearMeans {
                year: *y as i32,
                te: mean(v),
                tc: tc.get(y).map(|v| mean(v)).unwrap_or(f64::NAN),
                tp: tp.get(y).map(|v| mean(v)).unwrap_or(f64::NAN),
            });
        }
    }
    let mut province_robots = None;
    if present(ctx, "exposure") {
        let ex = table_in(ctx, "exposure")?;
        let ey = ex.i64("year").map_err(op_err("exposure"))?;
        let prov = ex.str("province_code").map_err(op_err("exposure"))?;
        let units = ex.f64("province_robots").map_err(op_err("exposure"))?;
        let names = province_names(ctx)?;
        if let Some(last) = ey.iter().max().copied() {
            let mut m: BTreeMap<String, f64> = BTreeMap::new();
            for i in 0..ey.len() {
                if ey[i] == last {
                    let name = names.get(&prov[i]).unwrap_or(&prov[i]);
                    m.insert(name.clone(), units[i]);
                }
            }
            province_robots = Some(ProvinceRobots {
                year: last as i32,
                stocks: m.into_iter().collect(),
            });
        }
    }
    let multiverse = if present(ctx, "multiverse") {
        Some(super::multiverse::report_section(
            ctx.node_outputs("multiverse")?,
        )?)
    } else {
        None
    };
    let mut input_hashes = Vec::new();
    for (slot, v) in &ctx.inputs {
        if let robocarb_dag::SlotValue::Node { node, outputs, .. } = v {
            for (name, bytes) in outputs {
                // Validation reports name the source files on this machine; they are not results.
                let result = (name.ends_with(".json") && !name.ends_with("validation.json"))
                    || name == "table";
                if result {
                    input_hashes.push((
                        format!("{slot} <- {node}/{name}"),
                        ContentHash::of(bytes).short(),
                    ));
                }
            }
        }
    }
    let mut seeds = Vec::new();
    for t in &tables {
        for c in &t.columns {
            if let Some(s) = c.extra.get("seed") {
                seeds.push((format!("{} {}", t.table, c.label), *s as u64));
            }
        }
    }
    seeds.dedup();
    let input = ReportInput {
        title: "Industrial robots and the CO2 emissions of Chinese cities: a reproduction".into(),
        robot_table,
        descriptive,
        tables,
        compare_with_paper: true,
        nodes: vec![],
        edges: vec![],
        robot_by_year,
        tfp_by_year,
        province_robots,
        provenance: Provenance {
            git_commit: String::new(),
            git_dirty: false,
            generated_at: None,
            node_keys: vec![],
            input_hashes,
            seeds,
            tool_versions: vec![("robocarb".into(), env!("CARGO_PKG_VERSION").into())],
        },
        failed_tables,
        multiverse,
    };
    let mut out = Outputs::new();
    out.insert("report.html".into(), html_report(&input).into_bytes());
    out.insert(
        "report_input.json".into(),
        serde_json::to_vec_pretty(&input).map_err(op_err("report input"))?,
    );
    Ok(out)
}
