//! Variable construction (paper Table 2, units in `robocarb_panel::VARIABLES`), the panel build
//! and the DEA inputs.

use std::collections::BTreeMap;

use robocarb_panel::{Column, Frame, FLAGS, VARIABLES};

use crate::clean::{capital_stock_pim, city_groups, interpolate_within_city, winsorize};
use crate::error::IngestError;
use crate::report::{OutOfRange, ValidationReport};
use crate::sources::Adapted;

/// Raw columns the construction reads (wide frame keyed by city_code, year): the yearbook
/// fields, then those of the other sources.
pub const RAW_COLUMNS: [&str; 31] = concat(
    crate::sources::YEARBOOK_FIELDS,
    [
        "so2",
        "dust",
        "wastewater",
        "electricity",
        "co2_mt",
        "boundary_layer_height_m",
        "wind_speed_10m_ms",
        "dn_sum",
        "robot_rd_service_firms",
        "energy_10k_tce",
    ],
);

/// `a` then `b` as one array (`C` must be `A + B`; checked when the constant is evaluated).
const fn concat<const A: usize, const B: usize, const C: usize>(
    a: [&'static str; A],
    b: [&'static str; B],
) -> [&'static str; C] {
    assert!(A + B == C, "concat: C must be A + B");
    let mut out = [""; C];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < B {
        out[A + j] = b[j];
        j += 1;
    }
    out
}

/// Values that could not be computed (log of a non-positive number, division by zero).
fn finite_or_report(
    name: &str,
    v: Vec<f64>,
    codes: &[String],
    years: &[i64],
    report: &mut ValidationReport,
) -> Vec<f64> {
    v.into_iter()
        .enumerate()
        .map(|(i, x)| {
            if x.is_finite() {
                x
            } else {
                if !x.is_nan() {
                    report.out_of_range.push(OutOfRange {
                        row: 0,
                        column: name.to_string(),
                        value: x,
                        rule: format!(
                            "{} {}: not finite (log of zero or division by zero), set missing",
                            codes[i], years[i]
                        ),
                    });
                }
                f64::NAN
            }
        })
        .collect()
}

/// Build every Table 2 variable except ROBOT, ROBOT_R and TP from a wide frame with
/// `city_code`, `year` and canonical raw columns (and `province_code` for EC). A variable is
/// produced only when all its raw columns are present; formulas and units are those of
/// `robocarb_panel::VARIABLES`:
///
/// * CARBON = ln(co2_mt * 1e6) (ln tonnes); CARBON_I = co2_mt * 1e6 / (gdp_nominal /
///   (gdp_deflator/100)) (t per 10k yuan, 2005 prices)
/// * IU = sum_k (va_k / sum va) * (va_k / (gdp_deflator/100)) / (emp_k * 1e4) (10k yuan 2005
///   per worker), k = primary, secondary, tertiary
/// * DI = emp_ict / emp_tertiary
/// * GDP = ln(gdp_nominal / (gdp_deflator/100) / population) (yuan per person: 10k/10k cancel)
/// * PS = ln(population * 1e4 / land_area)
/// * FDI = 100 * fdi_usd * exchange_rate / gdp_nominal (percent)
/// * FP = (budget_expenditure - budget_revenue) / gdp_nominal
/// * URB = (emp_secondary + emp_tertiary) / (emp_primary + emp_secondary + emp_tertiary)
/// * EC = ln(energy_10k_tce * 1e4 * dn_sum / sum of dn_sum over the frame's cities of the same
///   province and year) (ln t ce; missing dn_sum are left out of the province sum)
/// * HC = 100 * students / (population * 1e4) (students per 100 residents)
/// * VC = ln(boundary_layer_height_m * wind_speed_10m_ms)
/// * YFE = robot_rd_service_firms
///
/// Non-finite results (log of 0, division by 0) become missing and are listed in the report.
pub fn construct_variables(wide: &Frame) -> Result<Adapted, IngestError> {
    let mut report = ValidationReport::new("construct_variables", "(panel)");
    let codes = wide.str("city_code")?;
    let years = wide.i64("year")?;
    let n = wide.nrows();
    let mut out = Frame::new();
    out.push("city_code", Column::Str(codes.to_vec()))?;
    out.push("year", Column::I64(years.to_vec()))?;
    let has = |cols: &[&str]| cols.iter().all(|c| wide.has(c));
    let col = |c: &str| wide.f64(c);
    let map = |f: &dyn Fn(usize) -> f64| (0..n).map(f).collect::<Vec<f64>>();
    let mut vars: BTreeMap<&str, Vec<f64>> = BTreeMap::new();

    if has(&["co2_mt"]) {
        let co2 = col("co2_mt")?;
        vars.insert("CARBON", map(&|i| (co2[i] * 1e6).ln()));
        if has(&["gdp_nominal", "gdp_deflator"]) {
            let (g, d) = (col("gdp_nominal")?, col("gdp_deflator")?);
            vars.insert("CARBON_I", map(&|i| co2[i] * 1e6 / (g[i] / (d[i] / 100.0))));
        }
    }
    let sectors = ["primary", "secondary", "tertiary"];
    if has(&[
        "va_primary",
        "va_secondary",
        "va_tertiary",
        "emp_primary",
        "emp_secondary",
        "emp_tertiary",
        "gdp_deflator",
    ]) {
        let va: Vec<&[f64]> = sectors
            .iter()
            .map(|s| col(&format!("va_{s}")))
            .collect::<Result<_, _>>()?;
        let emp: Vec<&[f64]> = sectors
            .iter()
            .map(|s| col(&format!("emp_{s}")))
            .collect::<Result<_, _>>()?;
        let d = col("gdp_deflator")?;
        vars.insert(
            "IU",
            map(&|i| {
                let total: f64 = va.iter().map(|v| v[i]).sum();
                (0..3)
                    .map(|k| (va[k][i] / total) * (va[k][i] / (d[i] / 100.0)) / (emp[k][i] * 1e4))
                    .sum()
            }),
        );
    }
    if has(&["emp_ict", "emp_tertiary"]) {
        let (a, b) = (col("emp_ict")?, col("emp_tertiary")?);
        vars.insert("DI", map(&|i| a[i] / b[i]));
    }
    if has(&["gdp_nominal", "gdp_deflator", "population"]) {
        let (g, d, p) = (
            col("gdp_nominal")?,
            col("gdp_deflator")?,
            col("population")?,
        );
        vars.insert("GDP", map(&|i| (g[i] / (d[i] / 100.0) / p[i]).ln()));
    }
    if has(&["population", "land_area"]) {
        let (p, a) = (col("population")?, col("land_area")?);
        vars.insert("PS", map(&|i| (p[i] * 1e4 / a[i]).ln()));
    }
    if has(&["fdi_usd", "exchange_rate", "gdp_nominal"]) {
        let (f, x, g) = (col("fdi_usd")?, col("exchange_rate")?, col("gdp_nominal")?);
        vars.insert("FDI", map(&|i| 100.0 * f[i] * x[i] / g[i]));
    }
    if has(&["budget_expenditure", "budget_revenue", "gdp_nominal"]) {
        let (e, r, g) = (
            col("budget_expenditure")?,
            col("budget_revenue")?,
            col("gdp_nominal")?,
        );
        vars.insert("FP", map(&|i| (e[i] - r[i]) / g[i]));
    }
    if has(&["emp_primary", "emp_secondary", "emp_tertiary"]) {
        let (a, b, c) = (
            col("emp_primary")?,
            col("emp_secondary")?,
            col("emp_tertiary")?,
        );
        vars.insert("URB", map(&|i| (b[i] + c[i]) / (a[i] + b[i] + c[i])));
    }
    if has(&["energy_10k_tce", "dn_sum", "province_code"]) {
        let (e, dn) = (col("energy_10k_tce")?, col("dn_sum")?);
        let prov = wide.str("province_code")?;
        let mut totals: BTreeMap<(&str, i64), f64> = BTreeMap::new();
        for i in 0..n {
            if !dn[i].is_nan() {
                *totals.entry((prov[i].as_str(), years[i])).or_insert(0.0) += dn[i];
            }
        }
        vars.insert(
            "EC",
            map(&|i| {
                let total = totals
                    .get(&(prov[i].as_str(), years[i]))
                    .copied()
                    .unwrap_or(f64::NAN);
                (e[i] * 1e4 * dn[i] / total).ln()
            }),
        );
    }
    if has(&["students", "population"]) {
        let (s, p) = (col("students")?, col("population")?);
        vars.insert("HC", map(&|i| 100.0 * s[i] / (p[i] * 1e4)));
    }
    if has(&["boundary_layer_height_m", "wind_speed_10m_ms"]) {
        let (h, w) = (col("boundary_layer_height_m")?, col("wind_speed_10m_ms")?);
        vars.insert("VC", map(&|i| (h[i] * w[i]).ln()));
    }
    if has(&["robot_rd_service_firms"]) {
        vars.insert("YFE", col("robot_rd_service_firms")?.to_vec());
    }
    for v in VARIABLES {
        if let Some(values) = vars.remove(v.symbol) {
            let values = finite_or_report(v.symbol, values, codes, years, &mut report);
            out.push(v.symbol, Column::F64(values))?;
        }
    }
    report.describe_output(&out);
    Ok(Adapted { frame: out, report })
}

/// Cleaning and assembly options of [`build_panel`].
#[derive(Debug, Clone, PartialEq)]
pub struct PanelOptions {
    /// Interpolate raw inputs within each city (no extrapolation). Default true.
    pub interpolate: bool,
    /// Pooled winsorizing percentiles (lower, upper) for the continuous Table 2 variables
    /// (all but YFE, a count). Default Some((0.01, 0.99)); None = no winsorizing.
    pub winsor: Option<(f64, f64)>,
    /// Fail when a Table 2 variable is still missing somewhere after interpolation.
    /// Default false (missing cells are counted in the report).
    pub require_complete: bool,
    /// Years whose mean government-business index defines `gov_business_high`.
    pub gov_business_years: (i64, i64),
}

impl Default for PanelOptions {
    fn default() -> Self {
        PanelOptions {
            interpolate: true,
            winsor: Some((0.01, 0.99)),
            require_complete: false,
            gov_business_years: (2017, 2019),
        }
    }
}

/// The panel columns [`build_panel`] takes from [`PanelParts::exposure`] (computed by the run
/// from IFR and employment, not read from a source).
pub const EXPOSURE_COLUMNS: &[&str] = &["ROBOT", "ROBOT_R"];
/// The panel column [`build_panel`] takes from [`PanelParts::tfp`] (the DEA's technical progress).
pub const TFP_COLUMNS: &[&str] = &["TP"];

/// Everything [`build_panel`] and [`dea_inputs`] can use. Frames are adapter outputs (see
/// each `read_*`); any `None` leaves the variables that need it out of the panel.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelParts {
    /// The study's cities (`read_city_list`): defines the panel's rows.
    pub city_list: Frame,
    /// First year of the panel.
    pub first_year: i64,
    /// Last year of the panel.
    pub last_year: i64,
    /// `read_city_yearbook`.
    pub yearbook: Option<Frame>,
    /// `read_city_environment`.
    pub environment: Option<Frame>,
    /// `read_ceads_city` or `read_county_co2` (`city_code, year, co2_mt`).
    pub emissions: Option<Frame>,
    /// `read_ventilation`.
    pub ventilation: Option<Frame>,
    /// `read_night_lights`.
    pub night_lights: Option<Frame>,
    /// `read_province_energy`.
    pub province_energy: Option<Frame>,
    /// `read_robot_firms`.
    pub robot_firms: Option<Frame>,
    /// `read_resource_cities`.
    pub resource_cities: Option<Frame>,
    /// `read_smart_city_pilots`.
    pub smart_city_pilots: Option<Frame>,
    /// `read_gov_business`.
    pub gov_business: Option<Frame>,
    /// `read_plan_cities`.
    pub plan_cities: Option<Frame>,
    /// Exposure output: `city_code, year` and `ROBOT` and/or `ROBOT_R` (other columns ignored).
    pub exposure: Option<Frame>,
    /// DEA output: `city_code, year, TP` (other columns ignored).
    pub tfp: Option<Frame>,
    /// Cleaning options.
    pub options: PanelOptions,
}

impl Default for PanelParts {
    fn default() -> Self {
        PanelParts {
            city_list: Frame::new(),
            first_year: 2006,
            last_year: 2019,
            yearbook: None,
            environment: None,
            emissions: None,
            ventilation: None,
            night_lights: None,
            province_energy: None,
            robot_firms: None,
            resource_cities: None,
            smart_city_pilots: None,
            gov_business: None,
            plan_cities: None,
            exposure: None,
            tfp: None,
            options: PanelOptions::default(),
        }
    }
}

/// Balanced skeleton: every city of the list x every year, sorted by (city_code, year), with
/// province_code.
fn skeleton(parts: &PanelParts) -> Result<Frame, IngestError> {
    if parts.first_year > parts.last_year {
        return Err(IngestError::Panel(format!(
            "first_year {} after last_year {}",
            parts.first_year, parts.last_year
        )));
    }
    let codes = parts.city_list.str("city_code")?;
    let provs = parts.city_list.str("province_code")?;
    let mut pairs: Vec<(&String, &String)> = codes.iter().zip(provs).collect();
    pairs.sort();
    if let Some(w) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(IngestError::Panel(format!("city list repeats {}", w[0].0)));
    }
    let (mut c, mut p, mut y) = (Vec::new(), Vec::new(), Vec::new());
    for (code, prov) in pairs {
        for year in parts.first_year..=parts.last_year {
            c.push(code.clone());
            p.push(prov.clone());
            y.push(year);
        }
    }
    Ok(Frame::from_columns([
        ("city_code", Column::Str(c)),
        ("year", Column::I64(y)),
        ("province_code", Column::Str(p)),
    ])?)
}

