//! The graph: operations (the trait every step implements), nodes that bind an operation to
//! parameters and inputs, and the checked graph (no cycles, no unknown inputs).

use crate::hash::ContentHash;
use crate::manifest::Params;
pub use crate::resources::Resources;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// An error an operation reports; the engine adds the node and partition.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct OpError {
    pub message: String,
}

impl OpError {
    pub fn new(message: impl Into<String>) -> Self {
        OpError {
            message: message.into(),
        }
    }
}

/// Named output bytes of one task, sorted by name.
pub type Outputs = BTreeMap<String, Vec<u8>>;

/// A source file given to a task.
#[derive(Clone, Debug)]
pub struct SourceInput {
    pub name: String,
    pub path: PathBuf,
    pub hash: ContentHash,
    /// Options of the source (encoding, sheet...), as strings; they are part of the task's key.
    pub options: BTreeMap<String, String>,
}

/// The value bound to one input slot of a task.
#[derive(Clone, Debug)]
pub enum SlotValue {
    Source(SourceInput),
    /// The outputs of an upstream node that this task reads (all of them for a whole-node task;
    /// the ones its partition plan names otherwise), by output name.
    Node {
        node: String,
        outputs: BTreeMap<String, Arc<Vec<u8>>>,
        /// The content hash of each output (what an operation may key a decoded copy by).
        hashes: BTreeMap<String, ContentHash>,
    },
    /// The upstream node bound to a [`SlotKind::NodeOrFailure`] slot failed (or was skipped):
    /// its error instead of its outputs.
    Failed {
        node: String,
        error: String,
    },
}

/// What a running task sees.
pub struct TaskContext<'a> {
    pub node: &'a str,
    pub partition: Option<&'a str>,
    pub params: &'a Params,
    pub inputs: BTreeMap<String, SlotValue>,
    pub progress: &'a (dyn Fn(u64, u64) + Sync),
}

impl TaskContext<'_> {
    /// The source bound to `slot`.
    pub fn source(&self, slot: &str) -> Result<&SourceInput, OpError> {
        match self.inputs.get(slot) {
            Some(SlotValue::Source(s)) => Ok(s),
            Some(SlotValue::Node { node, .. } | SlotValue::Failed { node, .. }) => {
                Err(OpError::new(format!(
                    "input `{slot}` of node `{}` must be a source, but is node `{node}`",
                    self.node
                )))
            }
            None => Err(OpError::new(format!(
                "node `{}` has no input `{slot}`",
                self.node
            ))),
        }
    }

    /// The content hash of output `output` of the node bound to `slot`, if it reads it.
    pub fn node_output_hash(&self, slot: &str, output: &str) -> Option<ContentHash> {
        match self.inputs.get(slot) {
            Some(SlotValue::Node { hashes, .. }) => hashes.get(output).copied(),
            _ => None,
        }
    }

    /// The outputs of the node bound to `slot`.
    pub fn node_outputs(&self, slot: &str) -> Result<&BTreeMap<String, Arc<Vec<u8>>>, OpError> {
        match self.inputs.get(slot) {
            Some(SlotValue::Node { outputs, .. }) => Ok(outputs),
            Some(SlotValue::Failed { node, error }) => Err(OpError::new(format!(
                "input `{slot}`: node `{node}` failed: {error}"
            ))),
            Some(SlotValue::Source(s)) => Err(OpError::new(format!(
                "input `{slot}` of node `{}` must be a node, but is source `{}`",
                self.node, s.name
            ))),
            None => Err(OpError::new(format!(
                "node `{}` has no input `{slot}`",
                self.node
            ))),
        }
    }

    /// The upstream node and its error, when the node bound to `slot` failed (only for
    /// [`SlotKind::NodeOrFailure`] slots; `None` otherwise).
    pub fn failed_input(&self, slot: &str) -> Option<(&str, &str)> {
        match self.inputs.get(slot) {
            Some(SlotValue::Failed { node, error }) => Some((node, error)),
            _ => None,
        }
    }

    /// One named output of the node bound to `slot`.
    pub fn node_output(&self, slot: &str, output: &str) -> Result<&[u8], OpError> {
        self.node_outputs(slot)?
            .get(output)
            .map(|v| v.as_slice())
            .ok_or_else(|| {
                OpError::new(format!(
                    "input `{slot}` of node `{}` has no output `{output}`",
                    self.node
                ))
            })
    }

    /// Whether `slot` is bound.
    pub fn has_input(&self, slot: &str) -> bool {
        self.inputs.contains_key(slot)
    }
}

