//! Source-reading nodes: each reads one or two sources through `ingest`'s adapters and outputs the
//! canonical table(s) and the validation report(s).

use super::{frame_in, op_err, table_in, FnOp, NODE, SRC};
use robocarb_dag::{OpError, Outputs, SourceInput, TaskContext};
use robocarb_exposure::Classification;
use std::collections::BTreeMap;
use std::path::Path;

use robocarb_ingest::{
    read_source, Adapted, CityIndex, ColumnMap, Encoding, IngestError, Location, Problem,
    ReadOptions, Source,
};

const CRATES: &[&str] = &["ingest", "panel"];
const GLUE: &str = "ops/ingest.rs";

pub static READ_CITIES: FnOp = FnOp::new(
    "read_cities",
    CRATES,
    GLUE,
    &[("list", SRC, true), ("crosswalk", SRC, false)],
    run_cities,
);
pub static READ_IFR: FnOp = FnOp::new(
    "read_ifr",
    &["ingest", "panel", "exposure"],
    GLUE,
    &[("stocks", SRC, true), ("concordance", SRC, true)],
    run_ifr,
);
pub static READ_PROVINCE_EMPLOYMENT: FnOp = FnOp::new(
    "read_province_employment",
    CRATES,
    GLUE,
    &[("file", SRC, true)],
    run_employment,
);
pub static READ_CITY_YEARBOOK: FnOp = FnOp::new(
    "read_city_yearbook",
    CRATES,
    GLUE,
    &[
        ("file", SRC, true),
        ("columns", SRC, false),
        ("cities", NODE, true),
    ],
    run_yearbook,
);
pub static READ_CITY_ENVIRONMENT: FnOp = FnOp::new(
    "read_city_environment",
    CRATES,
    GLUE,
    &[
        ("file", SRC, true),
        ("columns", SRC, false),
        ("cities", NODE, true),
    ],
    run_environment,
);
pub static READ_CEADS_CITY: FnOp = FnOp::new(
    "read_ceads_city",
    CRATES,
    GLUE,
    &[("file", SRC, true), ("cities", NODE, true)],
    run_ceads,
);
pub static READ_VENTILATION: FnOp = FnOp::new(
    "read_ventilation",
    CRATES,
    GLUE,
    &[("file", SRC, true), ("cities", NODE, false)],
    run_ventilation,
);
pub static READ_ENERGY: FnOp = FnOp::new(
    "read_energy",
    CRATES,
    GLUE,
    &[
        ("lights", SRC, true),
        ("province", SRC, true),
        ("cities", NODE, false),
    ],
    run_energy,
);
pub static READ_ROBOT_FIRMS: FnOp = FnOp::new(
    "read_robot_firms",
    CRATES,
    GLUE,
    &[("file", SRC, true), ("cities", NODE, false)],
    run_firms,
);
pub static READ_ATTRIBUTES: FnOp = FnOp::new(
    "read_attributes",
    CRATES,
    GLUE,
    &[
        ("resource", SRC, false),
        ("pilots", SRC, false),
        ("gov_business", SRC, false),
        ("plan", SRC, false),
        ("cities", NODE, true),
    ],
    run_attributes,
);

/// The adapter that reads a declared source: `default`, or for the CO2 source the one its
/// `adapter` option names (`ceads_city`, `county_co2`: Chen et al.'s county inventories summed to
/// cities, in place of CEADs).
pub fn adapter_of(
    default: Source,
    name: &str,
    options: &BTreeMap<String, String>,
) -> Result<Source, String> {
    match options.get("adapter").map(String::as_str) {
        None => Ok(default),
        Some(a) if default == Source::CeadsCity && a == Source::CeadsCity.name() => {
            Ok(Source::CeadsCity)
        }
        Some(a) if default == Source::CeadsCity && a == Source::CountyCo2.name() => {
            Ok(Source::CountyCo2)
        }
        Some(a) if default == Source::CeadsCity => Err(format!(
            "source `{name}`: unknown adapter \"{a}\" (use \"ceads_city\" or \"county_co2\")"
        )),
        Some(a) => Err(format!(
            "source `{name}`: option `adapter = \"{a}\"` is not taken (only the CO2 source has a choice of adapter)"
        )),
    }
}

