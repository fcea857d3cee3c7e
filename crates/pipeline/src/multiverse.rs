//! Multiverses (`[multiverses.NAME]` in a pipeline file): a base specification and named
//! dimensions of labelled options, expanded into one specification per combination.
//!
//! An option may change the outcome, the exposure (the reported coefficient), the control set,
//! the fixed effects, the VCE, the sample or the years, or parameters of upstream nodes
//! (`params = { panel = { winsor_lower = 0.0 } }`): each distinct set of parameter changes
//! becomes its own chain of variant nodes, built once and shared by every specification that
//! uses it. Exclusions remove combinations.
//!
//! This module is declarations only: what the specifications are and what the graph gets. It
//! must not fit anything (`ops/multiverse.rs` does, through `estimate`).

use crate::declare::{Declarations, ModelText};
use crate::ops::model::ResolvedModel;
use robocarb_dag::{ParamValue, Params};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// Default number of null draws of the joint inference.
pub const DEFAULT_BOOTSTRAP_REPS: i64 = 500;

/// `[multiverses.NAME]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiverseFile {
    pub outcome: String,
    /// The regressor whose coefficient the multiverse reports.
    pub exposure: String,
    #[serde(default)]
    pub controls: Option<Controls>,
    /// Fixed effects as a formula's FE part, e.g. `"city + year"` (empty: none).
    #[serde(default)]
    pub fe: Option<String>,
    #[serde(default)]
    pub vcov: Option<String>,
    #[serde(default)]
    pub sample: Option<String>,
    #[serde(default)]
    pub years: Option<String>,
    /// The data node (default `panel`).
    #[serde(default)]
    pub data: Option<String>,
    #[serde(default = "default_reps")]
    pub bootstrap_reps: i64,
    pub seed: i64,
    pub dimensions: Vec<DimensionFile>,
    #[serde(default)]
    pub exclude: Vec<BTreeMap<String, Labels>>,
}

fn default_reps() -> i64 {
    DEFAULT_BOOTSTRAP_REPS
}

