//! Specification-curve joint inference against the numpy oracle
//! (oracles/spec_curve_numpy.py): the same injected observed and null estimates give the same
//! counts and p-values exactly, and the same statistics and bands to 1e-12.

mod common;
use common::*;
use robocarb_estimate::{joint_inference, JointOptions, SpecEstimate};
use serde_json::Value;

const REL: f64 = 1e-12;

fn usize_of(v: &Value) -> usize {
    v.as_u64().expect("integer") as usize
}

fn opt_rows(v: &Value) -> Vec<Vec<Option<f64>>> {
    v.as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .map(Value::as_f64)
                .collect()
        })
        .collect()
}

/// `|a - e| <= REL * max(|e|, scale)`: means and interpolated quantiles near zero are
/// sums and differences of values of size `scale`, so their rounding is relative to it.
fn near(what: &str, a: f64, e: f64, scale: f64) {
    assert!(
        (a - e).abs() <= REL * e.abs().max(scale),
        "{what}: got {a:.17e}, expected {e:.17e}"
    );
}

fn check_case(name: &str, c: &Value) {
    let o = &c["observed"];
    let observed: Vec<SpecEstimate> = (0..o["b"].as_array().unwrap().len())
        .map(|s| SpecEstimate {
            b: o["b"][s].as_f64().unwrap(),
            se: o["se"][s].as_f64().unwrap(),
            p: o["p"][s].as_f64().unwrap(),
        })
        .collect();
    let (nb, nse, np) = (
        opt_rows(&c["null"]["b"]),
        opt_rows(&c["null"]["se"]),
        opt_rows(&c["null"]["p"]),
    );
    let null: Vec<Vec<Option<SpecEstimate>>> = (0..nb.len())
        .map(|d| {
            (0..observed.len())
                .map(|s| match (nb[d][s], nse[d][s], np[d][s]) {
                    (Some(b), Some(se), Some(p)) => Some(SpecEstimate { b, se, p }),
                    (None, None, None) => None,
                    _ => panic!("{name}: null[{d}][{s}] partly missing"),
                })
                .collect()
        })
        .collect();
    let opts = JointOptions {
        alpha: c["alpha"].as_f64().unwrap(),
    };
    let r = joint_inference(&observed, &null, &opts).unwrap();
    let e = &c["expected"];
    let b_scale = observed.iter().map(|s| s.b.abs()).fold(0.0, f64::max);

    // Counts and p-values: exact.
    let eo = &e["observed"];
    assert_eq!(
        r.observed.n_significant,
        usize_of(&eo["n_significant"]),
        "{name}"
    );
    assert_eq!(
        r.observed.dominant_sign as i64,
        eo["dominant_sign"].as_i64().unwrap(),
        "{name}"
    );
    assert_eq!(r.observed.n_specs, usize_of(&eo["n_specs"]), "{name}");
    for (what, k, p) in [
        ("median", r.k_median, r.p_median),
        ("count", r.k_count, r.p_count),
        ("stouffer", r.k_stouffer, r.p_stouffer),
    ] {
        assert_eq!(k, usize_of(&e[format!("k_{what}")]), "{name}: k_{what}");
        assert_eq!(
            p,
            e[format!("p_{what}")].as_f64().unwrap(),
            "{name}: p_{what}"
        );
    }
    for (what, p) in [
        ("median", r.p_median_one_sided),
        ("stouffer", r.p_stouffer_one_sided),
    ] {
        assert_eq!(
            p,
            e[format!("p_{what}_one_sided")].as_f64().unwrap(),
            "{name}: p_{what}_one_sided"
        );
    }
    for (what, got) in [
        ("draws", r.draws),
        ("failed_refits", r.failed_refits),
        ("draws_with_failures", r.draws_with_failures),
        ("draws_all_failed", r.draws_all_failed),
        ("band_draws", r.band_draws),
    ] {
        assert_eq!(got, usize_of(&e[what]), "{name}: {what}");
    }

    // Statistics: 1e-12 (z is O(1), so its scale is 1).
    near(
        &format!("{name} median"),
        r.observed.median,
        eo["median"].as_f64().unwrap(),
        b_scale,
    );
    near(
        &format!("{name} mean_z"),
        r.observed.mean_z,
        eo["mean_z"].as_f64().unwrap(),
        1.0,
    );
    let en = &e["null"];
    assert_eq!(r.null.len(), r.draws);
    for (d, got) in r.null.iter().enumerate() {
        assert_eq!(got.failed, usize_of(&en["failed"][d]), "{name} draw {d}");
        let (median, mean_z) = (en["median"][d].as_f64(), en["mean_z"][d].as_f64());
        match got.statistics {
            None => assert!(median.is_none() && mean_z.is_none(), "{name} draw {d}"),
            Some(s) => {
                near(
                    &format!("{name} draw {d} median"),
                    s.median,
                    median.unwrap(),
                    b_scale,
                );
                near(
                    &format!("{name} draw {d} mean_z"),
                    s.mean_z,
                    mean_z.unwrap(),
                    1.0,
                );
                assert_eq!(s.n_significant, usize_of(&en["n_significant"][d]));
                assert_eq!(
                    s.dominant_sign as i64,
                    en["dominant_sign"][d].as_i64().unwrap()
                );
                assert_eq!(s.n_specs, usize_of(&en["n_specs"][d]));
            }
        }
    }

    // Bands: 1e-12.
    let eb = e["bands"].as_array().unwrap();
    assert_eq!(r.bands.len(), eb.len(), "{name}: bands");
    for (rank, (got, exp)) in r.bands.iter().zip(eb).enumerate() {
        for (j, x) in f64s(exp).into_iter().enumerate() {
            near(&format!("{name} band {rank}[{j}]"), got[j], x, b_scale);
        }
    }
}

#[test]
fn joint_inference_matches_numpy_oracle() {
    let g = golden("spec_curve.json");
    let cases = g["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 3);
    for (name, c) in cases {
        check_case(name, c);
    }
}

#[test]
fn the_golden_cases_exercise_the_conventions() {
    // Guards against a regenerated golden losing what the cases are for.
    let g = golden("spec_curve.json");
    let e = |case: &str| g["cases"][case]["expected"].clone();
    let m = e("multiverse");
    assert_eq!(m["observed"]["dominant_sign"], -1);
    assert!(m["draws_with_failures"].as_u64().unwrap() > 0);
    assert!(usize_of(&m["band_draws"]) < usize_of(&m["draws"]));
    let z = e("ties_zero_median");
    assert_eq!(z["observed"]["median"].as_f64(), Some(0.0));
    assert_eq!(z["k_median"], z["draws"]);
    assert_eq!(z["draws_all_failed"], 1);
    let t = e("ties_positive");
    let obs_median = t["observed"]["median"].as_f64().unwrap();
    let ties = t["null"]["median"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m.as_f64() == Some(obs_median))
        .count();
    assert!(ties > 1, "median ties: {ties}");
}
