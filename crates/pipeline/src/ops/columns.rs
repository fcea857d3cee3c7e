//! `replace_columns`: a table with some of its columns taken from another table with the same
//! rows, e.g. the paper's panel with the outcome as constructed, before winsorizing, from a
//! panel built without winsorizing (pipelines/calibration.toml).

use super::{op_err, param_strs, table_in, FnOp, NODE};
use robocarb_dag::{OpError, Outputs, TaskContext};

pub static REPLACE_COLUMNS: FnOp = FnOp::new(
    "replace_columns",
    &["panel"],
    "ops/columns.rs",
    &[("table", NODE, true), ("from", NODE, true)],
    run,
);

fn run(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let mut table = table_in(ctx, "table")?;
    let from = table_in(ctx, "from")?;
    for key in param_strs(ctx, "keys") {
        let (Some(a), Some(b)) = (table.column(key), from.column(key)) else {
            return Err(OpError::new(format!(
                "both tables need the key column `{key}`"
            )));
        };
        if a != b {
            return Err(OpError::new(format!(
                "`table` and `from` differ in `{key}`: their rows must be the same, in the same order"
            )));
        }
    }
    if table.nrows() != from.nrows() {
        return Err(OpError::new(format!(
            "`table` has {} rows and `from` {}: their rows must be the same",
            table.nrows(),
            from.nrows()
        )));
    }
    for name in param_strs(ctx, "columns") {
        if !table.has(name) {
            return Err(OpError::new(format!("`table` has no column `{name}`")));
        }
        let col = from
            .column(name)
            .ok_or_else(|| OpError::new(format!("`from` has no column `{name}`")))?
            .clone();
        table.set(name, col).map_err(op_err(name))?;
    }
    let mut out = Outputs::new();
    out.insert("table".into(), table.encode());
    Ok(out)
}
