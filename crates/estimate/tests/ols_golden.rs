//! OLS with absorbed fixed effects against pyfixest (reghdfe small-sample conventions),
//! statsmodels LSDV and linearmodels PanelOLS. Golden files: oracles/gen_golden.py.

mod common;
use common::*;
use robocarb_estimate::{ols_fe, Design, OlsResult, Vce};
use serde_json::Value;

const REL: f64 = 1e-8;

fn check(what: &str, r: &OlsResult, e: &Value, slopes_only: bool) {
    let names = strings(&e["names"]);
    let k = names.len();
    let idx: Vec<usize> = names
        .iter()
        .map(|n| {
            r.index_of(n)
                .unwrap_or_else(|| panic!("{what}: {n} missing"))
        })
        .collect();
    let pick = |v: &[f64]| idx.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    close_all(&format!("{what} b"), &pick(&r.b), &f64s(&e["b"]), REL);
    close_all(&format!("{what} se"), &pick(&r.se), &f64s(&e["se"]), REL);
    close_all(&format!("{what} t"), &pick(&r.t), &f64s(&e["t"]), REL);
    // pyfixest computes p as 2 (1 - F(|t|)), exact only to about 1e-15 absolute.
    for (a, x) in pick(&r.p).iter().zip(f64s(&e["p"])) {
        assert!((a - x).abs() <= 1e-7 * x + 1e-13, "{what} p: {a} vs {x}");
    }
    for (a, &i) in idx.iter().enumerate() {
        let row = f64s(&e["vcov"][a]);
        for (c, &j) in idx.iter().enumerate() {
            close(&format!("{what} vcov[{a}][{c}]"), r.vcov[i][j], row[c], REL);
        }
    }
    assert_eq!(r.n as u64, e["n"].as_u64().unwrap(), "{what} n");
    close(
        &format!("{what} df"),
        r.df_t,
        e["df_t"].as_f64().unwrap(),
        0.0,
    );
    if !e["r2_within"].is_null() && !slopes_only {
        close(
            &format!("{what} r2 within"),
            r.r2_within,
            e["r2_within"].as_f64().unwrap(),
            REL,
        );
    }
    close(
        &format!("{what} r2 overall"),
        r.r2_overall,
        e["r2_overall"].as_f64().expect("r2_overall"),
        REL,
    );
    let _ = k;
}

#[test]
fn grunfeld_matches_pyfixest() {
    let g = golden("grunfeld.json");
    let d = &g["data"];
    let (invest, mvalue, kstock) = (f64s(&d["invest"]), f64s(&d["mvalue"]), f64s(&d["kstock"]));
    let (firm, year) = (u32s(&d["firm"]), u32s(&d["year"]));
    let two = Design::new(&invest)
        .regressor("mvalue", &mvalue)
        .regressor("kstock", &kstock)
        .absorb(&firm)
        .absorb(&year);
    let one = Design::new(&invest)
        .regressor("mvalue", &mvalue)
        .regressor("kstock", &kstock)
        .absorb(&firm);
    let none = Design::new(&invest)
        .regressor("mvalue", &mvalue)
        .regressor("kstock", &kstock);
    let c = &g["cases"];
    let r = ols_fe(&two, Vce::Cluster(&firm)).unwrap();
    check("twoway cluster", &r, &c["twoway_cluster_firm"], false);
    // reghdfe: K = 2 regressors + constant + 19 year levels (firm FE nested in the cluster).
    assert_eq!(r.k, 22);
    assert_eq!(r.n_clusters, vec![10]);
    close(
        "cons vs PanelOLS",
        r.coef("_cons").unwrap().0,
        c["twoway_cluster_firm"]["cons"].as_f64().unwrap(),
        REL,
    );
    close_all(
        "b vs LSDV",
        &r.b[..2],
        &f64s(&c["twoway_cluster_firm"]["b_lsdv"]),
        REL,
    );
    check(
        "twoway hc1",
        &ols_fe(&two, Vce::Robust).unwrap(),
        &c["twoway_hc1"],
        false,
    );
    check(
        "twoway iid",
        &ols_fe(&two, Vce::Unadjusted).unwrap(),
        &c["twoway_iid"],
        false,
    );
    check(
        "twoway 2-way cluster",
        &ols_fe(&two, Vce::TwoWayCluster(&firm, &year)).unwrap(),
        &c["twoway_cluster_firm_year"],
        false,
    );
    check(
        "oneway cluster",
        &ols_fe(&one, Vce::Cluster(&firm)).unwrap(),
        &c["oneway_cluster_firm"],
        false,
    );
    check(
        "oneway iid",
        &ols_fe(&one, Vce::Unadjusted).unwrap(),
        &c["oneway_iid"],
        false,
    );
    check(
        "nofe cluster",
        &ols_fe(&none, Vce::Cluster(&firm)).unwrap(),
        &c["nofe_cluster_firm"],
        true,
    );
    check(
        "nofe hc1",
        &ols_fe(&none, Vce::Robust).unwrap(),
        &c["nofe_hc1"],
        true,
    );
}

