//! Generic estimation nodes, one per declaration of the pipeline file: `model` (one fitted model:
//! OLS/2SLS with absorbed fixed effects, FGLS, PCSE), `mediation` and `group_difference` (tests
//! composed of the same parts). Each node's parameters are its specification's canonical text, so
//! its key changes exactly when its model does; the data arrive on the `data` slot.
//!
//! Names in formulas are columns of the data node, or aliases the pipeline file declares
//! (`[aliases] city = "city_code"`); numbers of the estimates come from `estimate`.

use super::{op_err, param_i64, table_in, NODE};
use crate::fingerprint::fingerprint;
use robocarb_dag::{OpError, Operation, Outputs, ParamValue, Params, SlotSpec, TaskContext};
use robocarb_estimate::fgls::{xtgls, GlsOptions, PanelRegression, UnitEffects};
use robocarb_estimate::iv::{iv_fe, IvDesign};
use robocarb_estimate::pcse::{xtpcse, PcseOptions};
use robocarb_estimate::{
    group_difference, mediation, ols_fe, Design, Draws, GroupDiffInput, GroupDiffOptions,
    MediationInput, MediationOptions, Vce,
};
use robocarb_panel::{Column, Frame};
use robocarb_report::{CoefDoc, ColumnDoc};
use robocarb_spec::{closest, Estimator, FglsPanels, Formula, GlsCorr, ModelSpec, Vcov};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const GLUE: &str = "ops/model.rs";
const CRATES: &[&str] = &["estimate", "report", "panel", "spec"];

/// A model as its node stores it: the specification plus what the pipeline file adds.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedModel {
    pub spec: ModelSpec,
    /// Formula name -> data column, for the names of this model that are aliases.
    pub aliases: BTreeMap<String, String>,
    /// Panel and time variables (Stata's `xtset`) for FGLS and PCSE, and time for year ranges.
    pub panel: Option<String>,
    pub time: Option<String>,
    /// The name of the sample in the table JSON (`all` when the model uses every row).
    pub sample_name: String,
    /// The named sets the formula used (the table's "Controls" row asks for one of them).
    pub sets: Vec<String>,
}

fn s(v: &str) -> ParamValue {
    ParamValue::Str(v.to_string())
}

impl ResolvedModel {
    /// The node parameters: the canonical text of each part (what `why` shows when one changes).
    pub fn to_params(&self) -> Params {
        let mut p = Params::new();
        p.insert("formula".into(), s(&self.spec.formula.to_string()));
        p.insert("estimator".into(), s(&self.spec.estimator.to_string()));
        if let Some(v) = &self.spec.vcov {
            p.insert("vcov".into(), s(&v.to_string()));
        }
        if let Some(f) = &self.spec.sample {
            p.insert("sample".into(), s(f.text()));
        }
        if let Some(y) = &self.spec.years {
            p.insert("years".into(), s(&y.to_string()));
        }
        for (k, v) in &self.aliases {
            p.insert(format!("alias.{k}"), s(v));
        }
        if let Some(v) = &self.panel {
            p.insert("panel".into(), s(v));
        }
        if let Some(v) = &self.time {
            p.insert("time".into(), s(v));
        }
        p.insert("sample_name".into(), s(&self.sample_name));
        p.insert(
            "sets".into(),
            ParamValue::List(self.sets.iter().map(|x| s(x)).collect()),
        );
        p
    }

    pub fn from_params(p: &Params) -> Result<ResolvedModel, OpError> {
        let get = |k: &str| match p.get(k) {
            Some(ParamValue::Str(v)) => Some(v.as_str()),
            _ => None,
        };
        let formula = Formula::parse(get("formula").unwrap_or_default())
            .map_err(|e| OpError::new(e.to_string()))?;
        let spec = ModelSpec::new(
            formula,
            get("estimator"),
            get("vcov"),
            get("sample"),
            get("years"),
        )
        .map_err(|e| OpError::new(e.to_string()))?;
        let aliases = p
            .iter()
            .filter_map(|(k, v)| match (k.strip_prefix("alias."), v) {
                (Some(name), ParamValue::Str(col)) => Some((name.to_string(), col.clone())),
                _ => None,
            })
            .collect();
        let sets = super::str_list(p.get("sets"))
            .into_iter()
            .map(str::to_string)
            .collect();
        Ok(ResolvedModel {
            spec,
            aliases,
            panel: get("panel").map(str::to_string),
            time: get("time").map(str::to_string),
            sample_name: get("sample_name").unwrap_or("all").to_string(),
            sets,
        })
    }

