//! One adapter per source of docs/data-formats.md. Each takes a path (or bytes plus a file
//! label, for tests and fuzzing) and [`ReadOptions`], and returns the canonical frame with its
//! [`ValidationReport`].

use std::collections::BTreeMap;
use std::path::Path;

use robocarb_panel::{Column, Frame};

use crate::cities::{city_short_name, CityIndex, Resolution};
use crate::error::{IngestError, Location, Problem};
use crate::report::{OutOfRange, ValidationReport};
use crate::table::{
    check_unique, code_text, extract, is_xlsx, number, opt, read_csv_bytes, read_file,
    read_xlsx_bytes, req, Cell, Encoding, Extracted, Field, Kind, RawTable,
};

/// A canonical frame and what the adapter saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Adapted {
    /// Canonical columns (see each adapter).
    pub frame: Frame,
    /// Validation report.
    pub report: ValidationReport,
}

/// What to do with a city code or name that is neither in the city list nor the crosswalk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnknownCity {
    /// Code-keyed sources fail, name-keyed sources (CEADs, county CO2, resource cities) drop
    /// and list the name in the report.
    #[default]
    SourceDefault,
    /// Always fail.
    Error,
    /// Always drop the row and list the code/name in the report.
    Drop,
}

/// A user-editable map from file headers to canonical column names (TOML `[columns]` table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    /// Header as written -> canonical name.
    pub columns: BTreeMap<String, String>,
}

/// The default yearbook/environment header map (docs/data-formats.md).
pub const DEFAULT_YEARBOOK_COLUMNS: &[(&str, &str)] = &[
    ("城市代码", "city_code"),
    ("城市", "city_name"),
    ("年份", "year"),
    ("年末单位从业人员(万人)", "employees"),
    ("第一产业从业人员(万人)", "emp_primary"),
    ("第二产业从业人员(万人)", "emp_secondary"),
    ("第三产业从业人员(万人)", "emp_tertiary"),
    ("信息传输计算机服务和软件业从业人员(万人)", "emp_ict"),
    ("制造业从业人员(万人)", "emp_manufacturing"),
    ("地区生产总值(万元)", "gdp_nominal"),
    ("第一产业增加值(万元)", "va_primary"),
    ("第二产业增加值(万元)", "va_secondary"),
    ("第三产业增加值(万元)", "va_tertiary"),
    ("GDP平减指数(2005=100)", "gdp_deflator"),
    ("年末户籍人口(万人)", "population"),
    ("行政区域土地面积(平方公里)", "land_area"),
    ("当年实际使用外资金额(万美元)", "fdi_usd"),
    ("人民币汇率(元/美元)", "exchange_rate"),
    ("地方一般公共预算收入(万元)", "budget_revenue"),
    ("地方一般公共预算支出(万元)", "budget_expenditure"),
    ("普通高等学校在校学生数(人)", "students"),
    ("固定资产投资(万元)", "fixed_investment"),
    ("固定资产投资价格指数(2005=100)", "investment_deflator"),
    ("规模以上工业企业数(个)", "above_scale_firms"),
    ("工业二氧化硫排放量(吨)", "so2"),
    ("工业烟(粉)尘排放量(吨)", "dust"),
    ("工业废水排放量(万吨)", "wastewater"),
    ("全社会用电量(万千瓦时)", "electricity"),
];

impl ColumnMap {
    /// The map of docs/data-formats.md.
    pub fn default_yearbook() -> ColumnMap {
        ColumnMap {
            columns: DEFAULT_YEARBOOK_COLUMNS
                .iter()
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect(),
        }
    }

    /// Parse `[columns] "header" = "canonical"` TOML.
    pub fn from_toml_str(text: &str, file: &str) -> Result<ColumnMap, IngestError> {
        let value: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| IngestError::ColumnMap {
                    file: file.to_string(),
                    message: e.to_string(),
                })?;
        let table = value
            .get("columns")
            .and_then(|v| v.as_table())
            .ok_or_else(|| IngestError::ColumnMap {
                file: file.to_string(),
                message: "expected a [columns] table of \"header\" = \"canonical_name\"".into(),
            })?;
        let mut columns = BTreeMap::new();
        for (header, canonical) in table {
            let canonical = canonical.as_str().ok_or_else(|| IngestError::ColumnMap {
                file: file.to_string(),
                message: format!(
                    "value of \"{header}\" must be a string (a canonical column name)"
                ),
            })?;
            columns.insert(header.clone(), canonical.to_string());
        }
        Ok(ColumnMap { columns })
    }

    /// Read a column-map TOML file.
    pub fn from_path(path: &Path) -> Result<ColumnMap, IngestError> {
        let bytes = read_file(path)?;
        let file = path.display().to_string();
        let text = std::str::from_utf8(&bytes).map_err(|_| IngestError::ColumnMap {
            file: file.clone(),
            message: "not UTF-8".into(),
        })?;
        ColumnMap::from_toml_str(text, &file)
    }
}

/// Options shared by all adapters.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions<'a> {
    /// CSV text encoding (workbooks ignore it).
    pub encoding: Encoding,
    /// Workbook sheet (each adapter has a default).
    pub sheet: Option<&'a str>,
    /// Header map for the yearbook files (default: [`ColumnMap::default_yearbook`]).
    pub column_map: Option<&'a ColumnMap>,
    /// The study's cities and crosswalk: when given, city codes are checked and harmonised.
    /// Name-keyed sources (CEADs, resource cities) require it.
    pub cities: Option<&'a CityIndex>,
    /// Policy for unknown cities.
    pub unknown_city: UnknownCity,
    /// Keep only these years (inclusive); rows of other years are dropped and counted.
    pub years: Option<(i64, i64)>,
}

/// File format of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated text.
    Csv,
    /// Excel workbook.
    Xlsx,
}

