//! xtpcse against the independent dense numpy oracle (oracles/gen_fgls_pcse.py): every case of
//! tests/golden/pcse_results.json (balanced Grunfeld, Grunfeld made unbalanced with a gap, a
//! synthetic unbalanced panel with panel and year dummies, and that panel with interior gaps),
//! the `psd` option (a pairwise Sigma projected onto the PSD cone) included.

mod fgls_support;

use fgls_support::{assert_close, assert_close1, assert_p_close, design, golden, values};
use robocarb_estimate::pcse::{xtpcse, AutoCorr, GlsError, PcseOptions, PcseSigma};
use serde_json::Value;

fn options(o: &Value) -> PcseOptions {
    PcseOptions {
        corr: match o["corr"].as_str() {
            Some("independent") => AutoCorr::Independent,
            Some("ar1") => AutoCorr::Ar1,
            Some("psar1") => AutoCorr::Psar1,
            other => panic!("corr {other:?}"),
        },
        sigma: match o["sigma"].as_str() {
            Some("correlated") => PcseSigma::Correlated,
            Some("hetonly") => PcseSigma::HetOnly,
            Some("independent") => PcseSigma::Independent,
            other => panic!("sigma {other:?}"),
        },
        pairwise: o["pairwise"].as_bool().unwrap_or(false),
        np1: o["np1"].as_bool().unwrap_or(false),
        nmk: o["nmk"].as_bool().unwrap_or(false),
        psd: o["psd"].as_bool().unwrap_or(false),
        ..PcseOptions::default()
    }
}

#[test]
fn every_golden_xtpcse_case_matches_the_oracle() {
    let g = golden("pcse_results.json");
    let cases = g["cases"].as_object().expect("cases");
    assert!(cases.len() >= 40);
    let mut compared = 0;
    let mut projected = 0;
    for (name, case) in cases {
        let d = design(case["data"].as_str().expect("data"));
        let opts = options(&case["options"]);
        let got = xtpcse(&d.regression(), &opts);
        if let Some(err) = case["error"].as_str() {
            assert_eq!(err, "covariance_not_psd", "{name}");
            assert!(
                matches!(got, Err(GlsError::CovarianceNotPsd)),
                "{name}: {got:?}"
            );
            continue;
        }
        let r = got.unwrap_or_else(|e| panic!("{name}: {e}"));
        // The oracle's count of clearly negative eigenvalues of Sigma (None: not projected).
        assert_eq!(
            r.sigma_projected.map(|k| k as u64),
            case["sigma_projected"].as_u64(),
            "{name}: sigma_projected"
        );
        if opts.psd {
            projected += usize::from(r.sigma_projected.is_some());
        }
        // Closed forms throughout: 1e-8 relative.
        let tol = 1e-8;
        assert_close(&format!("{name} b"), &r.b, &values(case, "b"), tol);
        assert_close(&format!("{name} se"), &r.se, &values(case, "se"), tol);
        assert_close(&format!("{name} z"), &r.z, &values(case, "z"), tol);
        assert_p_close(&format!("{name} p"), &r.p, &values(case, "p"), 1e-6);
        assert_close1(
            &format!("{name} r2"),
            r.r2,
            case["r2"].as_f64().unwrap_or(f64::NAN),
            tol,
        );
        assert_eq!(
            r.wald_df as u64,
            case["wald_df"].as_u64().unwrap_or(0),
            "{name} wald df"
        );
        // With a singular Sigma (more panels than common periods) the kept block of V is
        // ill-conditioned, which costs digits in b'V^-b: compare those to 1e-6.
        let wald_tol = if r.wald_df + 1 < r.b.len() { 1e-6 } else { tol };
        assert_close1(
            &format!("{name} wald"),
            r.wald_chi2,
            case["wald_chi2"].as_f64().unwrap_or(f64::NAN),
            wald_tol,
        );
        assert_eq!(r.n as u64, case["n"].as_u64().unwrap_or(0), "{name} n");
        if case["rho"].is_null() {
            assert!(r.rho.is_empty(), "{name}: rho");
        } else {
            assert_close(&format!("{name} rho"), &r.rho, &values(case, "rho"), 1e-10);
        }
        match opts.sigma {
            PcseSigma::Independent => assert_close1(
                &format!("{name} sigma2"),
                r.sigma2[0],
                case["sigma2"].as_f64().unwrap_or(f64::NAN),
                tol,
            ),
            PcseSigma::HetOnly => assert_close(
                &format!("{name} sigma2"),
                &r.sigma2,
                &values(case, "sigma2_panels"),
                tol,
            ),
            PcseSigma::Correlated => {
                assert_close(
                    &format!("{name} sigma"),
                    &r.sigma2,
                    &values(case, "sigma_diag"),
                    tol,
                );
                if !opts.pairwise {
                    assert_eq!(
                        r.n_sigma_periods.map(|v| v as u64),
                        case["n_sigma_periods"].as_u64(),
                        "{name}"
                    );
                }
            }
        }
        compared += 1;
    }
    assert!(compared >= 30, "only {compared} cases compared");
    assert!(
        projected >= 15,
        "only {projected} cases with a projected Sigma"
    );
}