/// One partition of a partitioned node: its key and the upstream outputs it reads, per slot.
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionPlan {
    pub key: String,
    /// slot -> output names of that slot's node that this partition reads. Sources are always read.
    pub reads: BTreeMap<String, Vec<String>>,
}

/// Kind of an input slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotKind {
    Source,
    Node,
    /// A node input that tolerates the upstream's failure: the task still runs and sees
    /// [`SlotValue::Failed`] with the error (the report shows failed tables this way). The run
    /// still reports the upstream failure.
    NodeOrFailure,
}

/// An input slot an operation declares.
#[derive(Clone, Debug)]
pub struct SlotSpec {
    pub name: &'static str,
    pub kind: SlotKind,
    pub required: bool,
}

/// A step of the pipeline. Implementations live in the `pipeline` crate; `dag` knows none of them.
pub trait Operation: Send + Sync {
    /// The operation's registered name.
    fn name(&self) -> &str;
    /// Code fingerprint as `part=hash;part=hash`: the crates (and glue files) it runs.
    fn code_fingerprint(&self) -> String;
    /// Bumped when the output format changes without a code change that the fingerprint sees.
    fn schema_version(&self) -> u32 {
        1
    }
    /// The input slots it accepts.
    fn slots(&self) -> Vec<SlotSpec>;
    /// `Some(plan)` to split the node into partitions, given the output names of each upstream
    /// node slot; `None` for a whole node.
    fn partitions(
        &self,
        _params: &Params,
        _upstream: &BTreeMap<String, Vec<String>>,
    ) -> Result<Option<Vec<PartitionPlan>>, OpError> {
        Ok(None)
    }
    /// Compute the outputs of one task.
    fn run(&self, ctx: &TaskContext<'_>) -> Result<Outputs, OpError>;
    /// What one task needs on a cluster node (a node's `resources` in the pipeline file override
    /// it field by field); empty: the executor's defaults.
    fn resources(&self) -> Resources {
        Resources::default()
    }
}

/// A reference to an operation is an operation (so `'static` operations can be shared as
/// `Arc<&'static T>` without a forwarding wrapper).
impl<T: Operation + ?Sized> Operation for &T {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn code_fingerprint(&self) -> String {
        (**self).code_fingerprint()
    }
    fn schema_version(&self) -> u32 {
        (**self).schema_version()
    }
    fn slots(&self) -> Vec<SlotSpec> {
        (**self).slots()
    }
    fn partitions(
        &self,
        params: &Params,
        upstream: &BTreeMap<String, Vec<String>>,
    ) -> Result<Option<Vec<PartitionPlan>>, OpError> {
        (**self).partitions(params, upstream)
    }
    fn run(&self, ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
        (**self).run(ctx)
    }
    fn resources(&self) -> Resources {
        (**self).resources()
    }
}

/// What a slot is bound to in the pipeline file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    Source(String),
    Node(String),
}

/// A source declared in the pipeline (or overridden by a sources file).
#[derive(Clone, Debug)]
pub struct SourceSpec {
    pub name: String,
    pub path: PathBuf,
    pub options: BTreeMap<String, String>,
}

/// A node: an operation bound to parameters and inputs.
#[derive(Clone)]
pub struct NodeSpec {
    pub name: String,
    pub op: Arc<dyn Operation>,
    pub params: Params,
    /// slot -> binding
    pub inputs: BTreeMap<String, Binding>,
    /// Folder under the output directory where the node's outputs are published (None: not published).
    pub publish: Option<String>,
    /// What each of its tasks needs on a cluster (overrides the operation's defaults field by field).
    pub resources: Resources,
}

impl NodeSpec {
    /// The resources of each task of this node: the node's own, else the operation's defaults.
    pub fn task_resources(&self) -> Resources {
        self.resources.or(&self.op.resources())
    }
}