/// Left-join the float columns `cols` of `src` onto `base` by the string key `key` and `year`.
/// Rows of `src` with no match in `base` are counted in the report; a repeated key is an error.
fn join_f64(
    base: &mut Frame,
    src: &Frame,
    key: &str,
    cols: &[&str],
    what: &str,
    report: &mut ValidationReport,
) -> Result<(), IngestError> {
    let mut index: BTreeMap<(&str, i64), usize> = BTreeMap::new();
    let bk = base.str(key)?.to_vec();
    let by = base.i64("year")?.to_vec();
    for i in 0..base.nrows() {
        index.entry((bk[i].as_str(), by[i])).or_insert(i);
    }
    let sk = src.str(key)?;
    let sy = src.i64("year")?;
    let mut seen = BTreeMap::new();
    let mut unmatched = 0usize;
    let mut targets = Vec::with_capacity(src.nrows());
    for i in 0..src.nrows() {
        if seen.insert((sk[i].as_str(), sy[i]), i).is_some() {
            return Err(IngestError::Panel(format!(
                "{what}: duplicate ({}, {})",
                sk[i], sy[i]
            )));
        }
        match index.get(&(sk[i].as_str(), sy[i])) {
            Some(_) if key != "city_code" => targets.push(None),
            Some(&t) => targets.push(Some(t)),
            None => {
                unmatched += 1;
                targets.push(None);
            }
        }
    }
    if unmatched > 0 {
        report.notes.push(format!(
            "{what}: {unmatched} rows outside the panel's cities/years ignored"
        ));
    }
    if key == "city_code" {
        let present = targets.iter().flatten().count();
        report.notes.push(format!(
            "{what}: {present} of {} panel city-years present",
            base.nrows()
        ));
    }
    for &c in cols {
        let v = src.f64(c)?;
        let mut out = vec![f64::NAN; base.nrows()];
        if key == "city_code" {
            for (i, t) in targets.iter().enumerate() {
                if let Some(t) = t {
                    out[*t] = v[i];
                }
            }
        } else {
            // Many base rows per key (province-level data).
            let lookup: BTreeMap<(&str, i64), f64> = (0..src.nrows())
                .map(|i| ((sk[i].as_str(), sy[i]), v[i]))
                .collect();
            for (i, o) in out.iter_mut().enumerate() {
                if let Some(&x) = lookup.get(&(bk[i].as_str(), by[i])) {
                    *o = x;
                }
            }
        }
        if base.has(c) {
            return Err(IngestError::Panel(format!(
                "{what}: column {c} already provided by another source"
            )));
        }
        base.push(c, Column::F64(out))?;
    }
    Ok(())
}

