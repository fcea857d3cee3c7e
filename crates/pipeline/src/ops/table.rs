//! The `table` node: assembles the results of model nodes (and the statistics of test nodes) into
//! a regression table, as the pipeline file's `[tables.NAME]` declares it, and renders it in every
//! format with its comparison with the paper. Its input slots are the model and test nodes it
//! shows, so editing one model reruns that model and the tables that show it, nothing else.

use super::model::{ModelResult, TestStats};
use super::{intern, op_err, required_node_slots};
use crate::fingerprint::fingerprint;
use robocarb_dag::{OpError, Operation, Outputs, ParamValue, Params, SlotSpec, TaskContext};
use robocarb_report::{
    compare_regression, published, render, Comparison, Format, ReportTable, TableDoc,
};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// One column of a declared table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    pub label: String,
    /// The model node.
    pub model: String,
    /// `Some(k)`: the first stage of the k-th endogenous variable of an IV model.
    pub first_stage: Option<usize>,
    /// A test node (mediation, group difference) whose statistics join the column's.
    pub tests: Option<String>,
}

/// A declared regression table, as its node stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    pub title: String,
    pub columns: Vec<TableColumn>,
    /// Coefficient rows in order (sets expanded).
    pub rows: Vec<String>,
    pub notes: Vec<String>,
    /// The set whose use makes the "Controls" row say yes.
    pub controls: Option<String>,
    /// The published table to compare with, if any.
    pub paper: Option<String>,
}

fn s(v: &str) -> ParamValue {
    ParamValue::Str(v.to_string())
}
fn list(v: &[String]) -> ParamValue {
    ParamValue::List(v.iter().map(|x| s(x)).collect())
}

impl TableSpec {
    pub fn to_params(&self) -> Params {
        let mut p = Params::new();
        p.insert("title".into(), s(&self.title));
        p.insert("rows".into(), list(&self.rows));
        p.insert("notes".into(), list(&self.notes));
        if let Some(c) = &self.controls {
            p.insert("controls".into(), s(c));
        }
        if let Some(c) = &self.paper {
            p.insert("paper".into(), s(c));
        }
        for (i, c) in self.columns.iter().enumerate() {
            let k = format!("column.{:02}", i + 1);
            p.insert(format!("{k}.label"), s(&c.label));
            p.insert(format!("{k}.model"), s(&c.model));
            if let Some(st) = c.first_stage {
                p.insert(format!("{k}.first_stage"), ParamValue::Int(st as i64));
            }
            if let Some(t) = &c.tests {
                p.insert(format!("{k}.tests"), s(t));
            }
        }
        p
    }

