//! Golden tests on the study's DEFAULT panel: the DEA inputs of the default synthetic twin
//! (`tests/golden/default_dea_inputs.csv`, 274 cities x 14 years; inputs labour, capital,
//! energy; good output gdp_real; bad outputs so2, dust, wastewater), exactly as the pipeline
//! passes them to this crate (zero-data rule first).
//!
//! Expected values (`tests/golden/default_panel_golden.json` and
//! `default_panel_radial_{highs,deapack}_golden.json`, written by
//! `oracles/make_golden_default_panel.py`): hand-written scipy/HiGHS LPs of the plain and super
//! SBM with undesirable outputs under VRS - own scores of every year, cross-period scores and the
//! full Malmquist-Luenberger index (ML, TE, TC, TP) of every adjacent pair for the
//! contemporaneous and sequential frontiers, global scores and GML/TE/BPC/TP for the global
//! frontier - and DEAPack's `UndesirableSlacksBasedDEA` (plain SBM, VRS, contemporaneous) for a
//! all 14 years; and the radial Malmquist index of the desirable-output part (inputs ->
//! gdp_real) by hand-written HiGHS LPs (both orientations, CRS and VRS, both VRS decompositions)
//! and by DEAPack (`MalmquistProductivityIndex` in the same four settings, with every distance
//! and its status; `FGNZEnhancedMalmquist`, `RayDesliMalmquist`).
//! Agreement: 1e-6 relative (values near 1: absolute).

use robocarb_dea::{
    malmquist_luenberger, replace_zeros, sbm_scores, DeaData, Frontier, MlResult, Returns, Score,
};
use serde_json::Value;

mod common;
use common::*;

fn golden() -> Value {
    read_golden("default_panel_golden.json")
}

/// `which` = "highs" or "deapack".
fn golden_radial(which: &str) -> Value {
    read_golden(&format!("default_panel_radial_{which}_golden.json"))
}

/// Reads the CSV into one `DeaData` per year (units ordered by city code), checks it is the
/// balanced panel the golden file describes, and applies the zero-data rule.
fn panel(g: &Value) -> Vec<DeaData> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/golden/default_dea_inputs.csv",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())
    ))
    .expect("CSV present");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(
        header,
        [
            "city_code",
            "year",
            "labour",
            "capital",
            "energy",
            "gdp_real",
            "so2",
            "dust",
            "wastewater"
        ]
    );
    let mut rows: Vec<(i64, i64, Vec<f64>)> = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 9, "row {l}");
            let vals = f[2..]
                .iter()
                .map(|v| v.parse::<f64>().expect("number"))
                .collect();
            (
                f[0].parse().expect("city"),
                f[1].parse().expect("year"),
                vals,
            )
        })
        .collect();
    rows.sort_by_key(|r| (r.1, r.0));
    let years: Vec<i64> = g["meta"]["years"]
        .as_array()
        .expect("years")
        .iter()
        .map(|v| v.as_i64().expect("year"))
        .collect();
    let cities: Vec<i64> = g["meta"]["cities"]
        .as_array()
        .expect("cities")
        .iter()
        .map(|v| v.as_i64().expect("city"))
        .collect();
    assert_eq!(rows.len(), years.len() * cities.len(), "balanced panel");
    let periods: Vec<DeaData> = years
        .iter()
        .enumerate()
        .map(|(t, &y)| {
            let block = &rows[t * cities.len()..(t + 1) * cities.len()];
            let mut d = DeaData::default();
            for (j, (city, year, v)) in block.iter().enumerate() {
                assert_eq!((*city, *year), (cities[j], y));
                d.inputs.push(v[0..3].to_vec());
                d.good.push(v[3..4].to_vec());
                d.bad.push(v[4..7].to_vec());
            }
            d
        })
        .collect();
    let (fixed, rep) = replace_zeros(&periods).expect("zero rule");
    let expected_zeros: u64 = g["meta"]["zero_counts"]
        .as_object()
        .expect("zero counts")
        .values()
        .map(|v| v.as_u64().expect("count"))
        .sum();
    assert_eq!(rep.total() as u64, expected_zeros);
    fixed
}