fn present<'a>(frame: &Frame, cols: &[&'a str]) -> Vec<&'a str> {
    cols.iter().copied().filter(|c| frame.has(c)).collect()
}

/// Join the raw city-year sources onto the skeleton and interpolate them.
fn raw_wide(parts: &PanelParts, report: &mut ValidationReport) -> Result<Frame, IngestError> {
    let mut wide = skeleton(parts)?;
    let sources: [(&str, &Option<Frame>); 6] = [
        ("city_yearbook", &parts.yearbook),
        ("city_environment", &parts.environment),
        ("emissions", &parts.emissions),
        ("ventilation", &parts.ventilation),
        ("night_lights", &parts.night_lights),
        ("robot_firms", &parts.robot_firms),
    ];
    for (what, src) in sources {
        if let Some(src) = src {
            let cols = present(src, &RAW_COLUMNS);
            join_f64(&mut wide, src, "city_code", &cols, what, report)?;
        }
    }
    if let Some(pe) = &parts.province_energy {
        join_f64(
            &mut wide,
            pe,
            "province_code",
            &["energy_10k_tce"],
            "province_energy",
            report,
        )?;
    }
    if parts.options.interpolate {
        let cols = present(&wide, &RAW_COLUMNS);
        let (w, filled) = interpolate_within_city(&wide, &cols)?;
        for (c, k) in filled {
            if k > 0 {
                report.cells_filled.insert(c, k);
            }
        }
        wide = w;
    }
    Ok(wide)
}

