//! The engine: plans tasks, decides what is fresh, runs what is not (in parallel, in waves of
//! independent tasks), records results, and explains staleness.

use crate::exec::{Executor, Job};
use crate::graph::{Binding, Graph, NodeSpec, PartitionPlan, SlotKind};
use crate::hash::ContentHash;
use crate::manifest::{Change, Manifest, ManifestInput, ParamValue, Params};
use crate::remote::{run_task, RemoteExecutor, TaskSpec};
use crate::source::hash_with_cache;
use crate::store::{ActionEntry, NodeRecord, Store, StoreError};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// Engine errors.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("source `{name}`: cannot read {path}: {source}")]
    Source {
        name: String,
        path: String,
        source: std::io::Error,
    },
    #[error("node `{node}`: {message}")]
    Plan { node: String, message: String },
    /// The executor could not go on (a refused submission, an interrupt); tasks that finished
    /// before are in the store and a rerun starts from them.
    #[error("{0}")]
    Executor(String),
    #[error("{} node(s) failed:\n{}", .failures.len(), .failures.iter().map(|(n, m)| format!("  {n}: {m}")).collect::<Vec<_>>().join("\n"))]
    Failed {
        failures: Vec<(String, String)>,
        report: Box<RunReport>,
    },
}

/// The state of a node, as `status` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeState {
    Fresh,
    Stale,
    Missing,
}

/// Status of one node.
#[derive(Clone, Debug, Serialize)]
pub struct NodeStatus {
    pub node: String,
    pub state: NodeState,
    /// Human-readable reasons, one changed part per line.
    pub reasons: Vec<String>,
    /// True when something of the node itself changed (its code, parameters, a source it reads, or
    /// an upstream output that is already known to differ); false when it is stale only because an
    /// upstream node is stale (it reruns only if that upstream's output changes: early cutoff).
    pub direct: bool,
    /// Partitions (tasks) that are not fresh; empty for whole nodes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stale_partitions: Vec<String>,
}

/// What happened to a node in a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Executed,
    Cached,
    WouldExecute,
    Failed,
    Skipped,
}

/// One node's line in a run report.
#[derive(Clone, Debug, Serialize)]
pub struct NodeRun {
    pub node: String,
    pub outcome: Outcome,
    pub duration_ms: f64,
    pub tasks_executed: Vec<String>,
    pub tasks_cached: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Result of `run`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunReport {
    pub nodes: Vec<NodeRun>,
    /// Source files that had to be read to hash them (stat cache misses).
    pub sources_read: Vec<String>,
}

impl RunReport {
    pub fn executed(&self) -> Vec<&str> {
        self.nodes
            .iter()
            .filter(|n| n.outcome == Outcome::Executed)
            .map(|n| n.node.as_str())
            .collect()
    }
    pub fn cached(&self) -> Vec<&str> {
        self.nodes
            .iter()
            .filter(|n| n.outcome == Outcome::Cached)
            .map(|n| n.node.as_str())
            .collect()
    }
}

/// Options of `run`.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub targets: Vec<String>,
    pub force: BTreeSet<String>,
    pub dry_run: bool,
}

/// Receives events while running (the CLI prints lines and progress bars).
pub trait EventSink: Sync {
    fn node_finished(&self, _run: &NodeRun) {}
    fn progress(&self, _node: &str, _done: u64, _total: u64) {}
}

/// An event sink that ignores everything.
pub struct Silent;
impl EventSink for Silent {}

/// Where the tasks of a run go.
#[derive(Clone, Copy)]
enum Runner<'e> {
    Local(&'e dyn Executor),
    Remote(&'e dyn RemoteExecutor),
}

/// A planned task: its manifest, key, and where its inputs come from.
struct Task {
    partition: Option<String>,
    manifest: Manifest,
    key: ContentHash,
    /// slot -> (node, output names read) for node slots
    reads: BTreeMap<String, (String, Vec<String>)>,
    /// slot -> (node, error) for tolerant slots whose upstream failed
    failed_inputs: BTreeMap<String, (String, String)>,
}

/// The engine over a checked graph and a store.
pub struct Engine<'a> {
    graph: &'a Graph,
    store: &'a dyn Store,
}

