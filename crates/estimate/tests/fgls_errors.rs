//! Degenerate inputs give typed errors, never panics or NaN (xtgls and xtpcse share the checks).

mod fgls_support;

use faer::Mat;
use fgls_support::{design, Design};
use proptest::prelude::*;
use robocarb_estimate::fgls::{xtgls, AutoCorr, GlsError, GlsOptions, GlsPanels};
use robocarb_estimate::pcse::{xtpcse, PcseOptions};

fn small() -> Design {
    // Three panels x 4 periods, one regressor and a constant.
    let n = 12;
    let panel: Vec<u32> = (0..n).map(|i| (i / 4) as u32 + 1).collect();
    let time: Vec<i32> = (0..n).map(|i| 2000 + (i % 4) as i32).collect();
    let x1: Vec<f64> = (0..n)
        .map(|i| ((i * 7) % 5) as f64 + 0.3 * i as f64)
        .collect();
    let y: Vec<f64> = (0..n)
        .map(|i| 1.0 + 2.0 * x1[i] + ((i * 3) % 4) as f64 * 0.5)
        .collect();
    Design {
        x: Mat::from_fn(n, 2, |i, j| if j == 0 { x1[i] } else { 1.0 }),
        y,
        names: vec!["x1".into(), "_cons".into()],
        panel,
        time,
    }
}

#[test]
fn mismatched_lengths() {
    let mut d = small();
    d.y.pop();
    let err = xtgls(&d.regression(), &GlsOptions::default()).unwrap_err();
    assert!(
        matches!(err, GlsError::LengthMismatch { what: "y", .. }),
        "{err}"
    );
    let mut d = small();
    d.names.pop();
    let err = xtpcse(&d.regression(), &PcseOptions::default()).unwrap_err();
    assert!(
        matches!(err, GlsError::LengthMismatch { what: "names", .. }),
        "{err}"
    );
}

#[test]
fn non_finite_values() {
    let mut d = small();
    d.x[(5, 0)] = f64::NAN;
    let err = xtgls(&d.regression(), &GlsOptions::default()).unwrap_err();
    assert_eq!(
        err,
        GlsError::NonFinite {
            what: "x1".into(),
            row: 5
        }
    );
    let mut d = small();
    d.y[2] = f64::INFINITY;
    let err = xtpcse(&d.regression(), &PcseOptions::default()).unwrap_err();
    assert_eq!(
        err,
        GlsError::NonFinite {
            what: "y".into(),
            row: 2
        }
    );
}

#[test]
fn duplicate_panel_time() {
    let mut d = small();
    d.time[1] = d.time[0];
    let err = xtgls(&d.regression(), &GlsOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            GlsError::DuplicateKey {
                panel: 1,
                time: 2000
            }
        ),
        "{err}"
    );
}

/// A regressor that is a combination of earlier ones (and the constant) is dropped before
/// estimating and named, as Stata's `_rmcoll` ("omitted because of collinearity"); the fit is
/// the fit without it.
#[test]
fn collinear_regressor_is_dropped_and_named() {
    let mut d = small();
    let n = d.y.len();
    let x1: Vec<f64> = (0..n).map(|i| d.x[(i, 0)]).collect();
    let reduced = d.clone();
    d.x = Mat::from_fn(n, 3, |i, j| [x1[i], 1.0, 2.0 * x1[i] - 1.0][j]);
    d.names.push("x1_again".into());
    let opts = GlsOptions {
        panels: GlsPanels::Hetero,
        ..GlsOptions::default()
    };
    let with = xtgls(&d.regression(), &opts).unwrap();
    let without = xtgls(&reduced.regression(), &opts).unwrap();
    assert_eq!(with.collinear_dropped, ["x1_again"]);
    assert_eq!(with.names, without.names);
    assert_eq!(with.b, without.b);
    assert_eq!(with.se, without.se);
    let with = xtpcse(&d.regression(), &PcseOptions::default()).unwrap();
    let without = xtpcse(&reduced.regression(), &PcseOptions::default()).unwrap();
    assert_eq!(with.collinear_dropped, ["x1_again"]);
    assert_eq!(with.b, without.b);
    assert_eq!(with.se, without.se);
    assert!(without.collinear_dropped.is_empty());
    // Every column collinear with the constant: only the constant is left.
    let mut c = small();
    c.x = Mat::from_fn(n, 2, |_, j| [3.0, 1.0][j]);
    c.names = vec!["three".into(), "_cons".into()];
    let r = xtpcse(&c.regression(), &PcseOptions::default()).unwrap();
    assert_eq!(r.names, ["_cons"]);
    assert_eq!(r.collinear_dropped, ["three"]);
}