impl Format {
    /// By extension: `.xlsx`/`.xlsm` -> Xlsx, anything else Csv.
    pub fn of(path: &Path) -> Format {
        if is_xlsx(path) {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// Every source of docs/data-formats.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// `admin/cities.csv`.
    CityList,
    /// `admin/crosswalk.csv`.
    Crosswalk,
    /// `ifr/ifr_operational_stock_china.csv`.
    IfrStocks,
    /// `ifr/ifr_gbt_concordance.csv`.
    Concordance,
    /// `yearbook/province_industry_employment.csv`.
    ProvinceEmployment,
    /// `yearbook/city_yearbook.csv` (or .xlsx).
    CityYearbook,
    /// `yearbook/city_environment.xlsx` (or .csv).
    CityEnvironment,
    /// CEADs city inventory workbook.
    CeadsCity,
    /// Chen et al. (2020) county CO2 workbook.
    CountyCo2,
    /// `climate/ventilation.csv`.
    Ventilation,
    /// `energy/night_lights.csv`.
    NightLights,
    /// `energy/province_energy.csv`.
    ProvinceEnergy,
    /// `firms/robot_firms.csv`.
    RobotFirms,
    /// `attributes/resource_based_cities_2013.csv`.
    ResourceCities,
    /// `attributes/smart_city_pilots_2012.csv`.
    SmartCityPilots,
    /// `attributes/gov_business_closeness.csv`.
    GovBusiness,
    /// `attributes/municipalities_plan_cities.csv`.
    PlanCities,
}

impl Source {
    /// The source name used in sources files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Source::CityList => "city_list",
            Source::Crosswalk => "crosswalk",
            Source::IfrStocks => "ifr_stocks",
            Source::Concordance => "ifr_concordance",
            Source::ProvinceEmployment => "province_employment",
            Source::CityYearbook => "city_yearbook",
            Source::CityEnvironment => "city_environment",
            Source::CeadsCity => "ceads_city",
            Source::CountyCo2 => "county_co2",
            Source::Ventilation => "ventilation",
            Source::NightLights => "night_lights",
            Source::ProvinceEnergy => "province_energy",
            Source::RobotFirms => "robot_firms",
            Source::ResourceCities => "resource_cities",
            Source::SmartCityPilots => "smart_city_pilots",
            Source::GovBusiness => "gov_business",
            Source::PlanCities => "plan_cities",
        }
    }

    /// All sources.
    pub const ALL: [Source; 17] = [
        Source::CityList,
        Source::Crosswalk,
        Source::IfrStocks,
        Source::Concordance,
        Source::ProvinceEmployment,
        Source::CityYearbook,
        Source::CityEnvironment,
        Source::CeadsCity,
        Source::CountyCo2,
        Source::Ventilation,
        Source::NightLights,
        Source::ProvinceEnergy,
        Source::RobotFirms,
        Source::ResourceCities,
        Source::SmartCityPilots,
        Source::GovBusiness,
        Source::PlanCities,
    ];

    fn name_keyed(self) -> bool {
        matches!(
            self,
            Source::CeadsCity | Source::CountyCo2 | Source::ResourceCities
        )
    }
}

/// Read `source` from `path` (format by extension).
pub fn read_source(
    source: Source,
    path: &Path,
    opts: &ReadOptions,
) -> Result<Adapted, IngestError> {
    let bytes = read_file(path)?;
    read_source_bytes(
        source,
        &bytes,
        &path.display().to_string(),
        Format::of(path),
        opts,
    )
}

/// Read `source` from bytes; `file` labels errors. The core of every adapter (fuzzed).
pub fn read_source_bytes(
    source: Source,
    bytes: &[u8],
    file: &str,
    format: Format,
    opts: &ReadOptions,
) -> Result<Adapted, IngestError> {
    let default_sheet = match source {
        Source::CityEnvironment => Some("环境"),
        Source::CeadsCity => Some("emission vector"),
        _ => None,
    };
    let raw = match format {
        Format::Csv => read_csv_bytes(bytes, file, opts.encoding)?,
        Format::Xlsx => read_xlsx_bytes(
            bytes,
            file,
            opts.sheet.or(default_sheet),
            source == Source::CountyCo2,
        )?,
    };
    let mut report = ValidationReport::new(source.name(), &raw.file);
    report.rows_read = raw.rows.len();
    let frame = match source {
        Source::CountyCo2 => county_co2(&raw, opts, &mut report)?,
        Source::CeadsCity => ceads(&raw, opts, &mut report)?,
        Source::ResourceCities => resource_cities(&raw, opts, &mut report)?,
        _ => simple(source, &raw, opts, &mut report)?,
    };
    report.describe_output(&frame);
    Ok(Adapted { frame, report })
}

use Kind::{CityCode, NonNeg, Num, ProvinceCode, Text, Year};

/// The numeric fields of the city yearbook file, canonical names in the file's column order
/// (the twin writes them in this order too).
pub const YEARBOOK_FIELDS: [&str; 21] = [
    "employees",
    "emp_primary",
    "emp_secondary",
    "emp_tertiary",
    "emp_ict",
    "emp_manufacturing",
    "gdp_nominal",
    "va_primary",
    "va_secondary",
    "va_tertiary",
    "gdp_deflator",
    "population",
    "land_area",
    "fdi_usd",
    "exchange_rate",
    "budget_revenue",
    "budget_expenditure",
    "students",
    "fixed_investment",
    "investment_deflator",
    "above_scale_firms",
];

