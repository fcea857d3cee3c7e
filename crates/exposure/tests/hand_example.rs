//! A worked example computed by hand, the 2011/2012 classification break, and the
//! default concordance.

use robocarb_exposure::*;

fn row(code: &str, c: Classification, group: &str) -> ConcordanceRow {
    ConcordanceRow {
        ifr_code: code.into(),
        classification: c,
        group: group.into(),
    }
}

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

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

/// 2 provinces (11, 12) x 3 IFR industries (10-12 food; 29 and 30 both in
/// transport_equipment under GB/T 4754-2002) x 2 years (2010, 2011).
///
/// Group stocks:   2010: food 100, transport 600 + 300 = 900
///                 2011: food 200, transport 1000 + 500 = 1500
/// Employment:     2010: p11 food 30 transport 10; p12 food 70 transport 40
///                       national food 100, transport 50
///                 2011: p11 food 20 transport 60; p12 food 80 transport 40
///                       national food 100, transport 100
/// Province stocks 2010: R11 = 30/100*100 + 10/50*900 = 30 + 180 = 210
///                       R12 = 70/100*100 + 40/50*900 = 70 + 720 = 790   (sum 1000)
///                 2011: R11 = 20/100*200 + 60/100*1500 = 40 + 900 = 940
///                       R12 = 80/100*200 + 40/100*1500 = 160 + 600 = 760 (sum 1700)
/// Cities (mfg, firms): 2010: 110100 (300, 10), 110200 (100, 30), 120100 (50, 5)
///                      2011: 110100 (200, 20), 110200 (200, 60), 120100 (80, 8)
/// ROBOT (thousand):    2010: 110100 300/400*210 = 157.5 -> 0.1575; 110200 100/400*210 = 52.5 -> 0.0525
///                            120100 790 -> 0.79
///                      2011: 110100 200/400*940 = 470 -> 0.47; 110200 -> 0.47; 120100 760 -> 0.76
/// ROBOT_R (thousand):  2010: 110100 10/40*210 = 52.5 -> 0.0525; 110200 30/40*210 = 157.5 -> 0.1575
///                            120100 -> 0.79
///                      2011: 110100 20/80*940 = 235 -> 0.235; 110200 60/80*940 = 705 -> 0.705
///                            120100 -> 0.76
#[test]
fn hand_computed_example_matches() {
    let g = Classification::Gbt2002;
    let concordance = vec![
        row("10-12", g, "food_beverage"),
        row("29", g, "transport_equipment"),
        row("30", g, "transport_equipment"),
    ];
    let stocks = vec![
        stock("10-12", 2010, 100.0),
        stock("29", 2010, 600.0),
        stock("30", 2010, 300.0),
        stock("10-12", 2011, 200.0),
        stock("29", 2011, 1000.0),
        stock("30", 2011, 500.0),
    ];
    let employment = vec![
        emp("11", 2010, "food_beverage", 30.0),
        emp("11", 2010, "transport_equipment", 10.0),
        emp("12", 2010, "food_beverage", 70.0),
        emp("12", 2010, "transport_equipment", 40.0),
        emp("11", 2011, "food_beverage", 20.0),
        emp("11", 2011, "transport_equipment", 60.0),
        emp("12", 2011, "food_beverage", 80.0),
        emp("12", 2011, "transport_equipment", 40.0),
    ];
    // Given out of order on purpose: the output must be sorted by (city_code, year).
    let weights = vec![
        weight("120100", 2011, 80.0, 8.0),
        weight("110100", 2011, 200.0, 20.0),
        weight("110200", 2010, 100.0, 30.0),
        weight("110100", 2010, 300.0, 10.0),
        weight("110200", 2011, 200.0, 60.0),
        weight("120100", 2010, 50.0, 5.0),
    ];

    let groups = group_stocks(&stocks, &concordance).unwrap();
    let get = |year: i32, group: &str| {
        groups
            .iter()
            .find(|s| s.year == year && s.group == group)
            .map(|s| s.units)
    };
    assert_eq!(groups.len(), 2 * GBT2002_GROUPS.len());
    assert_eq!(get(2010, "food_beverage"), Some(100.0));
    assert_eq!(get(2010, "transport_equipment"), Some(900.0));
    assert_eq!(get(2011, "transport_equipment"), Some(1500.0));
    assert_eq!(get(2011, "chemicals"), Some(0.0));

    let provinces = province_stocks(&stocks, &concordance, &employment).unwrap();
    let expected_p = [
        ("11", 2010, 210.0),
        ("11", 2011, 940.0),
        ("12", 2010, 790.0),
        ("12", 2011, 760.0),
    ];
    assert_eq!(provinces.len(), 4);
    for (p, (code, year, units)) in provinces.iter().zip(expected_p) {
        assert_eq!((p.province.as_str(), p.year), (code, year));
        assert!(close(p.units, units), "{p:?} vs {units}");
    }

    let out = city_exposure(&stocks, &concordance, &employment, &weights).unwrap();
    let expected = [
        ("110100", 2010, 0.1575, 0.0525, 210.0),
        ("110100", 2011, 0.47, 0.235, 940.0),
        ("110200", 2010, 0.0525, 0.1575, 210.0),
        ("110200", 2011, 0.47, 0.705, 940.0),
        ("120100", 2010, 0.79, 0.79, 790.0),
        ("120100", 2011, 0.76, 0.76, 760.0),
    ];
    assert_eq!(out.len(), expected.len());
    for (c, (code, year, robot, robot_r, prov)) in out.iter().zip(expected) {
        assert_eq!((c.city_code.as_str(), c.year), (code, year));
        assert_eq!(c.province, &code[..2]);
        assert!(close(c.robot, robot), "{c:?} robot vs {robot}");
        assert!(close(c.robot_r, robot_r), "{c:?} robot_r vs {robot_r}");
        assert!(close(c.province_robots, prov), "{c:?} province vs {prov}");
    }
}