/// Read a declared source with the options its declaration carries (`encoding`, `sheet`).
pub fn read_declared(
    name: &str,
    path: &Path,
    options: &BTreeMap<String, String>,
    source: Source,
    base: ReadOptions<'_>,
) -> Result<Adapted, String> {
    let mut opts = base;
    if let Some(enc) = options.get("encoding") {
        opts.encoding = Encoding::parse(enc).ok_or_else(|| {
            format!("source `{name}`: unknown encoding \"{enc}\" (use \"utf-8\" or \"gbk\")")
        })?;
    }
    let sheet = options.get("sheet").map(String::as_str);
    if sheet.is_some() {
        opts.sheet = sheet;
    }
    read_source(source, path, &opts).map_err(|e| e.to_string())
}

/// [`read_declared`] for a task's source input.
fn read(src: &SourceInput, source: Source, base: ReadOptions<'_>) -> Result<Adapted, OpError> {
    let source = adapter_of(source, &src.name, &src.options).map_err(OpError::new)?;
    read_declared(&src.name, &src.path, &src.options, source, base).map_err(OpError::new)
}

fn put(out: &mut Outputs, name: &str, a: &Adapted) -> Result<(), OpError> {
    out.insert(name.to_string(), a.frame.encode());
    let report = serde_json::to_vec_pretty(&a.report).map_err(op_err("validation report"))?;
    let vname = if name == "table" {
        "validation.json".to_string()
    } else {
        format!("{name}.validation.json")
    };
    out.insert(vname, report);
    Ok(())
}

/// The city index when the node binds a `cities` input: city codes are then checked against the
/// list (and mapped through the crosswalk), so an unknown city is reported with its file, row
/// and column instead of being dropped at the panel join.
fn optional_city_index(ctx: &TaskContext<'_>) -> Result<Option<CityIndex>, OpError> {
    if ctx.has_input("cities") {
        city_index(ctx).map(Some)
    } else {
        Ok(None)
    }
}

/// Read the source bound to `slot` into the node's `table`, with the city list and the column
/// map when the node binds them.
fn single(ctx: &TaskContext<'_>, slot: &str, source: Source) -> Result<Outputs, OpError> {
    let cities = optional_city_index(ctx)?;
    let map = column_map(ctx)?;
    let opts = ReadOptions {
        cities: cities.as_ref(),
        column_map: map.as_ref(),
        ..Default::default()
    };
    let a = read(ctx.source(slot)?, source, opts)?;
    let mut out = Outputs::new();
    put(&mut out, "table", &a)?;
    Ok(out)
}

/// The city index from the `cities` node (city list + crosswalk).
pub fn city_index(ctx: &TaskContext<'_>) -> Result<CityIndex, OpError> {
    let list = table_in(ctx, "cities")?;
    let crosswalk = if ctx.node_outputs("cities")?.contains_key("crosswalk") {
        Some(frame_in(ctx, "cities", "crosswalk")?)
    } else {
        None
    };
    CityIndex::new(&list, crosswalk.as_ref()).map_err(|e| OpError::new(e.to_string()))
}

fn column_map(ctx: &TaskContext<'_>) -> Result<Option<ColumnMap>, OpError> {
    if !ctx.has_input("columns") {
        return Ok(None);
    }
    let src = ctx.source("columns")?;
    ColumnMap::from_path(&src.path)
        .map(Some)
        .map_err(|e| OpError::new(e.to_string()))
}

fn run_cities(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let mut out = Outputs::new();
    let list = read(
        ctx.source("list")?,
        Source::CityList,
        ReadOptions::default(),
    )?;
    put(&mut out, "table", &list)?;
    if ctx.has_input("crosswalk") {
        let cw = read(
            ctx.source("crosswalk")?,
            Source::Crosswalk,
            ReadOptions::default(),
        )?;
        put(&mut out, "crosswalk", &cw)?;
    }
    Ok(out)
}

fn run_ifr(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let mut out = Outputs::new();
    let stocks = read(
        ctx.source("stocks")?,
        Source::IfrStocks,
        ReadOptions::default(),
    )?;
    put(&mut out, "table", &stocks)?;
    let conc = read(
        ctx.source("concordance")?,
        Source::Concordance,
        ReadOptions::default(),
    )?;
    put(&mut out, "concordance", &conc)?;
    check_concordance_covers(ctx, &stocks, &conc)?;
    Ok(out)
}

