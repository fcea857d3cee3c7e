//! Talking to Slurm: `sbatch` (retried with backoff on transient errors), one `squeue` for the
//! whole run, `scancel` by run id; and the pure parsing of what they print.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A job's state as `squeue` prints it (`%T`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobState {
    Pending,
    Running,
    /// Finished running, still cleaning up.
    Completing,
    Completed,
    Failed,
    Cancelled,
    Timeout,
    NodeFail,
    OutOfMemory,
    Preempted,
    BootFail,
    Deadline,
    Other(String),
}

impl JobState {
    pub fn parse(s: &str) -> JobState {
        // sacct prints `CANCELLED by 0`; squeue prints the bare state.
        match s.split_whitespace().next().unwrap_or("") {
            "PENDING" | "PD" | "CONFIGURING" | "REQUEUED" | "RESIZING" | "SUSPENDED" => {
                JobState::Pending
            }
            "RUNNING" | "R" => JobState::Running,
            "COMPLETING" | "CG" | "STAGE_OUT" => JobState::Completing,
            "COMPLETED" | "CD" => JobState::Completed,
            "FAILED" | "F" => JobState::Failed,
            "CANCELLED" | "CA" => JobState::Cancelled,
            "TIMEOUT" | "TO" => JobState::Timeout,
            "NODE_FAIL" | "NF" => JobState::NodeFail,
            "OUT_OF_MEMORY" | "OOM" => JobState::OutOfMemory,
            "PREEMPTED" | "PR" => JobState::Preempted,
            "BOOT_FAIL" | "BF" => JobState::BootFail,
            "DEADLINE" | "DL" => JobState::Deadline,
            other => JobState::Other(other.to_string()),
        }
    }

    /// The job will not run again by itself.
    pub fn is_terminal(&self) -> bool {
        !matches!(
            self,
            JobState::Pending | JobState::Running | JobState::Completing | JobState::Other(_)
        )
    }

    /// Slurm's name of the state, and what to do about it.
    pub fn explain(&self) -> String {
        let (name, hint) = match self {
            JobState::Pending => ("PENDING", ""),
            JobState::Running => ("RUNNING", ""),
            JobState::Completing => ("COMPLETING", ""),
            JobState::Completed => (
                "COMPLETED",
                "; its results did not appear on the shared filesystem (is the store on a filesystem every node sees?)",
            ),
            JobState::Failed => ("FAILED", "; the job log says why"),
            JobState::Cancelled => ("CANCELLED", "; it was cancelled (scancel or an administrator); run again to resume"),
            JobState::Timeout => ("TIMEOUT", "; it hit its time limit: raise `time` in the node's `resources` (or the config's)"),
            JobState::NodeFail => ("NODE_FAIL", "; its compute node failed; run again to resume"),
            JobState::OutOfMemory => ("OUT_OF_MEMORY", "; it ran out of memory: raise `mem` in the node's `resources` (or the config's)"),
            JobState::Preempted => ("PREEMPTED", "; run again to resume"),
            JobState::BootFail => ("BOOT_FAIL", "; its node did not boot; run again to resume"),
            JobState::Deadline => ("DEADLINE", "; it missed its deadline"),
            JobState::Other(s) => (s.as_str(), ""),
        };
        format!("{name}{hint}")
    }
}

/// One array element (or a plain job when `index` is `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobRef {
    pub job: u64,
    pub index: Option<u32>,
}

/// Lines of `squeue -h -r -t all -o '%F|%K|%T'`: array job id, element index (`N/A` for a plain
/// job), state. Lines that do not parse are skipped (squeue prints nothing else with `-h`).
pub fn parse_squeue(out: &str) -> Vec<(JobRef, JobState)> {
    out.lines()
        .filter_map(|line| {
            let mut it = line.trim().split('|');
            let job = it.next()?.trim().parse().ok()?;
            let index = it.next()?.trim().parse().ok();
            let state = JobState::parse(it.next()?.trim());
            Some((JobRef { job, index }, state))
        })
        .collect()
}

/// Whether an `sbatch` error is worth retrying (the controller is busy or briefly unreachable).
pub fn is_transient(stderr: &str) -> bool {
    const MARKERS: [&str; 9] = [
        "socket timed out",
        "timed out",
        "resource temporarily unavailable",
        "unable to contact slurm controller",
        "try again",
        "temporarily unable",
        "connection refused",
        "zero bytes were transmitted",
        "transport endpoint",
    ];
    let s = stderr.to_ascii_lowercase();
    MARKERS.iter().any(|m| s.contains(m))
}

/// The job id `sbatch --parsable` prints (`123` or `123;cluster`).
pub fn parse_job_id(stdout: &str) -> Option<u64> {
    stdout.trim().split(';').next()?.trim().parse().ok()
}

/// A refused submission.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("sbatch refused the submission: {stderr}")]
    Refused { stderr: String, attempts: u32 },
    #[error("sbatch printed no job id: {stdout}")]
    NoJobId { stdout: String },
    #[error("interrupted")]
    Interrupted,
}

/// Run `program args`; (success, stdout, stderr).
pub fn call(program: &str, args: &[String]) -> std::io::Result<(bool, String, String)> {
    let out = Command::new(program).args(args).output()?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    ))
}