/// Outputs of a resolved node: output name -> hash (partitioned nodes: `partition/name`).
type Resolved = BTreeMap<String, ContentHash>;

/// slot -> output names read.
type Reads = BTreeMap<String, Vec<String>>;

impl<'a> Engine<'a> {
    pub fn new(graph: &'a Graph, store: &'a dyn Store) -> Self {
        Engine { graph, store }
    }

    pub fn graph(&self) -> &Graph {
        self.graph
    }

    /// Hash every source that the given nodes read (stat cache first).
    fn hash_sources(
        &self,
        nodes: &[usize],
    ) -> Result<(BTreeMap<String, ContentHash>, Vec<String>), EngineError> {
        let mut names = BTreeSet::new();
        for &i in nodes {
            for b in self.graph.nodes()[i].inputs.values() {
                if let Binding::Source(s) = b {
                    names.insert(s.clone());
                }
            }
        }
        let mut cache = self.store.get_stat_cache()?;
        let before = cache.clone();
        let mut out = BTreeMap::new();
        let mut read = Vec::new();
        for name in names {
            let spec = &self.graph.sources[&name];
            let (h, was_read) =
                hash_with_cache(&spec.path, &mut cache).map_err(|source| EngineError::Source {
                    name: name.clone(),
                    path: spec.path.display().to_string(),
                    source,
                })?;
            if was_read {
                read.push(name.clone());
            }
            out.insert(name, h);
        }
        if cache != before {
            self.store.put_stat_cache(&cache)?;
        }
        Ok((out, read))
    }

    /// Plan the tasks of `node`, given resolved upstream outputs and the errors of failed
    /// upstream nodes (read only through [`SlotKind::NodeOrFailure`] slots).
    fn plan(
        &self,
        node: &NodeSpec,
        sources: &BTreeMap<String, ContentHash>,
        resolved: &BTreeMap<String, Resolved>,
        errors: &BTreeMap<String, String>,
    ) -> Result<Vec<Task>, EngineError> {
        let mut base_params: Params = node.params.clone();
        let mut source_inputs = Vec::new();
        let mut upstream_names: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut failed_inputs = BTreeMap::new();
        for (slot, b) in &node.inputs {
            match b {
                Binding::Source(s) => {
                    let spec = &self.graph.sources[s];
                    source_inputs.push(ManifestInput {
                        label: format!("source:{s}"),
                        hash: sources[s],
                        note: spec.path.display().to_string(),
                    });
                    for (k, v) in &spec.options {
                        base_params
                            .insert(format!("source.{slot}.{k}"), ParamValue::Str(v.clone()));
                    }
                }
                Binding::Node(t) => match (resolved.get(t), errors.get(t)) {
                    (Some(outs), _) => {
                        upstream_names.insert(slot.clone(), outs.keys().cloned().collect());
                    }
                    (None, Some(error)) => {
                        // The error is part of the key: the task reruns when it changes.
                        source_inputs.push(ManifestInput {
                            label: format!("{slot}/failed"),
                            hash: ContentHash::of(error.as_bytes()),
                            note: error.clone(),
                        });
                        failed_inputs.insert(slot.clone(), (t.clone(), error.clone()));
                    }
                    (None, None) => {
                        return Err(EngineError::Plan {
                            node: node.name.clone(),
                            message: format!("upstream node `{t}` has no outputs"),
                        })
                    }
                },
            }
        }
        let plans: Option<Vec<PartitionPlan>> = node
            .op
            .partitions(&node.params, &upstream_names)
            .map_err(|e| EngineError::Plan {
            node: node.name.clone(),
            message: e.message,
        })?;
        let plans: Vec<(Option<String>, Reads)> = match plans {
            None => vec![(None, upstream_names.clone())],
            Some(ps) => ps.into_iter().map(|p| (Some(p.key), p.reads)).collect(),
        };
        let code = node.op.code_fingerprint();
        let mut tasks = Vec::with_capacity(plans.len());
        for (partition, reads) in plans {
            let mut inputs = source_inputs.clone();
            let mut task_reads = BTreeMap::new();
            for (slot, outs) in reads {
                let Some(Binding::Node(t)) = node.inputs.get(&slot) else {
                    return Err(EngineError::Plan {
                        node: node.name.clone(),
                        message: format!("partition plan reads unknown node slot `{slot}`"),
                    });
                };
                for o in &outs {
                    let Some(h) = resolved[t].get(o) else {
                        return Err(EngineError::Plan {
                            node: node.name.clone(),
                            message: format!(
                                "partition plan reads `{t}` output `{o}`, which does not exist"
                            ),
                        });
                    };
                    inputs.push(ManifestInput {
                        label: format!("{slot}/{o}"),
                        hash: *h,
                        note: String::new(),
                    });
                }
                task_reads.insert(slot, (t.clone(), outs));
            }
            let manifest = Manifest {
                op: node.op.name().to_string(),
                code: code.clone(),
                schema_version: node.op.schema_version(),
                partition: partition.clone(),
                params: base_params.clone(),
                inputs,
            };
            let key = manifest.key();
            tasks.push(Task {
                partition,
                manifest,
                key,
                reads: task_reads,
                failed_inputs: failed_inputs.clone(),
            });
        }
        Ok(tasks)
    }

