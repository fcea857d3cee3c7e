//! Every malformed input is a typed error that names the offending key.

use robocarb_exposure::*;

fn stock(code: &str, year: i32, units: f64) -> IfrStock {
    IfrStock {
        ifr_code: code.into(),
        year,
        units,
    }
}

fn emp(province: &str, year: i32, group: &str, employees: f64) -> ProvinceEmployment {
    ProvinceEmployment {
        province: province.into(),
        year,
        group: group.into(),
        classification: Classification::for_year(year),
        employees,
    }
}

fn weight(city: &str, year: i32, mfg: f64, firms: f64) -> CityWeight {
    CityWeight {
        city_code: city.into(),
        province: city[..2].into(),
        year,
        mfg_employment: mfg,
        above_scale_firms: firms,
    }
}

struct Case {
    stocks: Vec<IfrStock>,
    employment: Vec<ProvinceEmployment>,
    weights: Vec<CityWeight>,
    concordance: Vec<ConcordanceRow>,
}

fn valid() -> Case {
    Case {
        stocks: vec![stock("29", 2015, 100.0), stock("10-12", 2015, 10.0)],
        employment: vec![
            emp("31", 2015, "automotive", 5.0),
            emp("31", 2015, "food_beverage", 5.0),
            emp("32", 2015, "automotive", 5.0),
        ],
        weights: vec![
            weight("310100", 2015, 10.0, 1.0),
            weight("320100", 2015, 4.0, 2.0),
            weight("320200", 2015, 6.0, 2.0),
        ],
        concordance: default_concordance(),
    }
}

fn run(c: &Case) -> Result<Vec<CityExposure>, ExposureError> {
    city_exposure(&c.stocks, &c.concordance, &c.employment, &c.weights)
}

#[test]
fn the_valid_case_runs() {
    let out = run(&valid()).unwrap();
    assert_eq!(out.len(), 3);
    // 31: 5/10*100 + 5/5*10 = 60; 32: 50
    assert_eq!(out[0].province_robots, 60.0);
    assert_eq!(out[1].province_robots, 50.0);
    assert!((out[1].robot - 0.02).abs() < 1e-15);
    assert!((out[2].robot_r - 0.025).abs() < 1e-15);
}

#[test]
fn ifr_industry_missing_from_concordance() {
    let mut c = valid();
    c.stocks.push(stock("27-99", 2015, 1.0));
    let err = run(&c).unwrap_err();
    assert!(
        matches!(&err, ExposureError::IfrIndustryNotInConcordance { ifr_code, year: 2015, .. } if ifr_code == "27-99"),
        "{err}"
    );
    assert!(err.to_string().contains("27-99"));
    // The same holds for Table 1.
    assert!(group_stocks(&c.stocks, &c.concordance).is_err());
    // Present for one regime only: 2011 needs the gbt2002 row.
    let mut c = valid();
    c.concordance
        .retain(|r| !(r.ifr_code == "29" && r.classification == Classification::Gbt2002));
    let err = group_stocks(&[stock("29", 2011, 1.0)], &c.concordance).unwrap_err();
    assert!(err.to_string().contains("gbt2002"), "{err}");
}

#[test]
fn province_with_zero_manufacturing_employment() {
    let mut c = valid();
    c.weights[1].mfg_employment = 0.0;
    c.weights[2].mfg_employment = 0.0;
    let err = run(&c).unwrap_err();
    assert_eq!(
        err,
        ExposureError::ZeroProvinceWeight {
            province: "32".into(),
            year: 2015,
            weight: "mfg_employment"
        }
    );
    assert!(err.to_string().contains("32"));
    let mut c = valid();
    c.weights[0].above_scale_firms = 0.0;
    let err = run(&c).unwrap_err();
    assert!(
        matches!(&err, ExposureError::ZeroProvinceWeight { province, weight: "above_scale_firms", .. } if province == "31"),
        "{err}"
    );
}

#[test]
fn city_without_province() {
    let mut c = valid();
    c.weights.push(weight("440300", 2015, 3.0, 3.0));
    let err = run(&c).unwrap_err();
    assert_eq!(
        err,
        ExposureError::CityWithoutProvince {
            city_code: "440300".into(),
            province: "44".into(),
            year: 2015
        }
    );
    // Employment for the province in another year only does not count.
    let mut c = valid();
    c.employment.push(emp("44", 2016, "automotive", 1.0));
    c.stocks.push(stock("29", 2016, 1.0));
    c.weights.push(weight("440300", 2015, 3.0, 3.0));
    assert!(matches!(
        run(&c).unwrap_err(),
        ExposureError::CityWithoutProvince { .. }
    ));
}

