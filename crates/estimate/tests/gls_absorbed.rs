//! xtgls and xtpcse with the panel effects absorbed equal the dummy form (explicit panel
//! dummies) to 1e-8 in b, se, z and the Wald statistic (and df), in every combination of
//! `panels`, `corr`, Sigma (casewise, pairwise, hetonly, independent), `nmk` and `force`, on a
//! balanced panel and on unbalanced ones with gaps; and the dummy form built by the estimator
//! equals the same design passed in by hand.

mod fgls_support;

use faer::Mat;
use fgls_support::{assert_close, assert_close1, design, Design};
use robocarb_estimate::fgls::{
    xtgls, AutoCorr, GlsError, GlsOptions, GlsPanels, GlsResult, UnitEffects,
};
use robocarb_estimate::pcse::{xtpcse, PcseOptions, PcseResult, PcseSigma};

/// Tolerance of the comparisons: both forms are closed forms (two-step FGLS, PCSE).
const TOL: f64 = 1e-8;

/// A balanced panel of `m` panels x 14 years: x1, x2, year dummies (first omitted) and the
/// constant; AR(1) errors with panel-specific scales, panel effects correlated with x2.
fn balanced(m: u32) -> Design {
    // A small deterministic generator (splitmix64) keeps the test free of data files.
    let mut state = 0x2024_0401_u64;
    let mut uniform = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let years = 14;
    let (mut y, mut x1, mut x2, mut panel, mut time) = (vec![], vec![], vec![], vec![], vec![]);
    for p in 0..m {
        let alpha = uniform() * 2.0 - 1.0;
        let scale = 0.3 + uniform();
        let mut u = 0.0;
        for t in 0..years {
            u = 0.5 * u + scale * (uniform() - 0.5);
            let a = uniform() + 0.05 * f64::from(t);
            let b = uniform() * 2.0 + 0.5 * alpha;
            y.push(1.0 + 0.8 * a - 0.4 * b + alpha + 0.03 * f64::from(t) + u);
            x1.push(a);
            x2.push(b);
            panel.push(100 + p);
            time.push(2006 + t);
        }
    }
    with_years(y, vec![x1, x2], vec!["x1".into(), "x2".into()], panel, time)
}

/// The given regressors, year dummies (first year omitted) and a constant.
fn with_years(
    y: Vec<f64>,
    mut cols: Vec<Vec<f64>>,
    mut names: Vec<String>,
    panel: Vec<u32>,
    time: Vec<i32>,
) -> Design {
    let mut years = time.clone();
    years.sort_unstable();
    years.dedup();
    for &t in &years[1..] {
        cols.push(time.iter().map(|&s| f64::from(u8::from(s == t))).collect());
        names.push(format!("year_{t}"));
    }
    cols.push(vec![1.0; y.len()]);
    names.push("_cons".into());
    Design {
        x: Mat::from_fn(y.len(), cols.len(), |i, j| cols[j][i]),
        y,
        names,
        panel,
        time,
    }
}

/// A golden data set of the oracle without its panel dummies (x1, x2, years, constant).
fn without_panel_dummies(d: &Design) -> Design {
    let keep: Vec<usize> = (0..d.names.len())
        .filter(|&j| !d.names[j].starts_with("panel_"))
        .collect();
    Design {
        y: d.y.clone(),
        x: Mat::from_fn(d.y.len(), keep.len(), |i, j| d.x[(i, keep[j])]),
        names: keep.iter().map(|&j| d.names[j].clone()).collect(),
        panel: d.panel.clone(),
        time: d.time.clone(),
    }
}

/// The panels the comparison runs on: balanced, unbalanced (late starts, early ends), with gaps
/// inside panels (two), all with x1, x2 in front and the dummies placed after them.
fn panels() -> Vec<(&'static str, Design)> {
    vec![
        ("balanced", balanced(40)),
        ("synthetic", without_panel_dummies(&design("synthetic"))),
        (
            "synthetic_gap",
            without_panel_dummies(&design("synthetic_gap")),
        ),
        ("small_gap", without_panel_dummies(&design("small_gap"))),
    ]
}

/// Where the dummy form puts the panel dummies: after x1 and x2, as the oracle's designs.
const AT: usize = 2;

struct Fit<'a> {
    names: &'a [String],
    b: &'a [f64],
    se: &'a [f64],
    z: &'a [f64],
    wald: (f64, usize),
}