    /// The data column a formula name refers to.
    pub fn column<'a>(&'a self, name: &'a str) -> &'a str {
        self.aliases.get(name).map_or(name, String::as_str)
    }
}

/// What a model node writes (`model.json`): the column in the table-JSON schema, and for 2SLS the
/// first stage of each endogenous variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelResult {
    /// pyfixest's name of the model, e.g. `CARBON ~ ROBOT | city + year`.
    pub name: String,
    /// The named sets the formula used.
    #[serde(default)]
    pub sets: Vec<String>,
    pub column: ColumnDoc,
    #[serde(default)]
    pub first_stages: Vec<ColumnDoc>,
}

/// The rows a model uses, with its numeric variables and the dense ids of its categorical ones.
pub struct Prepared {
    pub frame: Frame,
    ids: BTreeMap<String, Vec<u32>>,
}

impl Prepared {
    /// Numeric values of formula name `name` (integers widened).
    pub fn num<'a>(&'a self, m: &ResolvedModel, name: &str) -> Result<Cow<'a, [f64]>, OpError> {
        numeric(&self.frame, m.column(name))
    }
    /// Dense ids (0..levels, in sorted order of the values) of formula name `name`.
    pub fn ids(&self, name: &str) -> &[u32] {
        self.ids.get(name).map_or(&[], Vec::as_slice)
    }
    pub fn n(&self) -> usize {
        self.frame.nrows()
    }
}

fn numeric<'a>(frame: &'a Frame, col: &str) -> Result<Cow<'a, [f64]>, OpError> {
    match frame.column(col) {
        Some(Column::F64(v)) => Ok(Cow::Borrowed(v)),
        Some(Column::I64(v)) => Ok(Cow::Owned(v.iter().map(|&x| x as f64).collect())),
        Some(Column::Str(_)) => Err(OpError::new(format!(
            "`{col}` is a text column; a formula's variables must be numeric (text columns can be fixed effects or clusters)"
        ))),
        None => Err(OpError::new(format!("no column `{col}`"))),
    }
}

/// Dense ids (0..levels) of `v` in sorted order of its distinct values, and the number of
/// levels. Hashing first and sorting only the distinct values: a city code column has thousands
/// of rows and a few hundred levels, and thousands of specifications ask for it.
pub fn sorted_level_ids<T: Ord + std::hash::Hash>(v: &[T]) -> (Vec<u32>, usize) {
    let mut first: std::collections::HashMap<&T, u32> = std::collections::HashMap::new();
    let mut distinct: Vec<&T> = Vec::new();
    let raw: Vec<u32> = v
        .iter()
        .map(|x| {
            *first.entry(x).or_insert_with(|| {
                distinct.push(x);
                (distinct.len() - 1) as u32
            })
        })
        .collect();
    let mut order: Vec<usize> = (0..distinct.len()).collect();
    order.sort_by(|&a, &b| distinct[a].cmp(distinct[b]));
    let mut rank = vec![0u32; distinct.len()];
    for (r, &u) in order.iter().enumerate() {
        rank[u] = r as u32;
    }
    (
        raw.iter().map(|&u| rank[u as usize]).collect(),
        distinct.len(),
    )
}

/// Dense ids of a column in sorted order of its values: what reghdfe's `absorb()` groups by.
fn dense_ids(frame: &Frame, col: &str) -> Result<Vec<u32>, OpError> {
    fn ids_of<T: Ord + std::hash::Hash>(v: &[T]) -> Vec<u32> {
        sorted_level_ids(v).0
    }
    Ok(match frame.column(col) {
        Some(Column::Str(v)) => ids_of(v),
        Some(Column::I64(v)) => ids_of(v),
        Some(Column::F64(v)) => {
            let bits: Vec<OrdF64> = v.iter().map(|&x| OrdF64(x)).collect();
            ids_of(&bits)
        }
        None => return Err(OpError::new(format!("no column `{col}`"))),
    })
}

/// Dense ids of a categorical name: one column, or an interaction `a^b` (one level per
/// combination present, in sorted order of the combinations' ids).
fn interacted_ids(frame: &Frame, m: &ResolvedModel, name: &str) -> Result<Vec<u32>, OpError> {
    let mut parts = name.split('^');
    let first = parts.next().unwrap_or(name);
    let mut ids = dense_ids(frame, m.column(first))?;
    for part in parts {
        let next = dense_ids(frame, m.column(part))?;
        let levels = u64::from(next.iter().copied().max().map_or(0, |x| x + 1));
        let codes: Vec<u64> = ids
            .iter()
            .zip(&next)
            .map(|(&a, &b)| u64::from(a) * levels + u64::from(b))
            .collect();
        let mut u = codes.clone();
        u.sort_unstable();
        u.dedup();
        ids = codes
            .iter()
            .map(|c| u.binary_search(c).map_or(0, |i| i as u32))
            .collect();
    }
    Ok(ids)
}