#[test]
fn single_observation_panel_under_ar1() {
    let mut d = small();
    // Panel 3 keeps only its first period.
    let keep: Vec<usize> = (0..d.y.len())
        .filter(|&i| d.panel[i] != 3 || d.time[i] == 2000)
        .collect();
    d = d.permuted(&keep);
    let opts = GlsOptions {
        corr: AutoCorr::Ar1,
        ..GlsOptions::default()
    };
    let err = xtgls(&d.regression(), &opts).unwrap_err();
    assert_eq!(err, GlsError::SingletonPanel { panel: 3 });
    // Without autocorrelation the same data are fine.
    assert!(xtgls(&d.regression(), &GlsOptions::default()).is_ok());
    // xtpcse, like Stata, skips a panel whose rho cannot be estimated.
    let p = PcseOptions {
        corr: AutoCorr::Ar1,
        ..PcseOptions::default()
    };
    assert!(xtpcse(&d.regression(), &p).is_ok());
}

#[test]
fn interior_gap_under_ar1() {
    let d = design("synthetic_gap");
    let err = xtgls(&d.regression(), &GlsOptions::hetero_ar1()).unwrap_err();
    assert!(matches!(err, GlsError::TimeGap { .. }), "{err}");
}

#[test]
fn rho_above_one_is_refused_unless_clipped() {
    // Grunfeld has several panel rho_i > 1 (Stata would silently drop observations).
    let d = design("grunfeld");
    let opts = GlsOptions {
        corr: AutoCorr::Psar1,
        ..GlsOptions::default()
    };
    let err = xtgls(&d.regression(), &opts).unwrap_err();
    assert!(
        matches!(err, GlsError::RhoOutOfRange { panel: Some(_), rho } if rho > 1.0),
        "{err}"
    );
    let clipped = GlsOptions {
        clip_rho: true,
        ..opts
    };
    let r = xtgls(&d.regression(), &clipped).expect("clipped");
    assert!(r.rho.iter().all(|r| r.abs() <= 1.0));
}

#[test]
fn no_common_period_for_casewise_sigma() {
    let d = design("grunfeld");
    // Panels 1-5 keep 1935-1944, panels 6-10 keep 1945-1954: no period has every panel.
    let keep: Vec<usize> = (0..d.y.len())
        .filter(|&i| (d.panel[i] <= 5) == (d.time[i] < 1945))
        .collect();
    let d = d.permuted(&keep);
    let err = xtpcse(&d.regression(), &PcseOptions::default()).unwrap_err();
    assert_eq!(err, GlsError::NoCommonPeriods);
    let pairwise = PcseOptions {
        pairwise: true,
        ..PcseOptions::default()
    };
    match xtpcse(&d.regression(), &pairwise) {
        Ok(r) => assert!(r.se.iter().all(|s| s.is_finite())),
        Err(e) => assert_eq!(e, GlsError::CovarianceNotPsd),
    }
}

#[test]
fn perfect_fit_and_zero_variance() {
    let mut d = small();
    let n = d.y.len();
    d.y = (0..n).map(|i| 3.0 - d.x[(i, 0)]).collect();
    assert_eq!(
        xtpcse(&d.regression(), &PcseOptions::default()).unwrap_err(),
        GlsError::PerfectFit
    );
    let opts = GlsOptions {
        panels: GlsPanels::Hetero,
        ..GlsOptions::default()
    };
    assert!(matches!(
        xtgls(&d.regression(), &opts).unwrap_err(),
        GlsError::ZeroVariance { .. }
    ));
}

