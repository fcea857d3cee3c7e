//! Tasks that run in another process (a cluster job): the self-contained description a worker
//! needs ([`TaskSpec`]), the executor interface that takes such tasks ([`RemoteExecutor`]), and
//! [`run_task`], the one function that runs a task for both the local and a remote executor.
//!
//! A remote task proves it finished by what it wrote to the store (blobs, then its action entry);
//! the engine verifies that entry itself. What an executor reports only explains failures.

use crate::graph::{
    Binding, Graph, OpError, Outputs, Resources, SlotValue, SourceInput, TaskContext,
};
use crate::hash::ContentHash;
use crate::manifest::Manifest;
use crate::store::{ActionEntry, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

/// One task, planned: everything a worker needs besides the pipeline and the store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaskSpec {
    pub node: String,
    pub partition: Option<String>,
    pub key: ContentHash,
    pub manifest: Manifest,
    /// slot -> (upstream node, output name -> hash) of the upstream outputs this task reads.
    pub reads: BTreeMap<String, (String, BTreeMap<String, ContentHash>)>,
    /// slot -> (upstream node, its error) for tolerant slots whose upstream failed.
    #[serde(default)]
    pub failed_inputs: BTreeMap<String, (String, String)>,
    /// The node's resources (its own, else its operation's defaults).
    pub resources: Resources,
}

impl TaskSpec {
    /// `node` or `node[partition]`, for messages.
    pub fn label(&self) -> String {
        match &self.partition {
            Some(p) => format!("{}[{p}]", self.node),
            None => self.node.clone(),
        }
    }
}

/// An executor that runs tasks in other processes which share the store (a cluster).
pub trait RemoteExecutor: Sync {
    /// Run the independent tasks of one wave and return when every one has ended. For each task,
    /// `None` when nothing went wrong that the executor saw, or why it failed (the operation's
    /// error, the job's final state, the log's last lines). The engine treats a task as done only
    /// when its action entry is in the store and verified. `Err` aborts the whole run (a refused
    /// submission, an interrupt).
    fn run_wave(&self, tasks: &[TaskSpec]) -> Result<Vec<Option<String>>, String>;
}

/// Checks a worker makes before running a task planned by another process: the node exists, the
/// worker's code is the planner's, each source file still has the content that was planned (a
/// file changed on the shared filesystem since would give outputs under a wrong key).
pub fn check_spec(graph: &Graph, spec: &TaskSpec) -> Result<(), String> {
    let node = graph
        .node(&spec.node)
        .ok_or_else(|| format!("the pipeline has no node `{}`", spec.node))?;
    if spec.manifest.key() != spec.key {
        return Err(format!(
            "task {}: its manifest does not hash to its key",
            spec.label()
        ));
    }
    let code = node.op.code_fingerprint();
    if code != spec.manifest.code {
        return Err(format!(
            "task {}: this worker's code ({code}) differs from the coordinator's ({}); run the same robocarb build on every node",
            spec.label(),
            spec.manifest.code
        ));
    }
    for b in node.inputs.values() {
        if let Binding::Source(s) = b {
            let path = &graph.sources[s].path;
            let planned = source_hash(spec, s)?;
            let now = crate::source::hash_file(path)
                .map_err(|e| format!("source `{s}`: cannot read {}: {e}", path.display()))?;
            if now != planned {
                return Err(format!(
                    "source `{s}` ({}) changed after the run was planned; run again",
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

fn source_hash(spec: &TaskSpec, source: &str) -> Result<ContentHash, String> {
    let label = format!("source:{source}");
    spec.manifest
        .inputs
        .iter()
        .find(|i| i.label == label)
        .map(|i| i.hash)
        .ok_or_else(|| format!("source `{source}` was not hashed"))
}

/// Run one task: read its inputs from the store, run the operation, write its blobs, then its
/// action entry. Returns the entry, or the operation's error message.
pub fn run_task(
    graph: &Graph,
    store: &dyn Store,
    spec: &TaskSpec,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ActionEntry, String> {
    let node = graph
        .node(&spec.node)
        .ok_or_else(|| format!("the pipeline has no node `{}`", spec.node))?;
    let span = tracing::info_span!("task", node = %node.name, partition = ?spec.partition);
    let _g = span.enter();
    let start = Instant::now();
    let mut inputs = BTreeMap::new();
    for (slot, b) in &node.inputs {
        if let Binding::Source(s) = b {
            let source = &graph.sources[s];
            inputs.insert(
                slot.clone(),
                SlotValue::Source(SourceInput {
                    name: s.clone(),
                    path: source.path.clone(),
                    hash: source_hash(spec, s)?,
                    options: source.options.clone(),
                }),
            );
        }
    }
    for (slot, (upstream, error)) in &spec.failed_inputs {
        inputs.insert(
            slot.clone(),
            SlotValue::Failed {
                node: upstream.clone(),
                error: error.clone(),
            },
        );
    }
    for (slot, (upstream, outs)) in &spec.reads {
        let mut bytes = BTreeMap::new();
        for (o, h) in outs {
            let b = store
                .get_blob_shared(h)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("output `{o}` of `{upstream}` is missing from the store"))?;
            bytes.insert(o.clone(), b);
        }
        inputs.insert(
            slot.clone(),
            SlotValue::Node {
                node: upstream.clone(),
                outputs: bytes,
                hashes: outs.clone(),
            },
        );
    }
    let ctx = TaskContext {
        node: &node.name,
        partition: spec.partition.as_deref(),
        params: &node.params,
        inputs,
        progress,
    };
    let outputs: Outputs = node.op.run(&ctx).map_err(|e: OpError| e.message)?;
    let mut hashes = BTreeMap::new();
    for (name, bytes) in &outputs {
        let h = store.put_blob(bytes).map_err(|e| e.to_string())?;
        hashes.insert(name.clone(), h);
    }
    let entry = ActionEntry {
        key: spec.key,
        manifest: spec.manifest.clone(),
        outputs: hashes,
        duration_ms: start.elapsed().as_secs_f64() * 1e3,
        finished_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        warnings: vec![],
    };
    // The entry goes in only after all its blobs are durable.
    store.put_action(&entry).map_err(|e| e.to_string())?;
    Ok(entry)
}
