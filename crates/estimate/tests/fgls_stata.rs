//! xtgls against Stata's own printed output on `webuse grunfeld` (Stata manual example
//! `xtgls invest mvalue kstock, panels(hetero)`), to the printed precision.

mod fgls_support;

use fgls_support::{assert_printed, design};
use robocarb_estimate::fgls::{xtgls, AutoCorr, GlsOptions, GlsPanels};

#[test]
fn grunfeld_panels_hetero_two_step_matches_stata() {
    let d = design("grunfeld");
    let opts = GlsOptions {
        panels: GlsPanels::Hetero,
        corr: AutoCorr::Independent,
        ..GlsOptions::default()
    };
    let r = xtgls(&d.regression(), &opts).expect("xtgls");
    for (got, printed) in r.b.iter().zip([".1116328", ".1537718", "-21.44348"]) {
        assert_printed("b", *got, printed);
    }
    for (got, printed) in r.se.iter().zip([".0049823", ".0125707", "3.901219"]) {
        assert_printed("se", *got, printed);
    }
    assert_eq!((r.n, r.n_panels, r.n_periods, r.wald_df), (200, 10, 20, 2));
    assert_eq!(r.constant, Some(2));
}
