//! Table 3: descriptive statistics of the variables the pipeline file lists, by `estimate`,
//! rendered by `report`. (The regression tables are generic: `model.rs` and `table.rs`.)

use super::table::render_outputs;
use super::{op_err, table_in, FnOp, NODE};
use robocarb_dag::{OpError, Outputs, ParamValue, TaskContext};
use robocarb_report::{compare_descriptive, published};

const PANEL_SLOT: &[(&str, robocarb_dag::SlotKind, bool)] = &[("panel", NODE, true)];
const CRATES: &[&str] = &["estimate", "report", "panel"];
const GLUE: &str = "ops/tables.rs";

pub static TABLE3: FnOp = FnOp::new("table3", CRATES, GLUE, PANEL_SLOT, run_table3);

fn run_table3(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let data = table_in(ctx, "panel")?;
    let vars: Vec<&str> = match ctx.params.get("variables") {
        Some(ParamValue::List(v)) => v
            .iter()
            .filter_map(|x| match x {
                ParamValue::Str(s) => Some(s.as_str()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if vars.is_empty() {
        return Err(OpError::new(format!(
            "node `{}`: `variables` lists no variable",
            ctx.node
        )));
    }
    let mut rows = Vec::new();
    for v in vars {
        let col = data.f64(v).map_err(|e| {
            OpError::new(format!(
                "table3: the panel has no numeric column `{v}` ({e})"
            ))
        })?;
        let d = robocarb_estimate::describe(col).map_err(op_err(v))?;
        rows.push(robocarb_report::DescriptiveRow {
            variable: v.to_string(),
            n: d.n as u64,
            mean: d.mean,
            sd: d.sd,
            min: d.min,
            median: d.median,
            max: d.max,
        });
    }
    let doc = robocarb_report::DescriptiveTable {
        table: "table3".into(),
        title: "Descriptive statistics (after winsorizing at the 1st/99th percentiles)".into(),
        rows,
        notes: vec!["Winsorized at the 1st and 99th percentiles over the pooled sample.".into()],
    };
    let paper = published().map_err(op_err("published figures"))?;
    let cmp = compare_descriptive(&doc, &paper);
    render_outputs("table3", &doc, Some(cmp))
}
