//! robocarb-dag: a content-hashed data-build graph.
//!
//! A *node* binds an [`Operation`] to typed parameters and inputs (source files or other nodes).
//! A node runs as one task, or as several *partitions* when its operation splits the work (one per
//! year, one per pair of years): each task has a key, the blake3 digest of its [`Manifest`]
//! (operation, code fingerprint, parameters, content hash of every input it reads, output schema
//! version). The [`Engine`] looks each key up in the action cache of a [`Store`]; only misses run.
//! Downstream keys use the content hash of upstream outputs, so a rerun that produces identical
//! bytes stops the wave there (early cutoff). The manifest of each build is stored, so `why` can
//! show what changed, part by part.
//!
//! This crate must not know anything about economics, tables or polars: outputs are bytes.
//!
//! ```
//! use robocarb_dag::{ContentHash, Manifest};
//! let m = Manifest { op: "parse".into(), code: "crate:ingest=ab".into(), schema_version: 1,
//!     partition: None, params: Default::default(), inputs: vec![] };
//! assert_eq!(m.key(), ContentHash::of(&m.canonical_bytes()));
//! ```

pub mod engine;
pub mod exec;
pub mod graph;
pub mod hash;
pub mod lock;
pub mod manifest;
pub mod remote;
pub mod resources;
pub mod source;
pub mod store;

pub use engine::{
    Engine, EngineError, EventSink, NodeRun, NodeState, NodeStatus, Outcome, RunOptions, RunReport,
    Silent,
};
pub use exec::{Executor, Job, LocalExecutor};
pub use graph::{
    Binding, Graph, GraphError, NodeSpec, OpError, Operation, Outputs, PartitionPlan, SlotKind,
    SlotSpec, SlotValue, SourceInput, SourceSpec, TaskContext,
};
pub use hash::ContentHash;
pub use lock::StoreLock;
pub use manifest::{Change, Manifest, ManifestInput, ParamValue, Params};
pub use remote::{check_spec, run_task, RemoteExecutor, TaskSpec};
pub use resources::Resources;
pub use store::{ActionEntry, LocalStore, NodeRecord, StatEntry, Store, StoreError};
