//! robocarb-slurm: runs the build graph's tasks on a Slurm cluster.
//!
//! The engine decides what is stale exactly as for a local run and hands each wave's tasks to
//! [`SlurmExecutor`], which submits them as job arrays (one `sbatch` per wave and resource class,
//! throttled with `--array=0-N%K`, small tasks batched per array element), names every job of a
//! run by one run id, and polls the whole run with one `squeue` per interval (with backoff). Each
//! array element runs [`worker::run_element`] on a compute node, which writes the tasks' outputs
//! and action entries into the shared store; the engine trusts only those entries. The
//! scheduler's state only explains failures (TIMEOUT, CANCELLED, NODE_FAIL, OUT_OF_MEMORY).
//!
//! This crate must not know anything about economics or about the pipeline's operations: it moves
//! [`robocarb_dag::TaskSpec`]s, and reads and writes files in the run's folder under the store.

pub mod config;
pub mod executor;
pub mod plan;
pub mod scheduler;
pub mod worker;

pub use config::{ConfigError, SlurmConfig};
pub use executor::{SlurmExecutor, SlurmStats};
pub use worker::{run_element, TaskResult, WorkerError};
