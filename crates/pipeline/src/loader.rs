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
//! resources = { cpus = 2, mem = "4G", time = "00:30:00" }               # optional: per task, on a cluster
//! ```

use crate::declare::{Declarations, ModelText};
use crate::multiverse::{variant_chain, Multiverse, MultiverseFile, Specification};
use crate::ops::model::ResolvedModel;
use crate::ops::table::{TableColumn, TableOp, TableSpec};
use crate::registry::{ParamKind, Registry};
use robocarb_dag::{
    Binding, Graph, GraphError, NodeSpec, ParamValue, Params, Resources, SourceSpec,
};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
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
    /// Another pipeline file (relative to this one) whose declarations this one extends.
    #[serde(default)]
    extends: Option<Spanned<String>>,
    #[serde(default)]
    sources: BTreeMap<String, Spanned<toml::Table>>,
    #[serde(default)]
    nodes: BTreeMap<String, Spanned<NodeFile>>,
    #[serde(default)]
    sets: BTreeMap<String, Spanned<Vec<String>>>,
    #[serde(default)]
    aliases: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    xtset: Option<Spanned<XtsetFile>>,
    #[serde(default)]
    models: BTreeMap<String, Spanned<ModelFile>>,
    #[serde(default)]
    mediations: BTreeMap<String, Spanned<MediationFile>>,
    #[serde(default)]
    group_differences: BTreeMap<String, Spanned<GroupDiffFile>>,
    #[serde(default)]
    tables: BTreeMap<String, Spanned<TableFile>>,
    #[serde(default)]
    multiverses: BTreeMap<String, Spanned<MultiverseFile>>,
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
    /// What each task needs on a cluster: `{ cpus = 2, mem = "4G", time = "00:30:00" }`.
    #[serde(default)]
    resources: Option<Spanned<ResourcesFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourcesFile {
    cpus: Option<u32>,
    mem: Option<String>,
    time: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct XtsetFile {
    panel: Option<String>,
    time: Option<String>,
}

/// The parts every model-like declaration has.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    formula: Spanned<String>,
    estimator: Option<Spanned<String>>,
    vcov: Option<Spanned<String>>,
    sample: Option<Spanned<String>>,
    years: Option<Spanned<String>>,
    sample_name: Option<String>,
    data: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MediationFile {
    formula: Spanned<String>,
    mediator: String,
    vcov: Option<Spanned<String>>,
    sample: Option<Spanned<String>>,
    years: Option<Spanned<String>>,
    data: Option<Spanned<String>>,
    bootstrap_reps: i64,
    seed: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupDiffFile {
    formula: Spanned<String>,
    by: String,
    coef: Option<String>,
    vcov: Option<Spanned<String>>,
    sample: Option<Spanned<String>>,
    years: Option<Spanned<String>>,
    data: Option<Spanned<String>>,
    permutations: i64,
    seed: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    title: String,
    columns: Vec<Spanned<ColumnFile>>,
    #[serde(default)]
    rows: Vec<String>,
    #[serde(default)]
    notes: Vec<String>,
    controls: Option<String>,
    paper: Option<String>,
    publish: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnFile {
    model: String,
    label: Option<String>,
    /// `"first"`: the first stage of an IV model.
    stage: Option<String>,
    tests: Option<String>,
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
    /// Where each node was declared (file, line), for messages about it.
    pub declared_at: BTreeMap<String, (PathBuf, usize)>,
    /// The sets, aliases and panel variables models are resolved with (`robocarb fit` uses them).
    pub declarations: Declarations,
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

/// Which multiverses (`[multiverses.NAME]`) join the graph. Their specifications are many
/// nodes and their joint inference is the longest computation of a file, so a plain run leaves
/// them out; `robocarb multiverse NAME` and `run --multiverse NAME` bring them in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MultiverseSelection {
    #[default]
    None,
    All,
    Named(Vec<String>),
}

/// Load `file`, apply `sources_override` (a file with `[sources.NAME]` tables whose paths are
/// relative to it), and check the graph.
pub fn load(
    file: &Path,
    sources_override: Option<&Path>,
    registry: &Registry,
) -> Result<Pipeline, LoadError> {
    load_with(file, sources_override, registry, &MultiverseSelection::None)
}

/// [`load`] with the multiverses of `selection` in the graph.
pub fn load_with(
    file: &Path,
    sources_override: Option<&Path>,
    registry: &Registry,
    selection: &MultiverseSelection,
) -> Result<Pipeline, LoadError> {
    let fname = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|source| LoadError::Read {
        file: fname.clone(),
        source,
    })?;
    load_text_with(file, &text, sources_override, registry, selection)
}

/// One pipeline file of an `extends` chain.
struct Layer {
    file: PathBuf,
    text: String,
    parsed: PipelineFile,
}

impl Layer {
    fn at(&self, offset: usize, message: String) -> LoadError {
        LoadError::At {
            file: self.file.display().to_string(),
            line: line_of(&self.text, offset),
            message,
        }
    }
    fn base(&self) -> PathBuf {
        self.file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// The file and the files it extends, the most basic first.
fn layers(file: &Path, text: &str) -> Result<Vec<Layer>, LoadError> {
    let mut out: Vec<Layer> = Vec::new();
    let mut next = Some((file.to_path_buf(), text.to_string()));
    while let Some((f, t)) = next.take() {
        let parsed: PipelineFile = toml::from_str(&t).map_err(|e| toml_error(&f, &t, e))?;
        let layer = Layer {
            file: f,
            text: t,
            parsed,
        };
        if let Some(ext) = &layer.parsed.extends {
            let base = normalize(&layer.base().join(ext.get_ref()));
            if base == layer.file || out.iter().any(|l| l.file == base) || out.len() > 16 {
                return Err(layer.at(
                    ext.span().start,
                    format!("`extends` makes a cycle through {}", base.display()),
                ));
            }
            let btext = std::fs::read_to_string(&base).map_err(|e| {
                layer.at(
                    ext.span().start,
                    format!("extends {}: cannot read: {e}", base.display()),
                )
            })?;
            next = Some((base, btext));
        }
        out.push(layer);
    }
    out.reverse();
    Ok(out)
}

/// A section's entries over all layers: a later layer's entry replaces an earlier one's.
fn merged<'a, T>(
    layers: &'a [Layer],
    section: impl Fn(&'a PipelineFile) -> &'a BTreeMap<String, Spanned<T>>,
) -> BTreeMap<&'a str, (&'a Layer, &'a Spanned<T>)> {
    let mut m = BTreeMap::new();
    for l in layers {
        for (k, v) in section(&l.parsed) {
            m.insert(k.as_str(), (l, v));
        }
    }
    m
}

/// [`load`] on the text of a pipeline file (`file` names it in messages and anchors relative paths).
pub fn load_text(
    file: &Path,
    text: &str,
    sources_override: Option<&Path>,
    registry: &Registry,
) -> Result<Pipeline, LoadError> {
    load_text_with(
        file,
        text,
        sources_override,
        registry,
        &MultiverseSelection::None,
    )
}

/// [`load_with`] on the text of a pipeline file.
pub fn load_text_with(
    file: &Path,
    text: &str,
    sources_override: Option<&Path>,
    registry: &Registry,
    selection: &MultiverseSelection,
) -> Result<Pipeline, LoadError> {
    let fname = file.display().to_string();
    let layers = layers(file, text)?;
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let root = normalize(&base.join(".."));
    let (sources, origin) = merge_sources(&layers, sources_override, true)?;
    let declarations = declarations(&layers)?;
    let node_decls = merged(&layers, |p| &p.nodes);
    let mut decl = Declared::default();
    models(&layers, &declarations, &mut decl)?;
    tests(&layers, &declarations, &mut decl)?;
    // Every node name, declared any way (for input checks), and no name declared two ways.
    let mut all_names: BTreeMap<String, &str> = BTreeMap::new();
    for n in node_decls.keys() {
        all_names.insert(n.to_string(), "node");
    }
    for (n, kind) in decl.nodes.iter().map(|d| (d.name.clone(), d.kind)) {
        if let Some(prev) = all_names.insert(n.clone(), kind) {
            let (file, line) = &decl.at[&n];
            return Err(LoadError::At {
                file: file.display().to_string(),
                line: *line,
                message: format!("`{n}` is declared both as a {prev} and as a {kind}"),
            });
        }
    }
    tables(&layers, &declarations, &all_names, &mut decl)?;
    for d in &decl.nodes {
        all_names.entry(d.name.clone()).or_insert(d.kind);
    }
    let mut nodes = Vec::new();
    let mut declared_at = decl.at.clone();
    for (name, (layer, node)) in &node_decls {
        let name = *name;
        declared_at.insert(
            name.to_string(),
            (layer.file.clone(), line_of(&layer.text, node.span().start)),
        );
        if all_names.get(name) != Some(&"node") {
            continue;
        }
        let nline = node.span().start;
        if !valid_name(name) {
            return Err(layer.at(
                nline,
                format!("node name `{name}` may use only letters, digits, `_` and `-`"),
            ));
        }
        let n = node.get_ref();
        let op_name = n.op.get_ref();
        let Some(entry) = registry.get(op_name) else {
            return Err(layer.at(
                n.op.span().start,
                format!(
                    "node `{name}`: unknown operation `{op_name}`; known operations: {}",
                    registry.names().join(", ")
                ),
            ));
        };
        let mut inputs = BTreeMap::new();
        for (slot, target) in &n.inputs {
            let at = target.span().start;
            let t = target.get_ref();
            let binding = match t.strip_prefix("source:") {
                Some(s) => {
                    if !sources.contains_key(s) {
                        return Err(layer.at(
                            at,
                            format!("node `{name}`: input `{slot}` names unknown source `{s}`"),
                        ));
                    }
                    Binding::Source(s.to_string())
                }
                None => {
                    if !all_names.contains_key(t.as_str()) {
                        return Err(layer.at(
                            at,
                            format!("node `{name}`: input `{slot}` names unknown node `{t}`"),
                        ));
                    }
                    Binding::Node(t.clone())
                }
            };
            let slots = entry.op.slots();
            if !slots.iter().any(|s| s.name == slot) {
                return Err(layer.at(
                    at,
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
            let at = value.span().start;
            let Some(spec) = entry.params.iter().find(|p| p.name == pname) else {
                return Err(layer.at(
                    at,
                    format!(
                        "node `{name}`: operation `{op_name}` has no parameter `{pname}` (it takes: {})",
                        entry.params.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            let Some(v) = convert(value.get_ref()).and_then(|v| spec.kind.accept(v)) else {
                return Err(layer.at(
                    at,
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
        let resources = match &n.resources {
            None => Resources::default(),
            Some(r) => {
                let ResourcesFile { cpus, mem, time } = r.get_ref();
                let resources = Resources {
                    cpus: *cpus,
                    mem: mem.clone(),
                    time: time.clone(),
                };
                resources.check().map_err(|message| {
                    layer.at(
                        r.span().start,
                        format!("node `{name}`: resources: {message}"),
                    )
                })?;
                resources
            }
        };
        nodes.push(NodeSpec {
            name: name.to_string(),
            op: entry.op.clone(),
            params,
            inputs,
            publish: n.publish.clone(),
            resources,
        });
    }
    for d in decl.nodes {
        nodes.push(d.spec);
    }
    multiverse_nodes(
        &layers,
        &declarations,
        registry,
        selection,
        &mut nodes,
        &mut declared_at,
    )?;
    let graph = Graph::new(nodes, sources).map_err(|source| LoadError::Graph {
        file: fname.clone(),
        source,
    })?;
    Ok(Pipeline {
        graph,
        file: file.to_path_buf(),
        root,
        source_origin: origin,
        declared_at,
        declarations,
    })
}

/// Nodes made from declarations, with where each was declared.
#[derive(Default)]
struct Declared {
    nodes: Vec<DeclaredNode>,
    at: BTreeMap<String, (PathBuf, usize)>,
    /// Declaration name -> its model nodes (several when the formula expands).
    models: BTreeMap<String, Vec<String>>,
    tests: Vec<String>,
}

struct DeclaredNode {
    name: String,
    kind: &'static str,
    spec: NodeSpec,
}

impl Declared {
    fn push(&mut self, layer: &Layer, offset: usize, kind: &'static str, spec: NodeSpec) {
        self.at.insert(
            spec.name.clone(),
            (layer.file.clone(), line_of(&layer.text, offset)),
        );
        self.nodes.push(DeclaredNode {
            name: spec.name.clone(),
            kind,
            spec,
        });
    }
}

fn declarations(layers: &[Layer]) -> Result<Declarations, LoadError> {
    let mut d = Declarations::default();
    for (name, (layer, v)) in merged(layers, |p| &p.sets) {
        if v.get_ref().is_empty() {
            return Err(layer.at(v.span().start, format!("set `{name}` is empty")));
        }
        d.sets.insert(name.to_string(), v.get_ref().clone());
    }
    for (name, (_, v)) in merged(layers, |p| &p.aliases) {
        d.aliases.insert(name.to_string(), v.get_ref().clone());
    }
    for l in layers {
        if let Some(x) = &l.parsed.xtset {
            d.panel = x.get_ref().panel.clone();
            d.time = x.get_ref().time.clone();
        }
    }
    Ok(d)
}

/// A spec error at the line of the field it is about.
fn spec_at(
    layer: &Layer,
    decl: &str,
    kind: &str,
    e: robocarb_spec::SpecError,
    fields: &[(&str, Option<usize>)],
    fallback: usize,
) -> LoadError {
    let offset = fields
        .iter()
        .find(|(w, _)| *w == e.what)
        .and_then(|(_, o)| *o)
        .unwrap_or(fallback);
    layer.at(offset, format!("{kind} `{decl}`: {e}"))
}

/// The data node a declaration reads (the issue's default: `panel`).
fn data_binding(data: &Option<Spanned<String>>) -> String {
    data.as_ref()
        .map_or_else(|| "panel".to_string(), |d| d.get_ref().clone())
}

struct Parts<'a> {
    formula: &'a Spanned<String>,
    estimator: Option<&'a Spanned<String>>,
    vcov: Option<&'a Spanned<String>>,
    sample: Option<&'a Spanned<String>>,
    years: Option<&'a Spanned<String>>,
    sample_name: Option<&'a str>,
}

fn resolve_parts(
    layer: &Layer,
    decl: &str,
    kind: &str,
    start: usize,
    d: &Declarations,
    p: &Parts<'_>,
) -> Result<Vec<ResolvedModel>, LoadError> {
    let text = ModelText {
        formula: p.formula.get_ref(),
        estimator: p.estimator.map(|s| s.get_ref().as_str()),
        vcov: p.vcov.map(|s| s.get_ref().as_str()),
        sample: p.sample.map(|s| s.get_ref().as_str()),
        years: p.years.map(|s| s.get_ref().as_str()),
        sample_name: p.sample_name,
    };
    d.resolve(&text).map_err(|e| {
        let span = |s: Option<&Spanned<String>>| s.map(|s| s.span().start);
        spec_at(
            layer,
            decl,
            kind,
            e,
            &[
                ("formula", Some(p.formula.span().start)),
                ("estimator", span(p.estimator)),
                ("vcov", span(p.vcov)),
                ("sample", span(p.sample)),
                ("years", span(p.years)),
            ],
            start,
        )
    })
}

fn models(layers: &[Layer], d: &Declarations, out: &mut Declared) -> Result<(), LoadError> {
    for (name, (layer, m)) in merged(layers, |p| &p.models) {
        let start = m.span().start;
        if !valid_name(name) {
            return Err(layer.at(
                start,
                format!("model name `{name}` may use only letters, digits, `_` and `-`"),
            ));
        }
        let f = m.get_ref();
        let parts = Parts {
            formula: &f.formula,
            estimator: f.estimator.as_ref(),
            vcov: f.vcov.as_ref(),
            sample: f.sample.as_ref(),
            years: f.years.as_ref(),
            sample_name: f.sample_name.as_deref(),
        };
        let resolved = resolve_parts(layer, name, "model", start, d, &parts)?;
        let data = data_binding(&f.data);
        let many = resolved.len() > 1;
        let mut names = Vec::new();
        for (k, r) in resolved.iter().enumerate() {
            let node = if many {
                format!("{name}-{}", k + 1)
            } else {
                name.to_string()
            };
            names.push(node.clone());
            let spec = NodeSpec {
                name: node,
                op: Arc::new(&crate::ops::model::MODEL),
                params: r.to_params(),
                inputs: BTreeMap::from([("data".to_string(), Binding::Node(data.clone()))]),
                publish: None,
                resources: Resources::default(),
            };
            out.push(layer, start, "model", spec);
        }
        out.models.insert(name.to_string(), names);
    }
    Ok(())
}

fn single(
    layer: &Layer,
    name: &str,
    kind: &str,
    start: usize,
    mut v: Vec<ResolvedModel>,
) -> Result<ResolvedModel, LoadError> {
    if v.len() != 1 {
        return Err(layer.at(
            start,
            format!(
                "{kind} `{name}`: the formula must be one model (it expands to {})",
                v.len()
            ),
        ));
    }
    Ok(v.remove(0))
}

fn tests(layers: &[Layer], d: &Declarations, out: &mut Declared) -> Result<(), LoadError> {
    for (name, (layer, m)) in merged(layers, |p| &p.mediations) {
        let start = m.span().start;
        let f = m.get_ref();
        let parts = Parts {
            formula: &f.formula,
            estimator: None,
            vcov: f.vcov.as_ref(),
            sample: f.sample.as_ref(),
            years: f.years.as_ref(),
            sample_name: None,
        };
        let r = single(
            layer,
            name,
            "mediation",
            start,
            resolve_parts(layer, name, "mediation", start, d, &parts)?,
        )?;
        let mut params = r.to_params();
        params.insert("mediator".into(), ParamValue::Str(f.mediator.clone()));
        params.insert("bootstrap_reps".into(), ParamValue::Int(f.bootstrap_reps));
        params.insert("seed".into(), ParamValue::Int(f.seed));
        let data = data_binding(&f.data);
        let spec = NodeSpec {
            name: name.to_string(),
            op: Arc::new(&crate::ops::model::MEDIATION),
            params,
            inputs: BTreeMap::from([("data".to_string(), Binding::Node(data))]),
            publish: None,
            resources: Resources::default(),
        };
        out.tests.push(name.to_string());
        out.push(layer, start, "mediation", spec);
    }
    for (name, (layer, m)) in merged(layers, |p| &p.group_differences) {
        let start = m.span().start;
        let f = m.get_ref();
        let parts = Parts {
            formula: &f.formula,
            estimator: None,
            vcov: f.vcov.as_ref(),
            sample: f.sample.as_ref(),
            years: f.years.as_ref(),
            sample_name: None,
        };
        let r = single(
            layer,
            name,
            "group difference",
            start,
            resolve_parts(layer, name, "group difference", start, d, &parts)?,
        )?;
        let coef = match &f.coef {
            Some(c) => c.clone(),
            None => r.spec.formula.regressors.first().cloned().ok_or_else(|| {
                layer.at(
                    start,
                    format!("group difference `{name}`: the formula has no regressor to compare"),
                )
            })?,
        };
        let mut params = r.to_params();
        params.insert("by".into(), ParamValue::Str(f.by.clone()));
        params.insert("coef".into(), ParamValue::Str(coef));
        params.insert("permutations".into(), ParamValue::Int(f.permutations));
        params.insert("seed".into(), ParamValue::Int(f.seed));
        let data = data_binding(&f.data);
        let spec = NodeSpec {
            name: name.to_string(),
            op: Arc::new(&crate::ops::model::GROUP_DIFFERENCE),
            params,
            inputs: BTreeMap::from([("data".to_string(), Binding::Node(data))]),
            publish: None,
            resources: Resources::default(),
        };
        out.tests.push(name.to_string());
        out.push(layer, start, "group difference", spec);
    }
    Ok(())
}

fn tables(
    layers: &[Layer],
    d: &Declarations,
    all_names: &BTreeMap<String, &str>,
    out: &mut Declared,
) -> Result<(), LoadError> {
    let mut made = Vec::new();
    for (name, (layer, t)) in merged(layers, |p| &p.tables) {
        let start = t.span().start;
        if !valid_name(name) {
            return Err(layer.at(
                start,
                format!("table name `{name}` may use only letters, digits, `_` and `-`"),
            ));
        }
        if let Some(kind) = all_names.get(name) {
            return Err(layer.at(
                start,
                format!("`{name}` is declared both as a {kind} and as a table"),
            ));
        }
        let f = t.get_ref();
        let mut columns = Vec::new();
        for c in &f.columns {
            let cf = c.get_ref();
            let at = c.span().start;
            let Some(models) = out.models.get(&cf.model) else {
                let known: Vec<&str> = out.models.keys().map(String::as_str).collect();
                let near = robocarb_spec::closest(&cf.model, known.iter().copied(), 3);
                return Err(layer.at(
                    at,
                    format!(
                        "table `{name}`: column names unknown model `{}`{}",
                        cf.model,
                        if near.is_empty() {
                            String::new()
                        } else {
                            format!("; closest: {}", near.join(", "))
                        }
                    ),
                ));
            };
            let first_stage = match cf.stage.as_deref() {
                None | Some("second") => None,
                Some("first") => Some(0),
                Some(other) => {
                    return Err(layer.at(
                        at,
                        format!(
                    "table `{name}`: stage must be \"first\" or \"second\", not \"{other}\""
                ),
                    ))
                }
            };
            if let Some(tname) = &cf.tests {
                if !out.tests.contains(tname) {
                    return Err(layer.at(at, format!(
                        "table `{name}`: `tests` names `{tname}`, which is no mediation or group difference"
                    )));
                }
            }
            for m in models {
                columns.push(TableColumn {
                    label: String::new(),
                    model: m.clone(),
                    first_stage,
                    tests: cf.tests.clone(),
                });
            }
            if let (Some(l), 1) = (&cf.label, models.len()) {
                if let Some(last) = columns.last_mut() {
                    last.label = l.clone();
                }
            }
        }
        for (i, c) in columns.iter_mut().enumerate() {
            if c.label.is_empty() {
                c.label = format!("({})", i + 1);
            }
        }
        let mut rows = Vec::new();
        for r in &f.rows {
            match d.sets.get(r) {
                Some(members) => rows.extend(members.iter().cloned()),
                None => rows.push(r.clone()),
            }
        }
        let spec = TableSpec {
            title: f.title.clone(),
            columns,
            rows,
            notes: f.notes.clone(),
            controls: f.controls.clone(),
            paper: f.paper.clone(),
        };
        let inputs = spec
            .inputs()
            .into_iter()
            .map(|n| (n.clone(), Binding::Node(n)))
            .collect();
        let node = NodeSpec {
            name: name.to_string(),
            op: Arc::new(TableOp::new(&spec)),
            params: spec.to_params(),
            inputs,
            publish: f.publish.clone(),
            resources: Resources::default(),
        };
        made.push((layer, start, node));
    }
    for (layer, start, node) in made {
        out.push(layer, start, "table", node);
    }
    Ok(())
}

/// The multiverses declared in `layers`, checked, in name order, with where each was declared.
fn multiverses_of<'a>(
    layers: &'a [Layer],
    d: &Declarations,
) -> Result<Vec<(Multiverse, &'a Layer, usize)>, LoadError> {
    let mut out = Vec::new();
    for (name, (layer, m)) in merged(layers, |p| &p.multiverses) {
        let start = m.span().start;
        if !valid_name(name) {
            return Err(layer.at(
                start,
                format!("multiverse name `{name}` may use only letters, digits, `_` and `-`"),
            ));
        }
        let mv = Multiverse::new(name, m.get_ref(), &d.sets)
            .map_err(|e| layer.at(start, format!("multiverse `{name}`: {e}")))?;
        out.push((mv, layer, start));
    }
    Ok(out)
}

/// The multiverses pipeline `file` declares (and the files it extends), without building the
/// graph: what `robocarb multiverse NAME --list` prints.
pub fn declared_multiverses(file: &Path) -> Result<Vec<Multiverse>, LoadError> {
    let text = std::fs::read_to_string(file).map_err(|source| LoadError::Read {
        file: file.display().to_string(),
        source,
    })?;
    let layers = layers(file, &text)?;
    let d = declarations(&layers)?;
    Ok(multiverses_of(&layers, &d)?
        .into_iter()
        .map(|(m, _, _)| m)
        .collect())
}

/// Add the selected multiverses' nodes: shared variants of upstream nodes, one `multiverse_spec`
/// node per specification, the `multiverse` summary, and the summary as the report's
/// `multiverse` input (the first selected one).
fn multiverse_nodes(
    layers: &[Layer],
    d: &Declarations,
    registry: &Registry,
    selection: &MultiverseSelection,
    nodes: &mut Vec<NodeSpec>,
    declared_at: &mut BTreeMap<String, (PathBuf, usize)>,
) -> Result<(), LoadError> {
    let all = multiverses_of(layers, d)?;
    let chosen: Vec<&(Multiverse, &Layer, usize)> = match selection {
        MultiverseSelection::None => return Ok(()),
        MultiverseSelection::All => all.iter().collect(),
        MultiverseSelection::Named(names) => {
            let mut v = Vec::new();
            for n in names {
                match all.iter().find(|(m, _, _)| &m.name == n) {
                    Some(x) => v.push(x),
                    None => {
                        let known: Vec<&str> =
                            all.iter().map(|(m, _, _)| m.name.as_str()).collect();
                        return Err(LoadError::At {
                            file: layers
                                .last()
                                .map_or_else(String::new, |l| l.file.display().to_string()),
                            line: 1,
                            message: format!(
                                "no multiverse `{n}`; declared: {}",
                                if known.is_empty() {
                                    "none".to_string()
                                } else {
                                    known.join(", ")
                                }
                            ),
                        });
                    }
                }
            }
            v
        }
    };
    let mut first_summary: Option<String> = None;
    for (mv, layer, start) in chosen {
        let at = |m: String| layer.at(*start, format!("multiverse `{}`: {m}", mv.name));
        let Some(unit) = d.panel.clone() else {
            return Err(at(
                "the joint inference resamples the panel variable: declare it in `[xtset] panel`"
                    .into(),
            ));
        };
        let taken: BTreeSet<String> = nodes.iter().map(|n| n.name.clone()).collect();
        if taken.contains(&mv.name) {
            return Err(at(format!(
                "its summary node would be called `{}`, which is already a node",
                mv.name
            )));
        }
        let specs = mv.specifications();
        if specs.is_empty() {
            return Err(at("every combination is excluded".into()));
        }
        let mut made: Vec<(Specification, String)> = Vec::new();
        for sp in specs {
            let data = variant_for(&mv.data, &sp, registry, nodes)
                .map_err(|e| at(format!("specification [{}]: {e}", sp.labels.join(", "))))?;
            let mut m = sp
                .choice
                .resolve(d)
                .map_err(|e| at(format!("specification [{}]: {e}", sp.labels.join(", "))))?;
            m.panel = Some(unit.clone());
            if let Some(col) = d.aliases.get(&unit) {
                m.aliases.insert(unit.clone(), col.clone());
            }
            let mut params = m.to_params();
            params.insert("focus".into(), ParamValue::Str(sp.choice.exposure.clone()));
            params.insert("unit".into(), ParamValue::Str(unit.clone()));
            params.insert("bootstrap_reps".into(), ParamValue::Int(mv.bootstrap_reps));
            params.insert("seed".into(), ParamValue::Int(mv.seed));
            let name = mv.spec_node(&sp.labels);
            declared_at.insert(
                name.clone(),
                (layer.file.clone(), line_of(&layer.text, *start)),
            );
            nodes.push(NodeSpec {
                name: name.clone(),
                op: Arc::new(&crate::ops::multiverse::MULTIVERSE_SPEC),
                params,
                inputs: BTreeMap::from([("data".to_string(), Binding::Node(data))]),
                publish: None,
                resources: Resources::default(),
            });
            made.push((sp, name));
        }
        let spec_nodes: Vec<String> = made.iter().map(|(_, n)| n.clone()).collect();
        declared_at.insert(
            mv.name.clone(),
            (layer.file.clone(), line_of(&layer.text, *start)),
        );
        nodes.push(NodeSpec {
            name: mv.name.clone(),
            op: Arc::new(crate::ops::multiverse::MultiverseOp::new(&spec_nodes)),
            params: crate::multiverse::summary_params(mv, &made),
            inputs: spec_nodes
                .iter()
                .map(|n| (n.clone(), Binding::Node(n.clone())))
                .collect(),
            publish: Some(format!("multiverse/{}", mv.name)),
            resources: Resources::default(),
        });
        first_summary.get_or_insert_with(|| mv.name.clone());
    }
    if let Some(summary) = first_summary {
        for n in nodes.iter_mut().filter(|n| n.op.name() == "report") {
            n.inputs
                .insert("multiverse".into(), Binding::Node(summary.clone()));
        }
    }
    Ok(())
}

/// The data node a specification reads: the multiverse's data node, or its variant under the
/// specification's upstream parameter changes (created once, shared by every specification
/// with the same changes).
fn variant_for(
    data: &str,
    sp: &Specification,
    registry: &Registry,
    nodes: &mut Vec<NodeSpec>,
) -> Result<String, String> {
    let tag = sp.choice.variant_tag();
    if tag.is_empty() {
        return Ok(data.to_string());
    }
    let vname = |n: &str| format!("{n}~{tag}");
    if nodes.iter().any(|n| n.name == vname(data)) {
        return Ok(vname(data));
    }
    let changed: BTreeSet<String> = sp.choice.params.keys().cloned().collect();
    let inputs = |n: &str| {
        nodes.iter().find(|x| x.name == n).map(|x| {
            x.inputs
                .values()
                .filter_map(|b| match b {
                    Binding::Node(u) => Some(u.clone()),
                    Binding::Source(_) => None,
                })
                .collect::<Vec<_>>()
        })
    };
    let chain = variant_chain(data, &changed, &inputs)?;
    let in_chain: BTreeSet<&String> = chain.iter().collect();
    let mut made = Vec::new();
    for n in &chain {
        let Some(orig) = nodes.iter().find(|x| &x.name == n) else {
            return Err(format!("no node `{n}`"));
        };
        let mut v = orig.clone();
        v.name = vname(n);
        v.publish = None;
        for b in v.inputs.values_mut() {
            if let Binding::Node(u) = b {
                if in_chain.contains(u) {
                    *u = vname(u);
                }
            }
        }
        if let Some(changes) = sp.choice.params.get(n) {
            let entry = registry.get(orig.op.name());
            for (k, value) in changes {
                let Some(spec) = entry.and_then(|e| e.params.iter().find(|p| p.name == k)) else {
                    let known: Vec<&str> = entry
                        .map(|e| e.params.iter().map(|p| p.name).collect())
                        .unwrap_or_default();
                    return Err(format!(
                        "node `{n}` has no parameter `{k}` (it takes: {})",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ));
                };
                let Some(pv) = convert(value).and_then(|x| spec.kind.accept(x)) else {
                    return Err(format!(
                        "parameter `{k}` of node `{n}` must be {}, found `{value}`",
                        spec.kind.describe()
                    ));
                };
                v.params.insert(k.clone(), pv);
            }
        }
        made.push(v);
    }
    nodes.extend(made);
    Ok(vname(data))
}

/// The named variable sets (`[sets]`) of pipeline `file` and the files it extends.
pub fn declared_sets(file: &Path) -> Result<robocarb_spec::Sets, LoadError> {
    let text = std::fs::read_to_string(file).map_err(|source| LoadError::Read {
        file: file.display().to_string(),
        source,
    })?;
    Ok(declarations(&layers(file, &text)?)?.sets)
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
    let layers = layers(file, &text)?;
    let (sources, mut origin) = merge_sources(&layers, sources_override, false)?;
    Ok(sources
        .into_iter()
        .map(|(name, spec)| {
            let from = origin.remove(&name).unwrap_or_else(|| file.to_path_buf());
            (name, (spec, from))
        })
        .collect())
}

type SourcesAndOrigin = (BTreeMap<String, SourceSpec>, BTreeMap<String, PathBuf>);

/// The sources of an `extends` chain (a later file overrides an earlier one) with
/// `sources_override` applied; paths relative to the file that names them.
fn merge_sources(
    layers: &[Layer],
    sources_override: Option<&Path>,
    require_existing: bool,
) -> Result<SourcesAndOrigin, LoadError> {
    let mut sources = BTreeMap::new();
    let mut origin = BTreeMap::new();
    for (name, (layer, table)) in merged(layers, |p| &p.sources) {
        if !valid_name(name) {
            return Err(layer.at(
                table.span().start,
                format!("source name `{name}` may use only letters, digits, `_` and `-`"),
            ));
        }
        sources.insert(
            name.to_string(),
            source_spec(name, table, &layer.base(), &layer.file, &layer.text)?,
        );
        origin.insert(name.to_string(), layer.file.clone());
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
