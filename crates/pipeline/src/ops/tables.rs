//! Tables 3-9: the paper's specifications, estimated by `estimate`, rendered by `report`.

use super::{op_err, param_i64, table_in, FnOp, NODE};
use robocarb_dag::{OpError, Outputs, TaskContext};
use robocarb_estimate::{ols_fe, Design, OlsResult, Vce};
use robocarb_panel::Frame;
use robocarb_report::{
    compare_descriptive, compare_regression, published, render, CoefDoc, ColumnDoc, Comparison,
    Format, ReportTable, TableDoc,
};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The paper's control variables, in its order.
pub const CONTROLS: [&str; 8] = ["GDP", "PS", "FDI", "FP", "URB", "EC", "HC", "VC"];

const PANEL_SLOT: &[(&str, robocarb_dag::SlotKind, bool)] = &[("panel", NODE, true)];
const CRATES: &[&str] = &["estimate", "report", "panel"];
const GLUE: &str = "ops/tables.rs";

pub static TABLE3: FnOp = FnOp::new("table3", CRATES, GLUE, PANEL_SLOT, run_table3);
pub static TABLE4: FnOp = FnOp::new("table4", CRATES, GLUE, PANEL_SLOT, run_table4);
pub static TABLE5: FnOp = FnOp::new("table5", CRATES, GLUE, PANEL_SLOT, run_table5);
pub static TABLE6: FnOp = FnOp::new("table6", CRATES, GLUE, PANEL_SLOT, run_table6);
pub static TABLE7: FnOp = FnOp::new("table7", CRATES, GLUE, PANEL_SLOT, run_table7);
pub static TABLE8: FnOp = FnOp::new("table8", CRATES, GLUE, PANEL_SLOT, run_table8);
pub static TABLE9: FnOp = FnOp::new("table9", CRATES, GLUE, PANEL_SLOT, run_table9);

/// The analysis panel as the estimators want it: dense ids and named numeric columns.
#[derive(Clone)]
pub struct PanelData {
    pub frame: Frame,
    pub city: Vec<u32>,
    pub year: Vec<u32>,
    pub city_codes: Vec<String>,
    pub years: Vec<i64>,
}

impl PanelData {
    pub fn new(frame: Frame) -> Result<Self, OpError> {
        let codes = frame.str("city_code").map_err(op_err("panel"))?.to_vec();
        let years = frame.i64("year").map_err(op_err("panel"))?.to_vec();
        let mut uniq_codes: Vec<&String> = codes.iter().collect();
        uniq_codes.sort();
        uniq_codes.dedup();
        let code_ix: BTreeMap<&String, u32> = uniq_codes
            .iter()
            .enumerate()
            .map(|(i, c)| (*c, i as u32))
            .collect();
        let mut uniq_years = years.clone();
        uniq_years.sort_unstable();
        uniq_years.dedup();
        let year_ix: BTreeMap<i64, u32> = uniq_years
            .iter()
            .enumerate()
            .map(|(i, y)| (*y, i as u32))
            .collect();
        let city = codes.iter().map(|c| code_ix[c]).collect();
        let year = years.iter().map(|y| year_ix[y]).collect();
        Ok(PanelData {
            city,
            year,
            city_codes: codes,
            years,
            frame,
        })
    }

    pub fn col(&self, name: &str) -> Result<&[f64], OpError> {
        self.frame.f64(name).map_err(|e| {
            OpError::new(format!("the panel has no numeric column `{name}` ({e}); is the node that makes it in the pipeline?"))
        })
    }

    /// 0/1 flag column (stored as i64).
    pub fn flag(&self, name: &str) -> Result<Vec<bool>, OpError> {
        let v = self.frame.i64(name).map_err(op_err("panel flag"))?;
        Ok(v.iter().map(|&x| x == 1).collect())
    }

