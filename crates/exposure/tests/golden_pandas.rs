//! Against an independent pandas implementation (oracles/exposure_oracle.py, pinned in
//! oracles/requirements.txt): 4 provinces, 6 years across the 2011/2012 break.

use robocarb_exposure::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct ExpectedGroup {
    year: i32,
    group: String,
    units: f64,
}

#[derive(Deserialize)]
struct Golden {
    concordance: Vec<ConcordanceRow>,
    stocks: Vec<IfrStock>,
    employment: Vec<ProvinceEmployment>,
    weights: Vec<CityWeight>,
    expected_groups: Vec<ExpectedGroup>,
    expected: Vec<CityExposure>,
}

fn rel_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn matches_pandas_oracle() {
    let golden: Golden = serde_json::from_str(include_str!("golden/exposure_pandas.json")).unwrap();
    let groups = group_stocks(&golden.stocks, &golden.concordance).unwrap();
    for e in &golden.expected_groups {
        let got = groups
            .iter()
            .find(|g| g.year == e.year && g.group == e.group)
            .map(|g| g.units);
        assert!(
            matches!(got, Some(u) if rel_close(u, e.units)),
            "{} {}: {got:?} vs {}",
            e.year,
            e.group,
            e.units
        );
    }
    let out = city_exposure(
        &golden.stocks,
        &golden.concordance,
        &golden.employment,
        &golden.weights,
    )
    .unwrap();
    assert_eq!(out.len(), golden.expected.len());
    for (got, want) in out.iter().zip(&golden.expected) {
        assert_eq!(
            (&got.city_code, got.year, &got.province),
            (&want.city_code, want.year, &want.province)
        );
        assert!(rel_close(got.robot, want.robot), "{got:?} vs {want:?}");
        assert!(rel_close(got.robot_r, want.robot_r), "{got:?} vs {want:?}");
        assert!(
            rel_close(got.province_robots, want.province_robots),
            "{got:?} vs {want:?}"
        );
    }
}
