//! Loading `pipelines/*.toml` (and a sources file) into a checked graph, with errors that name the
//! file and the line.
//!
//! ```toml
//! [sources.ceads_city]
//! path = "../data/default/ceads/City_CO2_Emission_Inventories.xlsx"   # relative to this file
//! sheet = "emission vector"                                            # options, passed to the adapter
//!
//! [nodes.ceads]
//! op = "read_ceads_city"
//! inputs = { file = "source:ceads_city", cities = "cities" }
//! params = { min_year = 2006 }
//! publish = "sources"                                                  # optional: out/<publish>/...
//! ```

use crate::registry::{ParamKind, Registry};
use robocarb_dag::{Binding, Graph, GraphError, NodeSpec, ParamValue, Params, SourceSpec};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A pipeline-file error, with the file and (where it applies) the line.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}: {message}")]
    At {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: {source}")]
    Graph { file: String, source: GraphError },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineFile {
    #[serde(default)]
    sources: BTreeMap<String, Spanned<toml::Table>>,
    #[serde(default)]
    nodes: BTreeMap<String, Spanned<NodeFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeFile {
    op: Spanned<String>,
    #[serde(default)]
    inputs: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    params: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    publish: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    #[serde(default)]
    sources: BTreeMap<String, Spanned<toml::Table>>,
}

/// A loaded pipeline.
pub struct Pipeline {
    pub graph: Graph,
    /// The pipeline file.
    pub file: PathBuf,
    /// The project root: the folder above `pipelines/` (where `cache/` and `out/` go by default).
    pub root: PathBuf,
    /// Where each source was declared (file path), for messages.
    pub source_origin: BTreeMap<String, PathBuf>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn toml_error(file: &Path, text: &str, e: toml::de::Error) -> LoadError {
    let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
    LoadError::At {
        file: file.display().to_string(),
        line,
        message: e.message().to_string(),
    }
}

fn source_spec(
    name: &str,
    table: &Spanned<toml::Table>,
    base: &Path,
    file: &Path,
    text: &str,
) -> Result<SourceSpec, LoadError> {
    let at = |message: String| LoadError::At {
        file: file.display().to_string(),
        line: line_of(text, table.span().start),
        message,
    };
    let path = match table.get_ref().get("path") {
        Some(toml::Value::String(p)) => p.clone(),
        Some(other) => {
            return Err(at(format!(
                "source `{name}`: `path` must be a string, found {}",
                other.type_str()
            )))
        }
        None => return Err(at(format!("source `{name}` has no `path`"))),
    };
    let mut options = BTreeMap::new();
    for (k, v) in table.get_ref() {
        if k == "path" {
            continue;
        }
        let s = match v {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(at(format!(
                    "source `{name}`: option `{k}` must be a scalar, found {}",
                    other.type_str()
                )))
            }
        };
        options.insert(k.clone(), s);
    }
    let p = PathBuf::from(&path);
    let path = if p.is_absolute() { p } else { base.join(p) };
    Ok(SourceSpec {
        name: name.to_string(),
        path: normalize(&path),
        options,
    })
}

/// Remove `.` and `..` components lexically, so messages show clean paths.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn convert(v: &toml::Value) -> Option<ParamValue> {
    Some(match v {
        toml::Value::Integer(i) => ParamValue::Int(*i),
        toml::Value::Float(f) => ParamValue::Float(*f),
        toml::Value::Boolean(b) => ParamValue::Bool(*b),
        toml::Value::String(s) => ParamValue::Str(s.clone()),
        toml::Value::Array(a) => {
            ParamValue::List(a.iter().map(convert).collect::<Option<Vec<_>>>()?)
        }
        _ => return None,
    })
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Load `file`, apply `sources_override` (a file with `[sources.NAME]` tables whose paths are
/// relative to it), and check the graph.
pub fn load(
    file: &Path,
    sources_override: Option<&Path>,
    registry: &Registry,
) -> Result<Pipeline, LoadError> {
    let fname = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|source| LoadError::Read {
        file: fname.clone(),
        source,
    })?;
    load_text(file, &text, sources_override, registry)
}

/// [`load`] on the text of a pipeline file (`file` names it in messages and anchors relative paths).
pub fn load_text(
    file: &Path,
    text: &str,
    sources_override: Option<&Path>,
    registry: &Registry,
) -> Result<Pipeline, LoadError> {
    let fname = file.display().to_string();
    let text = text.to_string();
    let parsed: PipelineFile = toml::from_str(&text).map_err(|e| toml_error(file, &text, e))?;
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let root = normalize(&base.join(".."));
    let (sources, origin) = merge_sources(file, &text, &parsed, sources_override, true)?;
    let mut nodes = Vec::new();
    for (name, node) in &parsed.nodes {
        let nline = line_of(&text, node.span().start);
        let at = |line: usize, message: String| LoadError::At {
            file: fname.clone(),
            line,
            message,
        };
        if !valid_name(name) {
            return Err(at(
                nline,
                format!("node name `{name}` may use only letters, digits, `_` and `-`"),
            ));
        }
        let n = node.get_ref();
        let op_name = n.op.get_ref();
        let Some(entry) = registry.get(op_name) else {
            return Err(at(
                line_of(&text, n.op.span().start),
                format!(
                    "node `{name}`: unknown operation `{op_name}`; known operations: {}",
                    registry.names().join(", ")
                ),
            ));
        };
        let mut inputs = BTreeMap::new();
        for (slot, target) in &n.inputs {
            let line = line_of(&text, target.span().start);
            let t = target.get_ref();
            let binding = match t.strip_prefix("source:") {
                Some(s) => {
                    if !sources.contains_key(s) {
                        return Err(at(
                            line,
                            format!("node `{name}`: input `{slot}` names unknown source `{s}`"),
                        ));
                    }
                    Binding::Source(s.to_string())
                }
                None => {
                    if !parsed.nodes.contains_key(t) {
                        return Err(at(
                            line,
                            format!("node `{name}`: input `{slot}` names unknown node `{t}`"),
                        ));
                    }
                    Binding::Node(t.clone())
                }
            };
            let slots = entry.op.slots();
            if !slots.iter().any(|s| s.name == slot) {
                return Err(at(
                    line,
                    format!(
                        "node `{name}`: operation `{op_name}` has no input `{slot}` (it takes: {})",
                        slots.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            inputs.insert(slot.clone(), binding);
        }
        let mut params = Params::new();
        for (pname, value) in &n.params {
            let line = line_of(&text, value.span().start);
            let Some(spec) = entry.params.iter().find(|p| p.name == pname) else {
                return Err(at(
                    line,
                    format!(
                        "node `{name}`: operation `{op_name}` has no parameter `{pname}` (it takes: {})",
                        entry.params.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            let Some(v) = convert(value.get_ref()).and_then(|v| spec.kind.accept(v)) else {
                return Err(at(
                    line,
                    format!(
                        "node `{name}`: parameter `{pname}` must be {}, found {} `{}`",
                        spec.kind.describe(),
                        value.get_ref().type_str(),
                        value.get_ref()
                    ),
                ));
            };
            params.insert(pname.clone(), v);
        }
        for spec in &entry.params {
            if !params.contains_key(spec.name) {
                params.insert(spec.name.to_string(), spec.default.clone());
            }
        }
        nodes.push(NodeSpec {
            name: name.clone(),
            op: entry.op.clone(),
            params,
            inputs,
            publish: n.publish.clone(),
        });
    }
    let graph = Graph::new(nodes, sources).map_err(|source| LoadError::Graph {
        file: fname.clone(),
        source,
    })?;
    Ok(Pipeline {
        graph,
        file: file.to_path_buf(),
        root,
        source_origin: origin,
    })
}

/// Sources declared by a pipeline, after a sources file's overrides; each with the file that
/// declared it.
pub type DeclaredSources = BTreeMap<String, (SourceSpec, PathBuf)>;

/// The sources of pipeline `file` after applying `sources_override`, without building the graph
/// and without requiring the files to exist (for `robocarb check`, which reports missing files).
pub fn declared_sources(
    file: &Path,
    sources_override: Option<&Path>,
) -> Result<DeclaredSources, LoadError> {
    let text = std::fs::read_to_string(file).map_err(|source| LoadError::Read {
        file: file.display().to_string(),
        source,
    })?;
    let parsed: PipelineFile = toml::from_str(&text).map_err(|e| toml_error(file, &text, e))?;
    let (sources, mut origin) = merge_sources(file, &text, &parsed, sources_override, false)?;
    Ok(sources
        .into_iter()
        .map(|(name, spec)| {
            let from = origin.remove(&name).unwrap_or_else(|| file.to_path_buf());
            (name, (spec, from))
        })
        .collect())
}

type SourcesAndOrigin = (BTreeMap<String, SourceSpec>, BTreeMap<String, PathBuf>);

/// The pipeline's sources with `sources_override` applied (paths relative to their file).
fn merge_sources(
    file: &Path,
    text: &str,
    parsed: &PipelineFile,
    sources_override: Option<&Path>,
    require_existing: bool,
) -> Result<SourcesAndOrigin, LoadError> {
    let fname = file.display().to_string();
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut sources = BTreeMap::new();
    let mut origin = BTreeMap::new();
    for (name, table) in &parsed.sources {
        if !valid_name(name) {
            return Err(LoadError::At {
                file: fname.clone(),
                line: line_of(text, table.span().start),
                message: format!("source name `{name}` may use only letters, digits, `_` and `-`"),
            });
        }
        sources.insert(name.clone(), source_spec(name, table, &base, file, text)?);
        origin.insert(name.clone(), file.to_path_buf());
    }
    if let Some(sfile) = sources_override {
        let sname = sfile.display().to_string();
        let stext = std::fs::read_to_string(sfile).map_err(|source| LoadError::Read {
            file: sname.clone(),
            source,
        })?;
        let sparsed: SourcesFile =
            toml::from_str(&stext).map_err(|e| toml_error(sfile, &stext, e))?;
        let sbase = sfile.parent().map(Path::to_path_buf).unwrap_or_default();
        for (name, table) in &sparsed.sources {
            let Some(default) = sources.get(name) else {
                return Err(LoadError::At {
                    file: sname.clone(),
                    line: line_of(&stext, table.span().start),
                    message: format!(
                        "unknown source `{name}`; the pipeline declares: {}",
                        sources.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                });
            };
            let mut spec = source_spec(name, table, &sbase, sfile, &stext)?;
            // Options not given in the override keep the pipeline's defaults only when the path is
            // the same kind of file; a user switching files states their options explicitly.
            for (k, v) in &default.options {
                if !spec.options.contains_key(k)
                    && !table.get_ref().contains_key(k)
                    && same_extension(&default.path, &spec.path)
                {
                    spec.options.insert(k.clone(), v.clone());
                }
            }
            if require_existing && !spec.path.exists() {
                return Err(LoadError::At {
                    file: sname.clone(),
                    line: line_of(&stext, table.span().start),
                    message: format!(
                        "source `{name}`: file {} does not exist",
                        spec.path.display()
                    ),
                });
            }
            sources.insert(name.clone(), spec);
            origin.insert(name.clone(), sfile.to_path_buf());
        }
    }
    Ok((sources, origin))
}

fn same_extension(a: &Path, b: &Path) -> bool {
    a.extension().map(|e| e.to_ascii_lowercase()) == b.extension().map(|e| e.to_ascii_lowercase())
}

impl ParamKind {
    /// Accept `v` as this kind (an integer is accepted where a float is expected).
    pub fn accept(&self, v: ParamValue) -> Option<ParamValue> {
        match (self, v) {
            (ParamKind::Int, v @ ParamValue::Int(_)) => Some(v),
            (ParamKind::Float, v @ ParamValue::Float(_)) => Some(v),
            (ParamKind::Float, ParamValue::Int(i)) => Some(ParamValue::Float(i as f64)),
            (ParamKind::Bool, v @ ParamValue::Bool(_)) => Some(v),
            (ParamKind::Str, v @ ParamValue::Str(_)) => Some(v),
            (ParamKind::Choice(choices), ParamValue::Str(s)) if choices.contains(&s.as_str()) => {
                Some(ParamValue::Str(s))
            }
            (ParamKind::StrList, ParamValue::List(items))
                if items.iter().all(|i| matches!(i, ParamValue::Str(_))) =>
            {
                Some(ParamValue::List(items))
            }
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            ParamKind::Int => "an integer".into(),
            ParamKind::Float => "a number".into(),
            ParamKind::Bool => "a boolean".into(),
            ParamKind::Str => "a string".into(),
            ParamKind::Choice(c) => format!(
                "one of {}",
                c.iter()
                    .map(|s| format!("\"{s}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ParamKind::StrList => "a list of strings".into(),
        }
    }
}