    /// The rows where every one of `vars` is a number: Stata's listwise deletion, which every
    /// regression of the paper applies to its own variables (real panels have gaps; the
    /// estimators refuse NaN). Borrows `self` when nothing is missing.
    pub fn complete_cases(&self, vars: &[&str]) -> Result<Cow<'_, PanelData>, OpError> {
        let cols: Vec<&[f64]> = vars.iter().map(|v| self.col(v)).collect::<Result<_, _>>()?;
        let mask: Vec<bool> = (0..self.n())
            .map(|i| cols.iter().all(|c| c[i].is_finite()))
            .collect();
        if mask.iter().all(|&m| m) {
            Ok(Cow::Borrowed(self))
        } else {
            Ok(Cow::Owned(self.subset(&mask)?))
        }
    }

    /// The rows where `mask` holds.
    pub fn subset(&self, mask: &[bool]) -> Result<PanelData, OpError> {
        PanelData::new(self.frame.filter(mask).map_err(op_err("subset"))?)
    }

    pub fn n(&self) -> usize {
        self.city.len()
    }
}

/// One OLS-FE specification of the paper.
pub struct Spec<'a> {
    pub label: &'a str,
    pub dep: &'a str,
    pub regressors: Vec<&'a str>,
    pub year_fe: bool,
    pub controls: bool,
    pub sample: &'a str,
}

