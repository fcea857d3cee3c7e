//! Helpers shared by the golden tests: reading the JSON files the oracle scripts write, and the
//! comparison rule (1e-6 relative, absolute below 1).

// Each test crate uses its own subset.
#![allow(dead_code)]

use robocarb_dea::{Orientation, Returns};
use serde_json::Value;

pub const TOL: f64 = 1e-6;

/// Parses `tests/golden/{name}` (found from the runtime CARGO_MANIFEST_DIR, see crates/cli tests).
pub fn read_golden(name: &str) -> Value {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let text = std::fs::read_to_string(format!("{dir}/tests/golden/{name}"))
        .unwrap_or_else(|e| panic!("golden file {name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("golden file {name} parses: {e}"))
}

/// A JSON array of arrays of numbers.
pub fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .map(|x| x.as_f64().expect("number"))
                .collect()
        })
        .collect()
}

/// `|a - b| <= 1e-6 max(|b|, 1)`.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOL * b.abs().max(1.0)
}

pub fn returns_of(case: &Value) -> Returns {
    match case["returns"].as_str() {
        Some("crs") => Returns::Crs,
        Some("vrs") => Returns::Vrs,
        other => panic!("returns {other:?}"),
    }
}

pub fn orientation_of(case: &Value) -> Orientation {
    match case["orientation"].as_str() {
        Some("input") => Orientation::Input,
        Some("output") => Orientation::Output,
        other => panic!("orientation {other:?}"),
    }
}

/// Compares an optional value with a JSON number or null; returns 1 (one comparison).
pub fn check_opt(ours: Option<f64>, oracle: &Value, what: &str) -> usize {
    match (ours, oracle.as_f64()) {
        (Some(a), Some(b)) => assert!(close(a, b), "{what}: ours {a}, oracle {b}"),
        (None, None) => {}
        (a, b) => panic!("{what}: ours {a:?}, oracle {b:?}"),
    }
    1
}