#[derive(Clone, Copy)]
struct OrdF64(f64);
// Equality, order and hash all follow the bits (`total_cmp`), so they agree.
impl PartialEq for OrdF64 {
    fn eq(&self, o: &Self) -> bool {
        self.0.total_cmp(&o.0).is_eq()
    }
}
impl Eq for OrdF64 {}
impl std::hash::Hash for OrdF64 {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.to_bits().hash(h);
    }
}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

/// Check that every name of the model is a column of `data` (the node called `data_node`), with the
/// closest column names when one is not.
pub fn check_columns(frame: &Frame, m: &ResolvedModel, data_node: &str) -> Result<(), OpError> {
    let f = &m.spec.formula;
    let mut names: Vec<(&str, &str)> = f.variables().into_iter().map(|n| (n, "variable")).collect();
    names.extend(f.fe_columns().into_iter().map(|n| (n, "fixed effect")));
    if let Some(Vcov::Cluster(c)) = &m.spec.vcov {
        names.extend(c.iter().map(|n| (n.as_str(), "cluster variable")));
    }
    if let Some(s) = &m.spec.sample {
        names.extend(
            s.columns()
                .into_iter()
                .map(|(n, _)| (n, "column in the sample filter")),
        );
    }
    names.extend(m.panel.as_deref().map(|n| (n, "panel variable")));
    names.extend(m.time.as_deref().map(|n| (n, "time variable")));
    for (name, what) in names {
        let col = m.column(name);
        if !frame.has(col) {
            let near = closest(col, frame.names().iter().map(String::as_str), 3);
            let hint = if near.is_empty() {
                String::new()
            } else {
                format!("; closest columns: {}", near.join(", "))
            };
            let aka = if col != name {
                format!(" (alias of `{col}`)")
            } else {
                String::new()
            };
            return Err(OpError::new(format!(
                "unknown {what} `{name}`{aka} in `{f}`: the data node `{data_node}` has no such column{hint}"
            )));
        }
    }
    Ok(())
}

/// The rows the model uses (sample filter, year range, and rows where every numeric variable is
/// a number: Stata's listwise deletion), with ids of its fixed effects, clusters and panel.
pub fn prepare(
    frame: &Frame,
    m: &ResolvedModel,
    extra_vars: &[&str],
    data_node: &str,
) -> Result<Prepared, OpError> {
    check_columns(frame, m, data_node)?;
    let n = frame.nrows();
    let mut mask = match &m.spec.sample {
        Some(f) => f
            .eval(n, &|name| match frame.column(m.column(name)) {
                Some(Column::F64(v)) => Some(robocarb_spec::Column::F64(v)),
                Some(Column::I64(v)) => Some(robocarb_spec::Column::I64(v)),
                Some(Column::Str(v)) => Some(robocarb_spec::Column::Str(v)),
                None => None,
            })
            .map_err(|e| OpError::new(e.to_string()))?,
        None => vec![true; n],
    };
    if let Some(r) = &m.spec.years {
        let Some(t) = &m.time else {
            return Err(OpError::new(
                "a year range needs the time variable (`[xtset] time` in the pipeline file)",
            ));
        };
        let years = numeric(frame, m.column(t))?;
        for (k, y) in mask.iter_mut().zip(years.iter()) {
            *k &= y.is_finite() && r.contains(*y as i64);
        }
    }
    let mut vars: Vec<&str> = m.spec.formula.variables();
    vars.extend(extra_vars);
    for v in &vars {
        let col = numeric(frame, m.column(v))?;
        for (k, x) in mask.iter_mut().zip(col.iter()) {
            *k &= x.is_finite();
        }
    }
    // Categorical names: fixed effects (an interaction `a^b` is one), clusters, the panel.
    let mut cats: Vec<&str> = m.spec.formula.fe.iter().map(String::as_str).collect();
    if let Some(Vcov::Cluster(c)) = &m.spec.vcov {
        cats.extend(c.iter().map(String::as_str));
    }
    cats.extend(m.panel.as_deref());
    for c in cats.iter().flat_map(|c| c.split('^')) {
        if let Some(Column::F64(v)) = frame.column(m.column(c)) {
            for (k, x) in mask.iter_mut().zip(v) {
                *k &= x.is_finite();
            }
        }
    }
    let kept = mask.iter().filter(|&&k| k).count();
    let k = m.spec.formula.regressors.len() + m.spec.formula.endogenous.len() + extra_vars.len();
    if kept <= k {
        return Err(OpError::new(format!(
            "the sample ({}) leaves {kept} rows with every variable present, fewer than the {} coefficients of `{}`",
            sample_text(m),
            k + 1,
            m.spec.formula
        )));
    }
    let sub = if kept == n {
        frame.clone()
    } else {
        frame.filter(&mask).map_err(op_err("sample"))?
    };
    let mut ids = BTreeMap::new();
    for c in cats {
        if !ids.contains_key(c) {
            ids.insert(c.to_string(), interacted_ids(&sub, m, c)?);
        }
    }
    Ok(Prepared { frame: sub, ids })
}

