//! The manifest of a task: everything that determines its output, encoded canonically so that its
//! blake3 digest is the task's key, and stored so that staleness can be explained part by part.

use crate::hash::ContentHash;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A typed parameter value. Floats compare and hash by their bit pattern.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum ParamValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    List(Vec<ParamValue>),
}

impl ParamValue {
    /// A short name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            ParamValue::Int(_) => "integer",
            ParamValue::Float(_) => "float",
            ParamValue::Bool(_) => "boolean",
            ParamValue::Str(_) => "string",
            ParamValue::List(_) => "list",
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ParamValue::Int(v) => {
                out.push(1);
                out.extend_from_slice(&v.to_le_bytes());
            }
            ParamValue::Float(v) => {
                out.push(2);
                out.extend_from_slice(&v.to_bits().to_le_bytes());
            }
            ParamValue::Bool(v) => {
                out.push(3);
                out.push(u8::from(*v));
            }
            ParamValue::Str(s) => {
                out.push(4);
                put_str(out, s);
            }
            ParamValue::List(items) => {
                out.push(5);
                out.extend_from_slice(&(items.len() as u64).to_le_bytes());
                for item in items {
                    item.encode(out);
                }
            }
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Int(v) => write!(f, "{v}"),
            ParamValue::Float(v) => write!(f, "{v}"),
            ParamValue::Bool(v) => write!(f, "{v}"),
            ParamValue::Str(s) => write!(f, "{s:?}"),
            ParamValue::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Typed parameters of a node, sorted by name.
pub type Params = BTreeMap<String, ParamValue>;

/// One input of a task: a label (`source:NAME` or `SLOT/OUTPUT`), the content hash, and an
/// informational note (the file path of a source) that is shown by `why` but is not part of the key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestInput {
    pub label: String,
    pub hash: ContentHash,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// Everything that determines a task's output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub op: String,
    /// Code fingerprint as `part=hash;part=hash` (e.g. `crate:dea=1a2b..;glue:ops/dea.rs=3c4d..`), so
    /// that a change can be traced to the crate that changed.
    pub code: String,
    pub schema_version: u32,
    pub partition: Option<String>,
    pub params: Params,
    pub inputs: Vec<ManifestInput>,
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl Manifest {
    /// Canonical, length-prefixed encoding. Inputs are sorted by label so their order in the pipeline
    /// file does not matter; notes are excluded.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"robocarb-manifest-v1\0");
        put_str(&mut out, &self.op);
        put_str(&mut out, &self.code);
        out.extend_from_slice(&self.schema_version.to_le_bytes());
        match &self.partition {
            None => out.push(0),
            Some(p) => {
                out.push(1);
                put_str(&mut out, p);
            }
        }
        out.extend_from_slice(&(self.params.len() as u64).to_le_bytes());
        for (name, value) in &self.params {
            put_str(&mut out, name);
            value.encode(&mut out);
        }
        let mut inputs: Vec<&ManifestInput> = self.inputs.iter().collect();
        inputs.sort_by(|a, b| a.label.cmp(&b.label));
        out.extend_from_slice(&(inputs.len() as u64).to_le_bytes());
        for input in inputs {
            put_str(&mut out, &input.label);
            out.extend_from_slice(&input.hash.0);
        }
        out
    }

    /// The task key: blake3 of the canonical encoding.
    pub fn key(&self) -> ContentHash {
        ContentHash::of(&self.canonical_bytes())
    }

    /// What changed from `old` to `self`, part by part.
    pub fn diff(&self, old: &Manifest) -> Vec<Change> {
        let mut changes = Vec::new();
        if self.op != old.op {
            changes.push(Change::Operation {
                old: old.op.clone(),
                new: self.op.clone(),
            });
        }
        if self.code != old.code {
            let old_parts = code_parts(&old.code);
            let new_parts = code_parts(&self.code);
            let mut names: Vec<&str> = old_parts.keys().chain(new_parts.keys()).copied().collect();
            names.sort_unstable();
            names.dedup();
            for name in names {
                let (o, n) = (old_parts.get(name), new_parts.get(name));
                if o != n {
                    changes.push(Change::Code {
                        part: name.to_string(),
                        old: o.map(|s| s.to_string()),
                        new: n.map(|s| s.to_string()),
                    });
                }
            }
        }
        if self.schema_version != old.schema_version {
            changes.push(Change::Schema {
                old: old.schema_version,
                new: self.schema_version,
            });
        }
        let mut names: Vec<&String> = old.params.keys().chain(self.params.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            let (o, n) = (old.params.get(name), self.params.get(name));
            if o != n {
                changes.push(Change::Param {
                    name: name.clone(),
                    old: o.cloned(),
                    new: n.cloned(),
                });
            }
        }
        let old_inputs: BTreeMap<&str, &ManifestInput> =
            old.inputs.iter().map(|i| (i.label.as_str(), i)).collect();
        let new_inputs: BTreeMap<&str, &ManifestInput> =
            self.inputs.iter().map(|i| (i.label.as_str(), i)).collect();
        let mut labels: Vec<&str> = old_inputs
            .keys()
            .chain(new_inputs.keys())
            .copied()
            .collect();
        labels.sort_unstable();
        labels.dedup();
        for label in labels {
            let (o, n) = (old_inputs.get(label), new_inputs.get(label));
            if o.map(|i| i.hash) != n.map(|i| i.hash) {
                let note = n.or(o).map(|i| i.note.clone()).unwrap_or_default();
                changes.push(Change::Input {
                    label: label.to_string(),
                    note,
                    old: o.map(|i| i.hash),
                    new: n.map(|i| i.hash),
                });
            }
        }
        changes
    }
}

