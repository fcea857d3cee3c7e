//! robocarb-exposure: the shift-share robot exposure of METHODS.md section 2.
//!
//! Three steps, all pure functions on plain structs:
//!
//! 1. Industry: IFR operational stocks by IFR industry are summed into Chinese
//!    manufacturing groups through a concordance passed in as data
//!    (GB/T 4754-2002 groups up to 2011, GB/T 4754-2011 groups from 2012):
//!    `Robot_jt = sum_{k -> j} IFR_kt` ([`group_stocks`], the paper's Table 1).
//! 2. Province: `Robot_pt = sum_j (Emp_pjt / Emp_jt) Robot_jt`, with
//!    `Emp_jt = sum_p Emp_pjt` over the provinces passed in ([`province_stocks`]).
//! 3. City: `ROBOT_it = (MfgEmp_it / MfgEmp_pt) Robot_pt / 1000`, with
//!    `MfgEmp_pt = sum` over the province's cities passed in; `ROBOT_R` uses the
//!    number of above-scale industrial firms in place of `MfgEmp` ([`city_exposure`]).
//!    Both are in THOUSAND robots; `province_robots` stays in units.
//!
//! Conventions:
//! - the regime of a year is [`Classification::for_year`] (GB/T 4754-2011 from
//!   [`GBT2011_FIRST_YEAR`] = 2012); employment rows must carry that regime's group names;
//! - a year "has IFR data" when at least one IFR row exists for it; within such a year
//!   an industry without a row counts as 0 robots. Every IFR code must be in the
//!   concordance, mapped to a group or to [`EXCLUDED_GROUP`] (aggregates, non-manufacturing);
//! - `Emp_jt` sums over the provinces passed in: pass every province (also those with no
//!   city in the panel) so that province stocks add up to the national stock;
//! - `MfgEmp_pt` sums over the cities passed in for that province and year (the panel's
//!   cities, as in the paper), so city stocks add up to the province stock;
//! - all sums run in sorted key order: results are bit-for-bit independent of input order.
//!
//! This crate must not read files, depend on polars, or guess: a missing
//! concordance entry, a zero denominator, a negative or non-finite number is a
//! typed [`ExposureError`] naming the offending key, never a NaN.
//!
//! ```
//! use robocarb_exposure::*;
//! let concordance = default_concordance();
//! let stocks = vec![IfrStock { ifr_code: "29".into(), year: 2012, units: 2000.0 }];
//! let employment = vec![
//!     ProvinceEmployment { province: "31".into(), year: 2012, group: "automotive".into(),
//!         classification: Classification::Gbt2011, employees: 3.0 },
//!     ProvinceEmployment { province: "44".into(), year: 2012, group: "automotive".into(),
//!         classification: Classification::Gbt2011, employees: 1.0 },
//! ];
//! let weights = vec![CityWeight { city_code: "310100".into(), province: "31".into(), year: 2012,
//!     mfg_employment: 10.0, above_scale_firms: 5.0 }];
//! let out = city_exposure(&stocks, &concordance, &employment, &weights).unwrap();
//! assert_eq!(out[0].province_robots, 1500.0); // 3/4 of 2000 units
//! assert_eq!(out[0].robot, 1.5);              // the only city: 1.5 thousand
//! ```

mod concordance;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use concordance::ConcordanceMap;
pub use concordance::{
    default_concordance, parse_concordance_csv, Classification, ConcordanceRow,
    DEFAULT_CONCORDANCE_CSV, EXCLUDED_GROUP, GBT2002_GROUPS, GBT2011_FIRST_YEAR, GBT2011_GROUPS,
};

/// Robots per reported unit of `ROBOT` / `ROBOT_R`.
pub const UNITS_PER_THOUSAND: f64 = 1000.0;

/// IFR operational stock of industry `ifr_code` in China at the end of `year`, in robots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IfrStock {
    pub ifr_code: String,
    pub year: i32,
    pub units: f64,
}

