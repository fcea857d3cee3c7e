//! `robocarb check`: every source a pipeline declares (after a sources file's overrides) is read
//! by its adapter, as a run would read it (schema, types, encoding, sheet, city names), without
//! running the graph; then the coverage is reported: cities x years per source, the study cities
//! each source lacks, the crosswalk's name matches and replacements, and per table the city-years
//! of the panel that will have every variable the table needs.
//!
//! Invalid sources are reported, not returned as errors: the caller exits 1 when
//! [`CheckReport::valid`] is false. The variables the run itself computes (robot exposure from
//! IFR and employment, technical progress from the DEA) are named, not counted.

use crate::loader::{declared_sources, LoadError};
use crate::ops::ingest::{adapter_of, read_declared};
use crate::ops::model::ResolvedModel;
use robocarb_dag::{Graph, NodeSpec, ParamValue};
use robocarb_ingest::{
    build_panel, Adapted, CityIndex, ColumnMap, PanelOptions, PanelParts, ReadOptions, Replacement,
    Source, Unmatched, EXPOSURE_COLUMNS, TFP_COLUMNS,
};
use robocarb_panel::{Column, Frame};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// The source that holds the yearbook's header map (read as a column map, not a table).
const COLUMN_MAP_SOURCE: &str = "yearbook_columns";

/// What `check` found for one source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceCheck {
    /// Source name (`ceads_city`).
    pub source: String,
    /// The file, as resolved.
    pub path: String,
    /// The pipeline or sources file that declared it.
    pub declared_in: String,
    /// The adapter that read it (`ceads_city`, `county_co2`, `column_map`...).
    pub adapter: String,
    /// False when the adapter refused the file.
    pub valid: bool,
    /// The adapter's error (file, row, column, what was expected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Data rows read.
    pub rows_read: usize,
    /// Rows kept.
    pub rows_out: usize,
    /// Distinct cities in the rows kept (city-keyed sources).
    pub cities: usize,
    /// First and last year (year-keyed sources).
    pub years: Option<(i64, i64)>,
    /// Distinct (city, year) pairs kept.
    pub city_years: usize,
    /// Study cities with no row (`code name`), for city-keyed sources.
    pub study_cities_missing: Vec<String>,
    /// Names and codes matched by a rule or replaced through the crosswalk.
    pub replacements: Vec<Replacement>,
    /// Names and codes matched to no study city (rows dropped).
    pub unmatched: Vec<Unmatched>,
    /// The adapter's notes (aggregations, balance counts).
    pub notes: Vec<String>,
}

/// City-years of the panel with every variable a table needs.
#[derive(Debug, Clone, Serialize)]
pub struct TableCoverage {
    pub table: String,
    /// Variables from the sources, all required.
    pub variables: Vec<String>,
    /// Variables the run computes (not counted here).
    pub computed_by_run: Vec<String>,
    /// Panel rows with every one of `variables` present.
    pub complete_city_years: usize,
    /// Panel rows (study cities x years).
    pub panel_city_years: usize,
}

/// The whole check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub pipeline: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources_file: Option<String>,
    /// True when every source was read.
    pub valid: bool,
    /// Cities of the city list.
    pub study_cities: usize,
    /// The panel's years (the yearbook's span).
    pub study_years: Option<(i64, i64)>,
    pub sources: Vec<SourceCheck>,
    pub tables: Vec<TableCoverage>,
    /// Why the table coverage could not be computed, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_unavailable: Option<String>,
}

impl CheckReport {
    /// 0 when every source is valid, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.valid {
            0
        } else {
            1
        }
    }
}