/// Schema (fields, unique keys, whether codes are city codes to harmonise) of the simple,
/// row-per-record sources.
fn schema(source: Source) -> (Vec<Field>, Vec<&'static str>) {
    match source {
        Source::CityList => (
            vec![
                req("city_code", CityCode),
                req("city_name", Text),
                opt("short_name", Text),
                req("province_code", ProvinceCode),
                req("province_name", Text),
            ],
            vec!["city_code"],
        ),
        Source::Crosswalk => (
            vec![
                req("old_code", CityCode),
                req("old_name", Text),
                req("new_code", CityCode),
                req("new_name", Text),
                req("from_year", Year),
                req("to_year", Year),
                req("change", Text),
            ],
            vec![],
        ),
        Source::IfrStocks => (
            vec![
                req("country", Text),
                req("ifr_code", Text),
                req("ifr_industry", Text),
                req("year", Year),
                req("operational_stock", NonNeg),
            ],
            vec!["country", "ifr_code", "year"],
        ),
        Source::Concordance => (
            vec![
                req("ifr_code", Text),
                req("ifr_industry", Text),
                req("classification", Text),
                req("group", Text),
            ],
            vec!["ifr_code", "classification"],
        ),
        Source::ProvinceEmployment => (
            vec![
                req("province_code", ProvinceCode),
                req("year", Year),
                req("classification", Text),
                req("group", Text),
                req("employees", NonNeg),
            ],
            vec!["province_code", "year", "group"],
        ),
        Source::CityYearbook => {
            let mut f = vec![
                req("city_code", CityCode),
                opt("city_name", Text),
                req("year", Year),
            ];
            f.extend(YEARBOOK_FIELDS.iter().map(|&n| req(n, NonNeg)));
            (f, vec!["city_code", "year"])
        }
        Source::CityEnvironment => (
            vec![
                req("city_code", CityCode),
                opt("city_name", Text),
                req("year", Year),
                req("so2", NonNeg),
                req("dust", NonNeg),
                req("wastewater", NonNeg),
                req("electricity", NonNeg),
            ],
            vec!["city_code", "year"],
        ),
        Source::Ventilation => (
            vec![
                req("city_code", CityCode),
                req("year", Year),
                req("boundary_layer_height_m", NonNeg),
                req("wind_speed_10m_ms", NonNeg),
            ],
            vec!["city_code", "year"],
        ),
        Source::NightLights => (
            vec![
                req("city_code", CityCode),
                req("year", Year),
                req("dn_sum", NonNeg),
            ],
            vec!["city_code", "year"],
        ),
        Source::ProvinceEnergy => (
            vec![
                req("province_code", ProvinceCode),
                req("year", Year),
                req("energy_10k_tce", NonNeg),
            ],
            vec!["province_code", "year"],
        ),
        Source::RobotFirms => (
            vec![
                req("city_code", CityCode),
                req("year", Year),
                req("robot_rd_service_firms", NonNeg),
            ],
            vec!["city_code", "year"],
        ),
        Source::SmartCityPilots => (
            vec![req("city_code", CityCode), opt("city_name", Text)],
            vec!["city_code"],
        ),
        Source::GovBusiness => (
            vec![
                req("city_code", CityCode),
                req("year", Year),
                req("index", Num),
            ],
            vec!["city_code", "year"],
        ),
        Source::PlanCities => (
            vec![
                req("city_code", CityCode),
                opt("city_name", Text),
                req("kind", Text),
            ],
            vec!["city_code"],
        ),
        Source::CeadsCity | Source::CountyCo2 | Source::ResourceCities => (vec![], vec![]),
    }
}

fn header_map(source: Source, opts: &ReadOptions) -> BTreeMap<String, String> {
    match source {
        Source::CityYearbook | Source::CityEnvironment => {
            opts.column_map
                .cloned()
                .unwrap_or_else(ColumnMap::default_yearbook)
                .columns
        }
        Source::ProvinceEmployment => [
            ("地区代码", "province_code"),
            ("年份", "year"),
            ("行业分类标准", "classification"),
            ("行业", "group"),
            ("城镇单位就业人员(人)", "employees"),
        ]
        .iter()
        .map(|(h, c)| (h.to_string(), c.to_string()))
        .collect(),
        _ => opts
            .column_map
            .map(|m| m.columns.clone())
            .unwrap_or_default(),
    }
}

fn allowed(ex: &Extracted, column: &str, values: &[&str]) -> Result<(), IngestError> {
    let v = ex.frame.str(column)?;
    for (i, s) in v.iter().enumerate() {
        if !values.contains(&s.as_str()) {
            return Err(IngestError::data(
                ex.loc(i, column),
                Problem::Invalid(format!(
                    "expected one of {}, found `{s}`",
                    values.join(", ")
                )),
            ));
        }
    }
    Ok(())
}

fn simple(
    source: Source,
    raw: &RawTable,
    opts: &ReadOptions,
    report: &mut ValidationReport,
) -> Result<Frame, IngestError> {
    let (fields, keys) = schema(source);
    let map = header_map(source, opts);
    let mut ex = extract(raw, &fields, Some(&map))?;
    if !keys.is_empty() {
        check_unique(&ex, &keys)?;
    }
    match source {
        Source::CityList => {
            if !ex.frame.has("short_name") {
                let shorts: Vec<String> = ex
                    .frame
                    .str("city_name")?
                    .iter()
                    .map(|n| city_short_name(n))
                    .collect();
                ex.frame.push("short_name", Column::Str(shorts))?;
                report
                    .notes
                    .push("short_name derived from city_name".into());
                ex.frame = ex.frame.select(&[
                    "city_code",
                    "city_name",
                    "short_name",
                    "province_code",
                    "province_name",
                ])?;
            }
            let codes = ex.frame.str("city_code")?;
            let prov = ex.frame.str("province_code")?;
            for i in 0..codes.len() {
                if !codes[i].starts_with(prov[i].as_str()) {
                    return Err(IngestError::data(
                        ex.loc(i, "province_code"),
                        Problem::Invalid(format!(
                            "province code {} is not the first two digits of city code {}",
                            prov[i], codes[i]
                        )),
                    ));
                }
            }
        }
        Source::Crosswalk => {
            allowed(
                &ex,
                "change",
                &["rename", "abolish_merge", "merge", "new_prefecture"],
            )?;
            let (f, t) = (ex.frame.i64("from_year")?, ex.frame.i64("to_year")?);
            if let Some(i) = (0..f.len()).find(|&i| f[i] > t[i]) {
                return Err(IngestError::data(
                    ex.loc(i, "to_year"),
                    Problem::Invalid(format!("to_year {} is before from_year {}", t[i], f[i])),
                ));
            }
        }
        Source::Concordance => allowed(&ex, "classification", &["gbt2002", "gbt2011"])?,
        Source::ProvinceEmployment => {
            allowed(&ex, "classification", &["GB/T 4754-2002", "GB/T 4754-2011"])?
        }
        Source::PlanCities => allowed(&ex, "kind", &["municipality", "separately_planned"])?,
        Source::IfrStocks => {
            let country = ex.frame.str("country")?;
            let keep: Vec<bool> = country.iter().map(|c| c == "China").collect();
            let dropped = keep.iter().filter(|k| !**k).count();
            if dropped > 0 {
                report.notes.push(format!(
                    "{dropped} rows of countries other than China dropped"
                ));
                ex = filter_extracted(&ex, &keep)?;
            }
        }
        Source::CityYearbook => yearbook_ranges(&ex, report)?,
        _ => {}
    }
    if ex.frame.has("city_code") && source != Source::CityList {
        ex = harmonise_codes(source, ex, opts, report)?;
    }
    let frame = restrict_years(ex.frame, opts, report)?;
    let sort_keys: Vec<&str> = keys.iter().copied().filter(|k| frame.has(k)).collect();
    Ok(if sort_keys.is_empty() {
        frame
    } else {
        frame.sort_by(&sort_keys)?
    })
}