/// Graph construction errors.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GraphError {
    #[error("node `{node}`: input `{slot}` names unknown node `{target}`")]
    UnknownNode {
        node: String,
        slot: String,
        target: String,
    },
    #[error("node `{node}`: input `{slot}` names unknown source `{target}`")]
    UnknownSource {
        node: String,
        slot: String,
        target: String,
    },
    #[error("node `{node}`: operation `{op}` has no input slot `{slot}` (it takes: {expected})")]
    UnknownSlot {
        node: String,
        op: String,
        slot: String,
        expected: String,
    },
    #[error("node `{node}`: operation `{op}` needs input `{slot}`")]
    MissingSlot {
        node: String,
        op: String,
        slot: String,
    },
    #[error("node `{node}`: input `{slot}` must be a {expected}")]
    SlotKindMismatch {
        node: String,
        slot: String,
        expected: String,
    },
    #[error("cycle in the graph: {}", .cycle.join(" -> "))]
    Cycle { cycle: Vec<String> },
    #[error("duplicate node `{0}`")]
    Duplicate(String),
    #[error("unknown node `{0}`")]
    NoSuchNode(String),
}

/// A checked graph: nodes in a deterministic topological order.
pub struct Graph {
    nodes: Vec<NodeSpec>,
    index: BTreeMap<String, usize>,
    pub sources: BTreeMap<String, SourceSpec>,
}

