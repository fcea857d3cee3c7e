//! The formula grammar against pyfixest on the default panel: each declaration of
//! `tests/golden/formulas_pyfixest.json` (made by `oracles/formulas_pyfixest.py`) is resolved
//! with the file's sets and aliases, expanded, and fitted by the model node's code; the models
//! come out in pyfixest's order with pyfixest's names, and every coefficient and standard error
//! agrees to 1e-8 (relative).

use robocarb_panel::{Column, Frame};
use robocarb_pipeline::declare::{Declarations, ModelText};
use robocarb_pipeline::ops::model::fit_model;
use serde_json::Value;
use std::path::PathBuf;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The default panel as the oracle read it: text where a value is not a number, integers where
/// every value is one, floats otherwise (empty = missing).
pub fn default_panel() -> Frame {
    let text = std::fs::read_to_string(golden_dir().join("default_panel.csv")).expect("panel csv");
    let mut lines = text.lines();
    let names: Vec<&str> = lines.next().expect("header").split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let mut frame = Frame::new();
    for (j, name) in names.iter().enumerate() {
        let cells: Vec<&str> = rows.iter().map(|r| r[j]).collect();
        let column = if *name == "city_code" || *name == "province_code" {
            Column::Str(cells.iter().map(|c| c.to_string()).collect())
        } else if let Ok(v) = cells
            .iter()
            .map(|c| c.parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
        {
            Column::I64(v)
        } else {
            Column::F64(
                cells
                    .iter()
                    .map(|c| {
                        if c.is_empty() {
                            f64::NAN
                        } else {
                            c.parse().expect("number")
                        }
                    })
                    .collect(),
            )
        };
        frame.push(*name, column).expect("column");
    }
    frame
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-8 * b.abs().max(1e-300) || (a - b).abs() < 1e-13
}

/// pyfixest writes `Y ~ X + 1` for the base model of `csw0`; the grammar's name is `Y ~ X`.
fn canonical(name: &str) -> String {
    name.replace(' ', "")
        .replace("+1|", "|")
        .trim_end_matches("+1")
        .to_string()
}

#[test]
fn formulas_match_pyfixest_on_the_default_panel() {
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(golden_dir().join("formulas_pyfixest.json")).expect("golden"),
    )
    .expect("json");
    let mut decl = Declarations::default();
    for (k, v) in golden["sets"].as_object().expect("sets") {
        let members = v
            .as_array()
            .expect("list")
            .iter()
            .map(|m| m.as_str().expect("name").to_string());
        decl.sets.insert(k.clone(), members.collect());
    }
    for (k, v) in golden["aliases"].as_object().expect("aliases") {
        decl.aliases
            .insert(k.clone(), v.as_str().expect("column").to_string());
    }
    decl.time = Some("year".into());
    let panel = default_panel();
    let cases = golden["cases"].as_array().expect("cases");
    assert!(cases.len() >= 25, "{} declarations", cases.len());
    let mut compared = 0;
    for case in cases {
        let text = ModelText {
            formula: case["formula"].as_str().expect("formula"),
            vcov: case["vcov"].as_str(),
            sample: case["sample"].as_str(),
            years: case["years"].as_str(),
            ..Default::default()
        };
        let models = decl.resolve(&text).unwrap_or_else(|e| panic!("{e}"));
        let expected = case["models"].as_array().expect("models");
        let names: Vec<String> = models
            .iter()
            .map(|m| canonical(&m.spec.formula.to_string()))
            .collect();
        let want: Vec<String> = expected
            .iter()
            .map(|m| canonical(m["name"].as_str().expect("name")))
            .collect();
        assert_eq!(
            names, want,
            "{}: models or their order differ from pyfixest's",
            text.formula
        );
        for (m, e) in models.iter().zip(expected) {
            let r = fit_model(&panel, m, "panel")
                .unwrap_or_else(|err| panic!("{}: {err}", m.spec.formula));
            let what = format!(
                "{} [{} | {:?} | {:?}]",
                r.name, case["vcov"], text.sample, text.years
            );
            assert_eq!(r.column.n, e["n"].as_u64().expect("n"), "{what}: n");
            let ecoefs = e["coefs"].as_object().expect("coefs");
            // reghdfe (and this crate) report the constant of a model with absorbed effects;
            // pyfixest does not: the constant is the only name ours may add.
            let extra: Vec<&String> = r
                .column
                .coefs
                .keys()
                .filter(|k| !ecoefs.contains_key(*k))
                .collect();
            assert!(
                extra.is_empty() || (extra == ["const"] && !m.spec.formula.fe.is_empty()),
                "{what}: coefficients {extra:?} pyfixest does not have"
            );
            for (name, c) in ecoefs {
                let got = r
                    .column
                    .coefs
                    .get(name)
                    .unwrap_or_else(|| panic!("{what}: no `{name}`"));
                let (b, se) = (c["b"].as_f64().expect("b"), c["se"].as_f64().expect("se"));
                assert!(
                    close(got.b, b),
                    "{what}: b[{name}] {} vs pyfixest {b}",
                    got.b
                );
                assert!(
                    close(got.se, se),
                    "{what}: se[{name}] {} vs pyfixest {se}",
                    got.se
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 250, "only {compared} coefficients compared");
}