fn filter_extracted(ex: &Extracted, keep: &[bool]) -> Result<Extracted, IngestError> {
    Ok(Extracted {
        file: ex.file.clone(),
        frame: ex.frame.filter(keep)?,
        rows: ex
            .rows
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(r, _)| *r)
            .collect(),
        headers: ex.headers.clone(),
    })
}

fn restrict_years(
    frame: Frame,
    opts: &ReadOptions,
    report: &mut ValidationReport,
) -> Result<Frame, IngestError> {
    let (Some((first, last)), Ok(years)) = (opts.years, frame.i64("year")) else {
        return Ok(frame);
    };
    let keep: Vec<bool> = years.iter().map(|y| (first..=last).contains(y)).collect();
    let dropped = keep.iter().filter(|k| !**k).count();
    if dropped > 0 {
        report
            .notes
            .push(format!("{dropped} rows outside {first}-{last} dropped"));
    }
    Ok(frame.filter(&keep)?)
}

/// Soft plausibility checks of the yearbook (reported, not fatal).
fn yearbook_ranges(ex: &Extracted, report: &mut ValidationReport) -> Result<(), IngestError> {
    let f = &ex.frame;
    let mut flag = |i: usize, column: &str, value: f64, rule: &str| {
        report.out_of_range.push(OutOfRange {
            row: ex.rows[i],
            column: column.to_string(),
            value,
            rule: rule.to_string(),
        })
    };
    for col in ["gdp_deflator", "investment_deflator"] {
        for (i, &x) in f.f64(col)?.iter().enumerate() {
            if !(10.0..=1000.0).contains(&x) && !x.is_nan() {
                flag(
                    i,
                    col,
                    x,
                    "price index (2005=100) expected within [10, 1000]",
                );
            }
        }
    }
    for (i, &x) in f.f64("exchange_rate")?.iter().enumerate() {
        if !(1.0..=20.0).contains(&x) && !x.is_nan() {
            flag(
                i,
                "exchange_rate",
                x,
                "yuan per USD expected within [1, 20]",
            );
        }
    }
    let (ict, ter) = (f.f64("emp_ict")?, f.f64("emp_tertiary")?);
    for i in 0..f.nrows() {
        if ict[i] > ter[i] {
            flag(
                i,
                "emp_ict",
                ict[i],
                "ICT employment exceeds tertiary employment",
            );
        }
    }
    let (gdp, a, b, c) = (
        f.f64("gdp_nominal")?,
        f.f64("va_primary")?,
        f.f64("va_secondary")?,
        f.f64("va_tertiary")?,
    );
    for i in 0..f.nrows() {
        let s = a[i] + b[i] + c[i];
        if (s - gdp[i]).abs() > 0.05 * gdp[i] {
            flag(
                i,
                "gdp_nominal",
                gdp[i],
                "differs from the sum of sector value added by more than 5%",
            );
        }
    }
    Ok(())
}

fn policy_drops(source: Source, opts: &ReadOptions) -> bool {
    match opts.unknown_city {
        UnknownCity::Error => false,
        UnknownCity::Drop => true,
        UnknownCity::SourceDefault => source.name_keyed(),
    }
}

/// Check city codes against the city list (when given), mapping old codes through the
/// crosswalk. Renames replace the code; a merged-away code whose new city also has a row that
/// year is dropped (its values are not additive in general) and noted.
fn harmonise_codes(
    source: Source,
    ex: Extracted,
    opts: &ReadOptions,
    report: &mut ValidationReport,
) -> Result<Extracted, IngestError> {
    harmonise(source, ex, opts, report, false)
}