    /// A cached action whose outputs are all present and intact.
    fn cached(&self, key: &ContentHash) -> Result<Option<ActionEntry>, EngineError> {
        let Some(entry) = self.store.get_action(key)? else {
            return Ok(None);
        };
        for h in entry.outputs.values() {
            if !self.store.has_valid_blob(h)? {
                return Ok(None);
            }
        }
        Ok(Some(entry))
    }

    fn collect_outputs(tasks: &[(Option<String>, BTreeMap<String, ContentHash>)]) -> Resolved {
        let mut out = Resolved::new();
        for (p, outs) in tasks {
            for (name, h) in outs {
                let key = match p {
                    Some(p) => format!("{p}/{name}"),
                    None => name.clone(),
                };
                out.insert(key, *h);
            }
        }
        out
    }

    /// Status of every node in the closure of `targets` (all nodes when empty). Executes nothing.
    pub fn status(&self, targets: &[String]) -> Result<Vec<NodeStatus>, EngineError> {
        Ok(self.status_and_outputs(targets)?.0)
    }

    /// The outputs of `node` for the current sources, code and parameters, if they are in the
    /// store (the node is fresh), whichever build made them. Unlike [`Engine::last_outputs`] this
    /// does not answer with the last build when that was made from other inputs (e.g. another
    /// sources file since). Executes nothing.
    pub fn current_outputs(&self, node: &str) -> Result<Option<Resolved>, EngineError> {
        let (_, mut resolved) = self.status_and_outputs(&[node.to_string()])?;
        Ok(resolved.remove(node))
    }