fn set_of_codes(frame: &Frame) -> Result<std::collections::BTreeSet<String>, IngestError> {
    Ok(frame.str("city_code")?.iter().cloned().collect())
}

/// Join everything on (city_code, year) over the balanced skeleton city list x
/// first_year..=last_year, interpolate raw inputs within cities, construct the Table 2
/// variables, join ROBOT/ROBOT_R/TP when given, winsorize, and add the four 0/1 flags
/// (a flag is present only when its source is).
///
/// Columns: `city_code`, `year`, the Table 2 symbols that could be built (catalogue order),
/// then the flags. Absent inputs give absent columns, never zeros.
pub fn build_panel(parts: &PanelParts) -> Result<Adapted, IngestError> {
    let mut report = ValidationReport::new("panel", "(joined sources)");
    let wide = raw_wide(parts, &mut report)?;
    let constructed = construct_variables(&wide)?;
    report.out_of_range.extend(constructed.report.out_of_range);
    let mut panel = constructed.frame;
    for (what, src, cols) in [
        ("exposure", &parts.exposure, EXPOSURE_COLUMNS),
        ("tfp", &parts.tfp, TFP_COLUMNS),
    ] {
        if let Some(src) = src {
            let cols = present(src, cols);
            join_f64(&mut panel, src, "city_code", &cols, what, &mut report)?;
        }
    }
    // Catalogue order.
    let order: Vec<&str> = ["city_code", "year"]
        .into_iter()
        .chain(VARIABLES.iter().map(|v| v.symbol).filter(|s| panel.has(s)))
        .collect();
    panel = panel.select(&order)?;
    if let Some((lo, hi)) = parts.options.winsor {
        let cols: Vec<&str> = VARIABLES
            .iter()
            .map(|v| v.symbol)
            .filter(|s| *s != "YFE" && panel.has(s))
            .collect();
        let (w, cuts) = winsorize(&panel, &cols, lo, hi)?;
        for (c, cut) in cuts {
            report.notes.push(format!(
                "winsorized {c} at [{}, {}] ({}-{} pooled percentiles): {} values changed",
                cut.lower, cut.upper, lo, hi, cut.changed
            ));
        }
        panel = w;
    }
    add_flags(&mut panel, parts, &mut report)?;
    add_province(&mut panel, parts)?;
    let ncity = set_of_codes(&panel)?.len();
    let nyears = parts.last_year - parts.first_year + 1;
    report.notes.push(format!(
        "balanced skeleton: {ncity} cities x {nyears} years = {} rows",
        panel.nrows()
    ));
    report.describe_output(&panel);
    if parts.options.require_complete {
        if let Some((c, k)) = report.cells_missing.iter().next() {
            return Err(IngestError::Panel(format!(
                "{c} still has {k} missing cells after interpolation (require_complete)"
            )));
        }
    }
    Ok(Adapted {
        frame: panel,
        report,
    })
}

