//! Exposure for 2,850 city-level units x 30 years (target < 50 ms in release).

use robocarb_exposure::*;

fn main() {
    divan::main();
}

struct Inputs {
    stocks: Vec<IfrStock>,
    employment: Vec<ProvinceEmployment>,
    weights: Vec<CityWeight>,
    concordance: Vec<ConcordanceRow>,
}

/// 30 provinces, 95 units each (2,850), years 1995-2024; deterministic values.
fn inputs() -> Inputs {
    let concordance = default_concordance();
    let mut codes: Vec<String> = concordance.iter().map(|r| r.ifr_code.clone()).collect();
    codes.sort();
    codes.dedup();
    let (mut stocks, mut employment, mut weights) = (Vec::new(), Vec::new(), Vec::new());
    for year in 1995..2025 {
        for (k, code) in codes.iter().enumerate() {
            stocks.push(IfrStock {
                ifr_code: code.clone(),
                year,
                units: (k as f64 + 1.0) * f64::from(year - 1990),
            });
        }
        let c = Classification::for_year(year);
        for p in 0..30 {
            let province = format!("{}", 11 + p);
            for (g, group) in c.groups().iter().enumerate() {
                employment.push(ProvinceEmployment {
                    province: province.clone(),
                    year,
                    group: group.to_string(),
                    classification: c,
                    employees: 100.0 + ((p * 31 + g * 7) % 97) as f64,
                });
            }
            for u in 0..95 {
                weights.push(CityWeight {
                    city_code: format!("{province}{:04}", u + 1),
                    province: province.clone(),
                    year,
                    mfg_employment: 1.0 + ((u * 13 + p) % 101) as f64,
                    above_scale_firms: 1.0 + ((u * 7 + p) % 53) as f64,
                });
            }
        }
    }
    Inputs {
        stocks,
        employment,
        weights,
        concordance,
    }
}

#[divan::bench]
fn city_exposure_2850_units_30_years(bencher: divan::Bencher) {
    let inputs = inputs();
    assert_eq!(inputs.weights.len(), 2850 * 30);
    bencher.bench(|| {
        city_exposure(
            divan::black_box(&inputs.stocks),
            &inputs.concordance,
            &inputs.employment,
            &inputs.weights,
        )
    });
}