    /// [`Engine::status`], plus the outputs of every fresh node.
    fn status_and_outputs(
        &self,
        targets: &[String],
    ) -> Result<(Vec<NodeStatus>, BTreeMap<String, Resolved>), EngineError> {
        let order = self.graph.closure(targets)?;
        let (sources, _) = self.hash_sources(&order)?;
        let mut resolved: BTreeMap<String, Resolved> = BTreeMap::new();
        let mut out = Vec::new();
        for &i in &order {
            let node = &self.graph.nodes()[i];
            let record = self.store.get_record(&node.name)?;
            let ups = self.graph.upstream_of(&node.name);
            let unresolved: Vec<&String> =
                ups.iter().filter(|u| !resolved.contains_key(*u)).collect();
            if !unresolved.is_empty() {
                let mut reasons: Vec<String> = unresolved
                    .iter()
                    .map(|u| format!("upstream `{u}` is not fresh"))
                    .collect();
                let own = match &record {
                    Some(rec) => self.own_changes(node, rec, &sources, &resolved)?,
                    None => vec![],
                };
                let direct = !own.is_empty();
                reasons.extend(own.iter().map(|c| c.to_string()));
                let state = if record.is_some() {
                    NodeState::Stale
                } else {
                    NodeState::Missing
                };
                out.push(NodeStatus {
                    node: node.name.clone(),
                    state,
                    reasons,
                    direct,
                    stale_partitions: vec![],
                });
                continue;
            }
            let tasks = self.plan(node, &sources, &resolved, &BTreeMap::new())?;
            let mut fresh_outputs = Vec::new();
            let mut stale_parts = Vec::new();
            let mut reasons = Vec::new();
            for t in &tasks {
                match self.cached(&t.key)? {
                    Some(entry) => fresh_outputs.push((t.partition.clone(), entry.outputs)),
                    None => {
                        let pname = t.partition.clone().unwrap_or_default();
                        let prefix = t
                            .partition
                            .as_ref()
                            .map(|p| format!("partition {p}: "))
                            .unwrap_or_default();
                        match record.as_ref().and_then(|r| r.tasks.get(&pname)) {
                            Some(old_key) => match self.store.get_action(old_key)? {
                                Some(old) => {
                                    let changes = t.manifest.diff(&old.manifest);
                                    if changes.is_empty() {
                                        reasons.push(format!(
                                            "{prefix}outputs missing or corrupted in the store"
                                        ));
                                    }
                                    reasons.extend(changes.iter().map(|c| format!("{prefix}{c}")));
                                }
                                None => reasons
                                    .push(format!("{prefix}previous build no longer in the store")),
                            },
                            None if record.is_some() => {
                                reasons.push(format!("{prefix}new partition"))
                            }
                            None => {}
                        }
                        stale_parts.push(pname);
                    }
                }
            }
            if stale_parts.is_empty() {
                resolved.insert(node.name.clone(), Self::collect_outputs(&fresh_outputs));
                out.push(NodeStatus {
                    node: node.name.clone(),
                    state: NodeState::Fresh,
                    reasons: vec![],
                    direct: false,
                    stale_partitions: vec![],
                });
            } else {
                let state = if record.is_some() {
                    NodeState::Stale
                } else {
                    NodeState::Missing
                };
                if state == NodeState::Missing {
                    reasons.push("never built".into());
                }
                let partitioned = tasks.iter().any(|t| t.partition.is_some());
                out.push(NodeStatus {
                    node: node.name.clone(),
                    state,
                    reasons,
                    direct: true,
                    stale_partitions: if partitioned { stale_parts } else { vec![] },
                });
            }
        }
        Ok((out, resolved))
    }