/// Per table node of the pipeline (`table`, `table3`), the panel variables it reads: for a
/// table of models, every variable of every model, mediation and group difference it shows (their
/// formulas with the sets expanded and aliases applied, the mediator, the split variable); for
/// `table3`, its `variables`. Found by walking upstream from the table to the model nodes.
fn table_variables(graph: &Graph) -> Result<Vec<(String, Vec<String>)>, String> {
    let str_param = |n: &NodeSpec, k: &str| match n.params.get(k) {
        Some(ParamValue::Str(v)) => Some(v.clone()),
        _ => None,
    };
    let mut out = Vec::new();
    for table in graph.nodes() {
        let mut vars: Vec<String> = Vec::new();
        match table.op.name() {
            "table3" => {
                if let Some(ParamValue::List(items)) = table.params.get("variables") {
                    vars.extend(items.iter().filter_map(|v| match v {
                        ParamValue::Str(s) => Some(s.clone()),
                        _ => None,
                    }));
                }
            }
            "table" => {
                let mut todo = graph.upstream_of(&table.name);
                let mut seen: BTreeSet<String> = BTreeSet::new();
                while let Some(name) = todo.pop() {
                    if !seen.insert(name.clone()) {
                        continue;
                    }
                    let Some(node) = graph.node(&name) else {
                        continue;
                    };
                    if !matches!(node.op.name(), "model" | "mediation" | "group_difference") {
                        continue;
                    }
                    let m = ResolvedModel::from_params(&node.params)
                        .map_err(|e| format!("model `{name}`: {}", e.message))?;
                    let mut names: Vec<String> = m
                        .spec
                        .formula
                        .variables()
                        .into_iter()
                        .map(String::from)
                        .collect();
                    names.extend(str_param(node, "mediator"));
                    names.extend(str_param(node, "by"));
                    vars.extend(
                        names
                            .into_iter()
                            .map(|n| m.aliases.get(&n).cloned().unwrap_or(n)),
                    );
                }
            }
            _ => continue,
        }
        let mut unique = BTreeSet::new();
        vars.retain(|v| unique.insert(v.clone()));
        out.push((table.name.clone(), vars));
    }
    out.sort();
    Ok(out)
}

/// The ingest adapter named like the source, if any.
fn adapter_named(name: &str) -> Option<Source> {
    Source::ALL.into_iter().find(|s| s.name() == name)
}

/// Check every source of `pipeline_file` with `sources_override` applied.
pub fn check_sources(
    pipeline_file: &Path,
    sources_override: Option<&Path>,
) -> Result<CheckReport, LoadError> {
    let declared = declared_sources(pipeline_file, sources_override)?;
    // What the tables read comes from the pipeline's declarations, not from the sources.
    let needs = crate::loader::load(pipeline_file, None, &crate::registry())
        .map_err(|e| format!("reading the tables' models: {e}"))
        .and_then(|p| table_variables(&p.graph));
    let mut checks: BTreeMap<String, SourceCheck> = BTreeMap::new();
    let mut frames: BTreeMap<Source, Frame> = BTreeMap::new();
    let blank = |name: &str, adapter: &str| {
        let (spec, from) = &declared[name];
        SourceCheck {
            source: name.to_string(),
            path: spec.path.display().to_string(),
            declared_in: from.display().to_string(),
            adapter: adapter.to_string(),
            valid: true,
            error: None,
            rows_read: 0,
            rows_out: 0,
            cities: 0,
            years: None,
            city_years: 0,
            study_cities_missing: vec![],
            replacements: vec![],
            unmatched: vec![],
            notes: vec![],
        }
    };
    // The column map first (the yearbook files need it).
    let mut column_map = None;
    if let Some((spec, _)) = declared.get(COLUMN_MAP_SOURCE) {
        let mut c = blank(COLUMN_MAP_SOURCE, "column_map");
        match ColumnMap::from_path(&spec.path) {
            Ok(m) => {
                c.rows_read = m.columns.len();
                c.rows_out = m.columns.len();
                column_map = Some(m);
            }
            Err(e) => {
                c.valid = false;
                c.error = Some(e.to_string());
            }
        }
        checks.insert(COLUMN_MAP_SOURCE.into(), c);
    }
    // The city list and crosswalk next: the other sources are matched against them.
    let read_one =
        |name: &str, cities: Option<&CityIndex>, frames: &mut BTreeMap<Source, Frame>| {
            let (spec, _) = &declared[name];
            let Some(default) = adapter_named(name) else {
                let mut c = blank(name, "none");
                c.notes
                    .push("no adapter is named like this source; not checked".into());
                return c;
            };
            let adapter = adapter_of(default, name, &spec.options);
            let mut c = blank(name, adapter.as_ref().map_or("?", |s| s.name()));
            let base = ReadOptions {
                cities,
                column_map: column_map.as_ref(),
                ..Default::default()
            };
            match adapter.and_then(|a| read_declared(name, &spec.path, &spec.options, a, base)) {
                Ok(adapted) => {
                    describe(&mut c, &adapted);
                    // Keyed by the source's own adapter: county CO2 stands in for CEADs.
                    frames.insert(default, adapted.frame);
                }
                Err(e) => {
                    c.valid = false;
                    c.error = Some(e);
                }
            }
            c
        };
    for name in [Source::CityList.name(), Source::Crosswalk.name()] {
        if declared.contains_key(name) {
            let c = read_one(name, None, &mut frames);
            checks.insert(name.into(), c);
        }
    }
    let index = frames
        .get(&Source::CityList)
        .and_then(|list| CityIndex::new(list, frames.get(&Source::Crosswalk)).ok());
    for name in declared.keys() {
        if checks.contains_key(name) {
            continue;
        }
        let needs_cities = adapter_named(name)
            .is_some_and(|s| matches!(s, Source::CeadsCity | Source::ResourceCities));
        let c = if needs_cities && index.is_none() {
            let mut c = blank(name, adapter_named(name).map_or("none", |s| s.name()));
            c.notes.push(
                "not checked: names are matched through the city list, which is invalid".into(),
            );
            c
        } else {
            read_one(name, index.as_ref(), &mut frames)
        };
        checks.insert(name.clone(), c);
    }
    // Study cities missing from each city-keyed source.
    if let Some(idx) = &index {
        for c in checks.values_mut() {
            if !c.valid || c.cities == 0 || c.source == Source::CityList.name() {
                continue;
            }
            let Some(frame) = adapter_named(&c.source).and_then(|s| frames.get(&s)) else {
                continue;
            };
            let present: BTreeSet<&str> = frame
                .str("city_code")
                .map(|v| v.iter().map(String::as_str).collect())
                .unwrap_or_default();
            // Attribute lists name only the cities that have the attribute.
            if matches!(
                adapter_named(&c.source),
                Some(Source::ResourceCities | Source::SmartCityPilots | Source::PlanCities)
            ) {
                continue;
            }
            c.study_cities_missing = idx
                .cities()
                .filter(|city| !present.contains(city.code.as_str()))
                .map(|city| format!("{} {}", city.code, city.name))
                .collect();
        }
    }
    let valid = checks.values().all(|c| c.valid);
    let study_years = frames.get(&Source::CityYearbook).and_then(|y| {
        let years = y.i64("year").ok()?;
        Some((*years.iter().min()?, *years.iter().max()?))
    });
    let coverage = needs.and_then(|needs| table_coverage(&frames, study_years, &needs));
    let (tables, coverage_unavailable) = match coverage {
        Ok(t) => (t, None),
        Err(e) => (vec![], Some(e)),
    };
    Ok(CheckReport {
        pipeline: pipeline_file.display().to_string(),
        sources_file: sources_override.map(|p| p.display().to_string()),
        valid,
        study_cities: index.as_ref().map_or(0, CityIndex::len),
        study_years,
        sources: checks.into_values().collect(),
        tables,
        coverage_unavailable,
    })
}