#[test]
fn unbalanced_panel_with_singletons_and_collinearity_matches_pyfixest() {
    let g = golden("unbalanced.json");
    let d = &g["data"];
    let cols: Vec<Vec<f64>> = ["y", "x1", "x2", "x3", "x4", "xc"]
        .iter()
        .map(|c| f64s(&d[*c]))
        .collect();
    let (city, year, province) = (u32s(&d["city"]), u32s(&d["year"]), u32s(&d["province"]));
    let design = Design::new(&cols[0])
        .regressor("x1", &cols[1])
        .regressor("x2", &cols[2])
        .regressor("x3", &cols[3])
        .regressor("x4", &cols[4])
        .regressor("xc", &cols[5])
        .absorb(&city)
        .absorb(&year);
    let c = &g["cases"];
    let r = ols_fe(&design, Vce::Cluster(&city)).unwrap();
    check("cluster city", &r, &c["cluster_city"], false);
    assert_eq!(
        r.singletons_dropped as u64,
        c["cluster_city"]["singletons_dropped"].as_u64().unwrap()
    );
    assert_eq!(
        r.collinear_dropped,
        strings(&c["cluster_city"]["collinear_dropped"])
    );
    close_all(
        "b vs LSDV",
        &r.b[..3],
        &f64s(&c["cluster_city"]["b_lsdv"]),
        REL,
    );
    check(
        "cluster province",
        &ols_fe(&design, Vce::Cluster(&province)).unwrap(),
        &c["cluster_province"],
        false,
    );
    check(
        "two-way cluster",
        &ols_fe(&design, Vce::TwoWayCluster(&city, &year)).unwrap(),
        &c["cluster_city_year"],
        false,
    );
    check(
        "hc1",
        &ols_fe(&design, Vce::Robust).unwrap(),
        &c["hc1"],
        false,
    );
    check(
        "iid",
        &ols_fe(&design, Vce::Unadjusted).unwrap(),
        &c["iid"],
        false,
    );
}

#[test]
fn distributions_match_scipy() {
    use robocarb_estimate::dist;
    let g = golden("distributions.json");
    for row in g["rows"].as_array().unwrap() {
        let x = row["x"].as_f64().unwrap();
        let v = row["v"].as_f64().unwrap();
        let got = match row["kind"].as_str().unwrap() {
            "t2" => dist::t_two_sided_p(x, row["df"].as_f64().unwrap()),
            "f" => dist::f_sf(x, row["d1"].as_f64().unwrap(), row["d2"].as_f64().unwrap()),
            "chi2" => dist::chi2_sf(x, row["df"].as_f64().unwrap()),
            "ncdf" => dist::normal_cdf(x),
            "nq" => dist::normal_quantile(x),
            k => panic!("unknown kind {k}"),
        };
        close(&format!("{row}"), got, v, 1e-12);
    }
}
