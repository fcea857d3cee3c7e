//! 2SLS with absorbed FE against pyfixest (second stage, first stage, first-stage F),
//! linearmodels IV2SLS with dummies (b; unadjusted and HC1 SEs; first-stage F) and
//! closed-form Cragg-Donald / Anderson-Rubin statistics. Golden: oracles/gen_golden.py.

mod common;
use common::*;
use robocarb_estimate::{iv_fe, EstimateError, IvDesign, Vce};

const REL: f64 = 1e-8;

#[test]
fn iv_matches_pyfixest_and_linearmodels() {
    let g = golden("iv.json");
    let d = &g["data"];
    let (y, dd, w, z1, z2) = (
        f64s(&d["y"]),
        f64s(&d["d"]),
        f64s(&d["w"]),
        f64s(&d["z1"]),
        f64s(&d["z2"]),
    );
    let (city, year) = (u32s(&d["city"]), u32s(&d["year"]));
    for (tag, two) in [("overid", true), ("justid", false)] {
        let mut design = IvDesign::new(&y)
            .exogenous("w", &w)
            .endogenous("d", &dd)
            .instrument("z1", &z1);
        if two {
            design = design.instrument("z2", &z2);
        }
        let design = design.absorb(&city).absorb(&year);
        for (vtag, vce) in [
            ("cluster", Vce::Cluster(&city)),
            ("hc1", Vce::Robust),
            ("iid", Vce::Unadjusted),
        ] {
            let e = &g["cases"][format!("{tag}_{vtag}")];
            let what = format!("{tag} {vtag}");
            let r = iv_fe(&design, vce).unwrap();
            assert_eq!(r.names, ["w", "d", "_cons"]);
            close_all(&format!("{what} b"), &r.b[..2], &f64s(&e["b"]), REL);
            close_all(
                &format!("{what} b (linearmodels)"),
                &r.b[..2],
                &f64s(&e["linearmodels"]["b"]),
                REL,
            );
            close_all(&format!("{what} se"), &r.se[..2], &f64s(&e["se"]), REL);
            close_all(&format!("{what} t"), &r.t[..2], &f64s(&e["t"]), REL);
            for (a, x) in r.p[..2].iter().zip(f64s(&e["p"])) {
                assert!((a - x).abs() <= 1e-7 * x + 1e-13, "{what} p {a} vs {x}");
            }
            close(
                &format!("{what} df"),
                r.df_t,
                e["df_t"].as_f64().unwrap(),
                0.0,
            );
            let fs = &r.first_stages[0];
            let efs = &e["first_stage"];
            close_all(&format!("{what} fs b"), &fs.b, &f64s(&efs["b"]), REL);
            close_all(&format!("{what} fs se"), &fs.se, &f64s(&efs["se"]), REL);
            close_all(&format!("{what} fs t"), &fs.t, &f64s(&efs["t"]), REL);
            close(
                &format!("{what} fs F"),
                fs.partial_f,
                efs["partial_f"].as_f64().unwrap(),
                REL,
            );
            close(
                &format!("{what} fs F (pyfixest Feiv)"),
                fs.partial_f,
                e["pyfixest_first_stage_f"].as_f64().unwrap(),
                REL,
            );
            close(
                &format!("{what} fs F p"),
                fs.partial_f_p,
                efs["p"].as_f64().unwrap(),
                1e-7,
            );
            close(
                &format!("{what} partial r2"),
                fs.partial_r2,
                e["partial_r2"].as_f64().unwrap(),
                REL,
            );
            close(
                &format!("{what} CD"),
                r.cragg_donald_f,
                e["cragg_donald_f"].as_f64().unwrap(),
                REL,
            );
            let ar = &e["anderson_rubin"];
            close(
                &format!("{what} AR F"),
                r.anderson_rubin.f,
                ar["f"].as_f64().unwrap(),
                REL,
            );
            close(
                &format!("{what} AR chi2"),
                r.anderson_rubin.chi2,
                ar["chi2"].as_f64().unwrap(),
                REL,
            );
            close(
                &format!("{what} AR F p"),
                r.anderson_rubin.f_p,
                ar["f_p"].as_f64().unwrap(),
                1e-7,
            );
            close(
                &format!("{what} AR chi2 p"),
                r.anderson_rubin.chi2_p,
                ar["chi2_p"].as_f64().unwrap(),
                1e-7,
            );
            let lm_f = e["linearmodels"]["first_stage_f"].as_f64().unwrap();
            let l = fs.b.len() as f64;
            match vtag {
                "iid" => {
                    // linearmodels' first-stage F under unadjusted VCE = Cragg-Donald = iid partial F.
                    close(
                        &format!("{what} CD vs linearmodels"),
                        r.cragg_donald_f,
                        lm_f,
                        REL,
                    );
                    close(
                        &format!("{what} CD = iid F"),
                        r.cragg_donald_f,
                        fs.partial_f,
                        REL,
                    );
                    assert!(r.kleibergen_paap_f.is_none());
                    close_all(
                        &format!("{what} se (linearmodels)"),
                        &r.se[..2],
                        &f64s(&e["linearmodels"]["se"]),
                        REL,
                    );
                }
                "hc1" => {
                    // linearmodels reports the robust Wald chi2 (= L x F).
                    close(
                        &format!("{what} F vs linearmodels"),
                        fs.partial_f * l,
                        lm_f,
                        REL,
                    );
                    close(
                        &format!("{what} KP"),
                        r.kleibergen_paap_f.unwrap(),
                        fs.partial_f,
                        0.0,
                    );
                    close_all(
                        &format!("{what} se (linearmodels)"),
                        &r.se[..2],
                        &f64s(&e["linearmodels"]["se"]),
                        REL,
                    );
                }
                _ => {
                    // linearmodels counts the nested city dummies in K: F_lm = L F (N - K_all)/(N - K).
                    let n = r.n as f64;
                    let k = (r.first_stages[0].b.len() + 2 + 9) as f64;
                    let k_all = k + 59.0;
                    close(
                        &format!("{what} F vs linearmodels"),
                        fs.partial_f * l * (n - k_all) / (n - k),
                        lm_f,
                        REL,
                    );
                    close(
                        &format!("{what} KP"),
                        r.kleibergen_paap_f.unwrap(),
                        fs.partial_f,
                        0.0,
                    );
                }
            }
            let sy = r.stock_yogo.unwrap();
            assert_eq!(sy.excluded_instruments, fs.b.len());
        }
    }
}