/// Automotive (IFR 29) and other vehicles (IFR 30) are one group, transport_equipment,
/// through 2011 and two groups, automotive and other_transport, from 2012.
#[test]
fn classification_break_2011_2012() {
    assert_eq!(Classification::for_year(2011), Classification::Gbt2002);
    assert_eq!(Classification::for_year(2012), Classification::Gbt2011);
    let concordance = default_concordance();
    let stocks = vec![
        stock("29", 2011, 1000.0),
        stock("30", 2011, 50.0),
        stock("26-27", 2011, 400.0),
        stock("29", 2012, 1200.0),
        stock("30", 2012, 60.0),
        stock("26-27", 2012, 500.0),
    ];
    let groups = group_stocks(&stocks, &concordance).unwrap();
    let in_year = |y: i32| {
        groups
            .iter()
            .filter(move |s| s.year == y)
            .collect::<Vec<_>>()
    };
    let y2011 = in_year(2011);
    let y2012 = in_year(2012);
    assert_eq!(y2011.len(), 13);
    assert_eq!(y2012.len(), 14);
    assert!(y2011
        .iter()
        .all(|s| s.classification == Classification::Gbt2002));
    assert!(y2012
        .iter()
        .all(|s| s.classification == Classification::Gbt2011));
    let names: Vec<&str> = y2011.iter().map(|s| s.group.as_str()).collect();
    assert_eq!(names, GBT2002_GROUPS);
    let names: Vec<&str> = y2012.iter().map(|s| s.group.as_str()).collect();
    assert_eq!(names, GBT2011_GROUPS);
    let units = |v: &[&GroupStock], g: &str| v.iter().find(|s| s.group == g).map(|s| s.units);
    assert_eq!(units(&y2011, "transport_equipment"), Some(1050.0));
    assert_eq!(units(&y2011, "automotive"), None);
    assert_eq!(units(&y2012, "automotive"), Some(1200.0));
    assert_eq!(units(&y2012, "other_transport"), Some(60.0));
    assert_eq!(units(&y2012, "transport_equipment"), None);
    assert_eq!(units(&y2012, "electrical_electronics"), Some(500.0));

    // Shift-share across the break: province 31 holds all automotive jobs from 2012,
    // province 44 all other-transport jobs; in 2011 the merged group is shared 3:1.
    let employment = vec![
        emp("31", 2011, "transport_equipment", 300.0),
        emp("44", 2011, "transport_equipment", 100.0),
        emp("31", 2011, "electrical_electronics", 1.0),
        emp("44", 2011, "electrical_electronics", 1.0),
        emp("31", 2012, "automotive", 300.0),
        emp("44", 2012, "other_transport", 100.0),
        emp("31", 2012, "electrical_electronics", 1.0),
        emp("44", 2012, "electrical_electronics", 1.0),
    ];
    let p = province_stocks(&stocks, &concordance, &employment).unwrap();
    let at = |prov: &str, y: i32| {
        p.iter()
            .find(|s| s.province == prov && s.year == y)
            .map(|s| s.units)
    };
    // 2011: 31 = 3/4*1050 + 1/2*400 = 787.5 + 200; 44 = 1/4*1050 + 200
    assert!(close(at("31", 2011).unwrap(), 987.5));
    assert!(close(at("44", 2011).unwrap(), 462.5));
    // 2012: 31 = 1200 + 250; 44 = 60 + 250
    assert!(close(at("31", 2012).unwrap(), 1450.0));
    assert!(close(at("44", 2012).unwrap(), 310.0));

    // Employment labelled with the wrong regime for its year is an error.
    let mut wrong = employment.clone();
    wrong[0].classification = Classification::Gbt2011;
    wrong[0].group = "automotive".into();
    let err = province_stocks(&stocks, &concordance, &wrong).unwrap_err();
    assert!(
        matches!(
            err,
            ExposureError::ClassificationMismatch { year: 2011, .. }
        ),
        "{err}"
    );
    // A GB/T 4754-2011 group name in a 2011 row is unknown to that regime.
    let mut wrong = employment.clone();
    wrong[0].group = "automotive".into();
    let err = province_stocks(&stocks, &concordance, &wrong).unwrap_err();
    assert!(matches!(err, ExposureError::UnknownGroup { .. }), "{err}");
    assert!(err.to_string().contains("automotive"));
}