    /// Changes of a node's own parts (code, parameters, sources) against its last build, for a node
    /// whose upstream outputs are not yet known (those inputs are taken as unchanged).
    fn own_changes(
        &self,
        node: &NodeSpec,
        record: &NodeRecord,
        sources: &BTreeMap<String, ContentHash>,
        resolved: &BTreeMap<String, Resolved>,
    ) -> Result<Vec<Change>, EngineError> {
        let Some(old_key) = record.tasks.values().next() else {
            return Ok(vec![]);
        };
        let Some(old) = self.store.get_action(old_key)? else {
            return Ok(vec![]);
        };
        let mut candidate = old.manifest.clone();
        candidate.code = node.op.code_fingerprint();
        candidate.schema_version = node.op.schema_version();
        let mut params = node.params.clone();
        for (slot, b) in &node.inputs {
            match b {
                Binding::Source(s) => {
                    for (k, v) in &self.graph.sources[s].options {
                        params.insert(format!("source.{slot}.{k}"), ParamValue::Str(v.clone()));
                    }
                    let label = format!("source:{s}");
                    if let Some(inp) = candidate.inputs.iter_mut().find(|i| i.label == label) {
                        inp.hash = sources[s];
                        inp.note = self.graph.sources[s].path.display().to_string();
                    }
                }
                Binding::Node(t) => {
                    if let Some(res) = resolved.get(t) {
                        let prefix = format!("{slot}/");
                        for inp in candidate
                            .inputs
                            .iter_mut()
                            .filter(|i| i.label.starts_with(&prefix))
                        {
                            if let Some(h) = res.get(&inp.label[prefix.len()..]) {
                                inp.hash = *h;
                            }
                        }
                    }
                }
            }
        }
        candidate.params = params;
        Ok(candidate.diff(&old.manifest))
    }

    /// Why `node` is not fresh: its own reasons, then those of each upstream node that is not fresh,
    /// down to the root causes.
    pub fn why(&self, node: &str) -> Result<Vec<NodeStatus>, EngineError> {
        let statuses = self.status(&[node.to_string()])?;
        let by_name: BTreeMap<&str, &NodeStatus> =
            statuses.iter().map(|s| (s.node.as_str(), s)).collect();
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut stack = vec![node.to_string()];
        while let Some(n) = stack.pop() {
            if !seen.insert(n.clone()) {
                continue;
            }
            let Some(s) = by_name.get(n.as_str()) else {
                continue;
            };
            if s.state == NodeState::Fresh && n != node {
                continue;
            }
            out.push((*s).clone());
            let mut ups = self.graph.upstream_of(&n);
            ups.reverse();
            for u in ups {
                if by_name
                    .get(u.as_str())
                    .is_some_and(|s| s.state != NodeState::Fresh)
                {
                    stack.push(u);
                }
            }
        }
        Ok(out)
    }

    /// Run `opts.targets` (and what they need), each wave's tasks as jobs of `executor`.
    pub fn run(
        &self,
        opts: &RunOptions,
        executor: &dyn Executor,
        events: &dyn EventSink,
    ) -> Result<RunReport, EngineError> {
        self.run_on(opts, Runner::Local(executor), events)
    }

    /// [`Engine::run`] with each wave's tasks handed to a remote executor (a cluster) as task
    /// specs. What is stale is decided exactly as for a local run; a task counts as done only when
    /// its action entry is in the store and its blobs verify.
    pub fn run_remote(
        &self,
        opts: &RunOptions,
        executor: &dyn RemoteExecutor,
        events: &dyn EventSink,
    ) -> Result<RunReport, EngineError> {
        self.run_on(opts, Runner::Remote(executor), events)
    }