#[test]
fn two_endogenous_regressors_match_linearmodels_and_min_eigenvalue_cd() {
    let g = golden("iv.json");
    let d = &g["data"];
    let col = |c: &str| f64s(&d[c]);
    let (y2, dd, d2, w, z1, z2, z3) = (
        col("y2"),
        col("d"),
        col("d2"),
        col("w"),
        col("z1"),
        col("z2"),
        col("z3"),
    );
    let (city, year) = (u32s(&d["city"]), u32s(&d["year"]));
    let design = IvDesign::new(&y2)
        .exogenous("w", &w)
        .endogenous("d", &dd)
        .endogenous("d2", &d2)
        .instrument("z1", &z1)
        .instrument("z2", &z2)
        .instrument("z3", &z3)
        .absorb(&city)
        .absorb(&year);
    let r = iv_fe(&design, Vce::Unadjusted).unwrap();
    let e = &g["cases"]["two_endog_iid"];
    close_all("b", &r.b[..3], &f64s(&e["b"]), REL);
    close_all("se", &r.se[..3], &f64s(&e["se"]), REL);
    close(
        "CD min eigenvalue",
        r.cragg_donald_f,
        e["cragg_donald_f"].as_f64().unwrap(),
        REL,
    );
    assert_eq!(r.first_stages.len(), 2);
    assert!(r.kleibergen_paap_f.is_none() && r.stock_yogo.is_none());
}

#[test]
fn iv_degenerate_inputs_are_typed_errors() {
    let g = golden("iv.json");
    let d = &g["data"];
    let (y, dd, w) = (f64s(&d["y"]), f64s(&d["d"]), f64s(&d["w"]));
    let city = u32s(&d["city"]);
    // Instrument constant within city: absorbed by the city FE -> no usable instrument.
    let zc: Vec<f64> = city.iter().map(|&c| (c % 7) as f64).collect();
    let design = IvDesign::new(&y)
        .exogenous("w", &w)
        .endogenous("d", &dd)
        .instrument("zc", &zc)
        .absorb(&city);
    assert!(matches!(
        iv_fe(&design, Vce::Cluster(&city)),
        Err(EstimateError::Underidentified(_))
    ));
    // Instrument that is a copy of the exogenous regressor: collinear, dropped -> underidentified.
    let design = IvDesign::new(&y)
        .exogenous("w", &w)
        .endogenous("d", &dd)
        .instrument("w2", &w)
        .absorb(&city);
    assert!(matches!(
        iv_fe(&design, Vce::Robust),
        Err(EstimateError::Underidentified(_))
    ));
    // Endogenous regressor without instruments.
    let design = IvDesign::new(&y).exogenous("w", &w).endogenous("d", &dd);
    assert!(matches!(
        iv_fe(&design, Vce::Robust),
        Err(EstimateError::Underidentified(_))
    ));
}