fn add_flags(
    panel: &mut Frame,
    parts: &PanelParts,
    report: &mut ValidationReport,
) -> Result<(), IngestError> {
    let codes = panel.str("city_code")?.to_vec();
    let member = |src: &Option<Frame>| -> Result<Option<Vec<i64>>, IngestError> {
        src.as_ref()
            .map(|f| {
                let set = set_of_codes(f)?;
                Ok(codes.iter().map(|c| i64::from(set.contains(c))).collect())
            })
            .transpose()
    };
    let resource = member(&parts.resource_cities)?;
    let smart = member(&parts.smart_city_pilots)?;
    let plan = member(&parts.plan_cities)?;
    let gov = match &parts.gov_business {
        None => None,
        Some(g) => {
            let high = gov_business_high(g, &parts.city_list, parts.options.gov_business_years)?;
            report.notes.push(format!(
                "gov_business_high: {} of {} cities above the median",
                high.values().filter(|h| **h).count(),
                high.len()
            ));
            Some(
                codes
                    .iter()
                    .map(|c| i64::from(high.get(c).copied().unwrap_or(false)))
                    .collect(),
            )
        }
    };
    for (name, flag) in FLAGS.iter().zip([resource, smart, gov, plan]) {
        if let Some(v) = flag {
            panel.push(*name, Column::I64(v))?;
        }
    }
    Ok(())
}

