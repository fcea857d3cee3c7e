//! Adding-up properties on random inputs: city stocks sum to the province stock,
//! province stocks sum to the national stock of the matched IFR industries, in
//! every year, to 1e-9 relative; and the result does not depend on input order.

use std::collections::BTreeMap;

use proptest::prelude::*;
use robocarb_exposure::*;

/// splitmix64: the random inputs are a function of the proptest-drawn seed.
struct Draw(u64);
impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Positive with wide dynamic range, zero with probability `p_zero`.
    fn amount(&mut self, p_zero: f64) -> f64 {
        if self.unit() < p_zero {
            0.0
        } else {
            10f64.powf(6.0 * self.unit() - 1.0)
        }
    }
}

struct Inputs {
    stocks: Vec<IfrStock>,
    employment: Vec<ProvinceEmployment>,
    weights: Vec<CityWeight>,
}

fn generate(seed: u64, n_provinces: usize, first_year: i32, n_years: i32) -> Inputs {
    let mut d = Draw(seed);
    let concordance = default_concordance();
    let mut codes: Vec<String> = concordance.iter().map(|r| r.ifr_code.clone()).collect();
    codes.sort();
    codes.dedup();
    let provinces: Vec<String> = (0..n_provinces).map(|p| format!("{}", 11 + p)).collect();
    let mut stocks = Vec::new();
    let mut employment = Vec::new();
    let mut weights = Vec::new();
    for year in first_year..first_year + n_years {
        for code in &codes {
            if d.unit() < 0.9 {
                stocks.push(IfrStock {
                    ifr_code: code.clone(),
                    year,
                    units: d.amount(0.2),
                });
            }
        }
        let c = Classification::for_year(year);
        for (pi, p) in provinces.iter().enumerate() {
            for group in c.groups() {
                // Province 0 always employs someone in every group, so every
                // group with robots can be apportioned.
                let employees = d.amount(0.3) + if pi == 0 { 1.0 } else { 0.0 };
                employment.push(ProvinceEmployment {
                    province: p.clone(),
                    year,
                    group: group.to_string(),
                    classification: c,
                    employees,
                });
            }
            let n_cities = 1 + (d.next() % 5) as usize;
            for ci in 0..n_cities {
                // The first city keeps both weights positive so the province total is.
                let bump = if ci == 0 { 1.0 } else { 0.0 };
                weights.push(CityWeight {
                    city_code: format!("{p}{:02}00", ci + 1),
                    province: p.clone(),
                    year,
                    mfg_employment: d.amount(0.2) + bump,
                    above_scale_firms: (d.amount(0.2) + bump).round().max(1.0),
                });
            }
        }
    }
    Inputs {
        stocks,
        employment,
        weights,
    }
}

fn rel_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn stocks_add_up(seed in any::<u64>(), n_provinces in 1usize..6, first_year in 2008i32..2013, n_years in 1i32..6) {
        let inputs = generate(seed, n_provinces, first_year, n_years);
        let concordance = default_concordance();
        let out = city_exposure(&inputs.stocks, &concordance, &inputs.employment, &inputs.weights).unwrap();
        prop_assert_eq!(out.len(), inputs.weights.len());

        // National stock of matched industries by year.
        let excluded: std::collections::BTreeSet<(Classification, &str)> = concordance
            .iter()
            .filter(|r| r.group == EXCLUDED_GROUP)
            .map(|r| (r.classification, r.ifr_code.as_str()))
            .collect();
        let mut national: BTreeMap<i32, f64> = BTreeMap::new();
        for s in &inputs.stocks {
            if !excluded.contains(&(Classification::for_year(s.year), s.ifr_code.as_str())) {
                *national.entry(s.year).or_default() += s.units;
            }
        }
        let groups = group_stocks(&inputs.stocks, &concordance).unwrap();
        let provinces = province_stocks(&inputs.stocks, &concordance, &inputs.employment).unwrap();
        for (year, total) in &national {
            let g: f64 = groups.iter().filter(|s| s.year == *year).map(|s| s.units).sum();
            prop_assert!(rel_close(g, *total), "groups {} vs national {} in {}", g, total, year);
            let p: f64 = provinces.iter().filter(|s| s.year == *year).map(|s| s.units).sum();
            prop_assert!(rel_close(p, *total), "provinces {} vs national {} in {}", p, total, year);
        }

        // City stocks (back in units) add up to their province's stock, both weights.
        let mut by_province: BTreeMap<(String, i32), (f64, f64, f64)> = BTreeMap::new();
        for c in &out {
            prop_assert!(c.robot.is_finite() && c.robot >= 0.0);
            prop_assert!(c.robot_r.is_finite() && c.robot_r >= 0.0);
            let e = by_province.entry((c.province.clone(), c.year)).or_insert((0.0, 0.0, c.province_robots));
            e.0 += c.robot * 1000.0;
            e.1 += c.robot_r * 1000.0;
            prop_assert_eq!(e.2, c.province_robots);
        }
        for ((p, year), (robot, robot_r, province_robots)) in &by_province {
            let expected = provinces.iter().find(|s| &s.province == p && s.year == *year).map(|s| s.units);
            prop_assert_eq!(expected, Some(*province_robots));
            prop_assert!(rel_close(*robot, *province_robots), "ROBOT {} vs {} ({}, {})", robot, province_robots, p, year);
            prop_assert!(rel_close(*robot_r, *province_robots), "ROBOT_R {} vs {} ({}, {})", robot_r, province_robots, p, year);
        }

        // Sorted by (city_code, year), and independent of the input order.
        prop_assert!(out.windows(2).all(|w| (&w[0].city_code, w[0].year) < (&w[1].city_code, w[1].year)));
        let mut reversed = inputs;
        reversed.stocks.reverse();
        reversed.employment.reverse();
        reversed.weights.reverse();
        let again = city_exposure(&reversed.stocks, &concordance, &reversed.employment, &reversed.weights).unwrap();
        prop_assert_eq!(out, again);
    }
}
