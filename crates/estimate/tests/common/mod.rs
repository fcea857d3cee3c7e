//! Helpers shared by the golden-file tests.
#![allow(dead_code)]

use serde_json::Value;

pub fn golden(name: &str) -> Value {
    let path = format!(
        "{}/tests/golden/{name}",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

pub fn u32s(v: &Value) -> Vec<u32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("integer") as u32)
        .collect()
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_str().expect("string").to_string())
        .collect()
}

/// Asserts `|a - e| <= rel * max(|e|, floor)`.
pub fn close(what: &str, a: f64, e: f64, rel: f64) {
    let tol = rel * e.abs().max(1e-12);
    assert!(
        (a - e).abs() <= tol,
        "{what}: got {a:.15e}, expected {e:.15e} (rel diff {:.2e})",
        ((a - e) / e).abs()
    );
}

pub fn close_all(what: &str, a: &[f64], e: &[f64], rel: f64) {
    assert_eq!(a.len(), e.len(), "{what}: length");
    for (i, (x, y)) in a.iter().zip(e).enumerate() {
        close(&format!("{what}[{i}]"), *x, *y, rel);
    }
}