/// As [`harmonise_codes`]; with `fixed_boundaries` the crosswalk applies whatever the year (the
/// file keeps one year's boundaries throughout) and colliding rows are summed (additive data).
fn harmonise(
    source: Source,
    ex: Extracted,
    opts: &ReadOptions,
    report: &mut ValidationReport,
    fixed_boundaries: bool,
) -> Result<Extracted, IngestError> {
    let Some(cities) = opts.cities else {
        return Ok(ex);
    };
    let codes = ex.frame.str("city_code")?.to_vec();
    let years: Option<Vec<i64>> = ex.frame.i64("year").ok().map(<[i64]>::to_vec);
    let mut new_codes = codes.clone();
    let mut keep = vec![true; codes.len()];
    for i in 0..codes.len() {
        let y = years.as_ref().map(|v| v[i]).filter(|_| !fixed_boundaries);
        match cities.resolve_code(&codes[i], y) {
            Resolution::Direct(_) => {}
            Resolution::Crosswalk { code, change, .. } => {
                report.add_replacement(&codes[i], &code, &format!("crosswalk: {change}"));
                new_codes[i] = code;
            }
            Resolution::Matched { code, .. } => new_codes[i] = code,
            Resolution::Unknown => {
                if policy_drops(source, opts) {
                    report.add_unmatched(&codes[i]);
                    keep[i] = false;
                } else {
                    return Err(IngestError::data(
                        ex.loc(i, "city_code"),
                        Problem::UnknownCity(codes[i].clone()),
                    ));
                }
            }
        }
    }
    if fixed_boundaries {
        return sum_collisions(ex, new_codes, keep, report);
    }
    // A mapped code colliding with a direct row of the same year: keep the direct row.
    let mut direct: BTreeMap<(String, Option<i64>), usize> = BTreeMap::new();
    for i in 0..codes.len() {
        if keep[i] && new_codes[i] == codes[i] {
            direct.insert((codes[i].clone(), years.as_ref().map(|v| v[i])), i);
        }
    }
    let mut mapped_seen: BTreeMap<(String, Option<i64>), usize> = BTreeMap::new();
    for i in 0..codes.len() {
        if !keep[i] || new_codes[i] == codes[i] {
            continue;
        }
        let key = (new_codes[i].clone(), years.as_ref().map(|v| v[i]));
        if direct.contains_key(&key) {
            keep[i] = false;
            report.notes.push(format!(
                "row {}: {} dropped, {} has its own row that year",
                ex.rows[i], codes[i], new_codes[i]
            ));
        } else if let Some(&first) = mapped_seen.get(&key) {
            return Err(IngestError::data(
                Location::row(&ex.file, ex.rows[i]),
                Problem::Duplicate {
                    key: new_codes[i].clone(),
                    year: key.1,
                    first_row: ex.rows[first],
                },
            ));
        } else {
            mapped_seen.insert(key, i);
        }
    }
    let mut out = ex;
    out.frame.set("city_code", Column::Str(new_codes))?;
    filter_extracted(&out, &keep)
}

/// Replace the codes and sum the float columns of rows sharing (code, year) into the first.
fn sum_collisions(
    ex: Extracted,
    new_codes: Vec<String>,
    mut keep: Vec<bool>,
    report: &mut ValidationReport,
) -> Result<Extracted, IngestError> {
    let years = ex.frame.i64("year")?.to_vec();
    let float_cols: Vec<String> = ex
        .frame
        .iter()
        .filter(|(_, c)| matches!(c, Column::F64(_)))
        .map(|(n, _)| n.to_string())
        .collect();
    let mut values: Vec<Vec<f64>> = float_cols
        .iter()
        .map(|c| ex.frame.f64(c).map(<[f64]>::to_vec))
        .collect::<Result<_, _>>()?;
    let mut first: BTreeMap<(String, i64), usize> = BTreeMap::new();
    let mut summed = 0usize;
    for i in 0..new_codes.len() {
        if !keep[i] {
            continue;
        }
        match first.get(&(new_codes[i].clone(), years[i])) {
            Some(&j) => {
                for v in values.iter_mut() {
                    v[j] += v[i];
                }
                keep[i] = false;
                summed += 1;
            }
            None => {
                first.insert((new_codes[i].clone(), years[i]), i);
            }
        }
    }
    if summed > 0 {
        report.notes.push(format!(
            "{summed} rows of merged-away units added to the city they became part of"
        ));
    }
    let mut out = ex;
    out.frame.set("city_code", Column::Str(new_codes))?;
    for (c, v) in float_cols.iter().zip(values) {
        out.frame.set(c.as_str(), Column::F64(v))?;
    }
    filter_extracted(&out, &keep)
}

/// CEADs: `ID, city, year, emission` (million tonnes) -> `city_code, year, co2_mt`.
fn ceads(
    raw: &RawTable,
    opts: &ReadOptions,
    report: &mut ValidationReport,
) -> Result<Frame, IngestError> {
    let ex = extract(
        raw,
        &[
            opt("ID", Text),
            req("city", Text),
            req("year", Year),
            req("emission", NonNeg),
        ],
        None,
    )?;
    let cities = opts.cities.ok_or_else(|| {
        IngestError::Panel(format!(
            "{}: CEADs names are matched to codes through the city list; pass ReadOptions::cities",
            raw.file
        ))
    })?;
    let names = ex.frame.str("city")?;
    let years = ex.frame.i64("year")?;
    let emission = ex.frame.f64("emission")?;
    let drops = policy_drops(Source::CeadsCity, opts);
    // (code, year) -> (row in output, file row, merged?)
    let mut index: BTreeMap<(String, i64), (usize, usize, bool)> = BTreeMap::new();
    let (mut out_code, mut out_year, mut out_val) = (Vec::new(), Vec::new(), Vec::new());
    let mut outside = 0usize;
    for i in 0..ex.frame.nrows() {
        if opts
            .years
            .is_some_and(|(a, b)| !(a..=b).contains(&years[i]))
        {
            outside += 1;
            continue;
        }
        let res = cities.resolve_name(&names[i], Some(years[i]));
        let (code, merge) = match &res {
            Resolution::Direct(c) => (c.clone(), false),
            Resolution::Matched { code, rule } => {
                report.add_replacement(&names[i], code, rule);
                (code.clone(), false)
            }
            Resolution::Crosswalk {
                code,
                change,
                merge,
            } => {
                report.add_replacement(&names[i], code, &format!("crosswalk: {change}"));
                (code.clone(), *merge)
            }
            Resolution::Unknown => {
                if drops {
                    report.add_unmatched(&names[i]);
                    continue;
                }
                return Err(IngestError::data(
                    ex.loc(i, "city"),
                    Problem::UnknownCity(names[i].clone()),
                ));
            }
        };
        let key = (code.clone(), years[i]);
        match index.get_mut(&key) {
            Some((pos, first_row, merged)) => {
                if !(merge || *merged) {
                    return Err(IngestError::data(
                        Location::cell(&ex.file, ex.rows[i], "city"),
                        Problem::Duplicate {
                            key: format!("{} -> {code}", names[i]),
                            year: Some(years[i]),
                            first_row: *first_row,
                        },
                    ));
                }
                // A merged-away unit's emissions add to the city it became part of.
                out_val[*pos] += emission[i];
                *merged = true;
                report.notes.push(format!(
                    "row {}: {} {} added to {code}",
                    ex.rows[i], names[i], years[i]
                ));
            }
            None => {
                index.insert(key, (out_code.len(), ex.rows[i], merge));
                out_code.push(code);
                out_year.push(years[i]);
                out_val.push(emission[i]);
            }
        }
    }
    if outside > 0 {
        report.notes.push(format!(
            "{outside} rows outside the years asked for dropped"
        ));
    }
    let frame = Frame::from_columns([
        ("city_code", Column::Str(out_code)),
        ("year", Column::I64(out_year)),
        ("co2_mt", Column::F64(out_val)),
    ])?;
    Ok(frame.sort_by(&["city_code", "year"])?)
}

