//! robocarb-synth: the synthetic twin of the study's data.
//!
//! It writes, from a documented data-generating process (docs/twin.md) and a seed, every raw
//! source of the study in its real format and units (docs/data-formats.md): IFR robot stocks
//! anchored exactly on the paper's Table 1, provincial employment by industry, the GBK city
//! yearbook, the environment and CEADs workbooks, ventilation, night lights, provincial energy,
//! the instrument, the crosswalk, the city attribute lists, and `truth.toml` with every true
//! parameter. The robot exposure is recomputed privately by the same shift-share formula the
//! pipeline uses, and CO2 is generated from it, so estimates on the twin are centred on the truth.
//! The TP mediator is measured, not drawn: the generator runs the pure `robocarb-dea` library
//! (super-SBM Malmquist-Luenberger, VRS, contemporaneous) on the data it writes and feeds that TP
//! into the CO2 equation (docs/twin.md, "TP channel").
//!
//! It must not be needed by any real-data run, must not depend on polars, and keeps no state:
//! the same config gives the same bytes.
//!
//! ```no_run
//! use robocarb_synth::{generate, SynthConfig};
//! let summary = generate(&SynthConfig::default(), std::path::Path::new("data/default")).unwrap();
//! assert_eq!(summary.cities, 274);
//! ```

pub mod cities;
pub mod ifr;
pub mod panel;
pub mod truth;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook, XlsxError};

/// Version of the generator, written into truth.toml; bump when output bytes change on purpose.
pub const GENERATOR_VERSION: &str = "1.1.0";
/// Default seed of the embedded twin.
pub const DEFAULT_SEED: u64 = 20240401;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    pub seed: u64,
    /// Number of units (274 real cities; more are invented, fewer take the first in code order).
    pub cities: usize,
    /// First and last year, inclusive.
    pub years: (i32, i32),
    /// The parts of the data-generating process that decide which estimators' assumptions hold.
    pub process: TwinProcess,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: DEFAULT_SEED,
            cities: 274,
            years: (2006, 2019),
            process: TwinProcess::default(),
        }
    }
}

/// The error and slope structure of the CO2 equation (docs/twin.md). The default is the embedded
/// twin's: AR(1) errors and city slopes that differ by group, as real panels have and as Table 9
/// needs. [`TwinProcess::well_specified`] is the process under which every estimator of the paper
/// is correctly specified (the Monte Carlo's second process, docs/montecarlo.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwinProcess {
    /// AR(1) coefficient of the CO2 equation's error (default 0.4), in (-1, 1).
    pub rho_eps: f64,
    /// Multiplies the group shifts of the city slopes of ROBOT (resource-based -0.04, pilot +0.03,
    /// low gov-business closeness +0.025); 0 makes every city's slope the same. Default 1.
    pub slope_heterogeneity: f64,
    /// Scales every path from ROBOT to CO2 (docs/twin.md, "No effect of robots"): the total
    /// effect (so the direct effect), its group shifts, the mediators' effects on CO2 (DI, IU,
    /// TP; robots still move the mediators), and the within-city variation of the controls'
    /// part of CO2, which is correlated with ROBOT's (a specification leaving a control out would
    /// otherwise pick it up). Default 1 (the embedded twin); 0: the population coefficient of
    /// ROBOT is zero in every two-way (city and year or province-by-year) FE specification of
    /// CARBON, whatever the controls. Finite and >= 0.
    pub robot_effect: f64,
}

impl Default for TwinProcess {
    fn default() -> Self {
        TwinProcess {
            rho_eps: 0.4,
            slope_heterogeneity: 1.0,
            robot_effect: 1.0,
        }
    }
}

impl TwinProcess {
    /// Serially uncorrelated errors and one slope for every city: the paper's FE, 2SLS, FGLS
    /// (`panels(hetero) corr(ar1)`, which then estimates rho near 0) and PCSE are all correctly
    /// specified, so their nominal intervals should cover.
    pub fn well_specified() -> Self {
        TwinProcess {
            rho_eps: 0.0,
            slope_heterogeneity: 0.0,
            robot_effect: 1.0,
        }
    }