fn sample_text(m: &ResolvedModel) -> String {
    let mut parts = Vec::new();
    if let Some(f) = &m.spec.sample {
        parts.push(format!("sample `{}`", f.text()));
    }
    if let Some(y) = &m.spec.years {
        parts.push(format!("years {y}"));
    }
    if parts.is_empty() {
        "all rows".into()
    } else {
        parts.join(", ")
    }
}

pub fn vce<'a>(m: &ResolvedModel, d: &'a Prepared) -> Vce<'a> {
    match &m.spec.vcov {
        None | Some(Vcov::Iid) => Vce::Unadjusted,
        Some(Vcov::Hetero) => Vce::Robust,
        Some(Vcov::Cluster(c)) if c.len() == 1 => Vce::Cluster(d.ids(&c[0])),
        Some(Vcov::Cluster(c)) => Vce::TwoWayCluster(d.ids(&c[0]), d.ids(&c[1])),
    }
}

fn coefs(
    names: &[String],
    b: &[f64],
    se: &[f64],
    stat: &[f64],
    p: &[f64],
) -> BTreeMap<String, CoefDoc> {
    let mut out = BTreeMap::new();
    for (i, name) in names.iter().enumerate() {
        let key = if name == "_cons" {
            "const".to_string()
        } else {
            name.clone()
        };
        out.insert(
            key,
            CoefDoc {
                b: b[i],
                se: se[i],
                stat: stat[i],
                p: p[i],
            },
        );
    }
    out
}

fn base_column(m: &ResolvedModel, estimator: &str, stat_kind: &str) -> ColumnDoc {
    ColumnDoc {
        label: String::new(),
        dep: m.spec.formula.dep.clone(),
        estimator: estimator.into(),
        sample: m.sample_name.clone(),
        n: 0,
        clusters: None,
        r2_within: None,
        r2_overall: None,
        stat_kind: stat_kind.into(),
        coefs: BTreeMap::new(),
        extra: BTreeMap::new(),
        fe: m.spec.formula.fe.clone(),
        controls: false,
    }
}

/// OLS with absorbed fixed effects of `dep` on `regressors`, on the prepared sample.
pub fn fit_ols(
    m: &ResolvedModel,
    d: &Prepared,
    dep: &str,
    regressors: &[&str],
) -> Result<robocarb_estimate::OlsResult, OpError> {
    let y = d.num(m, dep)?;
    let cols: Vec<Cow<[f64]>> = regressors
        .iter()
        .map(|r| d.num(m, r))
        .collect::<Result<_, _>>()?;
    let mut design = Design::new(&y);
    for (name, c) in regressors.iter().zip(&cols) {
        design = design.regressor(name, c);
    }
    for f in &m.spec.formula.fe {
        design = design.absorb(d.ids(f));
    }
    ols_fe(&design, vce(m, d)).map_err(op_err(&format!("OLS `{}`", m.spec.formula)))
}

/// OLS with absorbed fixed effects of `dep` on `regressors`, as a table column.
fn ols(
    m: &ResolvedModel,
    d: &Prepared,
    dep: &str,
    regressors: &[&str],
    estimator: &str,
) -> Result<ColumnDoc, OpError> {
    let r = fit_ols(m, d, dep, regressors)?;
    let mut col = base_column(m, estimator, "t");
    col.dep = dep.to_string();
    col.coefs = coefs(&r.names, &r.b, &r.se, &r.t, &r.p);
    col.n = r.n as u64;
    col.clusters = r.n_clusters.first().map(|&g| g as u64);
    col.r2_within = Some(r.r2_within);
    col.r2_overall = Some(r.r2_overall);
    if r.singletons_dropped > 0 {
        col.extra
            .insert("singletons_dropped".into(), r.singletons_dropped as f64);
    }
    Ok(col)
}