/// Manufacturing employment of `group` (a name of `classification`) in `province`
/// (2-digit code) in `year`, persons (any unit, only shares are used).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvinceEmployment {
    pub province: String,
    pub year: i32,
    pub group: String,
    pub classification: Classification,
    pub employees: f64,
}

/// City weights of step 3: manufacturing employment (for `ROBOT`) and the number of
/// above-scale industrial firms (for `ROBOT_R`) of city `city_code` (6 digits,
/// starting with the 2-digit `province`) in `year`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CityWeight {
    pub city_code: String,
    pub province: String,
    pub year: i32,
    pub mfg_employment: f64,
    pub above_scale_firms: f64,
}

/// National robot stock of a group in a year (Table 1), robots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupStock {
    pub classification: Classification,
    pub group: String,
    pub year: i32,
    pub units: f64,
}

/// Province robot stock `Robot_pt`, robots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvinceStock {
    pub province: String,
    pub year: i32,
    pub units: f64,
}

/// City robot exposure. `robot`, `robot_r` in thousand robots; `province_robots` in robots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CityExposure {
    pub city_code: String,
    pub year: i32,
    pub province: String,
    pub robot: f64,
    pub robot_r: f64,
    pub province_robots: f64,
}

/// Everything that can be wrong with the inputs; each variant names the offending key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExposureError {
    #[error("IFR industry {ifr_code:?} (year {year}) is not in the concordance for {classification}; map it to a group or to \"excluded\"")]
    IfrIndustryNotInConcordance {
        ifr_code: String,
        classification: Classification,
        year: i32,
    },
    #[error("unknown classification {0:?}, expected \"gbt2002\" or \"gbt2011\"")]
    UnknownClassification(String),
    #[error("unknown group {group:?} for {classification} in {context}")]
    UnknownGroup {
        group: String,
        classification: Classification,
        context: String,
    },
    #[error(
        "{context}: classification {found} does not match {expected}, the regime of year {year}"
    )]
    ClassificationMismatch {
        context: String,
        year: i32,
        found: Classification,
        expected: Classification,
    },
    #[error("concordance line {line}: {message}")]
    ConcordanceParse { line: usize, message: String },
    #[error("duplicate {what} {key}")]
    DuplicateKey { what: &'static str, key: String },
    #[error("{field} of {key} is {value}: expected a finite number >= 0")]
    InvalidNumber {
        field: &'static str,
        key: String,
        value: f64,
    },
    #[error("malformed {what} {value:?}: {expected}")]
    InvalidCode {
        what: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("no IFR stocks for year {year}, needed by {needed_by}")]
    MissingIfrYear { year: i32, needed_by: String },
    #[error("group {group} ({classification}) in {year} has {robots} robots but national employment 0: the robots cannot be apportioned")]
    ZeroNationalEmployment {
        group: String,
        classification: Classification,
        year: i32,
        robots: f64,
    },
    #[error("city {city_code} in {year}: province {province} has no employment rows in that year")]
    CityWithoutProvince {
        city_code: String,
        province: String,
        year: i32,
    },
    #[error("province {province} in {year} has cities but their total {weight} is 0")]
    ZeroProvinceWeight {
        province: String,
        year: i32,
        weight: &'static str,
    },
}

fn check_number(
    field: &'static str,
    key: impl FnOnce() -> String,
    value: f64,
) -> Result<f64, ExposureError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ExposureError::InvalidNumber {
            field,
            key: key(),
            value,
        })
    }
}

fn check_digits(
    what: &'static str,
    value: &str,
    len: usize,
    expected: &'static str,
) -> Result<(), ExposureError> {
    parse_digits(what, value, len, expected).map(|_| ())
}

/// Value of a code of exactly `len` ASCII digits (len <= 9).
fn parse_digits(
    what: &'static str,
    value: &str,
    len: usize,
    expected: &'static str,
) -> Result<u32, ExposureError> {
    if value.len() == len && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value
            .bytes()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')))
    } else {
        Err(ExposureError::InvalidCode {
            what,
            value: value.to_string(),
            expected,
        })
    }
}

