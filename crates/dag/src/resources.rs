//! What a task asks of a cluster node: CPUs, memory, wall time. Plain values in Slurm's notation;
//! an executor without a scheduler ignores them. They are not part of a task's key (they change
//! where a task runs, never what it computes).

use serde::{Deserialize, Serialize};

/// Resources of one task; `None` fields fall back to the operation's, then the executor's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Resources {
    pub cpus: Option<u32>,
    /// Memory as Slurm writes it: a whole number with an optional K, M, G or T suffix.
    pub mem: Option<String>,
    /// Wall time as Slurm writes it: `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM` or `D-HH:MM:SS`.
    pub time: Option<String>,
}

impl Resources {
    /// These resources, with each unset field taken from `fallback`.
    pub fn or(&self, fallback: &Resources) -> Resources {
        Resources {
            cpus: self.cpus.or(fallback.cpus),
            mem: self.mem.clone().or_else(|| fallback.mem.clone()),
            time: self.time.clone().or_else(|| fallback.time.clone()),
        }
    }

    /// Check each set field; the error says which field and what was expected.
    pub fn check(&self) -> Result<(), String> {
        if self.cpus == Some(0) {
            return Err("`cpus` must be at least 1".into());
        }
        if let Some(m) = &self.mem {
            if !valid_mem(m) {
                return Err(format!(
                    "`mem` must be a whole number with an optional K, M, G or T suffix (e.g. \"4G\"), found \"{m}\""
                ));
            }
        }
        if let Some(t) = &self.time {
            if !valid_time(t) {
                return Err(format!(
                    "`time` must be MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (e.g. \"00:30:00\"), found \"{t}\""
                ));
            }
        }
        Ok(())
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn valid_mem(m: &str) -> bool {
    let digits = m.strip_suffix(['K', 'M', 'G', 'T']).unwrap_or(m);
    all_digits(digits) && digits.bytes().any(|b| b != b'0')
}

fn valid_time(t: &str) -> bool {
    let (days, rest) = match t.split_once('-') {
        Some((d, r)) => (Some(d), r),
        None => (None, t),
    };
    if days.is_some_and(|d| !all_digits(d)) {
        return false;
    }
    let parts: Vec<&str> = rest.split(':').collect();
    let ok_parts = parts.iter().all(|p| all_digits(p));
    // With days the first part is hours (1-3 parts); without, MM, MM:SS or HH:MM:SS.
    ok_parts && (1..=3).contains(&parts.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_fall_back_one_by_one() {
        let node = Resources {
            cpus: Some(2),
            mem: None,
            time: Some("00:10:00".into()),
        };
        let op = Resources {
            cpus: Some(1),
            mem: Some("4G".into()),
            time: Some("01:00:00".into()),
        };
        assert_eq!(
            node.or(&op),
            Resources {
                cpus: Some(2),
                mem: Some("4G".into()),
                time: Some("00:10:00".into())
            }
        );
    }

    #[test]
    fn slurm_notations_are_accepted_and_others_named() {
        for t in ["30", "30:00", "00:30:00", "1-0", "1-02:00", "2-00:00:00"] {
            let r = Resources {
                time: Some(t.into()),
                ..Default::default()
            };
            assert_eq!(r.check(), Ok(()), "{t}");
        }
        for t in ["", "1h", "1:2:3:4", "x-01", "-01"] {
            let r = Resources {
                time: Some(t.into()),
                ..Default::default()
            };
            assert!(r.check().unwrap_err().contains("`time`"), "{t}");
        }
        for m in ["512", "512M", "4G", "1T"] {
            let r = Resources {
                mem: Some(m.into()),
                ..Default::default()
            };
            assert_eq!(r.check(), Ok(()), "{m}");
        }
        for m in ["", "4GB", "G", "0", "4.5G"] {
            let r = Resources {
                mem: Some(m.into()),
                ..Default::default()
            };
            assert!(r.check().unwrap_err().contains("`mem`"), "{m}");
        }
        let zero = Resources {
            cpus: Some(0),
            ..Default::default()
        };
        assert!(zero.check().unwrap_err().contains("`cpus`"));
    }
}
