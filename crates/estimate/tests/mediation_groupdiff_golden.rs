//! Mediation (Baron-Kenny + Sobel/Aroian/Goodman + cluster bootstrap with injected draws)
//! and group differences (bdiff permutations replayed, Chow test) against pyfixest fits
//! and closed forms computed in oracles/gen_golden.py.

mod common;
use common::*;
use robocarb_estimate::mediation::{Coef, MediationInput};
use robocarb_estimate::{
    group_difference, mediation, Draws, GroupDiffInput, GroupDiffOptions, MediationOptions,
};
use serde_json::Value;

const REL: f64 = 1e-8;

fn check_coef(what: &str, c: &Coef, e: &Value) {
    close(&format!("{what} b"), c.b, e["b"].as_f64().unwrap(), REL);
    close(&format!("{what} se"), c.se, e["se"].as_f64().unwrap(), REL);
    close(&format!("{what} t"), c.t, e["t"].as_f64().unwrap(), REL);
    let p = e["p"].as_f64().unwrap();
    assert!(
        (c.p - p).abs() <= 1e-7 * p + 1e-13,
        "{what} p {} vs {p}",
        c.p
    );
}

#[test]
fn mediation_matches_oracle_with_replayed_bootstrap() {
    let g = golden("mediation.json");
    let d = &g["data"];
    let (y, x, m, w) = (f64s(&d["y"]), f64s(&d["x"]), f64s(&d["m"]), f64s(&d["w"]));
    let (city, year) = (u32s(&d["city"]), u32s(&d["year"]));
    let e = &g["result"];
    let draws: Vec<Vec<u32>> = e["bootstrap"]["draws"]
        .as_array()
        .unwrap()
        .iter()
        .map(u32s)
        .collect();
    let input = MediationInput {
        y: &y,
        x: ("x", &x),
        m: ("m", &m),
        controls: vec![("w", &w)],
        fe: vec![&city, &year],
        cluster: &city,
    };
    let opts = MediationOptions {
        draws: Draws::Explicit(&draws),
        ..Default::default()
    };
    let r = mediation(&input, &opts).unwrap();
    check_coef("c", &r.c, &e["c"]);
    check_coef("a", &r.a, &e["a"]);
    check_coef("b", &r.b, &e["b"]);
    check_coef("c'", &r.c_prime, &e["c_prime"]);
    close("ab", r.indirect, e["indirect"].as_f64().unwrap(), REL);
    close(
        "proportion",
        r.proportion_mediated.unwrap(),
        e["proportion_mediated"].as_f64().unwrap(),
        REL,
    );
    let goodman = r.goodman.unwrap();
    for (name, t) in [
        ("sobel", &r.sobel),
        ("aroian", &r.aroian),
        ("goodman", &goodman),
    ] {
        let et = &e["tests"][name];
        close(&format!("{name} se"), t.se, et["se"].as_f64().unwrap(), REL);
        close(&format!("{name} z"), t.z, et["z"].as_f64().unwrap(), REL);
        close(&format!("{name} p"), t.p, et["p"].as_f64().unwrap(), 1e-10);
    }
    let bs = r.bootstrap.unwrap();
    let eb = &e["bootstrap"];
    assert_eq!(bs.failed, 0);
    close_all("ab*", &bs.draws, &f64s(&eb["ab"]), 1e-7);
    close("boot mean", bs.mean, eb["mean"].as_f64().unwrap(), 1e-7);
    close("boot se", bs.se, eb["se"].as_f64().unwrap(), 1e-6);
    let pct = f64s(&eb["percentile"]);
    close("pct lo", bs.percentile.0, pct[0], 1e-7);
    close("pct hi", bs.percentile.1, pct[1], 1e-7);
    let bc = f64s(&eb["bias_corrected"]);
    let (lo, hi) = bs.bias_corrected.unwrap();
    close("bc lo", lo, bc[0], 1e-7);
    close("bc hi", hi, bc[1], 1e-7);
}