/// Fill a check from an adapter's output and report.
fn describe(c: &mut SourceCheck, adapted: &Adapted) {
    let f = &adapted.frame;
    let r = &adapted.report;
    c.rows_read = r.rows_read;
    c.rows_out = r.rows_out;
    c.replacements = r.replacements.clone();
    c.unmatched = r.unmatched.clone();
    c.notes = r.notes.clone();
    let codes = f.str("city_code").ok();
    let years = f.i64("year").ok();
    if let Some(codes) = codes {
        c.cities = codes.iter().collect::<BTreeSet<_>>().len();
        if let Some(years) = years {
            c.city_years = codes.iter().zip(years).collect::<BTreeSet<_>>().len();
        }
    }
    if let Some(years) = years {
        c.years = years
            .iter()
            .min()
            .zip(years.iter().max())
            .map(|(a, b)| (*a, *b));
    }
}

/// The panel as the run builds it from these sources (without the computed variables), and per
/// table the rows with every variable it needs.
fn table_coverage(
    frames: &BTreeMap<Source, Frame>,
    years: Option<(i64, i64)>,
    needs: &[(String, Vec<String>)],
) -> Result<Vec<TableCoverage>, String> {
    let (Some(list), Some((first_year, last_year))) = (frames.get(&Source::CityList), years) else {
        return Err("needs a valid city list and city yearbook".into());
    };
    let get = |s: Source| frames.get(&s).cloned();
    let parts = PanelParts {
        city_list: list.clone(),
        first_year,
        last_year,
        yearbook: get(Source::CityYearbook),
        environment: get(Source::CityEnvironment),
        emissions: get(Source::CeadsCity),
        ventilation: get(Source::Ventilation),
        night_lights: get(Source::NightLights),
        province_energy: get(Source::ProvinceEnergy),
        robot_firms: get(Source::RobotFirms),
        resource_cities: get(Source::ResourceCities),
        smart_city_pilots: get(Source::SmartCityPilots),
        gov_business: get(Source::GovBusiness),
        plan_cities: get(Source::PlanCities),
        exposure: None,
        tfp: None,
        options: PanelOptions::default(),
    };
    let panel = build_panel(&parts).map_err(|e| e.to_string())?.frame;
    let mut out = Vec::new();
    let computed_by_run = |v: &str| EXPOSURE_COLUMNS.contains(&v) || TFP_COLUMNS.contains(&v);
    for (table, needed) in needs {
        let (computed, vars): (Vec<&String>, Vec<&String>) =
            needed.iter().partition(|v| computed_by_run(v));
        let mut complete = vec![true; panel.nrows()];
        for v in &vars {
            match panel.column(v) {
                Some(Column::F64(col)) => {
                    for (k, x) in complete.iter_mut().zip(col) {
                        *k &= x.is_finite();
                    }
                }
                // Integer and text columns have no missing value.
                Some(_) => {}
                // A variable no source provides: no row is complete.
                None => complete.iter_mut().for_each(|k| *k = false),
            }
        }
        out.push(TableCoverage {
            table: table.to_string(),
            variables: vars.iter().map(|s| s.to_string()).collect(),
            computed_by_run: computed.iter().map(|s| s.to_string()).collect(),
            complete_city_years: complete.iter().filter(|k| **k).count(),
            panel_city_years: panel.nrows(),
        });
    }
    Ok(out)
}