fn code_parts(code: &str) -> BTreeMap<&str, &str> {
    code.split(';')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect()
}

/// One changed part of a manifest, old -> new.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Change {
    Operation {
        old: String,
        new: String,
    },
    Code {
        part: String,
        old: Option<String>,
        new: Option<String>,
    },
    Schema {
        old: u32,
        new: u32,
    },
    Param {
        name: String,
        old: Option<ParamValue>,
        new: Option<ParamValue>,
    },
    Input {
        label: String,
        note: String,
        old: Option<ContentHash>,
        new: Option<ContentHash>,
    },
}

fn short_opt(h: &Option<ContentHash>) -> String {
    h.map(|h| h.short()).unwrap_or_else(|| "(none)".into())
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Operation { old, new } => write!(f, "operation {old} -> {new}"),
            Change::Code { part, old, new } => {
                let s = |v: &Option<String>| match v {
                    Some(v) => v.chars().take(8).collect::<String>(),
                    None => "(none)".into(),
                };
                write!(f, "code {part} changed {} -> {}", s(old), s(new))
            }
            Change::Schema { old, new } => write!(f, "output schema v{old} -> v{new}"),
            Change::Param { name, old, new } => {
                let s = |v: &Option<ParamValue>| {
                    v.as_ref()
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "(unset)".into())
                };
                write!(f, "param {name} {} -> {}", s(old), s(new))
            }
            Change::Input {
                label,
                note,
                old,
                new,
            } => {
                if note.is_empty() {
                    write!(f, "input {label} {} -> {}", short_opt(old), short_opt(new))
                } else {
                    write!(
                        f,
                        "input {label} ({note}) {} -> {}",
                        short_opt(old),
                        short_opt(new)
                    )
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        let mut params = Params::new();
        params.insert("winsor".into(), ParamValue::Float(0.01));
        Manifest {
            op: "build_panel".into(),
            code: "crate:ingest=aaaa;crate:panel=bbbb".into(),
            schema_version: 1,
            partition: None,
            params,
            inputs: vec![
                ManifestInput {
                    label: "source:a".into(),
                    hash: ContentHash::of(b"a"),
                    note: "a.csv".into(),
                },
                ManifestInput {
                    label: "x/out".into(),
                    hash: ContentHash::of(b"x"),
                    note: String::new(),
                },
            ],
        }
    }

    #[test]
    fn key_ignores_input_order_and_notes() {
        let a = sample();
        let mut b = sample();
        b.inputs.reverse();
        b.inputs[0].note = "elsewhere.csv".into();
        assert_eq!(a.key(), b.key());
    }

    #[test]
    fn every_part_changes_the_key() {
        let base = sample().key();
        let mut m = sample();
        m.op = "other".into();
        assert_ne!(m.key(), base);
        let mut m = sample();
        m.code = "crate:ingest=cccc;crate:panel=bbbb".into();
        assert_ne!(m.key(), base);
        let mut m = sample();
        m.schema_version = 2;
        assert_ne!(m.key(), base);
        let mut m = sample();
        m.partition = Some("2015".into());
        assert_ne!(m.key(), base);
        let mut m = sample();
        m.params.insert("winsor".into(), ParamValue::Float(0.05));
        assert_ne!(m.key(), base);
        let mut m = sample();
        m.inputs[0].hash = ContentHash::of(b"changed");
        assert_ne!(m.key(), base);
    }

    #[test]
    fn length_prefix_prevents_ambiguity() {
        // "ab"+"c" and "a"+"bc" must not collide.
        let mut m1 = sample();
        m1.op = "ab".into();
        m1.code = "c".into();
        let mut m2 = sample();
        m2.op = "a".into();
        m2.code = "bc".into();
        assert_ne!(m1.key(), m2.key());
    }

    #[test]
    fn int_and_float_params_differ() {
        let mut m1 = sample();
        m1.params.insert("n".into(), ParamValue::Int(1));
        let mut m2 = sample();
        m2.params.insert("n".into(), ParamValue::Float(1.0));
        assert_ne!(m1.key(), m2.key());
    }

    #[test]
    fn diff_names_each_part() {
        let old = sample();
        let mut new = sample();
        new.code = "crate:ingest=cccc;crate:panel=bbbb".into();
        new.params.insert("winsor".into(), ParamValue::Float(0.05));
        new.inputs[0].hash = ContentHash::of(b"changed");
        let changes = new.diff(&old);
        let text: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(
            text[0].starts_with("code crate:ingest changed aaaa -> cccc"),
            "{}",
            text[0]
        );
        assert_eq!(text[1], "param winsor 0.01 -> 0.05");
        assert!(
            text[2].starts_with("input source:a (a.csv) "),
            "{}",
            text[2]
        );
        assert!(text[2].contains(" -> "));
        assert!(sample().diff(&sample()).is_empty());
    }
}