fn iv(m: &ResolvedModel, d: &Prepared) -> Result<ModelResult, OpError> {
    let f = &m.spec.formula;
    // First stages as their own regressions (every coefficient is reported): instruments first,
    // then the exogenous regressors, on the model's sample.
    let first_regs: Vec<&str> = f
        .instruments
        .iter()
        .chain(&f.regressors)
        .map(String::as_str)
        .collect();
    let mut first_stages = Vec::new();
    for e in &f.endogenous {
        first_stages.push(ols(m, d, e, &first_regs, "iv_first")?);
    }
    let y = d.num(m, &f.dep)?;
    let get = |names: &[String]| -> Result<Vec<Cow<[f64]>>, OpError> {
        names.iter().map(|n| d.num(m, n)).collect()
    };
    let (endog, inst, exog) = (
        get(&f.endogenous)?,
        get(&f.instruments)?,
        get(&f.regressors)?,
    );
    let mut design = IvDesign::new(&y);
    for (n, c) in f.endogenous.iter().zip(&endog) {
        design = design.endogenous(n, c);
    }
    for (n, c) in f.instruments.iter().zip(&inst) {
        design = design.instrument(n, c);
    }
    for (n, c) in f.regressors.iter().zip(&exog) {
        design = design.exogenous(n, c);
    }
    for fe in &f.fe {
        design = design.absorb(d.ids(fe));
    }
    let r = iv_fe(&design, vce(m, d)).map_err(op_err(&format!("2SLS `{f}`")))?;
    // The paper reports the second stage's statistics as z.
    let mut col = base_column(m, "iv_2sls", "z");
    col.coefs = coefs(&r.names, &r.b, &r.se, &r.t, &r.p);
    col.n = r.n as u64;
    col.clusters = r.n_clusters.first().map(|&g| g as u64);
    col.r2_within = Some(r.r2_within);
    col.r2_overall = Some(r.r2_overall);
    let extra = &mut col.extra;
    extra.insert("cragg_donald_f".into(), r.cragg_donald_f);
    if let Some(kp) = r.kleibergen_paap_f {
        extra.insert("kleibergen_paap_f".into(), kp);
    }
    if let Some(fs) = r.first_stages.first() {
        extra.insert("first_stage_partial_f".into(), fs.partial_f);
    }
    for (fs, first) in r.first_stages.iter().zip(&mut first_stages) {
        first.extra.insert("partial_f".into(), fs.partial_f);
        first.extra.insert("partial_r2".into(), fs.partial_r2);
        first
            .extra
            .insert("cragg_donald_f".into(), r.cragg_donald_f);
    }
    if let Some(sy) = &r.stock_yogo {
        if let Ok(serde_json::Value::Object(obj)) = serde_json::to_value(sy) {
            for (k, val) in obj {
                if let Some(x) = val.as_f64() {
                    extra.insert(format!("stock_yogo_{k}"), x);
                }
            }
        }
    }
    extra.insert("anderson_rubin_f".into(), r.anderson_rubin.f);
    extra.insert("anderson_rubin_p".into(), r.anderson_rubin.f_p);
    Ok(ModelResult {
        name: f.to_string(),
        sets: m.sets.clone(),
        column: col,
        first_stages,
    })
}

/// The regressors, then a dummy for every level but the first of each fixed effect, then the
/// constant: how the paper's xtgls and xtpcse runs include city and year effects.
///
/// The fixed effect named like the panel variable (`[xtset] panel`) is not expanded: the estimators
/// absorb it (`UnitEffects::Absorbed`, the same numbers as its dummy columns placed right after the
/// regressors), so no `N x panels` matrix is built.
fn dummy_design(
    m: &ResolvedModel,
    d: &Prepared,
    absorbed: Option<&str>,
) -> Result<(Vec<String>, faer::Mat<f64>), OpError> {
    let f = &m.spec.formula;
    let dense: Vec<Cow<[f64]>> = f
        .regressors
        .iter()
        .map(|r| d.num(m, r))
        .collect::<Result<_, _>>()?;
    let mut names: Vec<String> = f.regressors.clone();
    // (first column, ids, levels) of each fixed effect's dummies.
    let mut blocks: Vec<(usize, &[u32], usize)> = Vec::new();
    for fe in f.fe.iter().filter(|fe| Some(fe.as_str()) != absorbed) {
        let ids = d.ids(fe);
        let levels = ids.iter().max().map_or(0, |&x| x as usize + 1);
        blocks.push((names.len(), ids, levels));
        names.extend((1..levels).map(|l| format!("{fe}_{l}")));
    }
    names.push("_cons".into());
    let n_dense = dense.len();
    let cons = names.len() - 1;
    // Filled in place (no column copies: at county scale this matrix is ~1 GB).
    let x = faer::Mat::from_fn(d.n(), names.len(), |i, j| {
        if j < n_dense {
            return dense[j][i];
        }
        if j == cons {
            return 1.0;
        }
        let (start, ids, _) =
            blocks
                .iter()
                .rev()
                .find(|b| b.0 <= j)
                .copied()
                .unwrap_or((0, &[], 0));
        f64::from(u8::from(
            ids[i] as usize >= 1 && start + ids[i] as usize - 1 == j,
        ))
    });
    Ok((names, x))
}