    /// This process with robots having no effect on CO2 (`robot_effect` 0).
    pub fn without_robot_effect(self) -> Self {
        TwinProcess {
            robot_effect: 0.0,
            ..self
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthSummary {
    pub cities: usize,
    pub provinces: usize,
    pub years: (i32, i32),
    pub resource_based: usize,
    pub smart_city_pilots: usize,
    pub plan_cities: usize,
    pub gov_business_high: usize,
    /// Files written, relative to the output directory, sorted.
    pub files: Vec<PathBuf>,
    /// Mean and max of the constructed ROBOT (thousand units, winsorized).
    pub robot_mean: f64,
    pub robot_max: f64,
}

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("embedded asset: {0}")]
    Asset(String),
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("xlsx {path}: {source}")]
    Xlsx { path: PathBuf, source: XlsxError },
    #[error("text not encodable in GBK: {0}")]
    Gbk(String),
}

/// Yearbook headers (GBK file), in the order of [`panel::YEARBOOK_FIELDS`].
pub const YEARBOOK_HEADERS: [&str; 21] = [
    "年末单位从业人员(万人)",
    "第一产业从业人员(万人)",
    "第二产业从业人员(万人)",
    "第三产业从业人员(万人)",
    "信息传输计算机服务和软件业从业人员(万人)",
    "制造业从业人员(万人)",
    "地区生产总值(万元)",
    "第一产业增加值(万元)",
    "第二产业增加值(万元)",
    "第三产业增加值(万元)",
    "GDP平减指数(2005=100)",
    "年末户籍人口(万人)",
    "行政区域土地面积(平方公里)",
    "当年实际使用外资金额(万美元)",
    "人民币汇率(元/美元)",
    "地方一般公共预算收入(万元)",
    "地方一般公共预算支出(万元)",
    "普通高等学校在校学生数(人)",
    "固定资产投资(万元)",
    "固定资产投资价格指数(2005=100)",
    "规模以上工业企业数(个)",
];
/// Environment headers, in the order of [`panel::ENV_FIELDS`].
pub const ENV_HEADERS: [&str; 4] = [
    "工业二氧化硫排放量(吨)",
    "工业烟(粉)尘排放量(吨)",
    "工业废水排放量(万吨)",
    "全社会用电量(万千瓦时)",
];

/// The data-generating process in memory (what [`generate`] writes), after checking `config`.
pub fn generate_panel(config: &SynthConfig) -> Result<panel::Generated, SynthError> {
    let (a, b) = config.years;
    if b < a + 1 {
        return Err(SynthError::Config(format!(
            "years {a}..{b}: need at least 2 years"
        )));
    }
    if b - a + 1 > 200 || a < 1900 {
        return Err(SynthError::Config(format!("years {a}..{b} out of range")));
    }
    let p = config.process;
    if !(p.rho_eps.is_finite() && p.rho_eps.abs() < 1.0) {
        return Err(SynthError::Config(format!(
            "rho_eps {} must lie strictly between -1 and 1",
            p.rho_eps
        )));
    }
    if !(p.slope_heterogeneity.is_finite() && p.slope_heterogeneity >= 0.0) {
        return Err(SynthError::Config(format!(
            "slope heterogeneity {} must be a finite number >= 0",
            p.slope_heterogeneity
        )));
    }
    if !(p.robot_effect.is_finite() && p.robot_effect >= 0.0) {
        return Err(SynthError::Config(format!(
            "robot effect {} must be a finite number >= 0",
            p.robot_effect
        )));
    }
    let units = cities::units(config.cities)?;
    let years: Vec<i32> = (a..=b).collect();
    panel::generate(units, years, config.seed, &p)
}

/// Generate the twin into `out_dir` (created if absent; existing files are overwritten).
pub fn generate(config: &SynthConfig, out_dir: &Path) -> Result<SynthSummary, SynthError> {
    write(&generate_panel(config)?, config, out_dir)
}

