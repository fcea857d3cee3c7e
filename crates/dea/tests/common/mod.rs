//! Helpers shared by the golden tests: reading the JSON files the oracle scripts write, and the
//! comparison rule (1e-6 relative, absolute below 1).

// Each test crate uses its own subset.
#![allow(dead_code)]

use robocarb_dea::{
    radial_malmquist, radial_malmquist_decomposition, DeaData, Orientation, ProgramStatus,
    RadialScore, Returns, Score, ScoreKind,
};
use serde_json::Value;

pub const TOL: f64 = 1e-6;

/// Parses `tests/golden/{name}` (found from the runtime CARGO_MANIFEST_DIR, see crates/cli tests).
pub fn read_golden(name: &str) -> Value {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let text = std::fs::read_to_string(format!("{dir}/tests/golden/{name}"))
        .unwrap_or_else(|e| panic!("golden file {name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("golden file {name} parses: {e}"))
}

/// A JSON array of arrays of numbers.
pub fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .map(|x| x.as_f64().expect("number"))
                .collect()
        })
        .collect()
}

/// `|a - b| <= 1e-6 max(|b|, 1)`.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOL * b.abs().max(1.0)
}

pub fn returns_of(case: &Value) -> Returns {
    match case["returns"].as_str() {
        Some("crs") => Returns::Crs,
        Some("vrs") => Returns::Vrs,
        other => panic!("returns {other:?}"),
    }
}

pub fn orientation_of(case: &Value) -> Orientation {
    match case["orientation"].as_str() {
        Some("input") => Orientation::Input,
        Some("output") => Orientation::Output,
        other => panic!("orientation {other:?}"),
    }
}

/// Compares an optional value with a JSON number or null; returns 1 (one comparison).
pub fn check_opt(ours: Option<f64>, oracle: &Value, what: &str) -> usize {
    match (ours, oracle.as_f64()) {
        (Some(a), Some(b)) => assert!(close(a, b), "{what}: ours {a}, oracle {b}"),
        (None, None) => {}
        (a, b) => panic!("{what}: ours {a:?}, oracle {b:?}"),
    }
    1
}

/// DEAPack's status of distance `k` of a unit-pair: a list of words (`"infeasible"`, ...) or,
/// in the default-panel golden, one letter per distance (`'i'` infeasible, `'o'` optimal).
pub fn deapack_infeasible(statuses: &Value, k: usize) -> bool {
    match statuses {
        Value::String(code) => code.chars().nth(k) == Some('i'),
        list => list[k].as_str() == Some("infeasible"),
    }
}

/// Checks one radial golden case (HiGHS or DEAPack index, HiGHS or DEAPack decomposition) on
/// `periods`; returns the number of comparisons.
pub fn check_radial_case(case: &Value, periods: &[DeaData]) -> usize {
    match case["model"].as_str().unwrap_or("") {
        "radial_malmquist_highs" => check_malmquist(case, periods, false),
        "radial_malmquist" => check_malmquist(case, periods, true),
        "radial_decomposition_highs" => check_decomposition_highs(case, periods),
        "radial_decomposition" => check_decomposition_deapack(case, periods),
        other => panic!("unknown model {other}"),
    }
}

pub fn check_distance(ours: &RadialScore, oracle: &Value, what: &str) -> usize {
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

pub fn check_malmquist(case: &Value, periods: &[DeaData], deapack: bool) -> usize {
    let (orientation, returns) = (orientation_of(case), returns_of(case));
    let label = format!(
        "{} {} {orientation:?} {returns:?}",
        case["dataset"].as_str().unwrap_or("default panel"),
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
                    let infeasible = deapack_infeasible(&case["statuses"][p][j], k);
                    assert_eq!(
                        s.status == ProgramStatus::Infeasible,
                        infeasible,
                        "{what} role {k}: DEAPack infeasible {infeasible}"
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

pub fn check_decomposition_highs(case: &Value, periods: &[DeaData]) -> usize {
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

pub fn check_decomposition_deapack(case: &Value, periods: &[DeaData]) -> usize {
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

/// Compares a score with an oracle `[value|null, kind]`. Returns the number of comparisons.
pub fn check_score(ours: &Score, oracle: &Value, what: &str) -> usize {
    let expected = oracle[0].as_f64();
    match (ours.value, expected) {
        (Some(a), Some(b)) => {
            assert!(close(a, b), "{what}: ours {a}, oracle {b}");
            // The kind may legitimately differ only at the efficiency threshold.
            if (b - 1.0).abs() > 1e-7 {
                let kind = if ours.kind == ScoreKind::Super {
                    "super"
                } else {
                    "plain"
                };
                assert_eq!(kind, oracle[1].as_str().unwrap_or(""), "{what}: kind");
            }
        }
        (None, None) => assert!(ours.infeasible, "{what}: None value must be flagged"),
        (a, b) => panic!("{what}: ours {a:?}, oracle {b:?}"),
    }
    1
}