#[test]
fn default_concordance_is_complete_and_consistent() {
    let rows = parse_concordance_csv(DEFAULT_CONCORDANCE_CSV).unwrap();
    assert_eq!(rows, default_concordance());
    for c in [Classification::Gbt2002, Classification::Gbt2011] {
        let mapped: std::collections::BTreeSet<&str> = rows
            .iter()
            .filter(|r| r.classification == c && r.group != EXCLUDED_GROUP)
            .map(|r| r.group.as_str())
            .collect();
        // Every group of the regime receives at least one IFR industry.
        let all: std::collections::BTreeSet<&str> = c.groups().iter().copied().collect();
        assert_eq!(mapped, all, "{c}");
    }
    // Same IFR codes in both regimes; only 29 and 30 map differently.
    let codes = |c: Classification| {
        rows.iter()
            .filter(|r| r.classification == c)
            .map(|r| (r.ifr_code.clone(), r.group.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let (a, b) = (
        codes(Classification::Gbt2002),
        codes(Classification::Gbt2011),
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    let differing: Vec<&String> = a.keys().filter(|k| a[*k] != b[*k]).collect();
    assert_eq!(differing, ["29", "30"]);
    // Every listed code goes through the computation (no error), aggregates are skipped.
    let stocks: Vec<IfrStock> = a.keys().map(|k| stock(k, 2019, 1.0)).collect();
    let groups = group_stocks(&stocks, &rows).unwrap();
    let total: f64 = groups.iter().map(|s| s.units).sum();
    let leaves = a.values().filter(|g| g.as_str() != EXCLUDED_GROUP).count();
    assert_eq!(total, leaves as f64);
}

#[test]
fn parse_concordance_rejects_bad_text() {
    let err = parse_concordance_csv("code,name\n").unwrap_err();
    assert!(
        matches!(err, ExposureError::ConcordanceParse { line: 1, .. }),
        "{err}"
    );
    let err = parse_concordance_csv("ifr_code,ifr_name,classification,group\n29,Auto,gbt1994,x\n")
        .unwrap_err();
    assert!(
        matches!(err, ExposureError::ConcordanceParse { line: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("gbt1994"));
    let err = parse_concordance_csv("ifr_code,ifr_name,classification,group\n29,Auto,gbt2011\n")
        .unwrap_err();
    assert!(
        matches!(err, ExposureError::ConcordanceParse { line: 2, .. }),
        "{err}"
    );
}