/// Municipalities directly under the central government: their districts and counties form one
/// city coded `PP0100` (the code of the municipality's districts, 北京 110100, as the city list of
/// the twin and the yearbooks use it).
const MUNICIPALITIES: [&str; 4] = ["11", "12", "31", "50"];

/// The prefecture code of a county code: `PP0100` for municipalities, else the first four
/// digits + `00`; `None` for province-administered county-level units (digits 3-4 = `90`).
pub fn prefecture_of_county(county: &str) -> Option<String> {
    let p = county.get(..2)?;
    if MUNICIPALITIES.contains(&p) {
        return Some(format!("{p}0100"));
    }
    let c = county.get(2..4)?;
    (c != "90").then(|| format!("{}00", county.get(..4).unwrap_or(p)))
}

/// Chen et al. (2020) county workbook -> `city_code, year, co2_mt` summed to prefectures.
fn county_co2(
    raw: &RawTable,
    opts: &ReadOptions,
    report: &mut ValidationReport,
) -> Result<Frame, IngestError> {
    let code_pos = raw
        .headers
        .iter()
        .position(|h| h.contains("DISTCODE") || h.contains("地区代码") || h == "county_code")
        .ok_or_else(|| {
            IngestError::data(
                Location {
                    file: raw.file.clone(),
                    row: Some(raw.header_row),
                    column: Some("DISTCODE地区代码".into()),
                },
                Problem::MissingColumn {
                    found: raw.headers.clone(),
                },
            )
        })?;
    let year_cols: Vec<(usize, i64)> = raw
        .headers
        .iter()
        .enumerate()
        .filter_map(|(j, h)| {
            let y = h.strip_prefix('C')?;
            (y.len() == 4).then_some(())?;
            y.parse::<i64>().ok().map(|y| (j, y))
        })
        .collect();
    if year_cols.is_empty() {
        return Err(IngestError::data(
            Location {
                file: raw.file.clone(),
                row: Some(raw.header_row),
                column: Some("C1997..C2017".into()),
            },
            Problem::MissingColumn {
                found: raw.headers.clone(),
            },
        ));
    }
    let mut sums: BTreeMap<(String, i64), f64> = BTreeMap::new();
    let mut counties: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut skipped = 0usize;
    let mut suffixed = 0usize;
    for (k, row) in raw.rows.iter().enumerate() {
        let r = raw.row_numbers[k];
        let header = &raw.headers[code_pos];
        let bad = || {
            IngestError::data(
                Location::cell(&raw.file, r, header),
                Problem::BadCode(format!(
                    "{} (expected 6 digits, optionally followed by a bracketed unit number)",
                    row[code_pos].display()
                )),
            )
        };
        // The workbook writes a few extra units sharing a code as `320211（2）`.
        let (code, full) = match &row[code_pos] {
            Cell::Text(t) => {
                let head: String = t.chars().take(6).collect();
                let tail: String = t.chars().skip(6).collect();
                let suffix_ok = tail.is_empty()
                    || ((tail.starts_with('（') && tail.ends_with('）'))
                        || (tail.starts_with('(') && tail.ends_with(')')));
                let code = code_text(&Cell::Text(head), 6)
                    .filter(|_| suffix_ok)
                    .ok_or_else(bad)?;
                if !tail.is_empty() {
                    suffixed += 1;
                }
                (code, t.clone())
            }
            other => {
                let code = code_text(other, 6).ok_or_else(bad)?;
                (code.clone(), code)
            }
        };
        if let Some(first) = seen.insert(full.clone(), r) {
            return Err(IngestError::data(
                Location::cell(&raw.file, r, header),
                Problem::Duplicate {
                    key: full,
                    year: None,
                    first_row: first,
                },
            ));
        }
        let Some(pref) = prefecture_of_county(&code) else {
            skipped += 1;
            continue;
        };
        *counties.entry(pref.clone()).or_insert(0) += 1;
        for &(j, y) in &year_cols {
            let loc = || Location::cell(&raw.file, r, &raw.headers[j]);
            let x = number(&row[j], loc)?;
            if x < 0.0 {
                return Err(IngestError::data(loc(), Problem::Negative(x)));
            }
            // NaN propagates: a prefecture-year with a missing county is missing.
            *sums.entry((pref.clone(), y)).or_insert(0.0) += x;
        }
    }
    if suffixed > 0 {
        report.notes.push(format!(
            "{suffixed} units with a bracketed suffix on a shared code (e.g. 320211（2）) added to their prefecture"
        ));
    }
    if skipped > 0 {
        report.notes.push(format!(
            "{skipped} province-administered county-level units (code xx90xx) left out"
        ));
    }
    report.notes.push(format!(
        "{} counties summed into {} prefectures (municipalities as one unit PP0100)",
        seen.len() - skipped,
        counties.len()
    ));
    let (mut c, mut yv, mut v) = (Vec::new(), Vec::new(), Vec::new());
    for ((code, y), x) in sums {
        c.push(code);
        yv.push(y);
        v.push(x);
    }
    let frame = Frame::from_columns([
        ("city_code", Column::Str(c)),
        ("year", Column::I64(yv)),
        ("co2_mt", Column::F64(v)),
    ])?;
    let frame = restrict_years(frame, opts, report)?;
    let frame = if opts.cities.is_some() {
        let ex = Extracted {
            file: raw.file.clone(),
            rows: vec![0; frame.nrows()],
            frame,
            headers: BTreeMap::new(),
        };
        // The workbook keeps 2010 boundaries in every year: map old codes whatever the year
        // and add merged-away units to their new city (emissions are additive).
        harmonise(Source::CountyCo2, ex, opts, report, true)?.frame
    } else {
        frame
    };
    let balanced = balanced_count(&frame, "co2_mt", 2006, 2017)?;
    report.notes.push(format!(
        "balanced prefecture panel 2006-2017: {balanced} cities"
    ));
    Ok(frame.sort_by(&["city_code", "year"])?)
}

