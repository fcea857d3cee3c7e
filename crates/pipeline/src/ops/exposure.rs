//! `exposure` (ROBOT and ROBOT_R by the three-step shift-share) and `table1` (robot stock by
//! industry group for 2006, 2011, 2012 and 2019).

use super::table::render_outputs;
use super::{frame_in, op_err, table_in, FnOp, NODE};
use robocarb_dag::{OpError, Outputs, TaskContext};
use robocarb_exposure::{
    city_exposure, group_stocks, CityWeight, Classification, ConcordanceRow, IfrStock,
    ProvinceEmployment,
};
use robocarb_panel::{Column, Frame};
use robocarb_report::{compare_robots, published, RobotTable, RobotYear, TABLE1_INDUSTRIES};
use std::collections::BTreeMap;

const GLUE: &str = "ops/exposure.rs";

pub static ROBOT_EXPOSURE: FnOp = FnOp::new(
    "robot_exposure",
    &["exposure", "panel"],
    GLUE,
    &[
        ("ifr", NODE, true),
        ("employment", NODE, true),
        ("yearbook", NODE, true),
        ("cities", NODE, true),
    ],
    run_exposure,
);
pub static TABLE1: FnOp = FnOp::new(
    "table1",
    &["exposure", "report", "panel"],
    GLUE,
    &[("ifr", NODE, true)],
    run_table1,
);

/// `gbt2002` / `gbt2011`, also spelled as in yearbooks (`GB/T 4754-2002`).
fn classification(s: &str) -> Result<Classification, OpError> {
    if s.contains("2002") {
        Ok(Classification::Gbt2002)
    } else if s.contains("2011") {
        Ok(Classification::Gbt2011)
    } else {
        s.parse().map_err(|e| OpError::new(format!("{e}")))
    }
}

fn ifr_inputs(ctx: &TaskContext<'_>) -> Result<(Vec<IfrStock>, Vec<ConcordanceRow>), OpError> {
    let ifr = table_in(ctx, "ifr")?;
    let e = || op_err("IFR stocks");
    let codes = ifr.str("ifr_code").map_err(e())?;
    let years = ifr.i64("year").map_err(e())?;
    let units = ifr.f64("operational_stock").map_err(e())?;
    let stocks = (0..ifr.nrows())
        .map(|i| IfrStock {
            ifr_code: codes[i].clone(),
            year: years[i] as i32,
            units: units[i],
        })
        .collect();
    let conc = frame_in(ctx, "ifr", "concordance")?;
    let e = || op_err("IFR concordance");
    let c_code = conc.str("ifr_code").map_err(e())?;
    let c_class = conc.str("classification").map_err(e())?;
    let c_group = conc.str("group").map_err(e())?;
    let rows = (0..conc.nrows())
        .map(|i| {
            Ok(ConcordanceRow {
                ifr_code: c_code[i].clone(),
                classification: classification(&c_class[i])?,
                group: c_group[i].clone(),
            })
        })
        .collect::<Result<Vec<_>, OpError>>()?;
    Ok((stocks, rows))
}

