//! xtpcse against Stata's printed output on `webuse grunfeld` (Stata manual examples
//! `xtpcse invest mvalue kstock` and `..., correlation(ar1)`), to the printed precision.

mod fgls_support;

use fgls_support::{assert_printed, design};
use robocarb_estimate::pcse::{xtpcse, AutoCorr, PcseOptions};

#[test]
fn grunfeld_without_autocorrelation_matches_stata() {
    let d = design("grunfeld");
    let r = xtpcse(&d.regression(), &PcseOptions::default()).expect("xtpcse");
    for (got, printed) in r.b.iter().zip([".1155622", ".2306785", "-42.71437"]) {
        assert_printed("b", *got, printed);
    }
    for (got, printed) in r.se.iter().zip([".0072124", ".0278862", "6.780965"]) {
        assert_printed("pcse", *got, printed);
    }
    assert!(r.balanced);
    assert_eq!(r.n_sigma_periods, Some(20));
}

#[test]
fn grunfeld_common_ar1_matches_stata() {
    let d = design("grunfeld");
    let opts = PcseOptions {
        corr: AutoCorr::Ar1,
        ..PcseOptions::default()
    };
    let r = xtpcse(&d.regression(), &opts).expect("xtpcse");
    // Several Grunfeld panels have rho_i > 1; Stata bounds them to 1 before averaging.
    assert_printed("rho", r.rho[0], ".9059774");
    for (got, printed) in r.b.iter().zip([".0950157", ".3060051", "-39.1257"]) {
        assert_printed("b", *got, printed);
    }
    for (got, printed) in r.se.iter().zip([".0129934", ".0603718", "30.50355"]) {
        assert_printed("pcse", *got, printed);
    }
}
