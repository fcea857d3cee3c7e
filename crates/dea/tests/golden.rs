//! Golden tests: every score and index against independent implementations, stored in
//! `tests/golden/dea_golden.json` by `oracles/make_golden.py` (scipy/HiGHS hand-written LPs on the
//! raw data, and DEAPack). Agreement: 1e-6 relative (values near 1: absolute).
//!
//! The textbook example (period 0; two inputs, one good output = 1 for all, one bad output):
//!
//! | unit | x1 | x2 | y | b |
//! |------|----|----|---|---|
//! | A    | 2  | 2  | 1 | 1 |
//! | B    | 4  | 1  | 1 | 1 |
//! | C    | 1  | 4  | 1 | 1 |
//! | D    | 4  | 4  | 1 | 2 |
//! | E    | 3  | 2  | 1 | 1 |
//!
//! Worked by hand (CRS and VRS give the same here):
//! * E: every unit has y = 1 and the bad-output row forces `b_E = 1 >= B l`, while `y_E = 1 <= Y l`;
//!   among A, B, C (b = 1) that means `sum l = 1`, no output slack is possible, and the SBM
//!   becomes `1 - (1/2)(s1/3 + s2/2)` over the convex hull of their inputs below (3, 2). Minimising
//!   `x1/3 + x2/2` over the hull picks A (2/3 + 1 = 5/3 against 11/6 for B, 7/3 for C), so
//!   `s = (1, 0)` and `rho_E = 1 - (1/2)(1/3) = 5/6`.
//! * D: with `l_A = mu` (CRS), `mu in [1, 2]`: numerator `1 - (1/2)((4 - 2mu)/4 * 2) = mu/2`,
//!   denominator `1 + (1/2)((mu - 1)/1 + (2 - mu)/2) = 1 + mu/4`, ratio `2mu/(4 + mu)`, smallest at
//!   `mu = 1`: `rho_D = 2/5`. Other peers have larger input sums than A (5 vs 4), so 0.4 is the
//!   minimum; under VRS `mu = 1` is forced and the answer is the same.

use robocarb_dea::{
    frontier_scores, malmquist_luenberger, sbm_scores, DeaData, Frontier, MlResult, Returns,
    ScoreKind,
};
use serde_json::Value;

mod common;
use common::*;

fn golden() -> Value {
    read_golden("dea_golden.json")
}

fn dataset(g: &Value, name: &str) -> Vec<DeaData> {
    g["datasets"][name]
        .as_array()
        .expect("periods")
        .iter()
        .map(|p| DeaData {
            inputs: matrix(&p["inputs"]),
            good: matrix(&p["good"]),
            bad: matrix(&p["bad"]),
        })
        .collect()
}

fn check_ml_case(case: &Value, periods: &[DeaData]) -> usize {
    let returns = returns_of(case);
    let frontier = match case["frontier"].as_str() {
        Some("contemporaneous") => Frontier::Contemporaneous,
        Some("sequential") => Frontier::Sequential,
        Some("global") => Frontier::Global,
        other => panic!("frontier {other:?}"),
    };
    let label = format!(
        "{} {:?} {:?}",
        case["dataset"].as_str().unwrap_or("?"),
        returns,
        frontier
    );
    let result: MlResult =
        malmquist_luenberger(periods, returns, frontier, None).expect("ML computes");
    let mut n_checked = 0;
    for (t, row) in case["own"].as_array().expect("own").iter().enumerate() {
        for (j, s) in row.as_array().expect("own row").iter().enumerate() {
            n_checked += check_score(&result.own[t][j], s, &format!("{label} own t={t} j={j}"));
        }
    }
    for (p, row) in case["pairs"].as_array().expect("pairs").iter().enumerate() {
        for (j, expected) in row.as_array().expect("pair row").iter().enumerate() {
            let ours = &result.pairs[p][j];
            let what = format!("{label} pair {p} unit {j}");
            if frontier == Frontier::Global {
                let g = &case["global"];
                let g0 = ours.e_g_d0.as_ref().expect("global score");
                let g1 = ours.e_g_d1.as_ref().expect("global score");
                n_checked += check_score(g0, &g[p][j], &format!("{what} E^G(t-1)"));
                n_checked += check_score(g1, &g[p + 1][j], &format!("{what} E^G(t)"));
            } else {
                let c01 = ours.e_f0_d1.as_ref().expect("cross score");
                let c10 = ours.e_f1_d0.as_ref().expect("cross score");
                n_checked += check_score(c01, &case["cross_f0_d1"][p][j], &format!("{what} f0d1"));
                n_checked += check_score(c10, &case["cross_f1_d0"][p][j], &format!("{what} f1d0"));
            }
            match expected.as_array() {
                Some(vals) => {
                    let ours_vals = [ours.ml, ours.te, ours.tc, ours.tp];
                    for (k, (a, b)) in ours_vals.iter().zip(vals).enumerate() {
                        let a = a.unwrap_or_else(|| panic!("{what}: index {k} missing"));
                        let b = b.as_f64().expect("number");
                        assert!(close(a, b), "{what}: index {k} ours {a} oracle {b}");
                        n_checked += 1;
                    }
                }
                None => {
                    assert!(
                        ours.infeasible && ours.ml.is_none(),
                        "{what}: must be infeasible"
                    );
                    n_checked += 1;
                }
            }
        }
    }
    n_checked
}