    fn run_on(
        &self,
        opts: &RunOptions,
        runner: Runner<'_>,
        events: &dyn EventSink,
    ) -> Result<RunReport, EngineError> {
        for f in &opts.force {
            if self.graph.node(f).is_none() {
                return Err(crate::graph::GraphError::NoSuchNode(f.clone()).into());
            }
        }
        let order = self.graph.closure(&opts.targets)?;
        let (sources, sources_read) = self.hash_sources(&order)?;
        let mut report = RunReport {
            nodes: vec![],
            sources_read,
        };
        let mut resolved: BTreeMap<String, Resolved> = BTreeMap::new();
        // Nodes without outputs: failed, skipped, or (dry run) would execute.
        let mut failed: BTreeSet<String> = BTreeSet::new();
        // The error of each failed or skipped node, for tolerant downstream slots.
        let mut errors: BTreeMap<String, String> = BTreeMap::new();
        let mut failures = Vec::new();
        let mut pending: Vec<usize> = order.clone();
        while !pending.is_empty() {
            // A wave: every pending node whose upstream nodes are all done.
            let mut wave = Vec::new();
            let mut rest = Vec::new();
            for &i in &pending {
                let node = &self.graph.nodes()[i];
                let slots = node.op.slots();
                let tolerant = |slot: &str| {
                    slots
                        .iter()
                        .any(|s| s.name == slot && s.kind == SlotKind::NodeOrFailure)
                };
                let mut blocked_by = None;
                let mut ready = true;
                for (slot, b) in &node.inputs {
                    let Binding::Node(u) = b else { continue };
                    if failed.contains(u) {
                        if !(tolerant(slot) && errors.contains_key(u)) {
                            blocked_by.get_or_insert(u.clone());
                        }
                    } else if !resolved.contains_key(u) {
                        ready = false;
                    }
                }
                if let Some(u) = blocked_by {
                    let name = node.name.clone();
                    failed.insert(name.clone());
                    // Name the root cause, not only the direct upstream.
                    let cause = match errors.get(&u) {
                        Some(e) if e.starts_with("not run: ") => e.clone(),
                        Some(e) => format!("not run: upstream node `{u}` failed: {e}"),
                        None => format!("not run: upstream node `{u}` failed"),
                    };
                    errors.insert(name.clone(), cause);
                    let run = NodeRun {
                        node: name,
                        outcome: Outcome::Skipped,
                        duration_ms: 0.0,
                        tasks_executed: vec![],
                        tasks_cached: 0,
                        error: Some("an upstream node failed".into()),
                    };
                    events.node_finished(&run);
                    report.nodes.push(run);
                } else if ready {
                    wave.push(i);
                } else {
                    rest.push(i);
                }
            }
            pending = rest
                .into_iter()
                .filter(|i| !failed.contains(&self.graph.nodes()[*i].name))
                .collect();
            if wave.is_empty() {
                break;
            }
            // Plan every task of the wave and split hits from misses.
            struct NodeWork {
                i: usize,
                tasks: Vec<Task>,
                hits: Vec<Option<ActionEntry>>,
            }
            let mut works = Vec::new();
            for &i in &wave {
                let node = &self.graph.nodes()[i];
                let tasks = match self.plan(node, &sources, &resolved, &errors) {
                    Ok(t) => t,
                    Err(e) => {
                        failed.insert(node.name.clone());
                        errors.insert(node.name.clone(), e.to_string());
                        failures.push((node.name.clone(), e.to_string()));
                        let run = NodeRun {
                            node: node.name.clone(),
                            outcome: Outcome::Failed,
                            duration_ms: 0.0,
                            tasks_executed: vec![],
                            tasks_cached: 0,
                            error: Some(e.to_string()),
                        };
                        events.node_finished(&run);
                        report.nodes.push(run);
                        continue;
                    }
                };
                let forced = opts.force.contains(&node.name);
                let mut hits = Vec::with_capacity(tasks.len());
                for t in &tasks {
                    hits.push(if forced { None } else { self.cached(&t.key)? });
                }
                works.push(NodeWork { i, tasks, hits });
            }
            if opts.dry_run {
                for w in &works {
                    let node = &self.graph.nodes()[w.i];
                    let misses: Vec<String> = w
                        .tasks
                        .iter()
                        .zip(&w.hits)
                        .filter(|(_, h)| h.is_none())
                        .map(|(t, _)| t.partition.clone().unwrap_or_default())
                        .collect();
                    let run = NodeRun {
                        node: node.name.clone(),
                        outcome: if misses.is_empty() {
                            Outcome::Cached
                        } else {
                            Outcome::WouldExecute
                        },
                        duration_ms: 0.0,
                        tasks_cached: w.tasks.len() - misses.len(),
                        tasks_executed: misses.clone(),
                        error: None,
                    };
                    events.node_finished(&run);
                    report.nodes.push(run);
                    if misses.is_empty() {
                        let outs: Vec<_> = w
                            .tasks
                            .iter()
                            .zip(&w.hits)
                            .filter_map(|(t, h)| {
                                h.as_ref().map(|h| (t.partition.clone(), h.outputs.clone()))
                            })
                            .collect();
                        resolved.insert(node.name.clone(), Self::collect_outputs(&outs));
                    } else {
                        // Downstream of a node that would execute: its outputs are unknown.
                        failed.insert(node.name.clone());
                    }
                }
                continue;
            }
            // Every miss, as a self-contained task, in the order of `results`.
            let resolved_now = &resolved;
            let specs: Vec<TaskSpec> = works
                .iter()
                .flat_map(|w| {
                    let node = &self.graph.nodes()[w.i];
                    w.tasks
                        .iter()
                        .zip(&w.hits)
                        .filter(|(_, h)| h.is_none())
                        .map(move |(t, _)| Self::spec(node, t, resolved_now))
                })
                .collect();
            let results: Vec<Mutex<Option<Result<ActionEntry, String>>>> =
                specs.iter().map(|_| Mutex::new(None)).collect();
            let mut job_map: Vec<Vec<Option<usize>>> = Vec::new();
            let mut slot_ix = 0;
            for w in &works {
                let map = w
                    .hits
                    .iter()
                    .map(|h| {
                        h.is_none().then(|| {
                            slot_ix += 1;
                            slot_ix - 1
                        })
                    })
                    .collect();
                job_map.push(map);
            }
            match runner {
                Runner::Local(executor) => {
                    let mut jobs: Vec<Job<'_>> = Vec::with_capacity(specs.len());
                    for (spec, result_slot) in specs.iter().zip(&results) {
                        let (graph, store) = (self.graph, self.store);
                        jobs.push(Box::new(move || {
                            let name = spec.node.clone();
                            let progress =
                                move |done: u64, total: u64| events.progress(&name, done, total);
                            let r = run_task(graph, store, spec, &progress);
                            if let Ok(mut g) = result_slot.lock() {
                                *g = Some(r);
                            }
                        }));
                    }
                    executor.execute(jobs);
                }
                Runner::Remote(executor) if !specs.is_empty() => {
                    let ends = executor.run_wave(&specs).map_err(EngineError::Executor)?;
                    for ((spec, end), result_slot) in specs.iter().zip(ends).zip(&results) {
                        // Completion is what the store proves; the executor only explains failures.
                        let r = match (end, self.cached(&spec.key)?) {
                            (Some(why), _) => Err(why),
                            (None, Some(entry)) => Ok(entry),
                            (None, None) => {
                                Err("its job ended without a verified action entry in the store"
                                    .into())
                            }
                        };
                        if let Ok(mut g) = result_slot.lock() {
                            *g = Some(r);
                        }
                    }
                }
                Runner::Remote(_) => {}
            }
            // Record results node by node, in topological order.
            for (w, map) in works.iter().zip(&job_map) {
                let node = &self.graph.nodes()[w.i];
                let mut outs = Vec::new();
                let mut executed = Vec::new();
                let mut cached = 0;
                let mut duration = 0.0;
                let mut error = None;
                for ((t, hit), ix) in w.tasks.iter().zip(&w.hits).zip(map) {
                    match (hit, ix) {
                        (Some(entry), _) => {
                            cached += 1;
                            outs.push((t.partition.clone(), entry.outputs.clone()));
                        }
                        (None, Some(ix)) => {
                            let r = results[*ix].lock().ok().and_then(|mut g| g.take());
                            match r {
                                Some(Ok(entry)) => {
                                    duration += entry.duration_ms;
                                    executed.push(t.partition.clone().unwrap_or_default());
                                    outs.push((t.partition.clone(), entry.outputs));
                                }
                                Some(Err(msg)) => {
                                    let where_ = t
                                        .partition
                                        .as_ref()
                                        .map(|p| format!("partition {p}: "))
                                        .unwrap_or_default();
                                    error.get_or_insert(format!("{where_}{msg}"));
                                }
                                None => {
                                    error.get_or_insert("task did not run".to_string());
                                }
                            }
                        }
                        (None, None) => {}
                    }
                }
                let run = if let Some(msg) = error {
                    failed.insert(node.name.clone());
                    errors.insert(node.name.clone(), msg.clone());
                    failures.push((node.name.clone(), msg.clone()));
                    NodeRun {
                        node: node.name.clone(),
                        outcome: Outcome::Failed,
                        duration_ms: duration,
                        tasks_executed: executed,
                        tasks_cached: cached,
                        error: Some(msg),
                    }
                } else {
                    let record = NodeRecord {
                        tasks: w
                            .tasks
                            .iter()
                            .map(|t| (t.partition.clone().unwrap_or_default(), t.key))
                            .collect(),
                    };
                    // Rewrite the record only when it changed: a no-op run writes nothing.
                    let current = self.store.get_record(&node.name)?;
                    if current.as_ref().map(|c| &c.tasks) != Some(&record.tasks) {
                        self.store.put_record(&node.name, &record)?;
                    }
                    resolved.insert(node.name.clone(), Self::collect_outputs(&outs));
                    NodeRun {
                        node: node.name.clone(),
                        outcome: if executed.is_empty() {
                            Outcome::Cached
                        } else {
                            Outcome::Executed
                        },
                        duration_ms: duration,
                        tasks_executed: executed,
                        tasks_cached: cached,
                        error: None,
                    }
                };
                events.node_finished(&run);
                report.nodes.push(run);
            }
            // The wave's blobs, entries and records become durable together.
            self.store.sync()?;
        }
        if opts.dry_run {
            for n in report.nodes.iter_mut() {
                if n.outcome == Outcome::Skipped {
                    n.outcome = Outcome::WouldExecute;
                    n.error = Some("runs if its upstream output changes".into());
                }
            }
        }
        if !failures.is_empty() {
            return Err(EngineError::Failed {
                failures,
                report: Box::new(report),
            });
        }
        Ok(report)
    }