/// The estimates both estimators report, read the same way from either result.
macro_rules! fit_from {
    ($t:ty) => {
        impl<'a> From<&'a $t> for Fit<'a> {
            fn from(r: &'a $t) -> Self {
                Fit {
                    names: &r.names,
                    b: &r.b,
                    se: &r.se,
                    z: &r.z,
                    wald: (r.wald_chi2, r.wald_df),
                }
            }
        }
    };
}
fit_from!(GlsResult);
fit_from!(PcseResult);

fn compare(what: &str, absorbed: Fit<'_>, dummies: Fit<'_>) {
    // The dummy form's coefficients of the columns of x, in x's order.
    let pick = |v: &[f64]| -> Vec<f64> {
        absorbed
            .names
            .iter()
            .map(|n| {
                let j = dummies
                    .names
                    .iter()
                    .position(|m| m == n)
                    .unwrap_or_else(|| panic!("{what}: {n} missing from the dummy form"));
                v[j]
            })
            .collect()
    };
    assert!(
        dummies.names.len() > absorbed.names.len(),
        "{what}: the dummy form has no dummies"
    );
    assert_close(&format!("{what} b"), absorbed.b, &pick(dummies.b), TOL);
    assert_close(&format!("{what} se"), absorbed.se, &pick(dummies.se), TOL);
    assert_close(&format!("{what} z"), absorbed.z, &pick(dummies.z), TOL);
    assert_eq!(absorbed.wald.1, dummies.wald.1, "{what}: Wald df");
    assert_close1(
        &format!("{what} Wald"),
        absorbed.wald.0,
        dummies.wald.0,
        TOL,
    );
}

#[test]
fn fgls_absorbed_equals_dummies() {
    let mut compared = 0;
    for (name, d) in panels() {
        for panels in [GlsPanels::Iid, GlsPanels::Hetero] {
            for corr in [AutoCorr::Independent, AutoCorr::Ar1, AutoCorr::Psar1] {
                for nmk in [false, true] {
                    let base = GlsOptions {
                        panels,
                        corr,
                        nmk,
                        force: true,
                        clip_rho: true,
                        ..GlsOptions::default()
                    };
                    let what = format!("{name} {panels:?} {corr:?} nmk={nmk}");
                    let dummies = xtgls(
                        &d.regression(),
                        &GlsOptions {
                            unit_effects: UnitEffects::Dummies { at: AT },
                            ..base
                        },
                    );
                    let absorbed = xtgls(
                        &d.regression(),
                        &GlsOptions {
                            unit_effects: UnitEffects::Absorbed { at: AT },
                            ..base
                        },
                    );
                    let (a, m) = match (absorbed, dummies) {
                        (Ok(a), Ok(m)) => (a, m),
                        (Err(a), Err(m)) => {
                            assert_eq!(a, m, "{what}: both refuse");
                            continue;
                        }
                        (a, m) => panic!("{what}: absorbed {a:?} vs dummies {m:?}"),
                    };
                    assert_eq!(a.rho.len(), m.rho.len());
                    assert_close(&format!("{what} rho"), &a.rho, &m.rho, 1e-10);
                    assert_close(&format!("{what} sigma2"), &a.sigma2, &m.sigma2, TOL);
                    compare(&what, Fit::from(&a), Fit::from(&m));
                    match (a.log_likelihood, m.log_likelihood) {
                        (Some(x), Some(y)) => assert_close1(&format!("{what} ll"), x, y, TOL),
                        (None, None) => {}
                        other => panic!("{what}: log likelihood {other:?}"),
                    }
                    compared += 1;
                }
            }
        }
    }
    assert!(compared >= 40, "only {compared} FGLS cases compared");
}

