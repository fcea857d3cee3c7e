//! The Slurm executor: per wave, one job array per resource class; then one status query for
//! the whole run per poll interval until every task has a result or its job has ended.

use crate::config::SlurmConfig;
use crate::plan::{array_spec, plan_wave};
use crate::scheduler::{self, parse_squeue, JobRef, JobState, SubmitError};
use crate::worker::{read_result, ArrayTasks};
use robocarb_dag::{RemoteExecutor, Resources, TaskSpec};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a run asked of the scheduler, for `run --json` and the benchmarks.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SlurmStats {
    pub run_id: String,
    /// Waves that had tasks to submit.
    pub waves: usize,
    /// Job arrays submitted (one per wave and resource class).
    pub arrays: usize,
    /// `sbatch` invocations, retries included.
    pub sbatch_calls: usize,
    /// `squeue` invocations (one per poll interval for the whole run).
    pub status_queries: usize,
    pub array_elements: usize,
    pub tasks_submitted: usize,
    /// Tasks that failed (by their operation or their job).
    pub tasks_failed: usize,
}

/// Runs waves of tasks as Slurm job arrays. The store must be on a filesystem every node sees.
pub struct SlurmExecutor {
    config: SlurmConfig,
    /// The command that runs one element, without `--tasks FILE --element N`.
    worker: Vec<String>,
    run_id: String,
    run_dir: PathBuf,
    stats: Mutex<SlurmStats>,
    wave: AtomicUsize,
    interrupted: Arc<AtomicBool>,
}

/// How a task ended, as far as the executor can tell.
#[derive(Clone, Debug)]
enum Ended {
    /// Its worker wrote a result: `Some` carries the operation's error.
    Worker(Option<String>),
    /// Its job ended without a result (state, log).
    Job(String),
}

/// One array element being watched.
struct Element {
    job: JobRef,
    tasks_file: PathBuf,
    log: PathBuf,
    tasks: Vec<usize>,
    /// When the scheduler was first seen to have finished it (results may lag on NFS).
    ended: Option<(Instant, JobState)>,
    /// The state squeue last listed it in.
    last: Option<JobState>,
}

impl SlurmExecutor {
    /// An executor whose run folder is `<store>/slurm/<run id>`. It catches SIGINT and SIGTERM
    /// from now on: an interrupted run cancels its jobs (`scancel --name <run id>`).
    pub fn new(
        config: SlurmConfig,
        worker: Vec<String>,
        store_root: &Path,
    ) -> std::io::Result<Self> {
        let run_id = config.run_id.clone().unwrap_or_else(|| {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            format!("robocarb-{secs}-{}", std::process::id())
        });
        let run_dir = store_root.join("slurm").join(&run_id);
        std::fs::create_dir_all(&run_dir)?;
        let interrupted = Arc::new(AtomicBool::new(false));
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(sig, Arc::clone(&interrupted))?;
        }
        Ok(SlurmExecutor {
            config,
            worker,
            stats: Mutex::new(SlurmStats {
                run_id: run_id.clone(),
                ..Default::default()
            }),
            run_id,
            run_dir,
            wave: AtomicUsize::new(0),
            interrupted,
        })
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The run's folder (task lists, job scripts, logs, results).
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    pub fn stats(&self) -> SlurmStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Remove the run's folder when no task failed (the logs of failures stay for reading).
    pub fn finish(&self) -> std::io::Result<()> {
        if self.stats().tasks_failed == 0 {
            std::fs::remove_dir_all(&self.run_dir)?;
            if let Some(parent) = self.run_dir.parent() {
                let _ = std::fs::remove_dir(parent); // only when empty
            }
        }
        Ok(())
    }

    fn bump(&self, f: impl FnOnce(&mut SlurmStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(&mut s);
        }
    }

    /// Cancel every job of the run (one call, by run id).
    fn cancel_all(&self) {
        let args = vec!["--name".to_string(), self.run_id.clone()];
        if let Err(e) = scheduler::call(&self.config.scancel, &args) {
            tracing::warn!("scancel --name {}: {e}", self.run_id);
        }
    }

    fn interrupted_error(&self) -> String {
        self.cancel_all();
        format!(
            "interrupted: cancelled the jobs of run {} (scancel --name {}); tasks that finished are in the store, run again to resume",
            self.run_id, self.run_id
        )
    }

