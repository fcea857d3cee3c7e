//! Operation glue: each module binds one crate to the graph. An operation decodes its inputs,
//! calls its crate, and encodes its outputs; it holds no numerics of its own.

pub mod columns;
pub mod dea;
pub mod exposure;
pub mod ingest;
pub mod join;
pub mod model;
pub mod multiverse;
pub mod panel;
pub mod report;
pub mod table;
pub mod tables;

use crate::fingerprint::fingerprint;
use robocarb_dag::{
    OpError, Operation, Outputs, Params, PartitionPlan, Resources, SlotKind, SlotSpec, TaskContext,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, OnceLock};

/// Upstream output names per slot, as given to a partition planner.
pub type UpstreamNames = BTreeMap<String, Vec<String>>;
type RunFn = fn(&TaskContext<'_>) -> Result<Outputs, OpError>;
type PlanFn = fn(&Params, &UpstreamNames) -> Result<Option<Vec<PartitionPlan>>, OpError>;

/// An operation defined by plain functions.
pub struct FnOp {
    pub name: &'static str,
    /// Workspace crates the operation runs (for its code fingerprint).
    pub crates: &'static [&'static str],
    /// Its glue module, relative to `crates/pipeline/src`.
    pub glue: &'static str,
    pub slots: &'static [(&'static str, SlotKind, bool)],
    pub schema_version: u32,
    pub run: RunFn,
    pub plan: Option<PlanFn>,
    pub fingerprint: OnceLock<String>,
    /// Default cluster resources of one task: (cpus, mem, time), Slurm's notation.
    pub resources: (Option<u32>, Option<&'static str>, Option<&'static str>),
}

impl FnOp {
    pub const fn new(
        name: &'static str,
        crates: &'static [&'static str],
        glue: &'static str,
        slots: &'static [(&'static str, SlotKind, bool)],
        run: RunFn,
    ) -> Self {
        FnOp {
            name,
            crates,
            glue,
            slots,
            schema_version: 1,
            run,
            plan: None,
            fingerprint: OnceLock::new(),
            resources: (None, None, None),
        }
    }

    /// Default cluster resources of each task (a node's `resources` override them).
    pub const fn with_resources(
        mut self,
        cpus: Option<u32>,
        mem: Option<&'static str>,
        time: Option<&'static str>,
    ) -> Self {
        self.resources = (cpus, mem, time);
        self
    }

    pub const fn partitioned(mut self, plan: PlanFn) -> Self {
        self.plan = Some(plan);
        self
    }
}

impl Operation for FnOp {
    fn name(&self) -> &str {
        self.name
    }
    fn code_fingerprint(&self) -> String {
        self.fingerprint
            .get_or_init(|| fingerprint(self.crates, self.glue))
            .clone()
    }
    fn schema_version(&self) -> u32 {
        self.schema_version
    }
    fn slots(&self) -> Vec<SlotSpec> {
        self.slots
            .iter()
            .map(|&(name, kind, required)| SlotSpec {
                name,
                kind,
                required,
            })
            .collect()
    }
    fn partitions(
        &self,
        params: &Params,
        upstream: &UpstreamNames,
    ) -> Result<Option<Vec<PartitionPlan>>, OpError> {
        match self.plan {
            Some(p) => p(params, upstream),
            None => Ok(None),
        }
    }
    fn run(&self, ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
        (self.run)(ctx)
    }
    fn resources(&self) -> Resources {
        let (cpus, mem, time) = self.resources;
        Resources {
            cpus,
            mem: mem.map(str::to_string),
            time: time.map(str::to_string),
        }
    }
}