/// Sleep `d` in short steps; false when `stop` was raised meanwhile.
pub fn sleep_unless(d: Duration, stop: &AtomicBool) -> bool {
    let step = Duration::from_millis(50);
    let start = std::time::Instant::now();
    while start.elapsed() < d {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(step.min(d.saturating_sub(start.elapsed())));
    }
    !stop.load(Ordering::SeqCst)
}

/// `sbatch args`, retried with doubling backoff while its errors look transient. Returns the job
/// id and how many times sbatch was called.
pub fn submit(
    program: &str,
    args: &[String],
    retries: u32,
    backoff: Duration,
    stop: &AtomicBool,
) -> Result<(u64, u32), (SubmitError, u32)> {
    let mut wait = backoff;
    let mut calls = 0;
    loop {
        calls += 1;
        let (ok, stdout, stderr) = call(program, args).map_err(|source| {
            (
                SubmitError::Spawn {
                    program: program.to_string(),
                    source,
                },
                calls,
            )
        })?;
        if ok {
            return parse_job_id(&stdout)
                .map(|id| (id, calls))
                .ok_or((SubmitError::NoJobId { stdout }, calls));
        }
        if calls > retries || !is_transient(&stderr) {
            return Err((
                SubmitError::Refused {
                    stderr,
                    attempts: calls,
                },
                calls,
            ));
        }
        tracing::warn!(
            "sbatch failed ({stderr}); retrying in {:.1} s",
            wait.as_secs_f64()
        );
        if !sleep_unless(wait, stop) {
            return Err((SubmitError::Interrupted, calls));
        }
        wait = (wait * 2).min(Duration::from_secs(120));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeue_lines_parse_with_array_elements_and_plain_jobs() {
        let out = "12|0|COMPLETED\n12|1|RUNNING\n12|2|PENDING\n13|N/A|OUT_OF_MEMORY\n\ngarbage\n";
        let v = parse_squeue(out);
        assert_eq!(v.len(), 4);
        assert_eq!(
            v[0],
            (
                JobRef {
                    job: 12,
                    index: Some(0)
                },
                JobState::Completed
            )
        );
        assert_eq!(v[3].0.index, None);
        assert_eq!(v[3].1, JobState::OutOfMemory);
    }

    #[test]
    fn states_map_to_slurm_names_and_terminality() {
        for (s, name, terminal) in [
            ("TIMEOUT", "TIMEOUT", true),
            ("CANCELLED by 0", "CANCELLED", true),
            ("NODE_FAIL", "NODE_FAIL", true),
            ("OUT_OF_MEMORY", "OUT_OF_MEMORY", true),
            ("FAILED", "FAILED", true),
            ("COMPLETED", "COMPLETED", true),
            ("PENDING", "PENDING", false),
            ("RUNNING", "RUNNING", false),
            ("COMPLETING", "COMPLETING", false),
        ] {
            let st = JobState::parse(s);
            assert_eq!(st.is_terminal(), terminal, "{s}");
            assert!(st.explain().starts_with(name), "{s}: {}", st.explain());
        }
        assert!(JobState::parse("TIMEOUT").explain().contains("`time`"));
        assert!(JobState::parse("OUT_OF_MEMORY").explain().contains("`mem`"));
    }

    #[test]
    fn transient_errors_are_told_from_refusals() {
        assert!(is_transient(
            "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation"
        ));
        assert!(is_transient(
            "sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying"
        ));
        assert!(!is_transient(
            "sbatch: error: Batch job submission failed: Invalid partition name specified"
        ));
        assert_eq!(parse_job_id("4711\n"), Some(4711));
        assert_eq!(parse_job_id("4711;cluster\n"), Some(4711));
        assert_eq!(parse_job_id("Submitted batch job 1"), None);
    }

    #[test]
    fn submit_retries_transient_errors_then_succeeds() {
        // A fake sbatch: fails twice with a transient error, then prints a job id.
        let dir = tempfile::tempdir().expect("tempdir");
        let count = dir.path().join("count");
        let fake = dir.path().join("sbatch");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\nn=$(cat {c} 2>/dev/null || echo 0)\nn=$((n+1))\necho $n > {c}\nif [ $n -lt 3 ]; then echo 'sbatch: error: Socket timed out on send/recv operation' >&2; exit 1; fi\necho 77\n",
                c = count.display()
            ),
        )
        .expect("write");
        set_executable(&fake);
        let stop = AtomicBool::new(false);
        let prog = fake.display().to_string();
        let (id, calls) =
            submit(&prog, &[], 5, Duration::from_millis(10), &stop).expect("submitted");
        assert_eq!((id, calls), (77, 3));
        // Out of retries: refused, after 1 + retries calls.
        std::fs::write(&count, "-10\n").expect("reset");
        let (e, calls) = submit(&prog, &[], 2, Duration::from_millis(10), &stop).unwrap_err();
        assert_eq!(calls, 3);
        assert!(e.to_string().contains("Socket timed out"), "{e}");
    }

    #[cfg(unix)]
    fn set_executable(p: &std::path::Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    #[cfg(not(unix))]
    fn set_executable(_: &std::path::Path) {}
}