    /// Which option a refused submission points at.
    fn blame(&self, stderr: &str, resources: &Resources) -> String {
        let s = stderr.to_ascii_lowercase();
        let c = &self.config;
        if s.contains("partition") {
            format!(
                "the partition given by --slurm-partition (or `partition` in the config file): {}",
                c.partition.as_deref().unwrap_or("(the cluster's default)")
            )
        } else if s.contains("account") || s.contains("association") {
            format!(
                "the account given by --slurm-account (or `account` in the config file): {}",
                c.account.as_deref().unwrap_or("(none given)")
            )
        } else if s.contains("time limit") {
            format!(
                "the time limit {} (`time` in the node's resources or the config file)",
                resources.time.as_deref().unwrap_or("-")
            )
        } else if s.contains("memory") {
            format!(
                "the memory request {} (`mem` in the node's resources or the config file)",
                resources.mem.as_deref().unwrap_or("-")
            )
        } else if s.contains("cpu") || s.contains("node configuration") {
            format!(
                "the CPU request {} (`cpus` in the node's resources or the config file)",
                resources.cpus.unwrap_or(1)
            )
        } else {
            format!(
                "the options given by --slurm-opt (or `opts` in the config file): {}",
                if c.opts.is_empty() {
                    "(none)".to_string()
                } else {
                    c.opts.join(" ")
                }
            )
        }
    }

    /// Write the task list and job script of one array; submit it. Returns its elements.
    fn submit_array(
        &self,
        wave: usize,
        class: usize,
        tasks: &[TaskSpec],
        resources: &Resources,
        elements: &[Vec<usize>],
    ) -> Result<Vec<Element>, String> {
        let dir = self.run_dir.join(format!("wave{wave}-class{class}"));
        let logs = dir.join("logs");
        std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
        let lists: ArrayTasks = elements
            .iter()
            .map(|e| e.iter().map(|&i| tasks[i].clone()).collect())
            .collect();
        let tasks_file = dir.join("tasks.json");
        let bytes = serde_json::to_vec(&lists).map_err(|e| e.to_string())?;
        std::fs::write(&tasks_file, bytes).map_err(|e| format!("{}: {e}", tasks_file.display()))?;
        let script = dir.join("job.sh");
        std::fs::write(&script, self.job_script(&tasks_file, wave))
            .map_err(|e| format!("{}: {e}", script.display()))?;
        let mut args = vec![
            "--parsable".to_string(),
            format!("--job-name={}", self.run_id),
            format!(
                "--array={}",
                array_spec(elements.len(), self.config.throttle)
            ),
            format!("--output={}", logs.join("%a.log").display()),
        ];
        if let Some(c) = resources.cpus {
            args.push(format!("--cpus-per-task={c}"));
        }
        if let Some(m) = &resources.mem {
            args.push(format!("--mem={m}"));
        }
        if let Some(t) = &resources.time {
            args.push(format!("--time={t}"));
        }
        if let Some(p) = &self.config.partition {
            args.push(format!("--partition={p}"));
        }
        if let Some(a) = &self.config.account {
            args.push(format!("--account={a}"));
        }
        args.extend(self.config.opts.iter().cloned());
        args.push(script.display().to_string());
        let result = scheduler::submit(
            &self.config.sbatch,
            &args,
            self.config.submit_retries,
            Duration::from_secs_f64(self.config.submit_backoff_seconds),
            &self.interrupted,
        );
        let calls = match &result {
            Ok((_, n)) | Err((_, n)) => *n as usize,
        };
        self.bump(|s| s.sbatch_calls += calls);
        let job = match result {
            Ok((job, _)) => job,
            Err((SubmitError::Interrupted, _)) => return Err(self.interrupted_error()),
            Err((SubmitError::Refused { stderr, attempts }, _)) => {
                self.cancel_all();
                return Err(format!(
                    "sbatch refused the jobs of wave {wave} ({attempts} attempt(s)): {stderr}\n  check {}",
                    self.blame(&stderr, resources)
                ));
            }
            Err((e, _)) => {
                self.cancel_all();
                return Err(e.to_string());
            }
        };
        tracing::info!(
            "slurm: run {} wave {wave}: array job {job} with {} element(s), {} task(s)",
            self.run_id,
            elements.len(),
            elements.iter().map(Vec::len).sum::<usize>()
        );
        self.bump(|s| {
            s.arrays += 1;
            s.array_elements += elements.len();
        });
        Ok(elements
            .iter()
            .enumerate()
            .map(|(i, ix)| Element {
                job: JobRef {
                    job,
                    index: Some(i as u32),
                },
                tasks_file: tasks_file.clone(),
                log: logs.join(format!("{i}.log")),
                tasks: ix.clone(),
                ended: None,
                last: None,
            })
            .collect())
    }

