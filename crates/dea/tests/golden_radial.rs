//! Golden tests of the radial Malmquist index (`src/radial.rs`) against DEAPack 2.0.1
//! (`MalmquistProductivityIndex`, `FGNZEnhancedMalmquist`, `RayDesliMalmquist`) and hand-written
//! scipy/HiGHS LPs, stored in `tests/golden/radial_golden.json` by
//! `oracles/make_golden_radial.py`. Agreement: 1e-6 relative (values near 1: absolute).
//!
//! Textbook example, period 0 -> 1 (two inputs, one output; CRS, either orientation, since with
//! one output and CRS input and output Farrell efficiencies coincide):
//!
//! | unit | x (t=0) | y (t=0) | x (t=1) | y (t=1) |
//! |------|---------|---------|---------|---------|
//! | A    | (2, 2)  | 1       | (2, 2)  | 2       |
//! | D    | (4, 4)  | 1       | (4, 4)  | 1       |
//!
//! Worked by hand: in period 0 the frontier through A, B=(4,1), C=(1,4) at y = 1 has A on it, so
//! `E^0(A_0) = 1`, and D = 2 x A gives `E^0(D_0) = 0.5`. In period 1 A produces 2 from (2, 2),
//! so per unit of output it needs (1, 1): `E^1(A_1) = 1`, `E^1(A_0) = 0.5`, `E^0(A_1) = 2`
//! (A_1 lies beyond the period-0 frontier), hence `M_A = sqrt(2/1 x 1/0.5) = 2`, `EC = 1`,
//! `TC = 2`. D: `E^1(D_1) = 1 x (1,1)/(4,4) = 0.25`, `E^0(D_1) = 0.5`, so `M_D = sqrt(0.5/0.5 x
//! 0.25/0.25) = 1`, `EC = 0.5`, `TC = 2`.

use robocarb_dea::{radial_malmquist, DeaData, Orientation, Returns};
use serde_json::Value;

mod common;
use common::*;

fn golden() -> Value {
    read_golden("radial_golden.json")
}

fn dataset(g: &Value, name: &str) -> Vec<DeaData> {
    g["datasets"][name]
        .as_array()
        .expect("periods")
        .iter()
        .map(|p| {
            let inputs = matrix(&p["inputs"]);
            let n = inputs.len();
            DeaData {
                inputs,
                good: matrix(&p["good"]),
                bad: vec![Vec::new(); n],
            }
        })
        .collect()
}

fn run(name: &str) -> usize {
    let g = golden();
    let periods = dataset(&g, name);
    let mut n = 0;
    let mut models = std::collections::BTreeSet::new();
    for case in g["cases"].as_array().expect("cases") {
        if case["dataset"].as_str() != Some(name) {
            continue;
        }
        let model = case["model"].as_str().unwrap_or("");
        models.insert(model.to_string());
        n += check_radial_case(case, &periods);
    }
    assert_eq!(models.len(), 4, "{name}: all four case kinds present");
    n
}

#[test]
fn textbook_by_hand() {
    let g = golden();
    let periods = dataset(&g, "textbook");
    for orientation in [Orientation::Input, Orientation::Output] {
        let r = radial_malmquist(&periods, Returns::Crs, orientation, None).expect("index");
        let a = &r.pairs[0][0];
        let d = &r.pairs[0][3];
        let v = |x: Option<f64>| x.expect("defined");
        assert!((v(a.m) - 2.0).abs() < 1e-12 && (v(a.ec) - 1.0).abs() < 1e-12);
        assert!((v(a.tc) - 2.0).abs() < 1e-12);
        assert!((v(a.d_f0_d1.value) - 2.0).abs() < 1e-12);
        assert!((v(a.d_f1_d0.value) - 0.5).abs() < 1e-12);
        assert!((v(d.m) - 1.0).abs() < 1e-12 && (v(d.ec) - 0.5).abs() < 1e-12);
        assert!((v(d.tc) - 2.0).abs() < 1e-12);
        assert!((v(d.d_f1_d1.value) - 0.25).abs() < 1e-12);
    }
}

#[test]
fn golden_radial_textbook() {
    assert!(run("textbook") > 150);
}

#[test]
fn golden_radial_random_50x3() {
    assert!(run("random50x3") > 3000);
}