impl<'a> Spec<'a> {
    /// The paper's baseline form: city and year effects, controls, the whole sample.
    pub fn new(label: &'a str, dep: &'a str, regressors: &[&'a str]) -> Self {
        Spec {
            label,
            dep,
            regressors: regressors.to_vec(),
            year_fe: true,
            controls: true,
            sample: "all",
        }
    }
    pub fn without_year_fe(mut self) -> Self {
        self.year_fe = false;
        self
    }
    pub fn without_controls(mut self) -> Self {
        self.controls = false;
        self
    }
    pub fn on(mut self, sample: &'a str) -> Self {
        self.sample = sample;
        self
    }
}

/// Fit every spec and make its column.
pub fn fit_columns(data: &PanelData, specs: &[Spec]) -> Result<Vec<ColumnDoc>, OpError> {
    specs
        .iter()
        .map(|s| fit(data, s).map(|r| ols_column(s, &r)))
        .collect()
}

/// Estimate `spec` with city (and year) fixed effects and city-clustered errors.
pub fn fit(data: &PanelData, spec: &Spec) -> Result<OlsResult, OpError> {
    let mut names: Vec<&str> = spec.regressors.clone();
    if spec.controls {
        names.extend(CONTROLS);
    }
    let used: Vec<&str> = std::iter::once(spec.dep)
        .chain(names.iter().copied())
        .collect();
    let data = &*data.complete_cases(&used)?;
    let y = data.col(spec.dep)?;
    let cols: Vec<&[f64]> = names
        .iter()
        .map(|n| data.col(n))
        .collect::<Result<_, _>>()?;
    let mut d = Design::new(y);
    for (n, c) in names.iter().zip(&cols) {
        d = d.regressor(n, c);
    }
    d = d.absorb(&data.city);
    if spec.year_fe {
        d = d.absorb(&data.year);
    }
    ols_fe(&d, Vce::Cluster(&data.city)).map_err(op_err(&format!(
        "column {} ({} on {})",
        spec.label,
        spec.dep,
        names.join(", ")
    )))
}

/// The table column for an OLS-FE fit.
pub fn ols_column(spec: &Spec, r: &OlsResult) -> ColumnDoc {
    let mut coefs = BTreeMap::new();
    for (i, name) in r.names.iter().enumerate() {
        let key = if name == "_cons" {
            "const".to_string()
        } else {
            name.clone()
        };
        coefs.insert(
            key,
            CoefDoc {
                b: r.b[i],
                se: r.se[i],
                stat: r.t[i],
                p: r.p[i],
            },
        );
    }
    let mut extra = BTreeMap::new();
    if r.singletons_dropped > 0 {
        extra.insert(
            "singletons_dropped".to_string(),
            r.singletons_dropped as f64,
        );
    }
    ColumnDoc {
        label: spec.label.to_string(),
        dep: spec.dep.to_string(),
        estimator: "ols_fe".into(),
        sample: spec.sample.to_string(),
        n: r.n as u64,
        clusters: r.n_clusters.first().map(|&g| g as u64),
        r2_within: Some(r.r2_within),
        r2_overall: Some(r.r2_overall),
        stat_kind: "t".into(),
        coefs,
        extra,
        fe: if spec.year_fe {
            vec!["city".into(), "year".into()]
        } else {
            vec!["city".into()]
        },
        controls: spec.controls,
    }
}

/// Row order: the regressors of interest, then the controls, then the constant.
pub fn rows(first: &[&str], controls: bool) -> Vec<String> {
    let mut v: Vec<String> = first.iter().map(|s| s.to_string()).collect();
    if controls {
        v.extend(CONTROLS.iter().map(|s| s.to_string()));
    }
    v.push("const".into());
    v
}

/// Render a table in every format, plus its comparison with the paper, as the node's outputs
/// (`tableN.json`, `.md`, `.tex`, `.csv`, `.html`, and `tableN_vs_paper.md|.csv|.json`).
pub fn render_outputs<T: ReportTable>(
    name: &str,
    table: &T,
    comparison: Option<Comparison>,
) -> Result<Outputs, OpError> {
    let mut out = Outputs::new();
    for format in Format::ALL {
        let text = render(table, format).map_err(op_err(&format!("rendering {name}")))?;
        out.insert(format!("{name}.{}", format.extension()), text.into_bytes());
    }
    if let Some(cmp) = comparison {
        for format in [Format::Markdown, Format::Csv, Format::Json] {
            let text =
                render(&cmp, format).map_err(op_err(&format!("rendering {name} vs paper")))?;
            out.insert(
                format!("{name}_vs_paper.{}", format.extension()),
                text.into_bytes(),
            );
        }
    }
    Ok(out)
}

/// Render a regression table with its comparison with the paper.
pub fn render_regression(doc: &TableDoc) -> Result<Outputs, OpError> {
    let paper = published().map_err(op_err("published figures"))?;
    let cmp = compare_regression(doc, &paper).map_err(op_err("comparison with the paper"))?;
    render_outputs(&doc.table, doc, Some(cmp))
}

fn panel(ctx: &TaskContext<'_>) -> Result<PanelData, OpError> {
    PanelData::new(table_in(ctx, "panel")?)
}

fn run_table3(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let data = panel(ctx)?;
    let vars = [
        "CARBON", "ROBOT", "GDP", "PS", "FDI", "FP", "URB", "EC", "HC", "VC",
    ];
    let mut rows = Vec::new();
    for v in vars {
        let d = robocarb_estimate::describe(data.col(v)?).map_err(op_err(v))?;
        rows.push(robocarb_report::DescriptiveRow {
            variable: v.to_string(),
            n: d.n as u64,
            mean: d.mean,
            sd: d.sd,
            min: d.min,
            median: d.median,
            max: d.max,
        });
    }
    let doc = robocarb_report::DescriptiveTable {
        table: "table3".into(),
        title: "Descriptive statistics (after winsorizing at the 1st/99th percentiles)".into(),
        rows,
        notes: vec!["Winsorized at the 1st and 99th percentiles over the pooled sample.".into()],
    };
    let paper = published().map_err(op_err("published figures"))?;
    let cmp = compare_descriptive(&doc, &paper);
    render_outputs("table3", &doc, Some(cmp))
}

fn run_table4(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let data = panel(ctx)?;
    let specs = [
        Spec::new("(1)", "CARBON", &["ROBOT"])
            .without_year_fe()
            .without_controls(),
        Spec::new("(2)", "CARBON", &["ROBOT"]).without_year_fe(),
        Spec::new("(3)", "CARBON", &["ROBOT"]).without_controls(),
        Spec::new("(4)", "CARBON", &["ROBOT"]),
    ];
    let columns = fit_columns(&data, &specs)?;
    let doc = TableDoc {
        table: "table4".into(),
        title: "Baseline: industrial robots and city CO2 emissions".into(),
        columns,
        rows: rows(&["ROBOT"], true),
        notes: vec![
            "Standard errors clustered by city (reghdfe small-sample factor, G-1 df).".into(),
            "Within R2: city (and year) effects partialled out.".into(),
        ],
    };
    render_regression(&doc)
}

fn run_table5(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let data = panel(ctx)?;
    let specs = [
        Spec::new("(1)", "CARBON", &["ROBOT_R"]).without_controls(),
        Spec::new("(2)", "CARBON", &["ROBOT_R"]),
        Spec::new("(3)", "CARBON_I", &["ROBOT"]).without_controls(),
        Spec::new("(4)", "CARBON_I", &["ROBOT"]),
    ];
    let columns = fit_columns(&data, &specs)?;
    let doc = TableDoc {
        table: "table5".into(),
        title: "Robustness: alternative exposure (ROBOT_R) and carbon intensity (CARBON_I)".into(),
        columns,
        rows: rows(&["ROBOT_R", "ROBOT"], true),
        notes: vec![
            "City and year fixed effects; t statistics from city-clustered standard errors in parentheses.".into(),
        ],
    };
    render_regression(&doc)
}

fn run_table6(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let data = panel(ctx)?;
    let keep: Vec<bool> = data
        .flag("municipality_or_plan")?
        .iter()
        .map(|f| !f)
        .collect();
    let sub = data.subset(&keep)?;
    let specs = [
        Spec::new("(1)", "CARBON", &["ROBOT"])
            .without_controls()
            .on("excl_municipalities_plan"),
        Spec::new("(2)", "CARBON", &["ROBOT"]).on("excl_municipalities_plan"),
    ];
    let mut columns = fit_columns(&sub, &specs)?;
    let gls = super::gls::GlsParams::from_ctx(ctx)?;
    columns.push(super::gls::fgls_column(&data, "(3)", &gls.fgls)?);
    columns.push(super::gls::pcse_column(&data, "(4)", &gls.pcse)?);
    let doc = TableDoc {
        table: "table6".into(),
        title: "Robustness: sample without municipalities and separately planned cities; FGLS; PCSE".into(),
        columns,
        rows: rows(&["ROBOT"], true),
        notes: vec![
            "(1)-(2): city and year effects, t from city-clustered errors. (3) FGLS as Stata xtgls, panels(hetero) corr(ar1), city and year dummies, z in parentheses. (4) Panel-corrected standard errors as Stata xtpcse, city and year dummies, z in parentheses.".into(),
        ],
    };
    render_regression(&doc)
}

fn run_table7(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let data = panel(ctx)?;
    let columns = super::iv::iv_columns(&data)?;
    let doc = TableDoc {
        table: "table7".into(),
        title: "Endogeneity: 2SLS with robot R&D and service firms (YFE) as the instrument".into(),
        columns,
        rows: rows(&["YFE", "ROBOT"], true),
        notes: vec![
            "City and year effects absorbed; standard errors clustered by city. First stage: t; second stage: z as in the paper.".into(),
            "Cragg-Donald Wald F = Stata's minimum eigenvalue statistic; Kleibergen-Paap rk Wald F under clustering; Stock-Yogo 10% maximal IV size critical value for one endogenous regressor and one instrument is 16.38.".into(),
        ],
    };
    render_regression(&doc)
}

fn run_table8(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let data = panel(ctx)?;
    let reps = param_i64(ctx, "bootstrap_reps")?;
    let seed = param_i64(ctx, "seed")?;
    let columns = super::mediation::mediation_columns(&data, reps.max(0) as usize, seed as u64)?;
    let doc = TableDoc {
        table: "table8".into(),
        title: "Mechanisms: technical innovation (TP), industrial upgrading (IU), digitalisation (DI)".into(),
        columns,
        rows: rows(&["ROBOT", "TP", "IU", "DI"], true),
        notes: vec![
            "Stepwise mediation (Baron-Kenny), city and year effects, city-clustered t in parentheses. Sobel, Aroian and Goodman z and the city-cluster bootstrap interval of ab are under each mediator's outcome column.".into(),
        ],
    };
    render_regression(&doc)
}

fn run_table9(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let data = panel(ctx)?;
    let reps = param_i64(ctx, "permutations")?;
    let seed = param_i64(ctx, "seed")?;
    let columns = super::heterogeneity::split_columns(&data, reps.max(0) as usize, seed as u64)?;
    let doc = TableDoc {
        table: "table9".into(),
        title: "Heterogeneity: resource-based cities, smart-city pilots, government-business closeness".into(),
        columns,
        rows: rows(&["ROBOT"], true),
        notes: vec![
            "Split samples with city and year effects and controls; city-clustered t in parentheses.".into(),
            "diff_p: Fisher permutation test of the ROBOT coefficient difference (bdiff; whole cities permuted, folded one-sided p); chow_p: Wald test of the ROBOT x group interaction in the fully interacted model with city-clustered errors.".into(),
        ],
    };
    render_regression(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use robocarb_panel::Column;

    /// A 6-city x 5-year panel; `carbon_gap` sets CARBON to NaN in one row.
    fn panel(carbon_gap: Option<usize>) -> PanelData {
        let (cities, years) = (6usize, 5usize);
        let n = cities * years;
        let code: Vec<String> = (0..n)
            .map(|i| format!("{}", 110100 + 100 * (i / years)))
            .collect();
        let year: Vec<i64> = (0..n).map(|i| 2006 + (i % years) as i64).collect();
        let robot: Vec<f64> = (0..n).map(|i| ((i * 7) % 11) as f64 * 0.3).collect();
        let mut carbon: Vec<f64> = (0..n)
            .map(|i| 10.0 + (i / years) as f64 - 0.5 * robot[i] + ((i * 7) % 13) as f64 * 0.05)
            .collect();
        if let Some(r) = carbon_gap {
            carbon[r] = f64::NAN;
        }
        let mut f = Frame::new();
        f.push("city_code", Column::Str(code)).unwrap();
        f.push("year", Column::I64(year)).unwrap();
        f.push("ROBOT", Column::F64(robot)).unwrap();
        f.push("CARBON", Column::F64(carbon)).unwrap();
        PanelData::new(f).unwrap()
    }

    /// A missing outcome drops its row from the regression (Stata's listwise deletion): the fit
    /// equals the fit on the panel without that row, and a complete panel is not copied.
    #[test]
    fn missing_values_drop_their_rows_as_stata_does() {
        let spec = Spec::new("(1)", "CARBON", &["ROBOT"]).without_controls();
        let gap = panel(Some(7));
        let with_gap = fit(&gap, &spec).unwrap();
        let keep: Vec<bool> = (0..gap.n()).map(|i| i != 7).collect();
        let dropped = fit(&gap.subset(&keep).unwrap(), &spec).unwrap();
        assert_eq!(with_gap.n, 29);
        assert_eq!(with_gap.b, dropped.b);
        assert_eq!(with_gap.se, dropped.se);
        let full = panel(None);
        assert!(matches!(
            full.complete_cases(&["CARBON", "ROBOT"]).unwrap(),
            Cow::Borrowed(_)
        ));
        assert_eq!(fit(&full, &spec).unwrap().n, 30);
    }
}