    fn job_script(&self, tasks_file: &Path, wave: usize) -> String {
        let mut s = format!(
            "#!/bin/sh\n# robocarb run {}, wave {wave}: one array element runs its tasks against the shared store.\n",
            self.run_id
        );
        for line in &self.config.prelude {
            s.push_str(line);
            s.push('\n');
        }
        s.push_str("export RAYON_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\nexec");
        for w in &self.worker {
            s.push(' ');
            s.push_str(&shell_quote(w));
        }
        s.push_str(&format!(
            " --tasks {} --element \"$SLURM_ARRAY_TASK_ID\"\n",
            shell_quote(&tasks_file.display().to_string())
        ));
        s
    }

    /// One `squeue` for the whole run: element -> state. `None` when squeue failed this round.
    fn query(&self) -> Option<BTreeMap<JobRef, JobState>> {
        self.bump(|s| s.status_queries += 1);
        let args: Vec<String> = ["-h", "-r", "-t", "all", "-o", "%F|%K|%T", "--name"]
            .iter()
            .map(|s| s.to_string())
            .chain([self.run_id.clone()])
            .collect();
        match scheduler::call(&self.config.squeue, &args) {
            Ok((true, out, _)) => Some(parse_squeue(&out).into_iter().collect()),
            Ok((false, _, err)) => {
                tracing::warn!("squeue failed ({err}); asking again next round");
                None
            }
            Err(e) => {
                tracing::warn!("cannot run squeue: {e}");
                None
            }
        }
    }
}

impl RemoteExecutor for SlurmExecutor {
    fn run_wave(&self, tasks: &[TaskSpec]) -> Result<Vec<Option<String>>, String> {
        if self.interrupted.load(Ordering::SeqCst) {
            return Err(self.interrupted_error());
        }
        let wave = self.wave.fetch_add(1, Ordering::SeqCst) + 1;
        let plans = plan_wave(
            tasks,
            &self.config.resources,
            self.config.tasks_per_job,
            self.config.max_elements,
        );
        self.bump(|s| {
            s.waves += 1;
            s.tasks_submitted += tasks.len();
        });
        let mut elements = Vec::new();
        for (class, plan) in plans.iter().enumerate() {
            elements.extend(self.submit_array(
                wave,
                class,
                tasks,
                &plan.resources,
                &plan.elements,
            )?);
        }
        let mut results: Vec<Option<Ended>> = vec![None; tasks.len()];
        let initial = Duration::from_secs_f64(self.config.poll_seconds);
        let max =
            Duration::from_secs_f64(self.config.poll_max_seconds.max(self.config.poll_seconds));
        let latency = Duration::from_secs_f64(self.config.fs_latency_seconds);
        let submitted = Instant::now();
        let mut interval = initial;
        let mut open: Vec<usize> = (0..elements.len()).collect();
        while !open.is_empty() {
            if !scheduler::sleep_unless(interval, &self.interrupted) {
                return Err(self.interrupted_error());
            }
            let before = open.len();
            // The store and the workers' result files first: they prove completion.
            collect_results(&elements, &mut open, tasks, &mut results);
            if !open.is_empty() {
                if let Some(states) = self.query() {
                    let listed: std::collections::BTreeSet<u64> =
                        states.keys().map(|j| j.job).collect();
                    for &e in &open {
                        let el = &mut elements[e];
                        match states.get(&el.job) {
                            Some(st) => {
                                el.last = Some(st.clone());
                                if st.is_terminal() && el.ended.is_none() {
                                    el.ended = Some((Instant::now(), st.clone()));
                                }
                            }
                            // Gone from squeue after it was listed, or never listed long after
                            // submission: it ended, with a state squeue no longer knows. A
                            // pending array element that vanishes (its siblings still listed) was
                            // cancelled: Slurm drops it from the array's record without a state.
                            None if el.ended.is_none()
                                && (el.last.is_some()
                                    || listed.contains(&el.job.job)
                                    || submitted.elapsed() > latency.max(initial * 3)) =>
                            {
                                let pending = el.last == Some(JobState::Pending)
                                    || (el.last.is_none() && listed.contains(&el.job.job));
                                let state = if pending {
                                    "CANCELLED (while pending; squeue no longer lists it); run again to resume"
                                } else {
                                    "ENDED (squeue no longer lists it)"
                                };
                                el.ended = Some((Instant::now(), JobState::Other(state.into())));
                            }
                            None => {}
                        }
                    }
                }
                // Ended jobs whose results did not appear within the filesystem's latency failed.
                open.retain(|&e| {
                    let el = &elements[e];
                    match &el.ended {
                        Some((at, state)) if at.elapsed() >= latency => {
                            let why = format!(
                                "job {} of run {} ended {} before finishing this task\n{}",
                                job_name(&el.job),
                                self.run_id,
                                state.explain(),
                                log_tail(&el.log)
                            );
                            for &t in &el.tasks {
                                if results[t].is_none() {
                                    results[t] = Some(Ended::Job(why.clone()));
                                }
                            }
                            false
                        }
                        _ => true,
                    }
                });
                collect_results(&elements, &mut open, tasks, &mut results);
            }
            interval = if open.len() < before {
                initial
            } else {
                (interval.mul_f64(1.5)).min(max)
            };
        }
        // Operation errors, with the job log of the element that ran them.
        let mut out = Vec::with_capacity(tasks.len());
        let mut failed = 0;
        let log_of: BTreeMap<usize, &Element> = elements
            .iter()
            .flat_map(|e| e.tasks.iter().map(move |&t| (t, e)))
            .collect();
        for (t, r) in results.into_iter().enumerate() {
            let why = match r {
                Some(Ended::Job(msg)) => Some(msg),
                Some(Ended::Worker(Some(msg))) => Some(format!(
                    "{msg}\n{}",
                    log_of.get(&t).map(|e| log_tail(&e.log)).unwrap_or_default()
                )),
                Some(Ended::Worker(None)) => None,
                None => Some("the executor lost track of this task".into()),
            };
            failed += usize::from(why.is_some());
            out.push(why);
        }
        self.bump(|s| s.tasks_failed += failed);
        Ok(out)
    }
}

