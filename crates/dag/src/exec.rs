//! Executors: where tasks run. The local one runs a wave of independent tasks on N threads; a
//! cluster executor implements [`crate::RemoteExecutor`] instead (its tasks run in other processes).

use std::collections::VecDeque;
use std::sync::Mutex;

/// A unit of work; it stores its own result.
pub type Job<'a> = Box<dyn FnOnce() + Send + 'a>;

/// Runs a batch of independent jobs and returns when all are done.
pub trait Executor: Sync {
    fn execute<'a>(&self, jobs: Vec<Job<'a>>);
}

/// Runs jobs on `threads` OS threads (1 = in the calling thread). Results do not depend on the
/// thread count: each job writes only its own result slot.
pub struct LocalExecutor {
    pub threads: usize,
}

impl Executor for LocalExecutor {
    fn execute<'a>(&self, jobs: Vec<Job<'a>>) {
        let threads = self.threads.max(1).min(jobs.len().max(1));
        if threads == 1 {
            for job in jobs {
                job();
            }
            return;
        }
        let queue: Mutex<VecDeque<Job<'a>>> = Mutex::new(jobs.into_iter().collect());
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| loop {
                    let next = match queue.lock() {
                        Ok(mut q) => q.pop_front(),
                        Err(_) => None,
                    };
                    match next {
                        Some(job) => job(),
                        None => break,
                    }
                });
            }
        });
    }
}