#[test]
fn too_few_observations_and_bad_options() {
    let d = small().permuted(&[0, 1]);
    assert_eq!(
        xtgls(&d.regression(), &GlsOptions::default()).unwrap_err(),
        GlsError::TooFewObservations { n: 2, k: 2 }
    );
    let d = small();
    let opts = GlsOptions {
        tolerance: f64::NAN,
        ..GlsOptions::default()
    };
    assert!(matches!(
        xtgls(&d.regression(), &opts).unwrap_err(),
        GlsError::InvalidOption(_)
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Arbitrary small unbalanced panels (possibly with gaps, ties, constant columns):
    /// every estimator returns either a typed error or finite numbers, never a panic.
    #[test]
    fn arbitrary_panels_never_panic_or_return_nan(
        rows in prop::collection::vec((0u32..4, 0i32..6, -5.0f64..5.0, -5.0f64..5.0), 1..30),
    ) {
        let n = rows.len();
        let d = Design {
            y: rows.iter().map(|r| r.2 + 0.1 * r.3 * r.3).collect(),
            x: Mat::from_fn(n, 2, |i, j| if j == 0 { rows[i].3 } else { 1.0 }),
            names: vec!["x".into(), "_cons".into()],
            panel: rows.iter().map(|r| r.0).collect(),
            time: rows.iter().map(|r| r.1).collect(),
        };
        for corr in [AutoCorr::Independent, AutoCorr::Ar1, AutoCorr::Psar1] {
            for panels in [GlsPanels::Iid, GlsPanels::Hetero] {
                for igls in [false, true] {
                    let opts = GlsOptions { panels, corr, igls, clip_rho: true, ..GlsOptions::default() };
                    if let Ok(r) = xtgls(&d.regression(), &opts) {
                        prop_assert!(r.b.iter().chain(&r.se).chain(&r.z).all(|v| v.is_finite()));
                    }
                }
            }
            for pairwise in [false, true] {
                let opts = PcseOptions { corr, pairwise, ..PcseOptions::default() };
                if let Ok(r) = xtpcse(&d.regression(), &opts) {
                    prop_assert!(r.b.iter().all(|v| v.is_finite()));
                    prop_assert!(r.se.iter().all(|v| v.is_finite() && *v >= 0.0));
                }
            }
        }
    }
}

/// Many panels, few periods, panel and period dummies (Table 6's PCSE shape): the casewise
/// Sigma has rank <= T, so V is singular. Stata reports the PCSEs and a Wald test on the
/// coefficients its generalized inverse keeps; rounding in a singular V must not be called
/// "not positive semidefinite".
#[test]
fn pcse_with_panel_dummies_and_more_panels_than_periods() {
    let (m, t) = (60usize, 6usize);
    let n = m * t;
    let panel: Vec<u32> = (0..n).map(|i| (i / t) as u32 + 1).collect();
    let time: Vec<i32> = (0..n).map(|i| 2000 + (i % t) as i32).collect();
    // Deterministic pseudo-random values in [0, 1) (splitmix64), no RNG dependency.
    let u = |i: usize, s: u64| {
        let mut z = (i as u64)
            .wrapping_add(s << 32)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let x1: Vec<f64> = (0..n).map(|i| u(i, 1) + 0.1 * (i % t) as f64).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| 0.5 * x1[i] + u(i, 2) + (i / t) as f64 * 0.01)
        .collect();
    let k = 1 + (m - 1) + (t - 1) + 1;
    let mut names = vec!["x1".to_string()];
    names.extend((2..=m).map(|p| format!("panel_{p}")));
    names.extend((1..t).map(|s| format!("period_{s}")));
    names.push("_cons".into());
    let x = Mat::from_fn(n, k, |i, j| match j {
        0 => x1[i],
        j if j < m => f64::from(i / t == j),
        j if j < m + t - 1 => f64::from(i % t == j - m + 1),
        _ => 1.0,
    });
    let d = Design {
        x,
        y,
        names,
        panel,
        time,
    };
    for opts in [
        PcseOptions::default(),
        PcseOptions {
            corr: AutoCorr::Ar1,
            ..PcseOptions::default()
        },
    ] {
        let r = xtpcse(&d.regression(), &opts).unwrap();
        assert!(r.collinear_dropped.is_empty());
        assert!(
            r.se.iter().all(|s| s.is_finite() && *s >= 0.0),
            "{:?}",
            r.se
        );
        assert!(r.se[0] > 0.0);
        // The meat has rank at most T x T (one k-vector per pair of periods) < k, so the
        // Wald test keeps fewer coefficients than there are slopes.
        assert!(r.wald_df >= 1 && r.wald_df < k - 1, "wald df {}", r.wald_df);
        assert!(r.wald_chi2.is_finite() && r.wald_chi2 > 0.0);
        // The rank of the singular V, and so the Wald statistic, must not move with rounding:
        // the same data in reverse row order give the same df and statistic.
        let rev: Vec<usize> = (0..n).rev().collect();
        let back = xtpcse(&d.permuted(&rev).regression(), &opts).unwrap();
        assert_eq!(back.wald_df, r.wald_df);
        let rel = (back.wald_chi2 - r.wald_chi2).abs() / r.wald_chi2;
        assert!(rel < 1e-8, "wald {} vs {}", back.wald_chi2, r.wald_chi2);
    }
}