/// Robot stocks by (year, group index), summed from IFR industries in a fixed order
/// (sorted by IFR code) so that the sums are bit-for-bit reproducible.
fn group_stock_table(
    stocks: &[IfrStock],
    concordance: &ConcordanceMap,
) -> Result<BTreeMap<i32, Vec<f64>>, ExposureError> {
    let mut seen = BTreeSet::new();
    let mut sorted: Vec<&IfrStock> = stocks.iter().collect();
    sorted.sort_by(|a, b| (a.year, &a.ifr_code).cmp(&(b.year, &b.ifr_code)));
    let mut table: BTreeMap<i32, Vec<f64>> = BTreeMap::new();
    for s in sorted {
        check_number(
            "units",
            || format!("IFR stock ({}, {})", s.ifr_code, s.year),
            s.units,
        )?;
        if !seen.insert((s.year, s.ifr_code.as_str())) {
            return Err(ExposureError::DuplicateKey {
                what: "IFR stock (ifr_code, year)",
                key: format!("({}, {})", s.ifr_code, s.year),
            });
        }
        let classification = Classification::for_year(s.year);
        let row = table
            .entry(s.year)
            .or_insert_with(|| vec![0.0; classification.groups().len()]);
        if let Some(g) = concordance.lookup(classification, &s.ifr_code, s.year)? {
            row[g] += s.units;
        }
    }
    Ok(table)
}

/// National robot stock of every group of the year's classification, for every year
/// with IFR rows (Table 1). Ordered by year, then the classification's Table 1 group
/// order; groups without industries are reported with 0.
///
/// `Robot_jt = sum over IFR industries k mapped to j of IFR_kt` (robots).
pub fn group_stocks(
    stocks: &[IfrStock],
    concordance: &[ConcordanceRow],
) -> Result<Vec<GroupStock>, ExposureError> {
    let map = ConcordanceMap::new(concordance)?;
    let table = group_stock_table(stocks, &map)?;
    let mut out = Vec::new();
    for (year, row) in &table {
        let classification = Classification::for_year(*year);
        for (g, units) in row.iter().enumerate() {
            out.push(GroupStock {
                classification,
                group: classification.groups()[g].to_string(),
                year: *year,
                units: *units,
            });
        }
    }
    Ok(out)
}

/// Validated province employment: year -> province -> employees by group index.
type EmploymentTable = BTreeMap<i32, BTreeMap<String, Vec<f64>>>;

fn employment_table(employment: &[ProvinceEmployment]) -> Result<EmploymentTable, ExposureError> {
    let mut table: EmploymentTable = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for e in employment {
        let key = || {
            format!(
                "province employment ({}, {}, {})",
                e.province, e.year, e.group
            )
        };
        check_digits("province code", &e.province, 2, "2 ASCII digits")?;
        check_number("employees", key, e.employees)?;
        let expected = Classification::for_year(e.year);
        if e.classification != expected {
            return Err(ExposureError::ClassificationMismatch {
                context: key(),
                year: e.year,
                found: e.classification,
                expected,
            });
        }
        let Some(g) = expected.group_index(&e.group) else {
            return Err(ExposureError::UnknownGroup {
                group: e.group.clone(),
                classification: expected,
                context: key(),
            });
        };
        if !seen.insert((e.year, e.province.as_str(), g)) {
            return Err(ExposureError::DuplicateKey {
                what: "province employment (province, year, group)",
                key: format!("({}, {}, {})", e.province, e.year, e.group),
            });
        }
        table
            .entry(e.year)
            .or_default()
            .entry(e.province.clone())
            .or_insert_with(|| vec![0.0; expected.groups().len()])[g] = e.employees;
    }
    Ok(table)
}