/// Required node slots named after the nodes they read (table and multiverse nodes, whose
/// inputs are the declarations they assemble).
pub fn required_node_slots(names: &[&'static str]) -> Vec<SlotSpec> {
    names
        .iter()
        .map(|&name| SlotSpec {
            name,
            kind: NODE,
            required: true,
        })
        .collect()
}

/// Shorthands for slot declarations.
pub const SRC: SlotKind = SlotKind::Source;
pub const NODE: SlotKind = SlotKind::Node;

/// Decode the table output `output` of the node bound to `slot`.
pub fn frame_in(
    ctx: &TaskContext<'_>,
    slot: &str,
    output: &str,
) -> Result<robocarb_panel::Frame, OpError> {
    let bytes = ctx.node_output(slot, output)?;
    robocarb_panel::Frame::decode(bytes)
        .map_err(|e| OpError::new(format!("input `{slot}` output `{output}`: {e}")))
}

/// The table output `output` of the node bound to `slot`, decoded once per process: tasks that
/// read the same bytes (a multiverse's specifications all read one panel) share the decoded
/// frame. Keyed by the bytes' content hash, so a different table is never mistaken for it.
pub fn shared_frame_in(
    ctx: &TaskContext<'_>,
    slot: &str,
    output: &str,
) -> Result<std::sync::Arc<robocarb_panel::Frame>, OpError> {
    use std::sync::Arc;
    type Cache = Mutex<Vec<(robocarb_dag::ContentHash, Arc<robocarb_panel::Frame>)>>;
    // A few recent tables (a multiverse's panel variants); each is a frame of the data node.
    const KEEP: usize = 8;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let bytes = ctx.node_output(slot, output)?;
    let key = ctx
        .node_output_hash(slot, output)
        .unwrap_or_else(|| robocarb_dag::ContentHash::of(bytes));
    let cache = CACHE.get_or_init(Default::default);
    if let Ok(c) = cache.lock() {
        if let Some((_, f)) = c.iter().find(|(k, _)| *k == key) {
            return Ok(Arc::clone(f));
        }
    }
    let frame = Arc::new(
        robocarb_panel::Frame::decode(bytes)
            .map_err(|e| OpError::new(format!("input `{slot}` output `{output}`: {e}")))?,
    );
    if let Ok(mut c) = cache.lock() {
        if !c.iter().any(|(k, _)| *k == key) {
            if c.len() >= KEEP {
                c.remove(0);
            }
            c.push((key, Arc::clone(&frame)));
        }
    }
    Ok(frame)
}

/// The main table of the node bound to `slot`.
pub fn table_in(ctx: &TaskContext<'_>, slot: &str) -> Result<robocarb_panel::Frame, OpError> {
    frame_in(ctx, slot, "table")
}

pub fn param_f64(ctx: &TaskContext<'_>, name: &str) -> Result<f64, OpError> {
    match ctx.params.get(name) {
        Some(robocarb_dag::ParamValue::Float(v)) => Ok(*v),
        Some(robocarb_dag::ParamValue::Int(v)) => Ok(*v as f64),
        _ => Err(OpError::new(format!(
            "node `{}`: parameter `{name}` missing or not a number",
            ctx.node
        ))),
    }
}

pub fn param_i64(ctx: &TaskContext<'_>, name: &str) -> Result<i64, OpError> {
    match ctx.params.get(name) {
        Some(robocarb_dag::ParamValue::Int(v)) => Ok(*v),
        _ => Err(OpError::new(format!(
            "node `{}`: parameter `{name}` missing or not an integer",
            ctx.node
        ))),
    }
}

pub fn param_str<'a>(ctx: &'a TaskContext<'_>, name: &str) -> Result<&'a str, OpError> {
    match ctx.params.get(name) {
        Some(robocarb_dag::ParamValue::Str(v)) => Ok(v),
        _ => Err(OpError::new(format!(
            "node `{}`: parameter `{name}` missing or not a string",
            ctx.node
        ))),
    }
}

/// A list-of-strings parameter (empty when absent; entries that are not strings are skipped).
pub fn param_strs<'a>(ctx: &'a TaskContext<'_>, name: &str) -> Vec<&'a str> {
    str_list(ctx.params.get(name))
}

/// The strings of a list value (empty when absent; entries that are not strings are skipped).
pub fn str_list(v: Option<&robocarb_dag::ParamValue>) -> Vec<&str> {
    match v {
        Some(robocarb_dag::ParamValue::List(v)) => v
            .iter()
            .filter_map(|x| match x {
                robocarb_dag::ParamValue::Str(s) => Some(s.as_str()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub fn param_bool(ctx: &TaskContext<'_>, name: &str) -> Result<bool, OpError> {
    match ctx.params.get(name) {
        Some(robocarb_dag::ParamValue::Bool(v)) => Ok(*v),
        _ => Err(OpError::new(format!(
            "node `{}`: parameter `{name}` missing or not a boolean",
            ctx.node
        ))),
    }
}

/// Any error type into an OpError with a prefix.
pub fn op_err<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> OpError + '_ {
    move |e| OpError::new(format!("{what}: {e}"))
}

/// Slot names live as long as the program: interned so loading a pipeline many times leaks nothing new.
pub fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut set = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(n) = set.get(name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}
