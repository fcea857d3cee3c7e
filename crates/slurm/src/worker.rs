//! The compute-node side: run one array element's tasks against the shared store, and leave one
//! result file per task beside the element's task list (`results/<key>.json`, written after the
//! task's action entry; it carries the operation's error when there is one).

use robocarb_dag::{check_spec, run_task, ContentHash, Graph, Store, TaskSpec};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a worker says about one task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskResult {
    pub key: ContentHash,
    /// The operation's error, when it failed (nothing was written to the store then).
    pub error: Option<String>,
}

/// A worker that cannot run its element at all.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a task list: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: no element {element} (the list has {count})")]
    NoElement {
        path: PathBuf,
        element: usize,
        count: usize,
    },
}

/// The task lists of one array: element -> tasks.
pub type ArrayTasks = Vec<Vec<TaskSpec>>;

/// Where the result of task `key` goes for the array whose task list is `tasks_file`.
pub fn result_path(tasks_file: &Path, key: &ContentHash) -> PathBuf {
    results_dir(tasks_file).join(format!("{}.json", key.to_hex()))
}

fn results_dir(tasks_file: &Path) -> PathBuf {
    tasks_file
        .parent()
        .map(|p| p.join("results"))
        .unwrap_or_else(|| PathBuf::from("results"))
}

/// Run element `element` of the task list `tasks_file`: each task in turn (check it, run it,
/// write its result). Returns how many tasks failed; progress goes to stderr (the job log).
pub fn run_element(
    graph: &Graph,
    store: &dyn Store,
    tasks_file: &Path,
    element: usize,
) -> Result<usize, WorkerError> {
    let bytes = std::fs::read(tasks_file).map_err(|source| WorkerError::Io {
        path: tasks_file.to_path_buf(),
        source,
    })?;
    let mut arrays: ArrayTasks =
        serde_json::from_slice(&bytes).map_err(|source| WorkerError::Json {
            path: tasks_file.to_path_buf(),
            source,
        })?;
    let count = arrays.len();
    if element >= count {
        return Err(WorkerError::NoElement {
            path: tasks_file.to_path_buf(),
            element,
            count,
        });
    }
    let tasks = arrays.swap_remove(element);
    let dir = results_dir(tasks_file);
    std::fs::create_dir_all(&dir).map_err(|source| WorkerError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut failed = 0;
    for spec in &tasks {
        let start = std::time::Instant::now();
        let outcome = check_spec(graph, spec)
            .and_then(|()| run_task(graph, store, spec, &|_: u64, _: u64| {}));
        let error = match outcome {
            Ok(_) => {
                eprintln!(
                    "robocarb worker: {} done in {:.1} ms",
                    spec.label(),
                    start.elapsed().as_secs_f64() * 1e3
                );
                None
            }
            Err(msg) => {
                failed += 1;
                eprintln!("robocarb worker: {} failed: {msg}", spec.label());
                Some(msg)
            }
        };
        let result = TaskResult {
            key: spec.key,
            error,
        };
        write_result(tasks_file, &result)?;
    }
    Ok(failed)
}

/// Write a result file atomically (temp file, fsync, rename): the coordinator sees all or nothing.
fn write_result(tasks_file: &Path, result: &TaskResult) -> Result<(), WorkerError> {
    use std::io::Write;
    let dest = result_path(tasks_file, &result.key);
    let tmp = dest.with_extension(format!("tmp-{}", std::process::id()));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source: std::io::Error| WorkerError::Io { path, source }
    };
    let bytes = serde_json::to_vec(result).map_err(|source| WorkerError::Json {
        path: dest.clone(),
        source,
    })?;
    let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(&bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, &dest).map_err(io(&dest))
}

/// The result a worker left for task `key`, if it is there (a damaged file reads as absent).
pub fn read_result(tasks_file: &Path, key: &ContentHash) -> Option<TaskResult> {
    let bytes = std::fs::read(result_path(tasks_file, key)).ok()?;
    serde_json::from_slice(&bytes).ok()
}