fn run_exposure(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let (stocks, concordance) = ifr_inputs(ctx)?;
    let emp = table_in(ctx, "employment")?;
    let e = || op_err("province employment");
    let (p, y, c, g, n) = (
        emp.str("province_code").map_err(e())?,
        emp.i64("year").map_err(e())?,
        emp.str("classification").map_err(e())?,
        emp.str("group").map_err(e())?,
        emp.f64("employees").map_err(e())?,
    );
    let employment = (0..emp.nrows())
        .map(|i| {
            Ok(ProvinceEmployment {
                province: p[i].clone(),
                year: y[i] as i32,
                group: g[i].clone(),
                classification: classification(&c[i])?,
                employees: n[i],
            })
        })
        .collect::<Result<Vec<_>, OpError>>()?;
    let cities = table_in(ctx, "cities")?;
    let e = || op_err("city list");
    let province_of: BTreeMap<&str, &str> = cities
        .str("city_code")
        .map_err(e())?
        .iter()
        .zip(cities.str("province_code").map_err(e())?)
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let yb = table_in(ctx, "yearbook")?;
    let e = || op_err("yearbook");
    let (codes, years, mfg, firms) = (
        yb.str("city_code").map_err(e())?,
        yb.i64("year").map_err(e())?,
        yb.f64("emp_manufacturing").map_err(e())?,
        yb.f64("above_scale_firms").map_err(e())?,
    );
    // Missing weights are interpolated within each city first (no extrapolation).
    let weights_frame = {
        let mut f = Frame::new();
        f.push("city_code", Column::Str(codes.to_vec()))
            .map_err(e())?;
        f.push("year", Column::I64(years.to_vec())).map_err(e())?;
        f.push("emp_manufacturing", Column::F64(mfg.to_vec()))
            .map_err(e())?;
        f.push("above_scale_firms", Column::F64(firms.to_vec()))
            .map_err(e())?;
        let (filled, _) = robocarb_ingest::interpolate_within_city(
            &f,
            &["emp_manufacturing", "above_scale_firms"],
        )
        .map_err(|e| OpError::new(e.to_string()))?;
        filled
    };
    let mfg = weights_frame.f64("emp_manufacturing").map_err(e())?;
    let firms = weights_frame.f64("above_scale_firms").map_err(e())?;
    let mut weights = Vec::with_capacity(codes.len());
    for i in 0..codes.len() {
        let province = province_of.get(codes[i].as_str()).ok_or_else(|| {
            OpError::new(format!(
                "yearbook city {} is not in the city list, so its province is unknown",
                codes[i]
            ))
        })?;
        if !mfg[i].is_finite() || !firms[i].is_finite() {
            return Err(OpError::new(format!(
                "city {} in {}: manufacturing employment or above-scale firms missing and not interpolable (outside the city's observed years)",
                codes[i], years[i]
            )));
        }
        weights.push(CityWeight {
            city_code: codes[i].clone(),
            province: province.to_string(),
            year: years[i] as i32,
            mfg_employment: mfg[i],
            above_scale_firms: firms[i],
        });
    }
    let ex = city_exposure(&stocks, &concordance, &employment, &weights)
        .map_err(|e| OpError::new(format!("robot exposure: {e}")))?;
    let mut f = Frame::new();
    let e = || op_err("exposure");
    f.push(
        "city_code",
        Column::Str(ex.iter().map(|r| r.city_code.clone()).collect()),
    )
    .map_err(e())?;
    f.push(
        "year",
        Column::I64(ex.iter().map(|r| i64::from(r.year)).collect()),
    )
    .map_err(e())?;
    f.push("ROBOT", Column::F64(ex.iter().map(|r| r.robot).collect()))
        .map_err(e())?;
    f.push(
        "ROBOT_R",
        Column::F64(ex.iter().map(|r| r.robot_r).collect()),
    )
    .map_err(e())?;
    f.push(
        "province_code",
        Column::Str(ex.iter().map(|r| r.province.clone()).collect()),
    )
    .map_err(e())?;
    f.push(
        "province_robots",
        Column::F64(ex.iter().map(|r| r.province_robots).collect()),
    )
    .map_err(e())?;
    let mut out = Outputs::new();
    out.insert("table".into(), f.encode());
    Ok(out)
}

fn run_table1(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let (stocks, concordance) = ifr_inputs(ctx)?;
    let groups =
        group_stocks(&stocks, &concordance).map_err(|e| OpError::new(format!("table1: {e}")))?;
    let mut years = Vec::new();
    for year in [2006, 2011, 2012, 2019] {
        let rows: Vec<_> = groups.iter().filter(|g| g.year == year).collect();
        if rows.is_empty() {
            continue;
        }
        years.push(RobotYear {
            year,
            classification: rows[0].classification.as_str().to_string(),
            stocks: rows.iter().map(|g| (g.group.clone(), g.units)).collect(),
        });
    }
    let table = RobotTable {
        table: "table1".into(),
        title: "Industrial robot stock in China's manufacturing by industry (units)".into(),
        industries: TABLE1_INDUSTRIES.iter().map(|s| s.to_string()).collect(),
        years,
        notes: vec![
            "IFR operational stock matched to GB/T 4754-2002 (2006, 2011; automotive inside transport equipment) and GB/T 4754-2011 (2012, 2019) through the concordance in the ifr_concordance source.".into(),
        ],
    };
    let paper = published().map_err(op_err("published figures"))?;
    let cmp = compare_robots(&table, &paper);
    render_outputs("table1", &table, Some(cmp))
}