fn check_index(ours: [Option<f64>; 4], infeasible: bool, expected: &Value, what: &str) -> usize {
    match expected.as_array() {
        Some(vals) => {
            for (k, (a, b)) in ours.iter().zip(vals).enumerate() {
                let a = a.unwrap_or_else(|| panic!("{what}: index {k} missing"));
                let b = b.as_f64().expect("number");
                assert!(close(a, b), "{what}: index {k} ours {a} oracle {b}");
            }
            4
        }
        None => {
            assert!(
                infeasible && ours[0].is_none(),
                "{what}: must be infeasible"
            );
            1
        }
    }
}

fn case<'a>(g: &'a Value, frontier: &str) -> &'a Value {
    g["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["model"] == "ml" && c["frontier"] == frontier)
        .unwrap_or_else(|| panic!("no {frontier} case in the golden file"))
}

/// Contemporaneous or sequential: own, both cross scores and the index for all pairs.
fn check_adjacent(frontier: Frontier, name: &str) -> usize {
    let g = golden();
    let periods = panel(&g);
    let c = case(&g, name);
    assert_eq!(c["returns"], "vrs");
    let r: MlResult = malmquist_luenberger(&periods, Returns::Vrs, frontier, None).expect("ML");
    let mut n = 0;
    for (t, row) in c["own"].as_array().expect("own").iter().enumerate() {
        for (j, s) in row.as_array().expect("row").iter().enumerate() {
            n += check_score(&r.own[t][j], s, &format!("{name} own t={t} j={j}"));
        }
    }
    let pairs = c["pairs"].as_array().expect("pairs");
    assert_eq!(pairs.len(), periods.len() - 1);
    for (p, row) in pairs.iter().enumerate() {
        for (j, expected) in row.as_array().expect("row").iter().enumerate() {
            let ours = &r.pairs[p][j];
            let what = format!("{name} pair {p} unit {j}");
            let c01 = ours.e_f0_d1.as_ref().expect("cross score");
            let c10 = ours.e_f1_d0.as_ref().expect("cross score");
            n += check_score(c01, &c["cross_f0_d1"][p][j], &format!("{what} f0d1"));
            n += check_score(c10, &c["cross_f1_d0"][p][j], &format!("{what} f1d0"));
            n += check_index(
                [ours.ml, ours.te, ours.tc, ours.tp],
                ours.infeasible,
                expected,
                &what,
            );
        }
    }
    n
}

#[test]
fn default_panel_contemporaneous_vrs_super_sbm_and_ml() {
    // 3,836 own + 7,124 cross scores + 3,562 index rows.
    assert!(check_adjacent(Frontier::Contemporaneous, "contemporaneous") > 20_000);
}

#[test]
fn default_panel_sequential_vrs_super_sbm_and_ml() {
    assert!(check_adjacent(Frontier::Sequential, "sequential") > 20_000);
}

#[test]
fn default_panel_global_vrs_super_sbm_and_gml() {
    let g = golden();
    let periods = panel(&g);
    let c = case(&g, "global");
    let r = malmquist_luenberger(&periods, Returns::Vrs, Frontier::Global, None).expect("GML");
    let n_units = periods[0].units();
    // The oracle covers every unit, or (when generated with --global-units) the first K units of
    // every year against the full pooled reference set.
    let units: Vec<usize> = match c["units"].as_array() {
        Some(u) => u
            .iter()
            .map(|v| v.as_u64().expect("unit") as usize)
            .collect(),
        None => (0..n_units).collect(),
    };
    let mut n = 0;
    for (t, row) in c["global"].as_array().expect("global").iter().enumerate() {
        for (k, s) in row.as_array().expect("row").iter().enumerate() {
            let j = units[k];
            let ours = if t == 0 {
                r.pairs[0][j].e_g_d0.as_ref()
            } else {
                r.pairs[t - 1][j].e_g_d1.as_ref()
            };
            n += check_score(
                ours.expect("global score"),
                s,
                &format!("global t={t} j={j}"),
            );
        }
    }
    for (t, row) in c["own"].as_array().expect("own").iter().enumerate() {
        for (k, s) in row.as_array().expect("row").iter().enumerate() {
            let j = units[k];
            n += check_score(&r.own[t][j], s, &format!("global-case own t={t} j={j}"));
        }
    }
    for (p, row) in c["pairs"].as_array().expect("pairs").iter().enumerate() {
        for (k, expected) in row.as_array().expect("row").iter().enumerate() {
            let j = units[k];
            let ours = &r.pairs[p][j];
            n += check_index(
                [ours.ml, ours.te, ours.tc, ours.tp],
                ours.infeasible,
                expected,
                &format!("global pair {p} unit {j}"),
            );
        }
    }
    assert!(n >= 3 * units.len() * periods.len());
}