/// Every (IFR code, classification in force that year) of the stocks file must have a row in the
/// concordance. Checked here, where both files are known, so the message names them (the
/// `exposure` and `table1` nodes would otherwise fail later naming neither).
fn check_concordance_covers(
    ctx: &TaskContext<'_>,
    stocks: &Adapted,
    conc: &Adapted,
) -> Result<(), OpError> {
    let e = || op_err("IFR concordance check");
    let covered: std::collections::BTreeSet<(&str, &str)> = conc
        .frame
        .str("ifr_code")
        .map_err(e())?
        .iter()
        .zip(conc.frame.str("classification").map_err(e())?)
        .map(|(code, class)| (code.as_str(), class.as_str()))
        .collect();
    let codes = stocks.frame.str("ifr_code").map_err(e())?;
    let years = stocks.frame.i64("year").map_err(e())?;
    for (code, &year) in codes.iter().zip(years) {
        let class = Classification::for_year(year as i32).as_str();
        if covered.contains(&(code.as_str(), class)) {
            continue;
        }
        let stocks_path = &ctx.source("stocks")?.path;
        let conc_path = &ctx.source("concordance")?.path;
        let file = stocks_path.display().to_string();
        let location = match first_row_with(stocks_path, code, year) {
            Some(row) => Location::cell(&file, row, "ifr_code"),
            None => Location {
                column: Some("ifr_code".into()),
                ..Location::file(&file)
            },
        };
        return Err(OpError::new(
            IngestError::data(
                location,
                Problem::Invalid(format!(
                    "IFR code `{code}` (year {year}, classification {class}) has no row in {}; \
                     add one mapping it to a group or to \"excluded\"",
                    conc_path.display()
                )),
            )
            .to_string(),
        ));
    }
    Ok(())
}

/// The 1-based file row (header = 1) of the first line holding both `code` and `year` as fields,
/// for the message only (the adapters' frames are sorted and carry no row numbers).
fn first_row_with(path: &std::path::Path, code: &str, year: i64) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    let year = year.to_string();
    text.lines()
        .position(|line| {
            let fields: Vec<&str> = line
                .split(',')
                .map(|f| f.trim().trim_matches('"'))
                .collect();
            fields.contains(&code) && fields.contains(&year.as_str())
        })
        .map(|i| i + 1)
}

fn run_employment(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    single(ctx, "file", Source::ProvinceEmployment)
}

fn run_yearbook(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    single(ctx, "file", Source::CityYearbook)
}

fn run_environment(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    single(ctx, "file", Source::CityEnvironment)
}

/// The CO2 node reads CEADs, or with the source option `adapter = "county_co2"` the county
/// inventories of Chen et al. (2020) summed to cities ([`adapter_of`]).
fn run_ceads(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    single(ctx, "file", Source::CeadsCity)
}

fn run_ventilation(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    single(ctx, "file", Source::Ventilation)
}

fn run_energy(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let mut out = Outputs::new();
    let cities = optional_city_index(ctx)?;
    let lights = read(
        ctx.source("lights")?,
        Source::NightLights,
        ReadOptions {
            cities: cities.as_ref(),
            ..Default::default()
        },
    )?;
    put(&mut out, "night_lights", &lights)?;
    let prov = read(
        ctx.source("province")?,
        Source::ProvinceEnergy,
        ReadOptions::default(),
    )?;
    put(&mut out, "province_energy", &prov)?;
    Ok(out)
}

fn run_firms(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    single(ctx, "file", Source::RobotFirms)
}

fn run_attributes(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let cities = city_index(ctx)?;
    let mut out = Outputs::new();
    for (slot, source, name) in [
        ("resource", Source::ResourceCities, "resource_cities"),
        ("pilots", Source::SmartCityPilots, "smart_city_pilots"),
        ("gov_business", Source::GovBusiness, "gov_business"),
        ("plan", Source::PlanCities, "plan_cities"),
    ] {
        if ctx.has_input(slot) {
            let opts = ReadOptions {
                cities: Some(&cities),
                ..Default::default()
            };
            let a = read(ctx.source(slot)?, source, opts)?;
            put(&mut out, name, &a)?;
        }
    }
    Ok(out)
}