#[test]
fn mediation_seeded_bootstrap_is_deterministic() {
    let g = golden("mediation.json");
    let d = &g["data"];
    let (y, x, m, w) = (f64s(&d["y"]), f64s(&d["x"]), f64s(&d["m"]), f64s(&d["w"]));
    let (city, year) = (u32s(&d["city"]), u32s(&d["year"]));
    let input = MediationInput {
        y: &y,
        x: ("x", &x),
        m: ("m", &m),
        controls: vec![("w", &w)],
        fe: vec![&city, &year],
        cluster: &city,
    };
    let opts = MediationOptions {
        draws: Draws::Seeded { reps: 25, seed: 7 },
        ..Default::default()
    };
    let a = mediation(&input, &opts).unwrap().bootstrap.unwrap();
    let b = mediation(&input, &opts).unwrap().bootstrap.unwrap();
    assert_eq!(a.draws, b.draws);
    assert_eq!(a.draws.len(), 25);
    // The same draws passed explicitly give the same replicates.
    let explicit = robocarb_estimate::resample::bootstrap_draws(25, 50, 7);
    let c = mediation(
        &input,
        &MediationOptions {
            draws: Draws::Explicit(&explicit),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.bootstrap.unwrap().draws, a.draws);
}

#[test]
fn group_difference_matches_oracle_with_replayed_permutations() {
    let g = golden("groupdiff.json");
    let d = &g["data"];
    let (y, x, w) = (f64s(&d["y"]), f64s(&d["x"]), f64s(&d["w"]));
    let (city, year) = (u32s(&d["city"]), u32s(&d["year"]));
    let group: Vec<bool> = u32s(&d["g"]).iter().map(|&v| v == 1).collect();
    let e = &g["result"];
    let perms: Vec<Vec<u32>> = e["permutations"]
        .as_array()
        .unwrap()
        .iter()
        .map(u32s)
        .collect();
    let input = GroupDiffInput {
        y: &y,
        x: vec![("x", &x), ("w", &w)],
        coef: "x",
        fe: vec![&city, &year],
        cluster: &city,
        group: &group,
    };
    let r = group_difference(
        &input,
        &GroupDiffOptions {
            permutations: Draws::Explicit(&perms),
            ..Default::default()
        },
    )
    .unwrap();
    for (what, got, exp) in [
        ("group0", &r.group0, &e["group0"]),
        ("group1", &r.group1, &e["group1"]),
    ] {
        close(&format!("{what} b"), got.b, exp["b"].as_f64().unwrap(), REL);
        close(
            &format!("{what} se"),
            got.se,
            exp["se"].as_f64().unwrap(),
            REL,
        );
        close(&format!("{what} t"), got.t, exp["t"].as_f64().unwrap(), REL);
        assert_eq!(got.n as u64, exp["n"].as_u64().unwrap());
    }
    close("d0", r.d0, e["d0"].as_f64().unwrap(), REL);
    let perm = r.permutation.unwrap();
    close_all("d*", &perm.draws, &f64s(&e["d_star"]), 1e-7);
    assert_eq!(perm.p, e["p"].as_f64().unwrap());
    let c = &e["chow"];
    close("chow diff", r.chow.diff, c["diff"].as_f64().unwrap(), REL);
    close(
        "chow diff = b1 - b0",
        r.chow.diff,
        r.group1.b - r.group0.b,
        1e-7,
    );
    close("chow se", r.chow.se, c["se"].as_f64().unwrap(), REL);
    close("chow F", r.chow.f, c["f"].as_f64().unwrap(), REL);
    close("chow p", r.chow.p, c["p"].as_f64().unwrap(), 1e-7);
    close(
        "chow joint F",
        r.chow.joint_f,
        c["joint_f"].as_f64().unwrap(),
        REL,
    );
    close(
        "chow joint p",
        r.chow.joint_p,
        c["joint_p"].as_f64().unwrap(),
        1e-7,
    );
    close("chow df", r.chow.f_df.1, c["df"].as_f64().unwrap(), 0.0);
}

/// Bootstrap ab* and permutation d* on an unbalanced city x year panel (holes, singleton
/// cities, a year seen by few cities), each draw refitted by pyfixest: the moment fast
/// path takes most of these draws (`resampling_unbalanced` in oracles/gen_golden.py).
#[test]
fn unbalanced_resampling_matches_oracle_draw_by_draw() {
    let g = golden("resampling_unbalanced.json");
    let d = &g["data"];
    let (y, x, m, w) = (f64s(&d["y"]), f64s(&d["x"]), f64s(&d["m"]), f64s(&d["w"]));
    let (city, year) = (u32s(&d["city"]), u32s(&d["year"]));
    let group: Vec<bool> = u32s(&d["g"]).iter().map(|&v| v == 1).collect();
    let e = &g["result"];
    let positions =
        |key: &str| -> Vec<Vec<u32>> { e[key].as_array().unwrap().iter().map(u32s).collect() };
    let draws = positions("bootstrap_draws");
    let input = MediationInput {
        y: &y,
        x: ("x", &x),
        m: ("m", &m),
        controls: vec![("w", &w)],
        fe: vec![&city, &year],
        cluster: &city,
    };
    let opts = MediationOptions {
        draws: Draws::Explicit(&draws),
        ..Default::default()
    };
    let r = mediation(&input, &opts).unwrap();
    close("a", r.a.b, e["a"].as_f64().unwrap(), REL);
    close("b", r.b.b, e["b"].as_f64().unwrap(), REL);
    let bs = r.bootstrap.unwrap();
    assert_eq!(bs.failed, 0);
    close_all("ab*", &bs.draws, &f64s(&e["ab"]), REL);

    let perms = positions("permutations");
    let input = GroupDiffInput {
        y: &y,
        x: vec![("x", &x), ("w", &w)],
        coef: "x",
        fe: vec![&city, &year],
        cluster: &city,
        group: &group,
    };
    let r = group_difference(
        &input,
        &GroupDiffOptions {
            permutations: Draws::Explicit(&perms),
            ..Default::default()
        },
    )
    .unwrap();
    let perm = r.permutation.unwrap();
    assert_eq!(perm.failed, 0);
    close_all("d*", &perm.draws, &f64s(&e["d_star"]), REL);
}