#[test]
fn pcse_absorbed_equals_dummies() {
    let sigmas = [
        (PcseSigma::Correlated, false),
        (PcseSigma::Correlated, true),
        (PcseSigma::HetOnly, false),
        (PcseSigma::Independent, false),
    ];
    let mut compared = 0;
    let mut refused = 0;
    for (name, d) in panels() {
        for corr in [AutoCorr::Independent, AutoCorr::Ar1, AutoCorr::Psar1] {
            for (sigma, pairwise) in sigmas {
                for nmk in [false, true] {
                    let base = PcseOptions {
                        corr,
                        sigma,
                        pairwise,
                        nmk,
                        ..PcseOptions::default()
                    };
                    let what = format!("{name} {corr:?} {sigma:?} pairwise={pairwise} nmk={nmk}");
                    let dummies = xtpcse(
                        &d.regression(),
                        &PcseOptions {
                            unit_effects: UnitEffects::Dummies { at: AT },
                            ..base
                        },
                    );
                    let absorbed = xtpcse(
                        &d.regression(),
                        &PcseOptions {
                            unit_effects: UnitEffects::Absorbed { at: AT },
                            ..base
                        },
                    );
                    let (a, m) = match (absorbed, dummies) {
                        (Ok(a), Ok(m)) => (a, m),
                        (Err(a), Err(m)) => {
                            assert_eq!(a, m, "{what}: both refuse");
                            refused += 1;
                            continue;
                        }
                        (a, m) => panic!("{what}: absorbed {a:?} vs dummies {m:?}"),
                    };
                    assert_close(&format!("{what} rho"), &a.rho, &m.rho, 1e-10);
                    assert_close(&format!("{what} sigma2"), &a.sigma2, &m.sigma2, TOL);
                    assert_close1(&format!("{what} r2"), a.r2, m.r2, TOL);
                    compare(&what, Fit::from(&a), Fit::from(&m));
                    compared += 1;
                }
            }
        }
    }
    assert!(
        compared >= 70,
        "only {compared} PCSE cases compared ({refused} refused by both)"
    );
}

/// With `psd` the absorbed form takes the projected pairwise Sigma as its input, so the two forms
/// still agree to 1e-8, and project the same number of eigenvalues; nothing is refused.
#[test]
fn pcse_psd_absorbed_equals_dummies() {
    let (mut compared, mut projected) = (0, 0);
    for (name, d) in panels() {
        for corr in [AutoCorr::Independent, AutoCorr::Ar1, AutoCorr::Psar1] {
            for nmk in [false, true] {
                let base = PcseOptions {
                    corr,
                    pairwise: true,
                    psd: true,
                    nmk,
                    ..PcseOptions::default()
                };
                let what = format!("{name} {corr:?} psd nmk={nmk}");
                let fit = |unit_effects| {
                    xtpcse(
                        &d.regression(),
                        &PcseOptions {
                            unit_effects,
                            ..base
                        },
                    )
                    .unwrap_or_else(|e| panic!("{what} {unit_effects:?}: {e}"))
                };
                let m = fit(UnitEffects::Dummies { at: AT });
                let a = fit(UnitEffects::Absorbed { at: AT });
                assert_eq!(a.sigma_projected, m.sigma_projected, "{what}");
                projected += usize::from(a.sigma_projected.is_some());
                assert_close(&format!("{what} sigma2"), &a.sigma2, &m.sigma2, TOL);
                compare(&what, Fit::from(&a), Fit::from(&m));
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 24);
    // The unbalanced panels' pairwise Sigma is not PSD (the balanced one takes the casewise route).
    assert!(projected >= 12, "only {projected} projected");
}

/// The estimator's dummy form is the oracle's hand-built design (x1, x2, panel dummies, years,
/// constant): the same numbers as the golden InDesign fit.
#[test]
fn estimator_dummies_equal_the_hand_built_design() {
    let by_hand = design("synthetic_gap");
    let bare = without_panel_dummies(&by_hand);
    let opts = PcseOptions {
        corr: AutoCorr::Ar1,
        ..PcseOptions::default()
    };
    let a = xtpcse(&by_hand.regression(), &opts).expect("hand-built");
    let b = xtpcse(
        &bare.regression(),
        &PcseOptions {
            unit_effects: UnitEffects::Dummies { at: AT },
            ..opts
        },
    )
    .expect("dummies");
    assert_eq!(a.names, b.names);
    assert_eq!(a.b, b.b);
    assert_eq!(a.se, b.se);
    assert_eq!(a.wald_chi2, b.wald_chi2);
}

#[test]
fn absorbed_refuses_a_regressor_constant_within_panels() {
    let mut d = balanced(6);
    // x2 replaced by a panel-level variable.
    for r in 0..d.y.len() {
        d.x[(r, 1)] = f64::from(d.panel[r] % 4);
    }
    let got = xtgls(
        &d.regression(),
        &GlsOptions {
            unit_effects: UnitEffects::Absorbed { at: AT },
            ..GlsOptions::default()
        },
    );
    assert!(
        matches!(&got, Err(GlsError::CollinearWithEffects { name }) if name == "x2"),
        "{got:?}"
    );
    let beyond = xtgls(
        &d.regression(),
        &GlsOptions {
            unit_effects: UnitEffects::Absorbed { at: 99 },
            ..GlsOptions::default()
        },
    );
    assert!(
        matches!(beyond, Err(GlsError::InvalidOption(_))),
        "{beyond:?}"
    );
}