#[test]
fn pairwise_equals_casewise_on_a_balanced_panel() {
    let d = design("grunfeld");
    for corr in [AutoCorr::Independent, AutoCorr::Ar1, AutoCorr::Psar1] {
        let case = PcseOptions {
            corr,
            ..PcseOptions::default()
        };
        let pair = PcseOptions {
            pairwise: true,
            ..case
        };
        let a = xtpcse(&d.regression(), &case).expect("casewise");
        let b = xtpcse(&d.regression(), &pair).expect("pairwise");
        assert_close("se", &b.se, &a.se, 1e-10);
    }
}

/// The `psd` cases on their own, b, se and the Wald statistic to 1e-8 relative whatever the rank
/// of V (the projected Sigma of the 30-panel cases is singular, so is V there), and the number of
/// clipped eigenvalues exactly.
#[test]
fn psd_cases_match_the_oracle_to_1e_8() {
    let g = golden("pcse_results.json");
    let mut n = 0;
    for (name, case) in g["cases"].as_object().expect("cases") {
        let opts = options(&case["options"]);
        if !opts.psd {
            continue;
        }
        let d = design(case["data"].as_str().expect("data"));
        let r = xtpcse(&d.regression(), &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_close(&format!("{name} b"), &r.b, &values(case, "b"), 1e-8);
        assert_close(&format!("{name} se"), &r.se, &values(case, "se"), 1e-8);
        assert_close1(
            &format!("{name} wald"),
            r.wald_chi2,
            case["wald_chi2"].as_f64().unwrap_or(f64::NAN),
            1e-8,
        );
        assert_eq!(
            r.sigma_projected.map(|k| k as u64),
            case["sigma_projected"].as_u64(),
            "{name}"
        );
        n += 1;
    }
    assert!(n >= 18, "only {n} psd cases");
}

/// Where Sigma is PSD the option changes nothing, bit for bit: a balanced panel (pairwise is
/// casewise there; with the panel effects in the design, as dummies and absorbed) and an
/// unbalanced one whose pairwise Sigma is PSD.
#[test]
fn psd_is_bit_identical_when_sigma_is_psd() {
    use robocarb_estimate::pcse::UnitEffects;
    let forms = [
        UnitEffects::InDesign,
        UnitEffects::Dummies { at: 2 },
        UnitEffects::Absorbed { at: 2 },
    ];
    for (data, corr, forms) in [
        ("grunfeld", AutoCorr::Independent, &forms[..]),
        ("grunfeld", AutoCorr::Ar1, &forms[..]),
        ("grunfeld_unbalanced", AutoCorr::Psar1, &forms[..1]),
    ] {
        let d = design(data);
        for &unit_effects in forms {
            let what = format!("{data} {corr:?} {unit_effects:?}");
            let off = PcseOptions {
                corr,
                pairwise: true,
                unit_effects,
                ..PcseOptions::default()
            };
            let on = PcseOptions { psd: true, ..off };
            let a = xtpcse(&d.regression(), &off).unwrap_or_else(|e| panic!("{what}: {e}"));
            let mut b = xtpcse(&d.regression(), &on).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(b.sigma_projected, None, "{what}");
            b.options = a.options;
            assert_eq!(a, b, "{what}");
        }
    }
}

/// `psd` applies to the pairwise Sigma of correlated panels only; without it an indefinite V is
/// refused with a message that names the option.
#[test]
fn psd_needs_a_pairwise_correlated_sigma() {
    let d = design("synthetic_gap");
    for (sigma, pairwise) in [
        (PcseSigma::Correlated, false),
        (PcseSigma::HetOnly, true),
        (PcseSigma::Independent, false),
    ] {
        let opts = PcseOptions {
            sigma,
            pairwise,
            psd: true,
            ..PcseOptions::default()
        };
        match xtpcse(&d.regression(), &opts) {
            Err(GlsError::InvalidOption(m)) => assert!(m.contains("pairwise"), "{m}"),
            other => panic!("{sigma:?} pairwise={pairwise}: {other:?}"),
        }
    }
    let refused = xtpcse(
        &d.regression(),
        &PcseOptions {
            pairwise: true,
            ..PcseOptions::default()
        },
    )
    .expect_err("indefinite V");
    assert_eq!(refused, GlsError::CovarianceNotPsd);
    assert!(refused.to_string().contains("`psd`"), "{refused}");
}