fn gls(m: &ResolvedModel, d: &Prepared) -> Result<ModelResult, OpError> {
    let f = &m.spec.formula;
    let (Some(panel), Some(time)) = (&m.panel, &m.time) else {
        return Err(OpError::new(format!(
            "{} needs the panel and time variables (`[xtset] panel` and `time` in the pipeline file)",
            m.spec.estimator.name()
        )));
    };
    // The panel's own fixed effect is absorbed, the others (year) stay dummy columns.
    let absorbed = f.fe.iter().find(|fe| *fe == panel).map(String::as_str);
    let unit_effects = match absorbed {
        Some(_) => UnitEffects::Absorbed {
            at: f.regressors.len(),
        },
        None => UnitEffects::InDesign,
    };
    let (names, x) = dummy_design(m, d, absorbed)?;
    let y = d.num(m, &f.dep)?;
    let time: Vec<i32> = d.num(m, time)?.iter().map(|&t| t as i32).collect();
    let reg = PanelRegression {
        y: &y,
        x: x.as_ref(),
        names: &names,
        panel: d.ids(panel),
        time: &time,
    };
    // The regressors and the constant; not the effects' dummies (`year_3`, `panel_17`).
    let shown = |n: &String| n == "_cons" || f.regressors.contains(n);
    let keep = |names: &[String], v: &[f64]| -> Vec<f64> {
        names
            .iter()
            .zip(v)
            .filter(|(n, _)| shown(n))
            .map(|(_, x)| *x)
            .collect()
    };
    // The shown coefficients (b, se, z, p), N and the Wald statistic, as either estimator reports them.
    let gls_column = |estimator: &str, names: &[String], v: [&[f64]; 4], n: usize, wald: f64| {
        let kept: Vec<String> = names.iter().filter(|n| shown(n)).cloned().collect();
        let mut col = base_column(m, estimator, "z");
        col.coefs = coefs(
            &kept,
            &keep(names, v[0]),
            &keep(names, v[1]),
            &keep(names, v[2]),
            &keep(names, v[3]),
        );
        col.n = n as u64;
        col.extra.insert("wald_chi2".into(), wald);
        col
    };
    let corr = |c: GlsCorr| match c {
        GlsCorr::Independent => robocarb_estimate::fgls::AutoCorr::Independent,
        GlsCorr::Ar1 => robocarb_estimate::fgls::AutoCorr::Ar1,
        GlsCorr::Psar1 => robocarb_estimate::fgls::AutoCorr::Psar1,
    };
    let mut col;
    match m.spec.estimator {
        Estimator::Fgls {
            panels,
            corr: c,
            force,
        } => {
            let opts = GlsOptions {
                panels: match panels {
                    FglsPanels::Iid => robocarb_estimate::fgls::GlsPanels::Iid,
                    FglsPanels::Hetero => robocarb_estimate::fgls::GlsPanels::Hetero,
                },
                corr: corr(c),
                force,
                unit_effects,
                ..GlsOptions::default()
            };
            let r = xtgls(&reg, &opts)
                .map_err(op_err(&format!("FGLS `{f}` ({})", m.spec.estimator)))?;
            col = gls_column(
                "fgls",
                &r.names,
                [&r.b, &r.se, &r.z, &r.p],
                r.n,
                r.wald_chi2,
            );
            col.extra.insert("wald_df".into(), r.wald_df as f64);
            if let Some(rho) = r.rho.first() {
                col.extra.insert("rho".into(), *rho);
            }
        }
        Estimator::Pcse {
            corr: c,
            pairwise,
            psd,
        } => {
            let opts = PcseOptions {
                corr: corr(c),
                pairwise,
                psd,
                unit_effects,
                ..PcseOptions::default()
            };
            let r = xtpcse(&reg, &opts)
                .map_err(op_err(&format!("PCSE `{f}` ({})", m.spec.estimator)))?;
            col = gls_column(
                "pcse",
                &r.names,
                [&r.b, &r.se, &r.z, &r.p],
                r.n,
                r.wald_chi2,
            );
            col.r2_overall = Some(r.r2);
            // Only when it happened: a table without a projection stays as it was.
            if let Some(k) = r.sigma_projected {
                col.extra
                    .insert("sigma_eigenvalues_clipped".into(), k as f64);
            }
        }
        _ => unreachable!("gls() is called for fgls and pcse only"),
    }
    Ok(ModelResult {
        name: f.to_string(),
        sets: m.sets.clone(),
        column: col,
        first_stages: Vec::new(),
    })
}