fn pooled(periods: &[DeaData]) -> DeaData {
    let mut all = DeaData::default();
    for p in periods {
        all.inputs.extend(p.inputs.iter().cloned());
        all.good.extend(p.good.iter().cloned());
        all.bad.extend(p.bad.iter().cloned());
    }
    all
}

fn check_deapack_plain(case: &Value, periods: &[DeaData]) -> usize {
    let returns = returns_of(case);
    let expected = matrix(&case["scores"]);
    let mut n_checked = 0;
    let frontier = case["frontier"].as_str().unwrap_or("");
    let all = pooled(periods);
    for (t, period) in periods.iter().enumerate() {
        let sequential = pooled(&periods[..=t]);
        let reference = match frontier {
            "global" => &all,
            "sequential" => &sequential,
            _ => period,
        };
        let ours = sbm_scores(period, reference, returns, false, false, None).expect("scores");
        for (j, s) in ours.iter().enumerate() {
            let a = s.value.expect("plain SBM feasible: self in reference");
            let b = expected[t][j];
            assert!(
                close(a, b),
                "DEAPack plain {returns:?} {}: t={t} j={j} ours {a} DEAPack {b}",
                case["frontier"]
            );
            n_checked += 1;
        }
    }
    n_checked
}

fn check_deapack_super(case: &Value, periods: &[DeaData]) -> usize {
    let returns = returns_of(case);
    let p0 = DeaData {
        inputs: periods[0].inputs.clone(),
        good: periods[0].good.clone(),
        bad: vec![Vec::new(); periods[0].units()],
    };
    let ours = frontier_scores(&p0, returns, None).expect("scores");
    let expected = case["scores"].as_array().expect("scores");
    let mut n_checked = 0;
    let mut n_super = 0;
    for (j, (s, e)) in ours.iter().zip(expected).enumerate() {
        if let Some(flags) = case["sbm_efficient"].as_array() {
            let efficient = flags[j].as_bool().unwrap_or(false);
            assert_eq!(
                s.kind == ScoreKind::Super,
                efficient,
                "unit {j}: efficiency verdict"
            );
        }
        if s.kind == ScoreKind::Super {
            let b = e
                .as_f64()
                .expect("DEAPack super score for an efficient unit");
            let a = s.value.expect("super feasible");
            assert!(
                close(a, b),
                "DEAPack super {returns:?} j={j}: ours {a} DEAPack {b}"
            );
            n_super += 1;
        }
        n_checked += 1;
    }
    assert!(n_super >= 1, "the case must contain efficient units");
    n_checked
}

fn run_cases(dataset_name: &str) -> usize {
    let g = golden();
    let periods = dataset(&g, dataset_name);
    let mut n_checked = 0;
    let mut n_cases = 0;
    for case in g["cases"].as_array().expect("cases") {
        if case["dataset"].as_str() != Some(dataset_name) {
            continue;
        }
        n_cases += 1;
        n_checked += match case["model"].as_str() {
            Some("ml") => check_ml_case(case, &periods),
            Some("sbm_plain") => check_deapack_plain(case, &periods),
            Some("super_sbm_desirable_only") => check_deapack_super(case, &periods),
            other => panic!("unknown model {other:?}"),
        };
    }
    assert!(n_cases > 0, "no golden cases for {dataset_name}");
    n_checked
}

#[test]
fn textbook_by_hand() {
    let g = golden();
    let periods = dataset(&g, "textbook");
    for returns in [Returns::Crs, Returns::Vrs] {
        let s = frontier_scores(&periods[0], returns, None).expect("scores");
        let e = s[4].value.expect("E feasible");
        let d = s[3].value.expect("D feasible");
        assert!((e - 5.0 / 6.0).abs() < 1e-12, "rho_E = {e}");
        assert!((d - 0.4).abs() < 1e-12, "rho_D = {d}");
        let slacks = s[4].slacks.as_ref().expect("slacks");
        assert!((slacks.input[0] - 1.0).abs() < 1e-12 && slacks.input[1].abs() < 1e-12);
    }
}

#[test]
fn golden_textbook() {
    // 6 ML settings + 6 DEAPack cases on 5 units x 2 periods.
    assert!(run_cases("textbook") > 100);
}

#[test]
fn golden_random_50x3() {
    assert!(run_cases("random50x3") > 2000);
}

#[test]
fn golden_panel_274x14() {
    // CRS and VRS contemporaneous ML: 3,836 own + 7,124 cross scores + 3,562 x 4 index values
    // each.
    assert!(run_cases("panel274x14") > 45_000);
}