/// `province_code` of each row's city, from the city list: the province of a fixed effect such as
/// `province^year` or of a province-level cluster.
fn add_province(panel: &mut Frame, parts: &PanelParts) -> Result<(), IngestError> {
    let list_codes = parts.city_list.str("city_code")?;
    let provs = parts.city_list.str("province_code")?;
    let of: BTreeMap<&str, &str> = list_codes
        .iter()
        .map(String::as_str)
        .zip(provs.iter().map(String::as_str))
        .collect();
    let col: Vec<String> = panel
        .str("city_code")?
        .iter()
        .map(|c| {
            of.get(c.as_str())
                .map_or_else(String::new, |p| p.to_string())
        })
        .collect();
    panel.push("province_code", Column::Str(col))?;
    Ok(())
}

/// `gov_business_high` per sample city: 1 when the city's mean index over `years` is above
/// the median of all sample cities' means (ties and cities without data: 0). Median of an even
/// count = mean of the two middle values.
pub fn gov_business_high(
    gov: &Frame,
    city_list: &Frame,
    years: (i64, i64),
) -> Result<BTreeMap<String, bool>, IngestError> {
    let sample = set_of_codes(city_list)?;
    let (codes, ys, idx) = (gov.str("city_code")?, gov.i64("year")?, gov.f64("index")?);
    let mut acc: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for i in 0..gov.nrows() {
        if sample.contains(&codes[i]) && (years.0..=years.1).contains(&ys[i]) && !idx[i].is_nan() {
            let e = acc.entry(codes[i].as_str()).or_insert((0.0, 0));
            e.0 += idx[i];
            e.1 += 1;
        }
    }
    let means: BTreeMap<&str, f64> = acc
        .into_iter()
        .map(|(c, (s, k))| (c, s / k as f64))
        .collect();
    let mut sorted: Vec<f64> = means.values().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let median = match sorted.len() {
        0 => f64::NAN,
        m if m % 2 == 1 => sorted[m / 2],
        m => (sorted[m / 2 - 1] + sorted[m / 2]) / 2.0,
    };
    Ok(sample
        .iter()
        .map(|c| {
            (
                c.clone(),
                means.get(c.as_str()).is_some_and(|&m| m > median),
            )
        })
        .collect())
}