/// Write a generated twin (`g` from [`generate_panel`] with the same `config`) into `out_dir`.
pub fn write(
    g: &panel::Generated,
    config: &SynthConfig,
    out_dir: &Path,
) -> Result<SynthSummary, SynthError> {
    let mut w = Writer {
        root: out_dir.to_path_buf(),
        files: Vec::new(),
    };
    write_all(g, config, &mut w)?;
    w.files.sort();
    let n = g.cities.len();
    Ok(SynthSummary {
        cities: n,
        provinces: g.provinces.len(),
        years: config.years,
        resource_based: g.cities.iter().filter(|c| c.resource_based).count(),
        smart_city_pilots: g.cities.iter().filter(|c| c.pilot).count(),
        plan_cities: g.cities.iter().filter(|c| c.plan_kind.is_some()).count(),
        gov_business_high: g.gov_high.iter().filter(|&&h| h).count(),
        files: w.files,
        robot_mean: g.robot_w.iter().sum::<f64>() / g.robot_w.len() as f64,
        robot_max: g.robot_w.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

struct Writer {
    root: PathBuf,
    files: Vec<PathBuf>,
}

impl Writer {
    fn bytes(&mut self, rel: &str, data: &[u8]) -> Result<(), SynthError> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| SynthError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, data).map_err(|source| SynthError::Io {
            path: path.clone(),
            source,
        })?;
        self.files.push(PathBuf::from(rel));
        Ok(())
    }
    fn xlsx(&mut self, rel: &str, wb: &mut Workbook) -> Result<(), SynthError> {
        let path = self.root.join(rel);
        let props = DocProperties::new()
            .set_creation_datetime(&fixed_date(&path)?)
            .set_author("robocarb-synth");
        wb.set_properties(&props);
        let buf = wb
            .save_to_buffer()
            .map_err(|source| SynthError::Xlsx { path, source })?;
        self.bytes(rel, &buf)
    }
}

fn fixed_date(path: &Path) -> Result<ExcelDateTime, SynthError> {
    ExcelDateTime::from_ymd(2024, 4, 1).map_err(|source| SynthError::Xlsx {
        path: path.to_path_buf(),
        source,
    })
}

/// A CSV field, quoted (RFC 4180) when it holds a comma or quote.
fn csv_field(x: &str) -> String {
    if x.contains([',', '"']) {
        format!("\"{}\"", x.replace('"', "\"\""))
    } else {
        x.to_string()
    }
}

/// A number with `dp` decimals, empty when missing.
fn num(x: f64, dp: usize) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x:.dp$}")
    }
}

fn xlsx_err(path: &str) -> impl Fn(XlsxError) -> SynthError + '_ {
    move |source| SynthError::Xlsx {
        path: PathBuf::from(path),
        source,
    }
}