    pub fn from_params(p: &Params) -> Result<TableSpec, OpError> {
        let get = |k: &str| match p.get(k) {
            Some(ParamValue::Str(v)) => Some(v.clone()),
            _ => None,
        };
        let strs = |k: &str| match p.get(k) {
            Some(ParamValue::List(v)) => v
                .iter()
                .filter_map(|x| match x {
                    ParamValue::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut columns = Vec::new();
        for i in 1.. {
            let k = format!("column.{i:02}");
            let Some(model) = get(&format!("{k}.model")) else {
                break;
            };
            columns.push(TableColumn {
                label: get(&format!("{k}.label")).unwrap_or_default(),
                model,
                first_stage: match p.get(&format!("{k}.first_stage")) {
                    Some(ParamValue::Int(v)) => Some(*v as usize),
                    _ => None,
                },
                tests: get(&format!("{k}.tests")),
            });
        }
        Ok(TableSpec {
            title: get("title").unwrap_or_default(),
            columns,
            rows: strs("rows"),
            notes: strs("notes"),
            controls: get("controls"),
            paper: get("paper"),
        })
    }

    /// The input slots: every model and test node the table reads (slot name = node name).
    pub fn inputs(&self) -> BTreeSet<String> {
        self.columns
            .iter()
            .flat_map(|c| std::iter::once(c.model.clone()).chain(c.tests.clone()))
            .collect()
    }
}

/// The `table` operation of one table node (its slots are the nodes it shows).
pub struct TableOp {
    slots: Vec<&'static str>,
}

impl TableOp {
    pub fn new(spec: &TableSpec) -> Self {
        TableOp {
            slots: spec.inputs().iter().map(|n| intern(n)).collect(),
        }
    }
}

impl Operation for TableOp {
    fn name(&self) -> &str {
        "table"
    }
    fn code_fingerprint(&self) -> String {
        static FP: OnceLock<String> = OnceLock::new();
        FP.get_or_init(|| fingerprint(&["report", "spec"], "ops/table.rs"))
            .clone()
    }
    fn slots(&self) -> Vec<SlotSpec> {
        required_node_slots(&self.slots)
    }
    fn run(&self, ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
        let spec = TableSpec::from_params(ctx.params)?;
        let doc = assemble(ctx.node, &spec, &|node: &str, output: &str| {
            ctx.node_output(node, output).map(<[u8]>::to_vec)
        })?;
        render_regression(&doc, spec.paper.as_deref())
    }
}

type ReadFn<'a> = dyn Fn(&str, &str) -> Result<Vec<u8>, OpError> + 'a;

/// Build the table from its columns' results; `read(node, output)` gives a node's output bytes.
pub fn assemble(name: &str, spec: &TableSpec, read: &ReadFn<'_>) -> Result<TableDoc, OpError> {
    let mut columns = Vec::new();
    for c in &spec.columns {
        let bytes = read(&c.model, "model.json")?;
        let r: ModelResult =
            serde_json::from_slice(&bytes).map_err(op_err(&format!("{}: model.json", c.model)))?;
        let mut col = match c.first_stage {
            None => r.column,
            Some(k) => r.first_stages.get(k).cloned().ok_or_else(|| {
                OpError::new(format!(
                    "table `{name}`, column {}: model `{}` ({}) has no first stage {}",
                    c.label,
                    c.model,
                    r.name,
                    k + 1
                ))
            })?,
        };
        col.label = c.label.clone();
        col.controls = spec
            .controls
            .as_ref()
            .is_some_and(|set| r.sets.contains(set));
        if let Some(t) = &c.tests {
            let stats: TestStats = serde_json::from_slice(&read(t, "tests.json")?)
                .map_err(op_err(&format!("{t}: tests.json")))?;
            col.extra.extend(stats);
        }
        columns.push(col);
    }
    Ok(TableDoc {
        table: name.to_string(),
        title: spec.title.clone(),
        columns,
        rows: spec.rows.clone(),
        notes: spec.notes.clone(),
    })
}

/// Render a table in every format, plus its comparison with the paper, as the node's outputs
/// (`NAME.json`, `.md`, `.tex`, `.csv`, `.html`, and `NAME_vs_paper.md|.csv|.json`).
pub fn render_outputs<T: ReportTable>(
    name: &str,
    table: &T,
    comparison: Option<Comparison>,
) -> Result<Outputs, OpError> {
    let mut out = Outputs::new();
    for format in Format::ALL {
        let text = render(table, format).map_err(op_err(&format!("rendering {name}")))?;
        out.insert(format!("{name}.{}", format.extension()), text.into_bytes());
    }
    if let Some(cmp) = comparison {
        for format in [Format::Markdown, Format::Csv, Format::Json] {
            let text =
                render(&cmp, format).map_err(op_err(&format!("rendering {name} vs paper")))?;
            out.insert(
                format!("{name}_vs_paper.{}", format.extension()),
                text.into_bytes(),
            );
        }
    }
    Ok(out)
}

/// Render a regression table, with its comparison with the published table `paper` if named.
pub fn render_regression(doc: &TableDoc, paper: Option<&str>) -> Result<Outputs, OpError> {
    let cmp = match paper {
        None => None,
        Some(p) => {
            let figures = published().map_err(op_err("published figures"))?;
            let mut as_paper = doc.clone();
            as_paper.table = p.to_string();
            Some(
                compare_regression(&as_paper, &figures)
                    .map_err(op_err("comparison with the paper"))?,
            )
        }
    };
    render_outputs(&doc.table, doc, cmp)
}