/// At most `n` items, then how many more.
fn some_of(items: &[String], n: usize) -> String {
    let mut s = items.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > n {
        s.push_str(&format!(", ... ({} more)", items.len() - n));
    }
    s
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "pipeline: {}", self.pipeline)?;
        if let Some(s) = &self.sources_file {
            writeln!(f, "sources:  {s}")?;
        }
        let years = self
            .study_years
            .map_or("unknown".to_string(), |(a, b)| format!("{a}-{b}"));
        writeln!(f, "study:    {} cities, years {years}\n", self.study_cities)?;
        for c in &self.sources {
            let state = if c.valid { "ok" } else { "INVALID" };
            writeln!(f, "{} [{}] {state}: {}", c.source, c.adapter, c.path)?;
            if let Some(e) = &c.error {
                writeln!(f, "  error: {e}")?;
                continue;
            }
            let mut cov = format!("  rows read {}, kept {}", c.rows_read, c.rows_out);
            if c.cities > 0 {
                cov.push_str(&format!("; {} cities", c.cities));
            }
            match (c.years, c.cities) {
                (Some((a, b)), 0) => cov.push_str(&format!("; years {a}-{b}")),
                (Some((a, b)), _) => {
                    cov.push_str(&format!(" x years {a}-{b}: {} city-years", c.city_years))
                }
                (None, _) => {}
            }
            writeln!(f, "{cov}")?;
            if !c.study_cities_missing.is_empty() {
                writeln!(
                    f,
                    "  study cities missing ({}): {}",
                    c.study_cities_missing.len(),
                    some_of(&c.study_cities_missing, 8)
                )?;
            }
            if !c.replacements.is_empty() {
                let r: Vec<String> = c
                    .replacements
                    .iter()
                    .map(|r| format!("{} -> {} ({}, {} rows)", r.from, r.to, r.reason, r.rows))
                    .collect();
                writeln!(
                    f,
                    "  matched or replaced ({}): {}",
                    r.len(),
                    some_of(&r, 12)
                )?;
            }
            if !c.unmatched.is_empty() {
                let u: Vec<String> = c
                    .unmatched
                    .iter()
                    .map(|u| format!("{} ({} rows)", u.name, u.rows))
                    .collect();
                writeln!(f, "  unmatched, dropped ({}): {}", u.len(), some_of(&u, 12))?;
            }
            for n in c.notes.iter().take(6) {
                writeln!(f, "  note: {n}")?;
            }
            if c.notes.len() > 6 {
                writeln!(f, "  ... {} more notes (--json)", c.notes.len() - 6)?;
            }
        }
        writeln!(f)?;
        match &self.coverage_unavailable {
            Some(why) => writeln!(f, "table coverage unavailable: {why}")?,
            None => {
                writeln!(
                    f,
                    "city-years with every variable each table needs (from the sources; computed by the run and not counted: robot exposure, TP):"
                )?;
                for t in &self.tables {
                    writeln!(
                        f,
                        "  {}: {} of {} ({}; + {})",
                        t.table,
                        t.complete_city_years,
                        t.panel_city_years,
                        t.variables.join(", "),
                        t.computed_by_run.join(", ")
                    )?;
                }
            }
        }
        let invalid = self.sources.iter().filter(|c| !c.valid).count();
        if invalid == 0 {
            writeln!(f, "\nall {} sources valid", self.sources.len())
        } else {
            writeln!(f, "\n{invalid} of {} sources invalid", self.sources.len())
        }
    }
}