fn write_all(g: &panel::Generated, config: &SynthConfig, w: &mut Writer) -> Result<(), SynthError> {
    let nt = g.years.len();
    let n = g.cities.len();
    let mut s;

    // admin
    s = String::from("city_code,city_name,short_name,province_code,province_name\n");
    for c in &g.cities {
        let _ = writeln!(
            s,
            "{},{},{},{},{}",
            c.code, c.name, c.short_name, c.province_code, c.province_name
        );
    }
    w.bytes("admin/cities.csv", s.as_bytes())?;
    w.bytes(
        "admin/crosswalk.csv",
        "old_code,old_name,new_code,new_name,from_year,to_year,change\n\
         341400,巢湖市,340100,合肥市,2006,2011,abolish_merge\n\
         420600,襄樊市,420600,襄阳市,2006,2009,rename\n\
         371200,莱芜市,370100,济南市,2006,2018,merge\n\
         522400,毕节地区,520500,毕节市,2006,2010,new_prefecture\n\
         522200,铜仁地区,520600,铜仁市,2006,2010,new_prefecture\n\
         632100,海东地区,630200,海东市,2006,2012,new_prefecture\n"
            .as_bytes(),
    )?;

    // IFR
    s = String::from("country,ifr_code,ifr_industry,year,operational_stock\n");
    for &year in &g.years {
        for (ind, stock) in ifr::IFR_INDUSTRIES.iter().zip(ifr::ifr_code_stocks(year)) {
            let _ = writeln!(
                s,
                "China,{},{},{year},{stock}",
                ind.code,
                csv_field(ind.name)
            );
        }
    }
    w.bytes("ifr/ifr_operational_stock_china.csv", s.as_bytes())?;
    s = String::from("ifr_code,ifr_industry,classification,group\n");
    for class in ["gbt2002", "gbt2011"] {
        for ind in &ifr::IFR_INDUSTRIES {
            let group = if class == "gbt2002" {
                ind.gbt2002
            } else {
                ind.gbt2011
            };
            let _ = writeln!(s, "{},{},{class},{group}", ind.code, csv_field(ind.name));
        }
    }
    w.bytes("ifr/ifr_gbt_concordance.csv", s.as_bytes())?;

    // province employment
    s = String::from("地区代码,年份,行业分类标准,行业,城镇单位就业人员(人)\n");
    for &(p, t, group, persons) in &g.province_employment {
        let std = if g.years[t] <= ifr::LAST_GBT2002_YEAR {
            "GB/T 4754-2002"
        } else {
            "GB/T 4754-2011"
        };
        let _ = writeln!(
            s,
            "{},{},{std},{group},{persons}",
            g.provinces[p].0, g.years[t]
        );
    }
    w.bytes("yearbook/province_industry_employment.csv", s.as_bytes())?;

    // city yearbook (GBK)
    s = format!("城市代码,城市,年份,{}\n", YEARBOOK_HEADERS.join(","));
    for (i, c) in g.cities.iter().enumerate() {
        for (t, &year) in g.years.iter().enumerate() {
            let _ = write!(s, "{},{},{year}", c.code, c.name_in(year));
            for (col, dp) in g.yearbook.iter().zip(panel::YEARBOOK_DECIMALS) {
                let _ = write!(s, ",{}", num(col[i * nt + t], dp));
            }
            s.push('\n');
        }
    }
    let (gbk, _, bad) = encoding_rs::GBK.encode(&s);
    if bad {
        return Err(SynthError::Gbk("city_yearbook.csv".into()));
    }
    w.bytes("yearbook/city_yearbook.csv", &gbk)?;

    // column map
    s = String::from(
        "# Chinese header -> canonical name, for both yearbook files. User-editable.\n[columns]\n",
    );
    let _ = writeln!(
        s,
        "\"城市代码\" = \"city_code\"\n\"城市\" = \"city_name\"\n\"年份\" = \"year\""
    );
    for (h, c) in YEARBOOK_HEADERS
        .iter()
        .zip(panel::YEARBOOK_FIELDS)
        .chain(ENV_HEADERS.iter().zip(panel::ENV_FIELDS))
    {
        let _ = writeln!(s, "\"{h}\" = \"{c}\"");
    }
    w.bytes("yearbook/column_map.toml", s.as_bytes())?;

    // environment workbook
    let path = "yearbook/city_environment.xlsx";
    let mut wb = Workbook::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name("环境").map_err(xlsx_err(path))?;
        for (col, h) in ["城市代码", "城市", "年份"]
            .iter()
            .chain(ENV_HEADERS.iter())
            .enumerate()
        {
            ws.write_string(0, col as u16, *h).map_err(xlsx_err(path))?;
        }
        let mut row = 1u32;
        for (i, c) in g.cities.iter().enumerate() {
            for (t, &year) in g.years.iter().enumerate() {
                ws.write_string(row, 0, &c.code).map_err(xlsx_err(path))?;
                ws.write_string(row, 1, c.name_in(year))
                    .map_err(xlsx_err(path))?;
                ws.write_number(row, 2, f64::from(year))
                    .map_err(xlsx_err(path))?;
                for (k, col) in g.env.iter().enumerate() {
                    let v = col[i * nt + t];
                    if !v.is_nan() {
                        ws.write_number(row, 3 + k as u16, v)
                            .map_err(xlsx_err(path))?;
                    }
                }
                row += 1;
            }
        }
    }
    w.xlsx(path, &mut wb)?;

    // CEADs workbook: vector (long) and matrix (wide), short names, Mt
    let path = "ceads/City_CO2_Emission_Inventories.xlsx";
    let mut rows: Vec<(String, i32, f64)> = Vec::new();
    for (i, c) in g.cities.iter().enumerate() {
        for (t, &year) in g.years.iter().enumerate() {
            rows.push((c.short_in(year).to_string(), year, g.co2_mt[i * nt + t]));
        }
    }
    let mut r = panel::stream(config.seed, 11);
    for name in cities::EXTRA_CEADS_CITIES {
        let level = 8.0 * rand::Rng::random::<f64>(&mut r) + 4.0;
        for (t, &year) in g.years.iter().enumerate() {
            rows.push((name.to_string(), year, level * (1.0 + 0.03 * t as f64)));
        }
    }
    let mut wb = Workbook::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name("emission vector").map_err(xlsx_err(path))?;
        for (col, h) in ["ID", "city", "year", "emission"].iter().enumerate() {
            ws.write_string(0, col as u16, *h).map_err(xlsx_err(path))?;
        }
        for (k, (name, year, v)) in rows.iter().enumerate() {
            let row = k as u32 + 1;
            ws.write_number(row, 0, f64::from(row))
                .map_err(xlsx_err(path))?;
            ws.write_string(row, 1, name).map_err(xlsx_err(path))?;
            ws.write_number(row, 2, f64::from(*year))
                .map_err(xlsx_err(path))?;
            ws.write_number(row, 3, *v).map_err(xlsx_err(path))?;
        }
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("emission matrix").map_err(xlsx_err(path))?;
        ws.write_string(0, 0, "ID").map_err(xlsx_err(path))?;
        ws.write_string(0, 1, "city").map_err(xlsx_err(path))?;
        for (t, &year) in g.years.iter().enumerate() {
            ws.write_number(0, 2 + t as u16, f64::from(year))
                .map_err(xlsx_err(path))?;
        }
        // one row per name in order of first appearance (an old name is its own row, as in CEADs)
        let mut row_of: std::collections::BTreeMap<&str, u32> = std::collections::BTreeMap::new();
        for (name, year, v) in &rows {
            let next = row_of.len() as u32 + 1;
            let row = *row_of.entry(name.as_str()).or_insert(next);
            if row == next {
                ws.write_number(row, 0, f64::from(row))
                    .map_err(xlsx_err(path))?;
                ws.write_string(row, 1, name).map_err(xlsx_err(path))?;
            }
            ws.write_number(row, 2 + (year - g.years[0]) as u16, *v)
                .map_err(xlsx_err(path))?;
        }
    }
    w.xlsx(path, &mut wb)?;

    // climate, energy, firms
    s = String::from("city_code,year,boundary_layer_height_m,wind_speed_10m_ms\n");
    for (i, c) in g.cities.iter().enumerate() {
        for (t, &year) in g.years.iter().enumerate() {
            let _ = writeln!(
                s,
                "{},{year},{},{}",
                c.code,
                num(g.blh[i * nt + t], 2),
                num(g.wind[i * nt + t], 3)
            );
        }
    }
    w.bytes("climate/ventilation.csv", s.as_bytes())?;
    s = String::from("city_code,year,dn_sum\n");
    for (i, c) in g.cities.iter().enumerate() {
        for (t, &year) in g.years.iter().enumerate() {
            let _ = writeln!(s, "{},{year},{}", c.code, num(g.dn_sum[i * nt + t], 1));
        }
    }
    w.bytes("energy/night_lights.csv", s.as_bytes())?;
    s = String::from("province_code,year,energy_10k_tce\n");
    for (p, (code, _)) in g.provinces.iter().enumerate() {
        for (t, &year) in g.years.iter().enumerate() {
            let _ = writeln!(s, "{code},{year},{}", num(g.province_energy[p * nt + t], 2));
        }
    }
    w.bytes("energy/province_energy.csv", s.as_bytes())?;
    s = String::from("city_code,year,robot_rd_service_firms\n");
    for (i, c) in g.cities.iter().enumerate() {
        for (t, &year) in g.years.iter().enumerate() {
            let _ = writeln!(s, "{},{year},{}", c.code, g.robot_firms[i * nt + t]);
        }
    }
    w.bytes("firms/robot_firms.csv", s.as_bytes())?;

    // attributes
    w.bytes(
        "attributes/resource_based_cities_2013.csv",
        cities::RESOURCE_CITIES_CSV.as_bytes(),
    )?;
    s = String::from("city_code,city_name\n");
    for c in g.cities.iter().filter(|c| c.pilot) {
        let _ = writeln!(s, "{},{}", c.code, c.name);
    }
    w.bytes("attributes/smart_city_pilots_2012.csv", s.as_bytes())?;
    s = String::from("city_code,city_name,kind\n");
    for (code, kind) in cities::PLAN_CITIES {
        if let Some(c) = g.cities.iter().find(|c| c.code == code) {
            let _ = writeln!(s, "{code},{},{kind}", c.name);
        }
    }
    w.bytes("attributes/municipalities_plan_cities.csv", s.as_bytes())?;
    s = String::from("city_code,year,index\n");
    for (c, idx) in g.cities.iter().zip(&g.gov_index) {
        for (k, v) in idx.iter().enumerate() {
            let _ = writeln!(s, "{},{},{}", c.code, 2017 + k, num(*v, 2));
        }
    }
    w.bytes("attributes/gov_business_closeness.csv", s.as_bytes())?;

    // truth
    let mut t = g.truth.to_toml(GENERATOR_VERSION, n, config.years);
    let _ = writeln!(
        t,
        "\n[constructed]\n# ROBOT recomputed by the shift-share formula, winsorized at Stata 1/99 pooled percentiles\nrobot_mean = {:?}\nrobot_max_winsorized = {:?}\nrobot_max_raw = {:?}",
        g.robot_w.iter().sum::<f64>() / g.robot_w.len() as f64,
        g.robot_w.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        g.robot.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    );
    w.bytes("truth.toml", t.as_bytes())?;
    Ok(())
}
