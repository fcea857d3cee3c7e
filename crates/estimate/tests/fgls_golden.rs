//! xtgls against the independent numpy/statsmodels oracle (oracles/gen_fgls_pcse.py): every
//! case of tests/golden/fgls_results.json, on Grunfeld, a synthetic unbalanced panel with panel
//! and year dummies, and the same panel with interior gaps; on three unbalanced panels with gaps
//! (Grunfeld made unbalanced, the synthetic gap panel, a small one) every `panels` x `corr` with
//! Stata's `force`, and the refusal without it.

mod fgls_support;

use fgls_support::{assert_close, assert_close1, assert_p_close, design, golden, values};
use robocarb_estimate::fgls::{xtgls, AutoCorr, GlsError, GlsOptions, GlsPanels};
use serde_json::Value;

fn options(o: &Value) -> GlsOptions {
    GlsOptions {
        panels: match o["panels"].as_str() {
            Some("iid") => GlsPanels::Iid,
            Some("hetero") => GlsPanels::Hetero,
            other => panic!("panels {other:?}"),
        },
        corr: corr(&o["corr"]),
        igls: o["igls"].as_bool().unwrap_or(false),
        clip_rho: o["clip_rho"].as_bool().unwrap_or(false),
        tolerance: o["tol"].as_f64().unwrap_or(1e-7),
        force: o["force"].as_bool().unwrap_or(false),
        ..GlsOptions::default()
    }
}

pub fn corr(v: &Value) -> AutoCorr {
    match v.as_str() {
        Some("independent") => AutoCorr::Independent,
        Some("ar1") => AutoCorr::Ar1,
        Some("psar1") => AutoCorr::Psar1,
        other => panic!("corr {other:?}"),
    }
}

#[test]
fn every_golden_xtgls_case_matches_the_oracle() {
    let g = golden("fgls_results.json");
    let cases = g["cases"].as_object().expect("cases");
    assert!(cases.len() >= 30);
    let mut compared = 0;
    for (name, case) in cases {
        let d = design(case["data"].as_str().expect("data"));
        let opts = options(&case["options"]);
        let got = xtgls(&d.regression(), &opts);
        if let Some(err) = case["error"].as_str() {
            match (err, &got) {
                ("rho_out_of_range", Err(GlsError::RhoOutOfRange { .. })) => {}
                ("time_gap", Err(GlsError::TimeGap { .. })) => {}
                _ => panic!("{name}: expected error {err}, got {got:?}"),
            }
            continue;
        }
        let r = got.unwrap_or_else(|e| panic!("{name}: {e}"));
        // Two-step FGLS is a closed form; igls stops on a tolerance, so 1e-6.
        let tol = if opts.igls { 1e-6 } else { 1e-8 };
        let names: Vec<String> = case["names"]
            .as_array()
            .expect("names")
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(r.names, names, "{name}");
        assert_close(&format!("{name} b"), &r.b, &values(case, "b"), tol);
        assert_close(&format!("{name} se"), &r.se, &values(case, "se"), tol);
        assert_close(&format!("{name} z"), &r.z, &values(case, "z"), tol);
        assert_p_close(&format!("{name} p"), &r.p, &values(case, "p"), tol * 100.0);
        assert_close1(
            &format!("{name} wald"),
            r.wald_chi2,
            case["wald_chi2"].as_f64().unwrap_or(f64::NAN),
            tol,
        );
        assert_eq!(
            r.wald_df as u64,
            case["wald_df"].as_u64().unwrap_or(0),
            "{name} wald df"
        );
        assert_p_close(
            &format!("{name} wald p"),
            &[r.wald_p],
            &[case["wald_p"].as_f64().unwrap_or(f64::NAN)],
            1e-6,
        );
        assert_eq!(r.n as u64, case["n"].as_u64().unwrap_or(0), "{name} n");
        assert_eq!(
            r.n_panels as u64,
            case["n_panels"].as_u64().unwrap_or(0),
            "{name} panels"
        );
        if case["rho"].is_null() {
            assert!(r.rho.is_empty(), "{name}: rho");
        } else {
            assert_close(&format!("{name} rho"), &r.rho, &values(case, "rho"), 1e-10);
        }
        assert_close(
            &format!("{name} sigma2"),
            &r.sigma2,
            &values(case, "sigma2"),
            tol,
        );
        let iterations = case["iterations"].as_u64().unwrap_or(0) as usize;
        assert!(
            r.iterations.abs_diff(iterations) <= 1,
            "{name}: iterations {} vs {iterations}",
            r.iterations
        );
        match (r.log_likelihood, case["log_likelihood"].as_f64()) {
            (Some(a), Some(b)) => assert_close1(&format!("{name} ll"), a, b, tol),
            (None, None) => {}
            (a, b) => panic!("{name}: log likelihood {a:?} vs {b:?}"),
        }
        compared += 1;
    }
    assert!(compared >= 50, "only {compared} cases compared");
}

#[test]
fn row_order_does_not_matter() {
    let d = design("synthetic");
    let n = d.y.len();
    // A fixed scramble: stride through the rows.
    let order: Vec<usize> = (0..n).map(|i| (i * 97 + 13) % n).collect();
    let mut seen = order.clone();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), n, "the stride must be a permutation");
    let shuffled = d.permuted(&order);
    let opts = GlsOptions::hetero_ar1();
    let a = xtgls(&d.regression(), &opts).expect("fit");
    let b = xtgls(&shuffled.regression(), &opts).expect("fit");
    assert_close("b", &b.b, &a.b, 1e-10);
    assert_close("se", &b.se, &a.se, 1e-10);
    assert_eq!(a.rho, b.rho);
}
