//! The operations registry: every operation a pipeline file may name, with its parameters.

use robocarb_dag::{Operation, ParamValue};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The type of a parameter.
#[derive(Clone, Debug)]
pub enum ParamKind {
    Int,
    Float,
    Bool,
    Str,
    Choice(&'static [&'static str]),
    StrList,
}

/// A parameter an operation takes, with its default.
#[derive(Clone, Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: ParamValue,
    pub doc: &'static str,
}

/// A registered operation.
#[derive(Clone)]
pub struct OpEntry {
    pub op: Arc<dyn Operation>,
    pub params: Vec<ParamSpec>,
}

/// Operation name -> entry.
#[derive(Default, Clone)]
pub struct Registry {
    ops: BTreeMap<String, OpEntry>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, op: Arc<dyn Operation>, params: Vec<ParamSpec>) {
        self.ops
            .insert(op.name().to_string(), OpEntry { op, params });
    }

    pub fn get(&self, name: &str) -> Option<&OpEntry> {
        self.ops.get(name)
    }

    pub fn names(&self) -> Vec<String> {
        self.ops.keys().cloned().collect()
    }
}
