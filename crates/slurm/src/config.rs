//! Cluster options: from a TOML file (`--slurm-config`), then the command line on top.
//!
//! ```toml
//! partition = "short"
//! account = "econ-lab"
//! opts = ["--qos=normal"]                 # more sbatch options, one argument each
//! prelude = ["module load gcc/13"]        # shell lines each job runs before the worker
//! throttle = 16                           # array elements of one array running at once (%K)
//! tasks_per_job = 0                       # tasks per array element; 0: automatic
//! resources = { cpus = 1, mem = "2G", time = "01:00:00" }   # defaults below operation and node
//! ```

use robocarb_dag::Resources;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A config file that cannot be used, with the file and (where it applies) the line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}:{line}: {message}")]
    At {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// How runs are submitted and watched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlurmConfig {
    pub partition: Option<String>,
    pub account: Option<String>,
    /// More sbatch options, each one argument (`--qos=short`).
    pub opts: Vec<String>,
    /// Shell lines each job runs before the worker (`module load ...`).
    pub prelude: Vec<String>,
    /// At most this many elements of one array run at once (`--array=0-N%throttle`).
    pub throttle: usize,
    /// Tasks per array element; 0 batches automatically so that no array has more than
    /// `max_elements` elements (a 2 ms partition is not a job of its own).
    pub tasks_per_job: usize,
    pub max_elements: usize,
    /// First status query this long after a submission; the interval grows by half each round in
    /// which nothing finished, up to `poll_max_seconds`, and resets when something finishes.
    pub poll_seconds: f64,
    pub poll_max_seconds: f64,
    /// `sbatch` failures that look transient (a busy controller) are retried this many times,
    /// waiting `submit_backoff_seconds`, doubled each time.
    pub submit_retries: u32,
    pub submit_backoff_seconds: f64,
    /// How long a finished job's results may take to appear on the shared filesystem (NFS).
    pub fs_latency_seconds: f64,
    /// Resources of a task whose node and operation name none.
    pub resources: Resources,
    /// Names every job of the run (`--job-name`); default `robocarb-<unix time>-<pid>`.
    pub run_id: Option<String>,
    /// The programs to call (a site may wrap them).
    pub sbatch: String,
    pub squeue: String,
    pub scancel: String,
}

impl Default for SlurmConfig {
    fn default() -> Self {
        SlurmConfig {
            partition: None,
            account: None,
            opts: vec![],
            prelude: vec![],
            throttle: 16,
            tasks_per_job: 0,
            max_elements: 64,
            poll_seconds: 10.0,
            poll_max_seconds: 120.0,
            submit_retries: 5,
            submit_backoff_seconds: 2.0,
            fs_latency_seconds: 60.0,
            resources: Resources {
                cpus: Some(1),
                mem: Some("2G".into()),
                time: Some("01:00:00".into()),
            },
            run_id: None,
            sbatch: "sbatch".into(),
            squeue: "squeue".into(),
            scancel: "scancel".into(),
        }
    }
}

impl SlurmConfig {
    /// Read a config file (keys not given keep their defaults).
    pub fn from_file(file: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Read {
            file: file.to_path_buf(),
            source,
        })?;
        let cfg: SlurmConfig = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(1);
            ConfigError::At {
                file: file.to_path_buf(),
                line,
                message: e.message().to_string(),
            }
        })?;
        cfg.check(&file.display().to_string())?;
        Ok(cfg)
    }

    /// Check values that TOML's types do not; `origin` names where they came from.
    pub fn check(&self, origin: &str) -> Result<(), ConfigError> {
        let bad = |message: String| ConfigError::Invalid {
            origin: origin.to_string(),
            message,
        };
        if self.throttle == 0 {
            return Err(bad("`throttle` must be at least 1".into()));
        }
        if self.max_elements == 0 {
            return Err(bad("`max_elements` must be at least 1".into()));
        }
        for (name, v) in [
            ("poll_seconds", self.poll_seconds),
            ("poll_max_seconds", self.poll_max_seconds),
            ("submit_backoff_seconds", self.submit_backoff_seconds),
            ("fs_latency_seconds", self.fs_latency_seconds),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(bad(format!(
                    "`{name}` must be a number of seconds >= 0, found {v}"
                )));
            }
        }
        if self.poll_seconds <= 0.0 {
            return Err(bad("`poll_seconds` must be more than 0".into()));
        }
        self.resources
            .check()
            .map_err(|m| bad(format!("resources: {m}")))?;
        if let Some(id) = &self.run_id {
            let ok = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
            if !ok {
                return Err(bad(format!(
                    "`run_id` may use only letters, digits, `-`, `_` and `.`, found \"{id}\""
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_override_defaults_and_errors_name_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("slurm.toml");
        std::fs::write(
            &f,
            "partition = \"short\"\nopts = [\"--qos=low\"]\nresources = { mem = \"8G\" }\n",
        )
        .expect("write");
        let c = SlurmConfig::from_file(&f).expect("config");
        assert_eq!(c.partition.as_deref(), Some("short"));
        assert_eq!(c.opts, vec!["--qos=low".to_string()]);
        assert_eq!(c.resources.mem.as_deref(), Some("8G"));
        assert_eq!(c.throttle, SlurmConfig::default().throttle);

        std::fs::write(&f, "partition = \"short\"\nthrotle = 4\n").expect("write");
        let e = SlurmConfig::from_file(&f).unwrap_err().to_string();
        assert!(e.contains("slurm.toml:2:") && e.contains("throtle"), "{e}");

        std::fs::write(&f, "resources = { time = \"1h\" }\n").expect("write");
        let e = SlurmConfig::from_file(&f).unwrap_err().to_string();
        assert!(e.contains("slurm.toml") && e.contains("`time`"), "{e}");

        std::fs::write(&f, "throttle = 0\n").expect("write");
        let e = SlurmConfig::from_file(&f).unwrap_err().to_string();
        assert!(e.contains("`throttle`"), "{e}");
    }
}
