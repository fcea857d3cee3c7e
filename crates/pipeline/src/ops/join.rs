//! `attach_columns`: a table with columns of a lookup table joined on a key (many rows to one),
//! e.g. the panel with the province of each city from `cities`, so models can cluster by it.

use super::{op_err, param_str, table_in, FnOp, NODE};
use robocarb_dag::{OpError, Outputs, ParamValue, TaskContext};
use robocarb_panel::Column;
use std::collections::HashMap;

pub static ATTACH_COLUMNS: FnOp = FnOp::new(
    "attach_columns",
    &["panel"],
    "ops/join.rs",
    &[("table", NODE, true), ("lookup", NODE, true)],
    run,
);

/// The key column as text, whatever its type (integers and text keys join alike).
fn keys(c: &Column) -> Option<Vec<String>> {
    match c {
        Column::Str(v) => Some(v.clone()),
        Column::I64(v) => Some(v.iter().map(i64::to_string).collect()),
        Column::F64(_) => None,
    }
}

fn run(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let on = param_str(ctx, "on")?;
    let columns: Vec<&str> = match ctx.params.get("columns") {
        Some(ParamValue::List(v)) => v
            .iter()
            .filter_map(|x| match x {
                ParamValue::Str(s) => Some(s.as_str()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut table = table_in(ctx, "table")?;
    let lookup = table_in(ctx, "lookup")?;
    let key_of = |f: &robocarb_panel::Frame, what: &str| -> Result<Vec<String>, OpError> {
        let c = f
            .column(on)
            .ok_or_else(|| OpError::new(format!("`{what}` has no key column `{on}`")))?;
        keys(c)
            .ok_or_else(|| OpError::new(format!("key `{on}` of `{what}` must be text or integers")))
    };
    let mut row_of: HashMap<String, usize> = HashMap::new();
    for (i, k) in key_of(&lookup, "lookup")?.into_iter().enumerate() {
        if row_of.insert(k.clone(), i).is_some() {
            return Err(OpError::new(format!(
                "`lookup` has key `{k}` twice in `{on}`"
            )));
        }
    }
    let mut take = Vec::with_capacity(table.nrows());
    for (r, k) in key_of(&table, "table")?.iter().enumerate() {
        let i = row_of.get(k).ok_or_else(|| {
            OpError::new(format!(
                "row {} of `table`: key `{k}` is not in `lookup`",
                r + 1
            ))
        })?;
        take.push(*i);
    }
    let picked = lookup
        .select(&columns)
        .map_err(op_err("lookup columns"))?
        .take(&take)
        .map_err(op_err("join"))?;
    for (name, col) in picked.iter() {
        table.push(name, col.clone()).map_err(op_err("attach"))?;
    }
    let mut out = Outputs::new();
    out.insert("table".into(), table.encode());
    Ok(out)
}