#[test]
fn default_panel_deapack_plain_sbm_vrs() {
    let g = golden();
    let periods = panel(&g);
    let mut years = 0;
    for c in g["cases"].as_array().expect("cases") {
        if c["model"] != "sbm_plain" {
            continue;
        }
        let t = c["period_index"].as_u64().expect("period index") as usize;
        let p = &periods[t];
        let ours = sbm_scores(p, p, Returns::Vrs, false, false, None).expect("scores");
        for (j, (s, e)) in ours
            .iter()
            .zip(c["scores"].as_array().expect("scores"))
            .enumerate()
        {
            let a = s
                .value
                .expect("plain SBM with self in reference is feasible");
            let b = e.as_f64().expect("DEAPack score valid");
            assert!(
                close(a, b),
                "DEAPack year {} unit {j}: ours {a}, DEAPack {b}",
                c["year"]
            );
        }
        assert_eq!(ours.len(), p.units());
        years += 1;
    }
    assert!(years >= 2, "DEAPack covers at least two years");
}

/// Checks every radial case of a golden file; returns the number of comparisons and the number
/// of cases per model.
fn check_radial_cases(g: &Value) -> (usize, std::collections::BTreeMap<String, usize>) {
    let periods: Vec<DeaData> = panel(g).iter().map(DeaData::without_bad).collect();
    let mut n = 0;
    let mut kinds = std::collections::BTreeMap::new();
    for c in g["cases"].as_array().expect("cases") {
        let model = c["model"].as_str().unwrap_or("");
        *kinds.entry(model.to_string()).or_insert(0) += 1;
        n += check_radial_case(c, &periods);
    }
    (n, kinds)
}

#[test]
fn default_panel_radial_malmquist_highs() {
    let (n, kinds) = check_radial_cases(&golden_radial("highs"));
    // Two orientations x (CRS, VRS), and the decompositions of both orientations.
    assert_eq!(kinds.get("radial_malmquist_highs"), Some(&4));
    assert_eq!(kinds.get("radial_decomposition_highs"), Some(&2));
    assert_eq!(kinds.len(), 2);
    assert!(n > 100_000);
}

#[test]
fn default_panel_radial_malmquist_deapack() {
    let (n, kinds) = check_radial_cases(&golden_radial("deapack"));
    // MalmquistProductivityIndex: two orientations x (CRS, VRS); FGNZ + Ray-Desli (output).
    assert_eq!(kinds.get("radial_malmquist"), Some(&4));
    assert_eq!(kinds.get("radial_decomposition"), Some(&1));
    assert_eq!(kinds.len(), 2);
    assert!(n > 100_000);
}

