//! Shared helpers of the fgls_* and pcse_* integration tests: golden files and design matrices.
#![allow(dead_code)]

use faer::Mat;
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

/// A regression as owned data: `y`, `x` (N x k), names, panel and time ids.
#[derive(Clone)]
pub struct Design {
    pub y: Vec<f64>,
    pub x: Mat<f64>,
    pub names: Vec<String>,
    pub panel: Vec<u32>,
    pub time: Vec<i32>,
}

impl Design {
    pub fn regression(&self) -> robocarb_estimate::fgls::PanelRegression<'_> {
        robocarb_estimate::fgls::PanelRegression {
            y: &self.y,
            x: self.x.as_ref(),
            names: &self.names,
            panel: &self.panel,
            time: &self.time,
        }
    }

    /// The same regression with its rows in another order.
    pub fn permuted(&self, order: &[usize]) -> Design {
        Design {
            y: order.iter().map(|&r| self.y[r]).collect(),
            x: Mat::from_fn(order.len(), self.x.ncols(), |i, j| self.x[(order[i], j)]),
            names: self.names.clone(),
            panel: order.iter().map(|&r| self.panel[r]).collect(),
            time: order.iter().map(|&r| self.time[r]).collect(),
        }
    }
}

fn floats(v: &Value, key: &str) -> Vec<f64> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("missing {key}"))
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

fn ints(v: &Value, key: &str) -> Vec<i64> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("missing {key}"))
        .iter()
        .map(|x| x.as_i64().unwrap_or(i64::MIN))
        .collect()
}

/// Grunfeld: invest on mvalue, kstock and a constant.
fn grunfeld_design(file: &str) -> Design {
    let d = golden(file);
    let y = floats(&d, "invest");
    let (mv, ks) = (floats(&d, "mvalue"), floats(&d, "kstock"));
    Design {
        x: Mat::from_fn(y.len(), 3, |i, j| [mv[i], ks[i], 1.0][j]),
        y,
        names: vec!["mvalue".into(), "kstock".into(), "_cons".into()],
        panel: ints(&d, "company").iter().map(|&v| v as u32).collect(),
        time: ints(&d, "year").iter().map(|&v| v as i32).collect(),
    }
}

/// x1, x2, panel dummies (base = smallest panel id), year dummies (base = first year), constant.
fn synthetic_design(file: &str) -> Design {
    let d = golden(file);
    let y = floats(&d, "y");
    let (x1, x2) = (floats(&d, "x1"), floats(&d, "x2"));
    let panel: Vec<u32> = ints(&d, "panel").iter().map(|&v| v as u32).collect();
    let time: Vec<i32> = ints(&d, "time").iter().map(|&v| v as i32).collect();
    let mut panels = panel.clone();
    panels.sort_unstable();
    panels.dedup();
    let mut years = time.clone();
    years.sort_unstable();
    years.dedup();
    let mut cols: Vec<Vec<f64>> = vec![x1, x2];
    let mut names: Vec<String> = vec!["x1".into(), "x2".into()];
    for &p in &panels[1..] {
        cols.push(panel.iter().map(|&q| f64::from(u8::from(q == p))).collect());
        names.push(format!("panel_{p}"));
    }
    for &t in &years[1..] {
        cols.push(time.iter().map(|&s| f64::from(u8::from(s == t))).collect());
        names.push(format!("year_{t}"));
    }
    cols.push(vec![1.0; y.len()]);
    names.push("_cons".into());
    Design {
        x: Mat::from_fn(y.len(), cols.len(), |i, j| cols[j][i]),
        y,
        names,
        panel,
        time,
    }
}

/// x1, x2 and a constant (no dummies).
fn pooled_design(file: &str) -> Design {
    let d = golden(file);
    let y = floats(&d, "y");
    let (x1, x2) = (floats(&d, "x1"), floats(&d, "x2"));
    Design {
        x: Mat::from_fn(y.len(), 3, |i, j| [x1[i], x2[i], 1.0][j]),
        y,
        names: vec!["x1".into(), "x2".into(), "_cons".into()],
        panel: ints(&d, "panel").iter().map(|&v| v as u32).collect(),
        time: ints(&d, "time").iter().map(|&v| v as i32).collect(),
    }
}

pub fn design(data: &str) -> Design {
    match data {
        "grunfeld" => grunfeld_design("fgls_grunfeld_data.json"),
        "grunfeld_unbalanced" => grunfeld_design("pcse_grunfeld_unbalanced_data.json"),
        "synthetic" => synthetic_design("fgls_synthetic_panel.json"),
        "synthetic_gap" => synthetic_design("pcse_synthetic_gap_panel.json"),
        "small_gap" => synthetic_design("gls_small_gap_panel.json"),
        "small_gap_pooled" => pooled_design("gls_small_gap_panel.json"),
        other => panic!("unknown data set {other}"),
    }
}

/// Asserts `|got - want| <= tol * (|want| + floor)` elementwise, where `floor` is 1e-6 of the
/// largest |want| (so entries that are zero up to rounding do not demand relative precision).
pub fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let floor = 1e-6 * want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (w.abs() + floor),
            "{what}[{i}]: got {g:e}, want {w:e} (tol {tol:e})"
        );
    }
}

pub fn assert_close1(what: &str, got: f64, want: f64, tol: f64) {
    assert_close(what, &[got], &[want], tol);
}

/// p-values: relative where they are not tiny, absolute 1e-14 below.
pub fn assert_p_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs() + 1e-14,
            "{what}[{i}]: got {g:e}, want {w:e}"
        );
    }
}

pub fn values(v: &Value, key: &str) -> Vec<f64> {
    floats(v, key)
}

/// Stata prints 7 significant digits: the printed value must round to the reported one, i.e.
/// `|got - printed| <= 0.5` units of the last printed digit.
pub fn assert_printed(what: &str, got: f64, printed: &str) {
    let decimals = printed.split('.').nth(1).map_or(0, str::len);
    let half_unit = 0.5 * 10f64.powi(-(decimals as i32));
    let want: f64 = printed.parse().unwrap_or(f64::NAN);
    assert!(
        (got - want).abs() <= half_unit * (1.0 + 1e-9),
        "{what}: got {got}, Stata printed {printed}"
    );
}