/// DEA inputs and outputs per city-year, in the units the DEA uses:
/// `labour` = employees (10k persons), `capital` = perpetual-inventory stock
/// ([`capital_stock_pim`] of fixed_investment / (investment_deflator/100); 10k yuan, 2005
/// prices), `energy` = electricity (10k kWh), `gdp_real` = gdp_nominal / (gdp_deflator/100)
/// (10k yuan, 2005 prices), `so2` (t), `dust` (t), `wastewater` (10k t). Needs `yearbook` and
/// `environment`; raw inputs are interpolated within cities first when
/// `options.interpolate`. Zero or missing values are listed in the report (the DEA decides).
pub fn dea_inputs(parts: &PanelParts) -> Result<Adapted, IngestError> {
    let mut report = ValidationReport::new("dea_inputs", "(joined sources)");
    if parts.yearbook.is_none() || parts.environment.is_none() {
        return Err(IngestError::Panel(
            "dea_inputs needs the city yearbook and the city environment sources".into(),
        ));
    }
    // The DEA's units are the cities the yearbook covers: a city of the list with no yearbook row
    // at all (a real city list is wider than the yearbook) has no inputs to compare, and is left
    // out with a note rather than failing the frontier. Gaps within a covered city still fail.
    let covered = match &parts.yearbook {
        Some(y) => set_of_codes(y)?,
        None => Default::default(),
    };
    let listed = parts.city_list.str("city_code")?;
    let keep: Vec<bool> = listed.iter().map(|c| covered.contains(c)).collect();
    let left_out = keep.iter().filter(|k| !**k).count();
    if left_out > 0 {
        report.notes.push(format!(
            "{left_out} cities of the city list have no yearbook row and are left out of the DEA"
        ));
    }
    let only = PanelParts {
        city_list: parts.city_list.filter(&keep)?,
        emissions: None,
        ventilation: None,
        night_lights: None,
        robot_firms: None,
        province_energy: None,
        ..parts.clone()
    };
    let wide = raw_wide(&only, &mut report)?;
    let n = wide.nrows();
    let f = |c: &str| wide.f64(c);
    let (gdp, gdef) = (f("gdp_nominal")?, f("gdp_deflator")?);
    let (inv, idef) = (f("fixed_investment")?, f("investment_deflator")?);
    let gdp_real: Vec<f64> = (0..n).map(|i| gdp[i] / (gdef[i] / 100.0)).collect();
    let inv_real: Vec<f64> = (0..n).map(|i| inv[i] / (idef[i] / 100.0)).collect();
    let mut capital = vec![f64::NAN; n];
    for rows in city_groups(&wide)?.values() {
        let series: Vec<f64> = rows.iter().map(|&i| inv_real[i]).collect();
        for (k, &i) in capital_stock_pim(&series).iter().zip(rows) {
            capital[i] = *k;
        }
    }
    let codes = wide.str("city_code")?.to_vec();
    let years = wide.i64("year")?.to_vec();
    let mut out = Frame::new();
    out.push("city_code", Column::Str(codes.clone()))?;
    out.push("year", Column::I64(years.clone()))?;
    let columns: [(&str, Vec<f64>); 7] = [
        ("labour", f("employees")?.to_vec()),
        ("capital", capital),
        ("energy", f("electricity")?.to_vec()),
        ("gdp_real", gdp_real),
        ("so2", f("so2")?.to_vec()),
        ("dust", f("dust")?.to_vec()),
        ("wastewater", f("wastewater")?.to_vec()),
    ];
    for (name, v) in columns {
        let v = finite_or_report(name, v, &codes, &years, &mut report);
        for (i, &x) in v.iter().enumerate() {
            if x == 0.0 {
                report.out_of_range.push(OutOfRange {
                    row: 0,
                    column: name.to_string(),
                    value: x,
                    rule: format!("{} {}: zero DEA input/output", codes[i], years[i]),
                });
            }
        }
        out.push(name, Column::F64(v))?;
    }
    report.describe_output(&out);
    Ok(Adapted { frame: out, report })
}