impl Graph {
    /// Check and order `nodes`.
    pub fn new(
        nodes: Vec<NodeSpec>,
        sources: BTreeMap<String, SourceSpec>,
    ) -> Result<Self, GraphError> {
        let mut index = BTreeMap::new();
        for (i, n) in nodes.iter().enumerate() {
            if index.insert(n.name.clone(), i).is_some() {
                return Err(GraphError::Duplicate(n.name.clone()));
            }
        }
        for n in &nodes {
            let slots = n.op.slots();
            for (slot, binding) in &n.inputs {
                let Some(spec) = slots.iter().find(|s| s.name == slot) else {
                    return Err(GraphError::UnknownSlot {
                        node: n.name.clone(),
                        op: n.op.name().to_string(),
                        slot: slot.clone(),
                        expected: slots.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
                    });
                };
                match binding {
                    Binding::Node(t) => {
                        if !index.contains_key(t) {
                            return Err(GraphError::UnknownNode {
                                node: n.name.clone(),
                                slot: slot.clone(),
                                target: t.clone(),
                            });
                        }
                        if spec.kind == SlotKind::Source {
                            return Err(GraphError::SlotKindMismatch {
                                node: n.name.clone(),
                                slot: slot.clone(),
                                expected: "source (write `source:NAME`)".into(),
                            });
                        }
                    }
                    Binding::Source(t) => {
                        if !sources.contains_key(t) {
                            return Err(GraphError::UnknownSource {
                                node: n.name.clone(),
                                slot: slot.clone(),
                                target: t.clone(),
                            });
                        }
                        if spec.kind != SlotKind::Source {
                            return Err(GraphError::SlotKindMismatch {
                                node: n.name.clone(),
                                slot: slot.clone(),
                                expected: "node".into(),
                            });
                        }
                    }
                }
            }
            for s in slots.iter().filter(|s| s.required) {
                if !n.inputs.contains_key(s.name) {
                    return Err(GraphError::MissingSlot {
                        node: n.name.clone(),
                        op: n.op.name().to_string(),
                        slot: s.name.to_string(),
                    });
                }
            }
        }
        // Cycle check with petgraph; the cycle is printed in edge order.
        let mut g: DiGraph<usize, ()> = DiGraph::new();
        let idx: Vec<NodeIndex> = (0..nodes.len()).map(|i| g.add_node(i)).collect();
        for (i, n) in nodes.iter().enumerate() {
            for b in n.inputs.values() {
                if let Binding::Node(t) = b {
                    g.add_edge(idx[index[t]], idx[i], ());
                }
            }
        }
        for scc in tarjan_scc(&g) {
            let is_cycle = scc.len() > 1 || g.contains_edge(scc[0], scc[0]);
            if is_cycle {
                let members: std::collections::BTreeSet<usize> =
                    scc.iter().map(|n| g[*n]).collect();
                let cycle = order_cycle(&nodes, &index, &members);
                return Err(GraphError::Cycle { cycle });
            }
        }
        // Deterministic topological order: Kahn's algorithm taking the smallest name first.
        let mut indeg: Vec<usize> = nodes
            .iter()
            .map(|n| {
                n.inputs
                    .values()
                    .filter(|b| matches!(b, Binding::Node(_)))
                    .count()
            })
            .collect();
        let mut ready: std::collections::BTreeSet<(String, usize)> = nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| indeg[*i] == 0)
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
        let mut order = Vec::with_capacity(nodes.len());
        while let Some(first) = ready.iter().next().cloned() {
            ready.remove(&first);
            let i = first.1;
            order.push(i);
            for (j, m) in nodes.iter().enumerate() {
                for b in m.inputs.values() {
                    if b == &Binding::Node(nodes[i].name.clone()) {
                        indeg[j] -= 1;
                        if indeg[j] == 0 {
                            ready.insert((m.name.clone(), j));
                        }
                    }
                }
            }
        }
        let mut slots: Vec<Option<NodeSpec>> = nodes.into_iter().map(Some).collect();
        let nodes: Vec<NodeSpec> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let index = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
        Ok(Graph {
            nodes,
            index,
            sources,
        })
    }

    /// Nodes in topological order.
    pub fn nodes(&self) -> &[NodeSpec] {
        &self.nodes
    }

    pub fn node(&self, name: &str) -> Option<&NodeSpec> {
        self.index.get(name).map(|&i| &self.nodes[i])
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Upstream node names of `name`.
    pub fn upstream_of(&self, name: &str) -> Vec<String> {
        self.node(name)
            .map(|n| {
                let mut v: Vec<String> = n
                    .inputs
                    .values()
                    .filter_map(|b| {
                        if let Binding::Node(t) = b {
                            Some(t.clone())
                        } else {
                            None
                        }
                    })
                    .collect();
                v.sort();
                v.dedup();
                v
            })
            .unwrap_or_default()
    }

    /// `targets` and everything they need, in topological order. Empty targets: every node.
    pub fn closure(&self, targets: &[String]) -> Result<Vec<usize>, GraphError> {
        if targets.is_empty() {
            return Ok((0..self.nodes.len()).collect());
        }
        let mut want = vec![false; self.nodes.len()];
        let mut stack = Vec::new();
        for t in targets {
            stack.push(
                self.position(t)
                    .ok_or_else(|| GraphError::NoSuchNode(t.clone()))?,
            );
        }
        while let Some(i) = stack.pop() {
            if want[i] {
                continue;
            }
            want[i] = true;
            for up in self.upstream_of(&self.nodes[i].name) {
                if let Some(j) = self.position(&up) {
                    stack.push(j);
                }
            }
        }
        Ok((0..self.nodes.len()).filter(|&i| want[i]).collect())
    }
}

fn order_cycle(
    nodes: &[NodeSpec],
    index: &BTreeMap<String, usize>,
    members: &std::collections::BTreeSet<usize>,
) -> Vec<String> {
    // Shortest cycle through the smallest member: BFS along edges inside the component.
    let start = *members.iter().next().unwrap_or(&0);
    let readers = |cur: usize| -> Vec<usize> {
        members
            .iter()
            .copied()
            .filter(|&j| {
                nodes[j]
                    .inputs
                    .values()
                    .any(|b| matches!(b, Binding::Node(t) if index.get(t) == Some(&cur)))
            })
            .collect()
    };
    let mut prev: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let mut last = None;
    'bfs: while let Some(cur) = queue.pop_front() {
        for j in readers(cur) {
            if j == start {
                last = Some(cur);
                break 'bfs;
            }
            if let std::collections::btree_map::Entry::Vacant(e) = prev.entry(j) {
                e.insert(cur);
                queue.push_back(j);
            }
        }
    }
    let mut path = vec![start];
    if let Some(mut cur) = last {
        let mut back = vec![];
        while cur != start {
            back.push(cur);
            cur = prev[&cur];
        }
        back.reverse();
        path.extend(back);
        path.push(start);
    }
    path.into_iter().map(|i| nodes[i].name.clone()).collect()
}