/// Number of cities with a finite `value_col` in every year of `first..=last`.
pub fn balanced_count(
    frame: &Frame,
    value_col: &str,
    first: i64,
    last: i64,
) -> Result<usize, IngestError> {
    let codes = frame.str("city_code")?;
    let years = frame.i64("year")?;
    let vals = frame.f64(value_col)?;
    let mut per_city: BTreeMap<&str, std::collections::BTreeSet<i64>> = BTreeMap::new();
    for i in 0..frame.nrows() {
        per_city.entry(codes[i].as_str()).or_default();
        if (first..=last).contains(&years[i]) && vals[i].is_finite() {
            if let Some(s) = per_city.get_mut(codes[i].as_str()) {
                s.insert(years[i]);
            }
        }
    }
    let span = usize::try_from(last - first + 1).unwrap_or(0);
    Ok(per_city.values().filter(|s| s.len() == span).count())
}

/// Resource-based cities (`name, admin_level, type`) -> `city_code, city_name, type`,
/// prefecture rows only, names matched through the city list and the crosswalk's `rename`
/// entries; names that resolve only through a merge/abolition are noted and left out
/// (docs/data-formats.md, resource_cities).
fn resource_cities(
    raw: &RawTable,
    opts: &ReadOptions,
    report: &mut ValidationReport,
) -> Result<Frame, IngestError> {
    let ex = extract(
        raw,
        &[
            req("name", Text),
            req("admin_level", Text),
            req("type", Text),
        ],
        None,
    )?;
    let cities = opts.cities.ok_or_else(|| {
        IngestError::Panel(format!(
            "{}: resource-city names are matched through the city list; pass ReadOptions::cities",
            raw.file
        ))
    })?;
    let names = ex.frame.str("name")?;
    let level = ex.frame.str("admin_level")?;
    let kind = ex.frame.str("type")?;
    let drops = policy_drops(Source::ResourceCities, opts);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let (mut c, mut n, mut t) = (Vec::new(), Vec::new(), Vec::new());
    let mut county_level = 0;
    for i in 0..ex.frame.nrows() {
        if level[i] != "prefecture" {
            county_level += 1;
            continue;
        }
        // The list dates from 2013.
        let res = cities.resolve_name(&names[i], Some(2013));
        let code = match &res {
            Resolution::Unknown => {
                if drops {
                    report.add_unmatched(&names[i]);
                    continue;
                }
                return Err(IngestError::data(
                    ex.loc(i, "name"),
                    Problem::UnknownCity(names[i].clone()),
                ));
            }
            Resolution::Direct(c) => c.clone(),
            Resolution::Matched { code, rule } => {
                report.add_replacement(&names[i], code, rule);
                code.clone()
            }
            // City attributes follow renames only: a listed city later merged into another
            // (莱芜市 -> 济南市, 2019) does not make the absorbing city resource-based.
            Resolution::Crosswalk { code, change, .. } if change != "rename" => {
                report.notes.push(format!(
                    "row {}: {} was merged into {code} ({change}); attribute not carried over",
                    ex.rows[i], names[i]
                ));
                continue;
            }
            Resolution::Crosswalk { code, change, .. } => {
                report.add_replacement(&names[i], code, &format!("crosswalk: {change}"));
                code.clone()
            }
        };
        if seen.insert(code.clone(), ex.rows[i]).is_some() {
            report.notes.push(format!(
                "row {}: {} maps to {code} again (kept once)",
                ex.rows[i], names[i]
            ));
            continue;
        }
        c.push(code);
        n.push(names[i].clone());
        t.push(kind[i].clone());
    }
    report
        .notes
        .push(format!("{county_level} non-prefecture rows ignored"));
    let frame = Frame::from_columns([
        ("city_code", Column::Str(c)),
        ("city_name", Column::Str(n)),
        ("type", Column::Str(t)),
    ])?;
    Ok(frame.sort_by(&["city_code"])?)
}