    /// The self-contained description of a planned task, for whichever process runs it.
    fn spec(node: &NodeSpec, task: &Task, resolved: &BTreeMap<String, Resolved>) -> TaskSpec {
        let reads = task
            .reads
            .iter()
            .map(|(slot, (upstream, outs))| {
                let hashes = outs
                    .iter()
                    .map(|o| (o.clone(), resolved[upstream][o]))
                    .collect();
                (slot.clone(), (upstream.clone(), hashes))
            })
            .collect();
        TaskSpec {
            node: node.name.clone(),
            partition: task.partition.clone(),
            key: task.key,
            manifest: task.manifest.clone(),
            reads,
            failed_inputs: task.failed_inputs.clone(),
            resources: node.task_resources(),
        }
    }

    /// The outputs of the last build of `node` (output name -> hash), if its record is complete.
    pub fn last_outputs(&self, node: &str) -> Result<Option<Resolved>, EngineError> {
        let Some(record) = self.store.get_record(node)? else {
            return Ok(None);
        };
        let mut outs = Vec::new();
        for (p, key) in &record.tasks {
            let Some(entry) = self.store.get_action(key)? else {
                return Ok(None);
            };
            let part = if p.is_empty() { None } else { Some(p.clone()) };
            outs.push((part, entry.outputs));
        }
        Ok(Some(Self::collect_outputs(&outs)))
    }

    /// The action entries of the last build of `node` (partition -> entry).
    pub fn last_actions(&self, node: &str) -> Result<BTreeMap<String, ActionEntry>, EngineError> {
        let mut out = BTreeMap::new();
        if let Some(record) = self.store.get_record(node)? {
            for (p, key) in &record.tasks {
                if let Some(entry) = self.store.get_action(key)? {
                    out.insert(p.clone(), entry);
                }
            }
        }
        Ok(out)
    }
}