/// Province stocks of one year: `Robot_pt = sum_j (Emp_pjt / Emp_jt) Robot_jt`.
fn province_stocks_for_year(
    year: i32,
    provinces: &BTreeMap<String, Vec<f64>>,
    robots_by_group: &[f64],
) -> Result<BTreeMap<String, f64>, ExposureError> {
    let classification = Classification::for_year(year);
    let n_groups = robots_by_group.len();
    let mut national = vec![0.0; n_groups];
    for emp in provinces.values() {
        for (n, e) in national.iter_mut().zip(emp) {
            *n += e;
        }
    }
    // Robots per employee of each group; a group with robots but nobody employed
    // anywhere cannot be apportioned, and silently dropping it would break the
    // adding-up of province stocks to the national stock.
    for g in 0..n_groups {
        if national[g] <= 0.0 && robots_by_group[g] > 0.0 {
            return Err(ExposureError::ZeroNationalEmployment {
                group: classification.groups()[g].to_string(),
                classification,
                year,
                robots: robots_by_group[g],
            });
        }
    }
    let mut out = BTreeMap::new();
    for (p, emp) in provinces {
        // Emp_pjt / Emp_jt * Robot_jt, written as a share times the stock.
        let units: f64 = (0..n_groups)
            .filter(|&g| national[g] > 0.0)
            .map(|g| emp[g] / national[g] * robots_by_group[g])
            .sum();
        out.insert(p.clone(), units);
    }
    Ok(out)
}

/// Province robot stocks `Robot_pt` (robots) for every (province, year) with
/// employment rows; every such year needs IFR rows. Ordered by province, year.
pub fn province_stocks(
    stocks: &[IfrStock],
    concordance: &[ConcordanceRow],
    employment: &[ProvinceEmployment],
) -> Result<Vec<ProvinceStock>, ExposureError> {
    let map = ConcordanceMap::new(concordance)?;
    let robots = group_stock_table(stocks, &map)?;
    let emp = employment_table(employment)?;
    let mut out = Vec::new();
    for (year, provinces) in &emp {
        let Some(row) = robots.get(year) else {
            return Err(ExposureError::MissingIfrYear {
                year: *year,
                needed_by: "province employment".into(),
            });
        };
        for (province, units) in province_stocks_for_year(*year, provinces, row)? {
            out.push(ProvinceStock {
                province,
                year: *year,
                units,
            });
        }
    }
    out.sort_by(|a, b| (&a.province, a.year).cmp(&(&b.province, b.year)));
    Ok(out)
}