/// Take each open element whose tasks all have results off `open`.
fn collect_results(
    elements: &[Element],
    open: &mut Vec<usize>,
    tasks: &[TaskSpec],
    results: &mut [Option<Ended>],
) {
    open.retain(|&e| {
        let el = &elements[e];
        let mut all = true;
        for &t in &el.tasks {
            if results[t].is_none() {
                match read_result(&el.tasks_file, &tasks[t].key) {
                    Some(r) => results[t] = Some(Ended::Worker(r.error)),
                    None => all = false,
                }
            }
        }
        !all
    });
}

fn job_name(j: &JobRef) -> String {
    match j.index {
        Some(i) => format!("{}_{i}", j.job),
        None => j.job.to_string(),
    }
}

/// `job log: PATH` and its last lines, indented.
fn log_tail(log: &Path) -> String {
    const LINES: usize = 10;
    let mut s = format!("    job log: {}", log.display());
    match std::fs::read_to_string(log) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let from = lines.len().saturating_sub(LINES);
            if lines.is_empty() {
                s.push_str(" (empty)");
            } else {
                s.push_str(&format!(" (last {} line(s)):", lines.len() - from));
                for l in &lines[from..] {
                    s.push_str("\n      ");
                    s.push_str(l);
                }
            }
        }
        Err(_) => s.push_str(" (not written: the job did not start)"),
    }
    s
}

/// Quote for /bin/sh.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_keeps_plain_words_and_quotes_the_rest() {
        assert_eq!(shell_quote("/usr/bin/robocarb"), "/usr/bin/robocarb");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn log_tail_names_the_path_and_the_last_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("0.log");
        let text: String = (1..=15).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&log, text).expect("write");
        let t = log_tail(&log);
        assert!(t.contains(&log.display().to_string()), "{t}");
        assert!(
            t.contains("line 15") && t.contains("line 6") && !t.contains("line 5\n"),
            "{t}"
        );
        assert!(log_tail(&dir.path().join("missing.log")).contains("did not start"));
    }
}