#[test]
fn group_with_robots_but_no_national_employment() {
    let mut c = valid();
    c.stocks.push(stock("24", 2015, 7.0));
    let err = run(&c).unwrap_err();
    assert!(
        matches!(&err, ExposureError::ZeroNationalEmployment { group, year: 2015, robots, .. } if group == "basic_metals" && *robots == 7.0),
        "{err}"
    );
    // Explicit zero employment rows: the same error.
    c.employment.push(emp("31", 2015, "basic_metals", 0.0));
    assert!(matches!(
        run(&c).unwrap_err(),
        ExposureError::ZeroNationalEmployment { .. }
    ));
    // Zero robots and zero employment is fine: the group contributes nothing.
    let mut c = valid();
    c.stocks.push(stock("24", 2015, 0.0));
    assert!(run(&c).is_ok());
}

#[test]
fn non_finite_or_negative_numbers() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0] {
        let mut c = valid();
        c.stocks[0].units = bad;
        let err = run(&c).unwrap_err();
        assert!(
            matches!(&err, ExposureError::InvalidNumber { field: "units", key, .. } if key.contains("29") && key.contains("2015")),
            "{err}"
        );
        let mut c = valid();
        c.employment[1].employees = bad;
        let err = run(&c).unwrap_err();
        assert!(
            matches!(&err, ExposureError::InvalidNumber { field: "employees", key, .. } if key.contains("food_beverage")),
            "{err}"
        );
        let mut c = valid();
        c.weights[2].mfg_employment = bad;
        let err = run(&c).unwrap_err();
        assert!(
            matches!(&err, ExposureError::InvalidNumber { field: "mfg_employment", key, .. } if key.contains("320200")),
            "{err}"
        );
        let mut c = valid();
        c.weights[2].above_scale_firms = bad;
        assert!(matches!(
            run(&c).unwrap_err(),
            ExposureError::InvalidNumber {
                field: "above_scale_firms",
                ..
            }
        ));
    }
}

#[test]
fn duplicates_codes_and_missing_years() {
    let mut c = valid();
    c.stocks.push(stock("29", 2015, 1.0));
    assert!(matches!(
        run(&c).unwrap_err(),
        ExposureError::DuplicateKey { .. }
    ));
    let mut c = valid();
    c.employment.push(emp("31", 2015, "automotive", 1.0));
    assert!(matches!(
        run(&c).unwrap_err(),
        ExposureError::DuplicateKey { .. }
    ));
    let mut c = valid();
    c.weights.push(weight("320100", 2015, 1.0, 1.0));
    let err = run(&c).unwrap_err();
    assert!(err.to_string().contains("320100"), "{err}");
    let mut c = valid();
    c.concordance.push(c.concordance[0].clone());
    assert!(matches!(
        run(&c).unwrap_err(),
        ExposureError::DuplicateKey { .. }
    ));
    let mut c = valid();
    c.concordance[0].group = "food".into();
    assert!(matches!(
        run(&c).unwrap_err(),
        ExposureError::UnknownGroup { .. }
    ));

    let mut c = valid();
    c.weights[0].city_code = "3101".into();
    c.weights[0].province = "31".into();
    assert!(matches!(
        run(&c).unwrap_err(),
        ExposureError::InvalidCode { .. }
    ));
    let mut c = valid();
    c.weights[0].province = "32".into();
    assert!(matches!(
        run(&c).unwrap_err(),
        ExposureError::InvalidCode { .. }
    ));
    let mut c = valid();
    c.employment[0].province = "3".into();
    assert!(matches!(
        run(&c).unwrap_err(),
        ExposureError::InvalidCode { .. }
    ));

    let mut c = valid();
    c.weights.push(weight("310100", 2016, 1.0, 1.0));
    c.employment.push(emp("31", 2016, "automotive", 1.0));
    let err = run(&c).unwrap_err();
    assert!(
        matches!(&err, ExposureError::MissingIfrYear { year: 2016, needed_by } if needed_by.contains("310100")),
        "{err}"
    );
    assert!(matches!(
        "gbt1994".parse::<Classification>().unwrap_err(),
        ExposureError::UnknownClassification(_)
    ));
}