/// City robot exposure `ROBOT` and `ROBOT_R` (thousand robots) for every city-year of
/// `weights`, ordered by (city_code, year).
///
/// `ROBOT_it = (MfgEmp_it / sum_{c in p} MfgEmp_ct) Robot_pt / 1000`,
/// `ROBOT_R_it = (Firms_it / sum_{c in p} Firms_ct) Robot_pt / 1000`,
/// where the sums run over the cities of province p in `weights` in year t and
/// `Robot_pt` is as in [`province_stocks`]. Only the years present in `weights` are
/// computed, so employment and IFR rows for other years are allowed.
pub fn city_exposure(
    stocks: &[IfrStock],
    concordance: &[ConcordanceRow],
    employment: &[ProvinceEmployment],
    weights: &[CityWeight],
) -> Result<Vec<CityExposure>, ExposureError> {
    let map = ConcordanceMap::new(concordance)?;
    let robots = group_stock_table(stocks, &map)?;
    let emp = employment_table(employment)?;

    // Validate the city rows; codes are exactly 6 (city) and 2 (province) digits, so
    // their numeric order is their string order and integer keys sort much faster.
    let mut order: Vec<(u64, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let city = parse_digits("city code", &w.city_code, 6, "6 ASCII digits")?;
        let province = parse_digits("province code", &w.province, 2, "2 ASCII digits")?;
        if city / 10_000 != province {
            return Err(ExposureError::InvalidCode {
                what: "city code",
                value: format!("{} (province {})", w.city_code, w.province),
                expected: "a city code starting with its 2-digit province code",
            });
        }
        let key = || format!("city weight ({}, {})", w.city_code, w.year);
        check_number("mfg_employment", key, w.mfg_employment)?;
        check_number("above_scale_firms", key, w.above_scale_firms)?;
        // Flipping the sign bit maps i32 order onto u32 order.
        let year_bits = u64::from((w.year as u32) ^ 0x8000_0000);
        order.push(((u64::from(city) << 32) | year_bits, i));
    }
    // Unstable sort is enough: equal keys are duplicates, which are an error below.
    order.sort_unstable_by_key(|&(k, _)| k);

    // Dense (year, province) tables: years in the city rows x the 100 possible
    // 2-digit province codes. Sums run in (city_code, year) order, so they do not
    // depend on the input order.
    let mut years: Vec<i32> = order.iter().map(|&(_, i)| weights[i].year).collect();
    years.sort_unstable();
    years.dedup();
    let year_slot = |year: i32| years.binary_search(&year).unwrap_or(0);
    let cell = |year: i32, province: u32| year_slot(year) * 100 + province as usize;
    let mut totals = vec![(0.0f64, 0.0f64); years.len() * 100];
    for (n, &(k, i)) in order.iter().enumerate() {
        let w = &weights[i];
        if n > 0 && order[n - 1].0 == k {
            return Err(ExposureError::DuplicateKey {
                what: "city weight (city_code, year)",
                key: format!("({}, {})", w.city_code, w.year),
            });
        }
        let t = &mut totals[cell(w.year, (k >> 32) as u32 / 10_000)];
        t.0 += w.mfg_employment;
        t.1 += w.above_scale_firms;
    }

    // Province stocks for the years the cities need (None: no employment rows).
    let mut province_units: Vec<Option<f64>> = vec![None; years.len() * 100];
    let empty = BTreeMap::new();
    for &year in &years {
        let Some(row) = robots.get(&year) else {
            let first = order
                .iter()
                .map(|&(_, i)| &weights[i])
                .find(|w| w.year == year)
                .map(|w| format!("city {} in {}", w.city_code, year))
                .unwrap_or_default();
            return Err(ExposureError::MissingIfrYear {
                year,
                needed_by: first,
            });
        };
        let provinces = emp.get(&year).unwrap_or(&empty);
        for (p, units) in province_stocks_for_year(year, provinces, row)? {
            // Employment province codes were validated as 2 digits.
            if let Ok(p) = p.parse::<u32>() {
                province_units[cell(year, p)] = Some(units);
            }
        }
    }

    let mut out = Vec::with_capacity(order.len());
    for &(k, i) in &order {
        let w = &weights[i];
        let slot = cell(w.year, (k >> 32) as u32 / 10_000);
        let Some(robot_pt) = province_units[slot] else {
            return Err(ExposureError::CityWithoutProvince {
                city_code: w.city_code.clone(),
                province: w.province.clone(),
                year: w.year,
            });
        };
        let (mfg_total, firms_total) = totals[slot];
        if mfg_total <= 0.0 {
            return Err(ExposureError::ZeroProvinceWeight {
                province: w.province.clone(),
                year: w.year,
                weight: "mfg_employment",
            });
        }
        if firms_total <= 0.0 {
            return Err(ExposureError::ZeroProvinceWeight {
                province: w.province.clone(),
                year: w.year,
                weight: "above_scale_firms",
            });
        }
        out.push(CityExposure {
            city_code: w.city_code.clone(),
            year: w.year,
            province: w.province.clone(),
            robot: w.mfg_employment / mfg_total * robot_pt / UNITS_PER_THOUSAND,
            robot_r: w.above_scale_firms / firms_total * robot_pt / UNITS_PER_THOUSAND,
            province_robots: robot_pt,
        });
    }
    Ok(out)
}