/// A control set: an expression over named sets (`"controls"`, `"controls - GDP"`) or a list of
/// names (`[]` for none).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Controls {
    Expr(String),
    List(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Labels {
    One(String),
    Many(Vec<String>),
}

impl Labels {
    fn to_vec(&self) -> Vec<String> {
        match self {
            Labels::One(s) => vec![s.clone()],
            Labels::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionFile {
    pub name: String,
    pub options: Vec<OptionFile>,
}

/// An option: a bare label (the dimension's field takes the label as its value, e.g. the
/// `outcome` dimension's `"CARBON_I"`), or a table with a label and the fields it changes.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OptionFile {
    Label(String),
    Full(OptionTable),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionTable {
    pub label: String,
    pub outcome: Option<String>,
    pub exposure: Option<String>,
    pub controls: Option<Controls>,
    pub fe: Option<String>,
    pub vcov: Option<String>,
    pub sample: Option<String>,
    pub years: Option<String>,
    /// Upstream node -> parameter -> value.
    #[serde(default)]
    pub params: BTreeMap<String, toml::Table>,
}

/// The fields of a specification an option may set.
const FIELDS: [&str; 8] = [
    "outcome", "exposure", "controls", "fe", "vcov", "sample", "years", "params",
];

/// One specification's choices, before resolution into a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub outcome: String,
    pub exposure: String,
    pub controls: Vec<String>,
    pub fe: String,
    pub vcov: Option<String>,
    pub sample: Option<String>,
    pub years: Option<String>,
    /// Upstream node -> parameter -> value (as TOML values; checked by the loader).
    pub params: BTreeMap<String, BTreeMap<String, toml::Value>>,
}

/// A dimension with its options resolved.
#[derive(Debug, Clone)]
pub struct Dimension {
    pub name: String,
    pub options: Vec<MvOption>,
}

#[derive(Debug, Clone)]
pub struct MvOption {
    pub label: String,
    table: OptionTableOwned,
}

#[derive(Debug, Clone, Default)]
struct OptionTableOwned {
    outcome: Option<String>,
    exposure: Option<String>,
    controls: Option<Vec<String>>,
    fe: Option<String>,
    vcov: Option<String>,
    sample: Option<String>,
    years: Option<String>,
    params: BTreeMap<String, BTreeMap<String, toml::Value>>,
}

/// A multiverse, checked: dimensions, exclusions, the base choice.
#[derive(Debug, Clone)]
pub struct Multiverse {
    pub name: String,
    pub base: Choice,
    pub dimensions: Vec<Dimension>,
    pub exclude: Vec<BTreeMap<String, Vec<String>>>,
    pub data: String,
    pub bootstrap_reps: i64,
    pub seed: i64,
}

/// One specification: its option label in every dimension and its choices.
#[derive(Debug, Clone, PartialEq)]
pub struct Specification {
    pub labels: Vec<String>,
    pub choice: Choice,
}

/// Expand a control-set expression: `SET`, `SET - NAME - NAME`, or a name; `none` is empty.
pub fn controls_of(c: &Controls, sets: &robocarb_spec::Sets) -> Result<Vec<String>, String> {
    let expand = |name: &str| -> Vec<String> {
        sets.get(name)
            .cloned()
            .unwrap_or_else(|| vec![name.to_string()])
    };
    match c {
        Controls::List(v) => Ok(v.iter().flat_map(|n| expand(n)).collect()),
        Controls::Expr(text) => {
            let t = text.trim();
            if t.is_empty() || t == "none" {
                return Ok(Vec::new());
            }
            let mut parts = t.split('-').map(str::trim);
            let head = parts.next().unwrap_or_default();
            if head.is_empty() {
                return Err(format!(
                    "controls `{text}`: expected a set or a variable before `-`"
                ));
            }
            let mut out = expand(head);
            for drop in parts {
                if drop.is_empty() {
                    return Err(format!("controls `{text}`: expected a name after `-`"));
                }
                let before = out.len();
                let gone = expand(drop);
                out.retain(|v| !gone.contains(v));
                if out.len() == before {
                    return Err(format!(
                        "controls `{text}`: `{drop}` is not among the controls of `{head}` ({})",
                        expand(head).join(", ")
                    ));
                }
            }
            Ok(out)
        }
    }
}

impl Multiverse {
    /// Check a declaration: labels unique and non-empty, each field set by one dimension at most,
    /// exclusions naming known dimensions and labels.
    pub fn new(
        name: &str,
        f: &MultiverseFile,
        sets: &robocarb_spec::Sets,
    ) -> Result<Multiverse, String> {
        if f.dimensions.is_empty() {
            return Err("a multiverse needs at least one dimension".into());
        }
        let base = Choice {
            outcome: f.outcome.clone(),
            exposure: f.exposure.clone(),
            controls: match &f.controls {
                Some(c) => controls_of(c, sets)?,
                None => Vec::new(),
            },
            fe: f.fe.clone().unwrap_or_default(),
            vcov: f.vcov.clone(),
            sample: f.sample.clone(),
            years: f.years.clone(),
            params: BTreeMap::new(),
        };
        if !(0..=1_000_000).contains(&f.bootstrap_reps) {
            return Err(format!(
                "bootstrap_reps must be between 0 and 1000000, not {}",
                f.bootstrap_reps
            ));
        }
        let mut dims: Vec<Dimension> = Vec::new();
        let mut field_owner: BTreeMap<&str, String> = BTreeMap::new();
        for d in &f.dimensions {
            if d.name.is_empty() || dims.iter().any(|x| x.name == d.name) {
                return Err(format!("dimension name `{}` is empty or repeated", d.name));
            }
            if d.options.is_empty() {
                return Err(format!("dimension `{}` has no options", d.name));
            }
            let mut options: Vec<MvOption> = Vec::new();
            for o in &d.options {
                let opt = match o {
                    OptionFile::Label(label) => bare_option(&d.name, label)?,
                    OptionFile::Full(t) => full_option(&d.name, t, sets)?,
                };
                if opt.label.is_empty() || options.iter().any(|x| x.label == opt.label) {
                    return Err(format!(
                        "dimension `{}`: option label `{}` is empty or repeated",
                        d.name, opt.label
                    ));
                }
                for field in opt.table.fields() {
                    if let Some(other) = field_owner.get(field) {
                        if other != &d.name {
                            return Err(format!(
                                "dimensions `{other}` and `{}` both set `{field}`; one dimension per field",
                                d.name
                            ));
                        }
                    }
                    field_owner.insert(field, d.name.clone());
                }
                options.push(opt);
            }
            dims.push(Dimension {
                name: d.name.clone(),
                options,
            });
        }
        let mut exclude = Vec::new();
        for (i, e) in f.exclude.iter().enumerate() {
            if e.is_empty() {
                return Err(format!("exclude entry {} is empty", i + 1));
            }
            let mut m = BTreeMap::new();
            for (dim, labels) in e {
                let Some(d) = dims.iter().find(|d| &d.name == dim) else {
                    return Err(format!(
                        "exclude entry {}: no dimension `{dim}` (dimensions: {})",
                        i + 1,
                        dims.iter()
                            .map(|d| d.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                };
                let labels = labels.to_vec();
                for l in &labels {
                    if !d.options.iter().any(|o| &o.label == l) {
                        return Err(format!(
                            "exclude entry {}: dimension `{dim}` has no option `{l}` (options: {})",
                            i + 1,
                            d.options
                                .iter()
                                .map(|o| o.label.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                }
                m.insert(dim.clone(), labels);
            }
            exclude.push(m);
        }
        Ok(Multiverse {
            name: name.to_string(),
            base,
            dimensions: dims,
            exclude,
            data: f.data.clone().unwrap_or_else(|| "panel".into()),
            bootstrap_reps: f.bootstrap_reps,
            seed: f.seed,
        })
    }

    /// Every specification, the first dimension outermost, exclusions removed.
    pub fn specifications(&self) -> Vec<Specification> {
        let mut out = Vec::new();
        let sizes: Vec<usize> = self.dimensions.iter().map(|d| d.options.len()).collect();
        let total: usize = sizes.iter().product();
        for index in 0..total {
            let mut rem = index;
            let mut picks = vec![0usize; sizes.len()];
            for (k, &n) in sizes.iter().enumerate().rev() {
                picks[k] = rem % n;
                rem /= n;
            }
            let labels: Vec<String> = picks
                .iter()
                .zip(&self.dimensions)
                .map(|(&p, d)| d.options[p].label.clone())
                .collect();
            if self.excluded(&labels) {
                continue;
            }
            let mut choice = self.base.clone();
            for (&p, d) in picks.iter().zip(&self.dimensions) {
                d.options[p].table.apply(&mut choice);
            }
            out.push(Specification { labels, choice });
        }
        out
    }

    fn excluded(&self, labels: &[String]) -> bool {
        self.exclude.iter().any(|e| {
            e.iter().all(|(dim, ls)| {
                self.dimensions
                    .iter()
                    .position(|d| &d.name == dim)
                    .is_some_and(|k| ls.contains(&labels[k]))
            })
        })
    }

    /// The node name of a specification: the multiverse's name and its labels.
    pub fn spec_node(&self, labels: &[String]) -> String {
        let clean: Vec<String> = labels
            .iter()
            .map(|l| {
                l.chars()
                    .map(|c| if c == '/' || c.is_control() { '_' } else { c })
                    .collect()
            })
            .collect();
        format!("{}[{}]", self.name, clean.join(","))
    }
}

fn bare_option(dim: &str, label: &str) -> Result<MvOption, String> {
    let mut t = OptionTableOwned::default();
    match dim {
        "outcome" => t.outcome = Some(label.into()),
        "exposure" => t.exposure = Some(label.into()),
        "fe" => t.fe = Some(label.into()),
        "vcov" => t.vcov = Some(label.into()),
        "sample" => t.sample = Some(label.into()),
        "years" => t.years = Some(label.into()),
        _ => {
            return Err(format!(
                "dimension `{dim}`: a bare option (`\"{label}\"`) needs the dimension to be named after the field it sets ({}); otherwise write {{ label = \"{label}\", FIELD = ... }}",
                FIELDS[..7].join(", ")
            ))
        }
    }
    Ok(MvOption {
        label: label.into(),
        table: t,
    })
}

fn full_option(dim: &str, t: &OptionTable, sets: &robocarb_spec::Sets) -> Result<MvOption, String> {
    let controls = t
        .controls
        .as_ref()
        .map(|c| controls_of(c, sets))
        .transpose()
        .map_err(|e| format!("dimension `{dim}`, option `{}`: {e}", t.label))?;
    let params = t
        .params
        .iter()
        .map(|(node, table)| {
            (
                node.clone(),
                table.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            )
        })
        .collect();
    Ok(MvOption {
        label: t.label.clone(),
        table: OptionTableOwned {
            outcome: t.outcome.clone(),
            exposure: t.exposure.clone(),
            controls,
            fe: t.fe.clone(),
            vcov: t.vcov.clone(),
            sample: t.sample.clone(),
            years: t.years.clone(),
            params,
        },
    })
}

impl OptionTableOwned {
    fn fields(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let set = [
            self.outcome.is_some(),
            self.exposure.is_some(),
            self.controls.is_some(),
            self.fe.is_some(),
            self.vcov.is_some(),
            self.sample.is_some(),
            self.years.is_some(),
        ];
        for (f, s) in FIELDS.iter().zip(set) {
            if s {
                v.push(*f);
            }
        }
        // Upstream parameters: one owner per node parameter.
        v.extend(
            self.params
                .iter()
                .flat_map(|(n, t)| t.keys().map(move |k| leak(&format!("{n}.{k}")))),
        );
        v
    }

    fn apply(&self, c: &mut Choice) {
        if let Some(v) = &self.outcome {
            c.outcome = v.clone();
        }
        if let Some(v) = &self.exposure {
            c.exposure = v.clone();
        }
        if let Some(v) = &self.controls {
            c.controls = v.clone();
        }
        if let Some(v) = &self.fe {
            c.fe = v.clone();
        }
        if let Some(v) = &self.vcov {
            c.vcov = Some(v.clone());
        }
        if let Some(v) = &self.sample {
            c.sample = Some(v.clone());
        }
        if let Some(v) = &self.years {
            c.years = Some(v.clone());
        }
        for (node, t) in &self.params {
            let e = c.params.entry(node.clone()).or_default();
            for (k, v) in t {
                e.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Field names of upstream parameters live as long as the program (a handful per file).
fn leak(s: &str) -> &'static str {
    crate::ops::intern(s)
}

impl Choice {
    /// The formula: `outcome ~ exposure + controls | fe`.
    pub fn formula(&self) -> String {
        let mut rhs = vec![self.exposure.clone()];
        rhs.extend(self.controls.iter().cloned());
        let mut f = format!("{} ~ {}", self.outcome, rhs.join(" + "));
        if !self.fe.trim().is_empty() {
            f.push_str(&format!(" | {}", self.fe.trim()));
        }
        f
    }

    /// The model this choice fits, resolved with the file's sets, aliases and `[xtset]`.
    pub fn resolve(&self, d: &Declarations) -> Result<ResolvedModel, String> {
        let formula = self.formula();
        let text = ModelText {
            formula: &formula,
            estimator: None,
            vcov: self.vcov.as_deref(),
            sample: self.sample.as_deref(),
            years: self.years.as_deref(),
            sample_name: None,
        };
        let mut v = d.resolve(&text).map_err(|e| e.to_string())?;
        if v.len() != 1 {
            return Err(format!(
                "`{formula}` expands to {} models; a specification is one model",
                v.len()
            ));
        }
        let mut m = v.remove(0);
        // The resampling unit and the time of year ranges come from `[xtset]` for every
        // specification, whatever its estimator.
        m.time = d.time.clone();
        Ok(m)
    }

    /// The upstream parameter changes as one sorted text, `node.param=value+...` (the variant
    /// nodes' name suffix); empty when there are none.
    pub fn variant_tag(&self) -> String {
        let mut parts = Vec::new();
        for (node, t) in &self.params {
            for (k, v) in t {
                parts.push(format!("{node}.{k}={v}"));
            }
        }
        parts
            .join("+")
            .chars()
            .map(|c| {
                if c == '/' || c == '"' || c.is_whitespace() {
                    '_'
                } else {
                    c
                }
            })
            .collect()
    }
}

/// The nodes a variant must copy: those whose parameters change and everything between them and
/// `data` (inclusive), in an order where inputs come first. `inputs(n)` lists a node's upstream
/// nodes. Errors when a changed node is not upstream of `data`.
pub fn variant_chain(
    data: &str,
    changed: &BTreeSet<String>,
    inputs: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Result<Vec<String>, String> {
    // Ancestors of data, depth-first, inputs before the node.
    fn visit(
        n: &str,
        inputs: &dyn Fn(&str) -> Option<Vec<String>>,
        seen: &mut BTreeSet<String>,
        order: &mut Vec<String>,
    ) {
        if !seen.insert(n.to_string()) {
            return;
        }
        for i in inputs(n).unwrap_or_default() {
            visit(&i, inputs, seen, order);
        }
        order.push(n.to_string());
    }
    if inputs(data).is_none() {
        return Err(format!("data node `{data}` is not a node of the pipeline"));
    }
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    visit(data, inputs, &mut seen, &mut order);
    for c in changed {
        if !seen.contains(c) {
            return Err(format!(
                "parameters of node `{c}` are changed, but the data node `{data}` does not depend on it"
            ));
        }
    }
    let mut affected: BTreeSet<String> = changed.clone();
    let mut chain = Vec::new();
    for n in order {
        let hit = affected.contains(&n)
            || inputs(&n)
                .unwrap_or_default()
                .iter()
                .any(|i| affected.contains(i));
        if hit {
            affected.insert(n.clone());
            chain.push(n);
        }
    }
    Ok(chain)
}

/// The summary node's parameters: dimension names, every specification's labels and node, the
/// draws.
pub fn summary_params(mv: &Multiverse, specs: &[(Specification, String)]) -> Params {
    let s = |v: &str| ParamValue::Str(v.to_string());
    let mut p = Params::new();
    p.insert("name".into(), s(&mv.name));
    p.insert(
        "dimensions".into(),
        ParamValue::List(mv.dimensions.iter().map(|d| s(&d.name)).collect()),
    );
    p.insert(
        "options".into(),
        ParamValue::List(
            mv.dimensions
                .iter()
                .map(|d| ParamValue::List(d.options.iter().map(|o| s(&o.label)).collect()))
                .collect(),
        ),
    );
    p.insert(
        "specs".into(),
        ParamValue::List(
            specs
                .iter()
                .map(|(sp, node)| {
                    let mut v: Vec<ParamValue> = vec![s(node)];
                    v.extend(sp.labels.iter().map(|l| s(l)));
                    ParamValue::List(v)
                })
                .collect(),
        ),
    );
    p.insert("bootstrap_reps".into(), ParamValue::Int(mv.bootstrap_reps));
    p.insert("seed".into(), ParamValue::Int(mv.seed));
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets() -> robocarb_spec::Sets {
        BTreeMap::from([(
            "controls".to_string(),
            vec!["GDP".to_string(), "PS".to_string(), "FDI".to_string()],
        )])
    }

    fn file(text: &str) -> MultiverseFile {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn control_expressions() {
        let s = sets();
        let e = |t: &str| controls_of(&Controls::Expr(t.into()), &s);
        assert_eq!(e("controls").unwrap(), ["GDP", "PS", "FDI"]);
        assert_eq!(e("controls - PS").unwrap(), ["GDP", "FDI"]);
        assert_eq!(e("controls - PS - GDP").unwrap(), ["FDI"]);
        assert!(e("none").unwrap().is_empty());
        assert!(e("controls - XX")
            .unwrap_err()
            .contains("`XX` is not among"));
        assert!(e("controls -").unwrap_err().contains("expected a name"));
        let l = controls_of(&Controls::List(vec!["controls".into(), "VC".into()]), &s).unwrap();
        assert_eq!(l, ["GDP", "PS", "FDI", "VC"]);
    }

    const SMALL: &str = r#"
outcome = "Y"
exposure = "X"
controls = "controls"
fe = "city + year"
vcov = "cluster:city"
seed = 7
[[dimensions]]
name = "outcome"
options = ["Y", "Y2"]
[[dimensions]]
name = "controls"
options = [{ label = "all", controls = "controls" }, { label = "none", controls = [] }, { label = "-PS", controls = "controls - PS" }]
[[dimensions]]
name = "winsor"
options = [{ label = "0" , params = { panel = { winsor_lower = 0.0 } } }, { label = "0.01" }]
[[exclude]]
outcome = "Y2"
controls = ["none", "-PS"]
"#;

    #[test]
    fn expansion_order_exclusions_and_choices() {
        let mv = Multiverse::new("m", &file(SMALL), &sets()).unwrap();
        let specs = mv.specifications();
        // 2 x 3 x 2 = 12, minus Y2 with none or -PS (2 x 2 = 4).
        assert_eq!(specs.len(), 8);
        assert_eq!(specs[0].labels, ["Y", "all", "0"]);
        assert_eq!(specs[1].labels, ["Y", "all", "0.01"]);
        assert_eq!(specs[7].labels, ["Y2", "all", "0.01"]);
        assert_eq!(
            specs[0].choice.formula(),
            "Y ~ X + GDP + PS + FDI | city + year"
        );
        assert_eq!(specs[2].choice.formula(), "Y ~ X | city + year");
        assert_eq!(specs[0].choice.variant_tag(), "panel.winsor_lower=0.0");
        assert_eq!(specs[1].choice.variant_tag(), "");
        assert_eq!(mv.spec_node(&specs[0].labels), "m[Y,all,0]");
        assert_eq!(mv.bootstrap_reps, DEFAULT_BOOTSTRAP_REPS);
    }

    #[test]
    fn declaration_errors() {
        let bad = |patch: &str| {
            let text = format!("{SMALL}\n{patch}");
            match toml::from_str::<MultiverseFile>(&text) {
                Ok(f) => Multiverse::new("m", &f, &sets()).unwrap_err(),
                Err(e) => e.to_string(),
            }
        };
        let e = bad("[[dimensions]]\nname = \"outcome\"\noptions = [\"Z\"]");
        assert!(e.contains("repeated"), "{e}");
        let e = bad("[[dimensions]]\nname = \"other\"\noptions = [\"Z\"]");
        assert!(e.contains("bare option"), "{e}");
        let e =
            bad("[[dimensions]]\nname = \"o2\"\noptions = [{ label = \"a\", outcome = \"Z\" }]");
        assert!(e.contains("both set `outcome`"), "{e}");
        let e = bad("[[exclude]]\nfe = \"x\"");
        assert!(e.contains("no dimension `fe`"), "{e}");
        let e = bad("[[exclude]]\noutcome = \"Q\"");
        assert!(e.contains("has no option `Q`"), "{e}");
    }

    #[test]
    fn variant_chains_follow_the_graph() {
        let g: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
            ("cities", vec![]),
            ("dea_frontier", vec!["cities"]),
            ("dea_ml", vec!["dea_frontier", "cities"]),
            ("tfp", vec!["dea_ml", "dea_frontier"]),
            ("exposure", vec!["cities"]),
            ("panel", vec!["tfp", "exposure", "cities"]),
            ("other", vec!["panel"]),
        ]);
        let inputs = |n: &str| g.get(n).map(|v| v.iter().map(|s| s.to_string()).collect());
        let changed = BTreeSet::from(["dea_frontier".to_string(), "dea_ml".to_string()]);
        let chain = variant_chain("panel", &changed, &inputs).unwrap();
        assert_eq!(chain, ["dea_frontier", "dea_ml", "tfp", "panel"]);
        let only_panel = BTreeSet::from(["panel".to_string()]);
        assert_eq!(
            variant_chain("panel", &only_panel, &inputs).unwrap(),
            ["panel"]
        );
        let e = variant_chain("panel", &BTreeSet::from(["other".to_string()]), &inputs);
        assert!(e.unwrap_err().contains("does not depend on it"));
    }
}