/// Build a city list (`city_code, city_name, short_name, province_code, province_name`) from
/// the admin-divisions files (`cities.csv`: `code,name,provinceCode` with 4-digit codes;
/// `provinces.csv`: `code,name`). Municipalities become one city `PP0100` named after the
/// province; province-administered county-level groupings (`xx90`, 省直辖县级行政区划) are left
/// out.
pub fn city_list_from_admin_divisions(
    cities_csv: &Path,
    provinces_csv: &Path,
) -> Result<Adapted, IngestError> {
    let cf = cities_csv.display().to_string();
    let pf = provinces_csv.display().to_string();
    let craw = read_csv_bytes(&read_file(cities_csv)?, &cf, Encoding::Utf8)?;
    let praw = read_csv_bytes(&read_file(provinces_csv)?, &pf, Encoding::Utf8)?;
    let cex = extract(
        &craw,
        &[
            req("code", Text),
            req("name", Text),
            req("provinceCode", Text),
        ],
        None,
    )?;
    let pex = extract(&praw, &[req("code", Text), req("name", Text)], None)?;
    let pnames: BTreeMap<&str, &str> = pex
        .frame
        .str("code")?
        .iter()
        .map(String::as_str)
        .zip(pex.frame.str("name")?.iter().map(String::as_str))
        .collect();
    let mut report = ValidationReport::new("city_list", &cf);
    report.rows_read = cex.frame.nrows();
    let (codes, names, provs) = (
        cex.frame.str("code")?,
        cex.frame.str("name")?,
        cex.frame.str("provinceCode")?,
    );
    let mut out: BTreeMap<String, (String, String, String, String)> = BTreeMap::new();
    for i in 0..codes.len() {
        let code4 = &codes[i];
        if code4.len() != 4 || !code4.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IngestError::data(
                cex.loc(i, "code"),
                Problem::BadCode(format!("{code4} (expected 4 digits)")),
            ));
        }
        let pname = pnames.get(provs[i].as_str()).ok_or_else(|| {
            IngestError::data(
                cex.loc(i, "provinceCode"),
                Problem::Invalid(format!("province {} not in {pf}", provs[i])),
            )
        })?;
        let (code, name) = if MUNICIPALITIES.contains(&provs[i].as_str()) {
            (format!("{}0100", provs[i]), pname.to_string())
        } else if &code4[2..] == "90" {
            report.notes.push(format!("{code4} {} left out", names[i]));
            continue;
        } else {
            (format!("{code4}00"), names[i].clone())
        };
        let short = city_short_name(&name);
        out.insert(code, (name, short, provs[i].clone(), pname.to_string()));
    }
    let mut cols: [Vec<String>; 5] = Default::default();
    for (code, (name, short, pc, pn)) in out {
        cols[0].push(code);
        cols[1].push(name);
        cols[2].push(short);
        cols[3].push(pc);
        cols[4].push(pn);
    }
    let [a, b, c, d, e] = cols;
    let frame = Frame::from_columns([
        ("city_code", Column::Str(a)),
        ("city_name", Column::Str(b)),
        ("short_name", Column::Str(c)),
        ("province_code", Column::Str(d)),
        ("province_name", Column::Str(e)),
    ])?;
    report.describe_output(&frame);
    Ok(Adapted { frame, report })
}

macro_rules! adapters {
    ($($(#[$doc:meta])* $fn:ident => $src:expr;)*) => {
        $(
            $(#[$doc])*
            pub fn $fn(path: &Path, opts: &ReadOptions) -> Result<Adapted, IngestError> {
                read_source($src, path, opts)
            }
        )*
    };
}

adapters! {
    /// `admin/cities.csv` -> `city_code, city_name, short_name, province_code, province_name`
    /// (short_name derived by stripping 市/地区 when the column is absent).
    read_city_list => Source::CityList;
    /// `admin/crosswalk.csv` -> `old_code, old_name, new_code, new_name, from_year, to_year, change`.
    read_crosswalk => Source::Crosswalk;
    /// IFR stocks -> `country, ifr_code, ifr_industry, year, operational_stock` (units), China only.
    read_ifr_stocks => Source::IfrStocks;
    /// IFR-GB/T concordance -> `ifr_code, ifr_industry, classification, group`.
    read_concordance => Source::Concordance;
    /// Province employment (Chinese headers) -> `province_code, year, classification, group,
    /// employees` (persons).
    read_province_employment => Source::ProvinceEmployment;
    /// City yearbook (CSV or XLSX by extension; set `encoding` for GBK CSV; headers through the
    /// column map) -> `city_code, [city_name], year` + the canonical numeric columns of
    /// docs/data-formats.md in their units (10k persons, 10k yuan, index 2005=100, km2, ...).
    read_city_yearbook => Source::CityYearbook;
    /// City environment (XLSX sheet `环境` or CSV) -> `city_code, [city_name], year, so2 (t),
    /// dust (t), wastewater (10k t), electricity (10k kWh)`.
    read_city_environment => Source::CityEnvironment;
    /// CEADs workbook (sheet `emission vector`) -> `city_code, year, co2_mt` (million tonnes);
    /// names matched via `opts.cities` (required); merged-away units added to their new city.
    read_ceads_city => Source::CeadsCity;
    /// Chen et al. (2020) county CO2 workbook -> `city_code, year, co2_mt` (million tonnes) summed
    /// to prefectures by [`prefecture_of_county`]; the report notes the 2006-2017 balanced count.
    read_county_co2 => Source::CountyCo2;
    /// Ventilation -> `city_code, year, boundary_layer_height_m, wind_speed_10m_ms`.
    read_ventilation => Source::Ventilation;
    /// Night lights -> `city_code, year, dn_sum`.
    read_night_lights => Source::NightLights;
    /// Province energy -> `province_code, year, energy_10k_tce`.
    read_province_energy => Source::ProvinceEnergy;
    /// Robot R&D/service firms -> `city_code, year, robot_rd_service_firms`.
    read_robot_firms => Source::RobotFirms;
    /// Resource-based cities (2013 plan) -> `city_code, city_name, type` (prefecture rows).
    read_resource_cities => Source::ResourceCities;
    /// Smart-city pilots (2012) -> `city_code, [city_name]`.
    read_smart_city_pilots => Source::SmartCityPilots;
    /// Government-business closeness -> `city_code, year, index`.
    read_gov_business => Source::GovBusiness;
    /// Municipalities and separately planned cities -> `city_code, [city_name], kind`.
    read_plan_cities => Source::PlanCities;
}