/// The cross-period programs against frontiers spanned only by each period's efficient units
/// (`cross_scores_on_efficient`, what the pipeline's `dea_ml` runs) equal those against all
/// units, for every adjacent pair of the default panel, under VRS and CRS.
#[test]
fn default_panel_cross_scores_on_efficient_units_equal_full_frontiers() {
    let g = golden();
    let periods = panel(&g);
    let mut compared = 0;
    for returns in [Returns::Vrs, Returns::Crs] {
        let own: Vec<Vec<Score>> = periods
            .iter()
            .map(|p| robocarb_dea::frontier_scores(p, returns, None).expect("own"))
            .collect();
        for t in 1..periods.len() {
            let full = robocarb_dea::cross_scores(&periods[t - 1], &periods[t], returns, None)
                .expect("full");
            let pruned = robocarb_dea::cross_scores_on_efficient(
                &periods[t - 1],
                &periods[t],
                &own[t - 1],
                &own[t],
                returns,
                None,
            )
            .expect("pruned");
            for (a, b) in full
                .e_f0_d1
                .iter()
                .chain(&full.e_f1_d0)
                .zip(pruned.e_f0_d1.iter().chain(&pruned.e_f1_d0))
            {
                assert_eq!(a.infeasible, b.infeasible);
                assert_eq!(a.kind, b.kind);
                match (a.value, b.value) {
                    (Some(x), Some(y)) => {
                        assert!(
                            (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                            "{returns:?} t={t}: {x} vs {y}"
                        )
                    }
                    (None, None) => {}
                    other => panic!("{returns:?} t={t}: {other:?}"),
                }
                compared += 1;
            }
        }
    }
    // Two returns x pairs x two cross programs per unit.
    assert_eq!(compared, 2 * (periods.len() - 1) * 2 * periods[0].units());
}

/// The Malmquist-Luenberger index with every program against all units (`Reference::AllUnits`,
/// what the synthetic twin runs) equals the frame-based one (the default, what the pipeline
/// runs) to 1e-9 on the default panel: own and cross scores, their kinds and statuses, and the
/// index, for the contemporaneous and the global frontier.
#[test]
fn default_panel_all_units_and_frame_agree() {
    use robocarb_dea::{malmquist_luenberger_against, Reference};
    let g = golden();
    let periods = panel(&g);
    let same = |a: &Score, b: &Score, what: &str| {
        assert_eq!(
            (a.kind, a.sbm, a.super_sbm, a.infeasible),
            (b.kind, b.sbm, b.super_sbm, b.infeasible),
            "{what}"
        );
        match (a.value, b.value) {
            (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{what}"),
            (None, None) => {}
            other => panic!("{what}: {other:?}"),
        }
    };
    let close_opt = |a: Option<f64>, b: Option<f64>, what: &str| match (a, b) {
        (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{what}"),
        (None, None) => {}
        other => panic!("{what}: {other:?}"),
    };
    for frontier in [Frontier::Contemporaneous, Frontier::Global] {
        let run = |reference| {
            malmquist_luenberger_against(&periods, Returns::Vrs, frontier, reference, None)
                .expect("ML")
        };
        let (framed, all) = (run(Reference::Frame), run(Reference::AllUnits));
        for (t, (a, b)) in framed.own.iter().zip(&all.own).enumerate() {
            for (j, (x, y)) in a.iter().zip(b).enumerate() {
                same(x, y, &format!("{frontier:?} own t={t} j={j}"));
            }
        }
        for (p, (a, b)) in framed.pairs.iter().zip(&all.pairs).enumerate() {
            for (j, (x, y)) in a.iter().zip(b).enumerate() {
                let what = format!("{frontier:?} pair {p} unit {j}");
                for (s, r) in [
                    (&x.e_f0_d1, &y.e_f0_d1),
                    (&x.e_f1_d0, &y.e_f1_d0),
                    (&x.e_g_d0, &y.e_g_d0),
                    (&x.e_g_d1, &y.e_g_d1),
                ] {
                    assert_eq!(s.is_some(), r.is_some(), "{what}");
                    if let (Some(s), Some(r)) = (s, r) {
                        same(s, r, &what);
                    }
                }
                for (u, v) in [(x.ml, y.ml), (x.te, y.te), (x.tc, y.tc), (x.tp, y.tp)] {
                    close_opt(u, v, &what);
                }
            }
        }
    }
}
