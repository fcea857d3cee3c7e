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

use robocarb_dea::{
    radial_malmquist, radial_malmquist_decomposition, DeaData, Orientation, ProgramStatus,
    RadialScore, Returns,
};
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

fn check_distance(ours: &RadialScore, oracle: &Value, what: &str) -> usize {
    if oracle.is_null() {
        assert_eq!(
            ours.status,
            ProgramStatus::Infeasible,
            "{what}: oracle infeasible"
        );
    } else {
        assert_eq!(ours.status, ProgramStatus::Optimal, "{what}");
    }
    check_opt(ours.value, oracle, what)
}

fn check_malmquist(case: &Value, periods: &[DeaData], deapack: bool) -> usize {
    let (orientation, returns) = (orientation_of(case), returns_of(case));
    let label = format!(
        "{} {} {orientation:?} {returns:?}",
        case["dataset"].as_str().unwrap_or("?"),
        case["source"].as_str().unwrap_or("?")
    );
    let r = radial_malmquist(periods, returns, orientation, None).expect("radial Malmquist");
    let mut n = 0;
    if !deapack {
        for (t, row) in case["own"].as_array().expect("own").iter().enumerate() {
            for (j, v) in row.as_array().expect("row").iter().enumerate() {
                n += check_distance(&r.own[t][j], v, &format!("{label} own t={t} j={j}"));
                // Against its own period a unit is in the reference set: E <= 1.
                assert!(r.own[t][j].value.expect("own feasible") <= 1.0 + 1e-9);
            }
        }
    }
    for (p, row) in case["pairs"].as_array().expect("pairs").iter().enumerate() {
        for (j, expected) in row.as_array().expect("pair row").iter().enumerate() {
            let ours = &r.pairs[p][j];
            let what = format!("{label} pair {p} unit {j}");
            if deapack {
                let d = &case["distances"][p][j];
                let mine = [ours.d_f0_d0, ours.d_f0_d1, ours.d_f1_d0, ours.d_f1_d1];
                for (k, s) in mine.iter().enumerate() {
                    let status = case["statuses"][p][j][k].as_str().unwrap_or("");
                    assert_eq!(
                        s.status == ProgramStatus::Infeasible,
                        status == "infeasible",
                        "{what} role {k}: DEAPack status {status}"
                    );
                    n += check_distance(s, &d[k], &format!("{what} role {k}"));
                }
            } else {
                n += check_distance(
                    &ours.d_f0_d1,
                    &case["cross_f0_d1"][p][j],
                    &format!("{what} f0d1"),
                );
                n += check_distance(
                    &ours.d_f1_d0,
                    &case["cross_f1_d0"][p][j],
                    &format!("{what} f1d0"),
                );
            }
            match expected.as_array() {
                Some(vals) => {
                    for (k, (a, b)) in [ours.m, ours.ec, ours.tc].iter().zip(vals).enumerate() {
                        n += check_opt(*a, b, &format!("{what} index {k}"));
                    }
                    assert!(!ours.infeasible);
                }
                None => {
                    assert!(
                        ours.infeasible && ours.m.is_none(),
                        "{what}: must be flagged"
                    );
                    n += 1;
                }
            }
        }
    }
    n
}

fn check_decomposition_highs(case: &Value, periods: &[DeaData]) -> usize {
    let orientation = orientation_of(case);
    let rows = radial_malmquist_decomposition(periods, orientation, None).expect("decomposition");
    let mut n = 0;
    for (p, row) in case["pairs"].as_array().expect("pairs").iter().enumerate() {
        for (j, e) in row.as_array().expect("row").iter().enumerate() {
            let r = &rows[p][j];
            let what = format!("highs decomposition {orientation:?} pair {p} unit {j}");
            n += check_opt(r.pec, &e[0], &format!("{what} PEC"));
            n += check_opt(r.sec, &e[1], &format!("{what} SEC"));
            n += check_opt(r.vrs_tc, &e[2], &format!("{what} TC_vrs"));
            n += check_opt(r.rd_scale_change, &e[3], &format!("{what} SC_rd"));
            // The identities hold whenever the parts are defined.
            let (m, ec, tc) = (
                r.crs.m.expect("CRS index"),
                r.crs.ec.expect("EC"),
                r.crs.tc.expect("TC"),
            );
            let (pec, sec) = (r.pec.expect("PEC"), r.sec.expect("SEC"));
            assert!((ec - pec * sec).abs() <= 1e-12 * ec.max(1.0), "{what}: EC");
            assert!((m - pec * sec * tc).abs() <= 1e-12 * m.max(1.0), "{what}");
            if let (Some(tv), Some(sc)) = (r.vrs_tc, r.rd_scale_change) {
                assert!(
                    (m - pec * tv * sc).abs() <= 1e-12 * m.max(1.0),
                    "{what}: RD"
                );
            }
        }
    }
    n
}

fn check_decomposition_deapack(case: &Value, periods: &[DeaData]) -> usize {
    let rows =
        radial_malmquist_decomposition(periods, Orientation::Output, None).expect("decomposition");
    let mut n = 0;
    for (p, row) in case["pairs"].as_array().expect("pairs").iter().enumerate() {
        for (j, e) in row.as_array().expect("row").iter().enumerate() {
            let r = &rows[p][j];
            let what = format!("DEAPack decomposition pair {p} unit {j}");
            n += check_opt(r.crs.m, &e["m"], &format!("{what} M"));
            n += check_opt(r.crs.ec, &e["ec"], &format!("{what} EC"));
            n += check_opt(r.crs.tc, &e["tc"], &format!("{what} TC"));
            n += check_opt(r.pec, &e["pec"], &format!("{what} PEC"));
            n += check_opt(r.sec, &e["sec"], &format!("{what} SEC"));
            n += check_opt(r.crs.m, &e["rd_m"], &format!("{what} RD M"));
            n += check_opt(r.pec, &e["rd_pec"], &format!("{what} RD PEC"));
            n += check_opt(r.vrs_tc, &e["vrs_tc"], &format!("{what} TC_vrs"));
            n += check_opt(r.rd_scale_change, &e["rd_sc"], &format!("{what} SC_rd"));
            let cross_infeasible = e["rd_status"].as_str() == Some("vrs_cross_infeasible");
            assert_eq!(r.vrs.infeasible, cross_infeasible, "{what}: VRS status");
        }
    }
    n
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
        n += match model {
            "radial_malmquist_highs" => check_malmquist(case, &periods, false),
            "radial_malmquist" => check_malmquist(case, &periods, true),
            "radial_decomposition_highs" => check_decomposition_highs(case, &periods),
            "radial_decomposition" => check_decomposition_deapack(case, &periods),
            other => panic!("unknown model {other}"),
        };
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