/// Fit one model on the table of the data node `data_node`.
pub fn fit_model(
    frame: &Frame,
    m: &ResolvedModel,
    data_node: &str,
) -> Result<ModelResult, OpError> {
    let d = prepare(frame, m, &[], data_node)?;
    match m.spec.estimator {
        Estimator::Ols => {
            let regs: Vec<&str> = m
                .spec
                .formula
                .regressors
                .iter()
                .map(String::as_str)
                .collect();
            let column = ols(m, &d, &m.spec.formula.dep, &regs, "ols_fe")?;
            Ok(ModelResult {
                name: m.spec.formula.to_string(),
                sets: m.sets.clone(),
                column,
                first_stages: Vec::new(),
            })
        }
        Estimator::Iv2sls => iv(m, &d),
        Estimator::Fgls { .. } | Estimator::Pcse { .. } => gls(m, &d),
    }
}

/// The name of the node bound to the `data` slot, for messages.
fn data_name(ctx: &TaskContext<'_>) -> String {
    match ctx.inputs.get("data") {
        Some(robocarb_dag::SlotValue::Node { node, .. }) => node.clone(),
        _ => "data".into(),
    }
}

/// An operation of this module: fixed slot `data`, run by a function.
pub struct SpecOp {
    name: &'static str,
    run: fn(&TaskContext<'_>) -> Result<Outputs, OpError>,
    fingerprint: OnceLock<String>,
}

impl Operation for SpecOp {
    fn name(&self) -> &str {
        self.name
    }
    fn code_fingerprint(&self) -> String {
        self.fingerprint
            .get_or_init(|| fingerprint(CRATES, GLUE))
            .clone()
    }
    fn slots(&self) -> Vec<SlotSpec> {
        vec![SlotSpec {
            name: "data",
            kind: NODE,
            required: true,
        }]
    }
    fn run(&self, ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
        (self.run)(ctx)
    }
}

pub static MODEL: SpecOp = SpecOp {
    name: "model",
    run: run_model,
    fingerprint: OnceLock::new(),
};
pub static MEDIATION: SpecOp = SpecOp {
    name: "mediation",
    run: run_mediation,
    fingerprint: OnceLock::new(),
};
pub static GROUP_DIFFERENCE: SpecOp = SpecOp {
    name: "group_difference",
    run: run_group_difference,
    fingerprint: OnceLock::new(),
};

fn json_out(name: &str, v: &impl Serialize) -> Result<Outputs, OpError> {
    let mut out = Outputs::new();
    let bytes = serde_json::to_vec_pretty(v).map_err(op_err(name))?;
    out.insert(name.to_string(), bytes);
    Ok(out)
}

fn run_model(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let m = ResolvedModel::from_params(ctx.params)?;
    let frame = table_in(ctx, "data")?;
    let r = fit_model(&frame, &m, &data_name(ctx))?;
    json_out("model.json", &r)
}

fn param_str<'a>(ctx: &'a TaskContext<'_>, name: &str) -> Result<&'a str, OpError> {
    super::param_str(ctx, name)
}

/// Statistics a test adds to a table column (`tests.json`).
pub type TestStats = BTreeMap<String, f64>;

fn cluster_of(m: &ResolvedModel, what: &str) -> Result<String, OpError> {
    match &m.spec.vcov {
        Some(Vcov::Cluster(c)) if c.len() == 1 => Ok(c[0].clone()),
        _ => Err(OpError::new(format!(
            "{what} resamples whole clusters: its vcov must be `cluster:VAR` (one-way)"
        ))),
    }
}

fn run_mediation(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let m = ResolvedModel::from_params(ctx.params)?;
    let mediator = param_str(ctx, "mediator")?;
    let reps = param_i64(ctx, "bootstrap_reps")?;
    let seed = param_i64(ctx, "seed")?;
    let cluster = cluster_of(&m, "mediation")?;
    let frame = table_in(ctx, "data")?;
    let f = &m.spec.formula;
    let Some((treatment, controls)) = f.regressors.split_first() else {
        return Err(OpError::new(format!(
            "mediation `{f}`: the first regressor is the treatment; there is none"
        )));
    };
    // One sample for the a and b paths: rows complete in the outcome model and the mediator.
    let d = prepare(&frame, &m, &[mediator], &data_name(ctx))?;
    let y = d.num(&m, &f.dep)?;
    let x = d.num(&m, treatment)?;
    let med = d.num(&m, mediator)?;
    let ctrl: Vec<Cow<[f64]>> = controls
        .iter()
        .map(|c| d.num(&m, c))
        .collect::<Result<_, _>>()?;
    let input = MediationInput {
        y: &y,
        x: (treatment, &x),
        m: (mediator, &med),
        controls: controls
            .iter()
            .map(String::as_str)
            .zip(ctrl.iter().map(|c| &c[..]))
            .collect(),
        fe: f.fe.iter().map(|fe| d.ids(fe)).collect(),
        cluster: d.ids(&cluster),
    };
    let opts = MediationOptions {
        draws: Draws::Seeded {
            reps: reps.max(0) as usize,
            seed: seed as u64,
        },
        ..Default::default()
    };
    let r = mediation(&input, &opts).map_err(op_err(&format!("mediation through {mediator}")))?;
    let mut x = TestStats::new();
    x.insert("indirect_ab".into(), r.indirect);
    x.insert("sobel_z".into(), r.sobel.z);
    x.insert("sobel_p".into(), r.sobel.p);
    x.insert("aroian_z".into(), r.aroian.z);
    x.insert("aroian_p".into(), r.aroian.p);
    if let Some(g) = r.goodman {
        x.insert("goodman_z".into(), g.z);
        x.insert("goodman_p".into(), g.p);
    }
    if let Some(pm) = r.proportion_mediated {
        x.insert("proportion_mediated".into(), pm);
    }
    if let Some(bs) = &r.bootstrap {
        x.insert("boot_reps".into(), bs.reps as f64);
        x.insert("boot_pct_lo".into(), bs.percentile.0);
        x.insert("boot_pct_hi".into(), bs.percentile.1);
        if let Some((lo, hi)) = bs.bias_corrected {
            x.insert("boot_bc_lo".into(), lo);
            x.insert("boot_bc_hi".into(), hi);
        }
        x.insert("seed".into(), seed as f64);
    }
    json_out("tests.json", &x)
}

fn run_group_difference(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let m = ResolvedModel::from_params(ctx.params)?;
    let by = param_str(ctx, "by")?;
    let coef = param_str(ctx, "coef")?;
    let reps = param_i64(ctx, "permutations")?;
    let seed = param_i64(ctx, "seed")?;
    let cluster = cluster_of(&m, "the group difference")?;
    let frame = table_in(ctx, "data")?;
    let f = &m.spec.formula;
    if !f.regressors.iter().any(|r| r == coef) {
        return Err(OpError::new(format!(
            "group difference: `{coef}` is not a regressor of `{f}`"
        )));
    }
    let d = prepare(&frame, &m, &[by], &data_name(ctx))?;
    let y = d.num(&m, &f.dep)?;
    let group: Vec<bool> = d.num(&m, by)?.iter().map(|&g| g == 1.0).collect();
    let cols: Vec<Cow<[f64]>> = f
        .regressors
        .iter()
        .map(|c| d.num(&m, c))
        .collect::<Result<_, _>>()?;
    let input = GroupDiffInput {
        y: &y,
        x: f.regressors
            .iter()
            .map(String::as_str)
            .zip(cols.iter().map(|c| &c[..]))
            .collect(),
        coef,
        fe: f.fe.iter().map(|fe| d.ids(fe)).collect(),
        cluster: d.ids(&cluster),
        group: &group,
    };
    let opts = GroupDiffOptions {
        permutations: Draws::Seeded {
            reps: reps.max(0) as usize,
            seed: seed as u64,
        },
        ..Default::default()
    };
    let r =
        group_difference(&input, &opts).map_err(op_err(&format!("group difference by {by}")))?;
    let mut x = TestStats::new();
    if let Some(perm) = &r.permutation {
        x.insert("diff_p".into(), perm.p);
        x.insert("permutations".into(), perm.reps as f64);
    }
    x.insert("chow_p".into(), r.chow.p);
    x.insert("seed".into(), seed as f64);
    json_out("tests.json", &x)
}
