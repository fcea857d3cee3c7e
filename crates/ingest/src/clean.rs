//! Cleaning: interpolation within a city, pooled winsorizing, and the perpetual-inventory
//! capital stock. Pure functions on frames and slices.

use std::collections::BTreeMap;

use robocarb_panel::{Column, Frame};

use crate::error::IngestError;

/// Row indices of each city, ordered by year (the frame needs `city_code` (str), `year` (i64)).
pub(crate) fn city_groups(frame: &Frame) -> Result<BTreeMap<String, Vec<usize>>, IngestError> {
    let codes = frame.str("city_code")?;
    let years = frame.i64("year")?;
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, c) in codes.iter().enumerate() {
        groups.entry(c.clone()).or_default().push(i);
    }
    for rows in groups.values_mut() {
        rows.sort_by_key(|&i| years[i]);
    }
    Ok(groups)
}

/// Linear interpolation over years inside each city's observed span (no extrapolation):
/// for a missing x at year t between observed (t0, x0) and (t1, x1) of the same city,
/// `x = x0 + (x1 - x0) * (t - t0) / (t1 - t0)`. Leading and trailing gaps stay missing.
/// Returns the new frame and the number of filled cells per column.
pub fn interpolate_within_city(
    frame: &Frame,
    cols: &[&str],
) -> Result<(Frame, BTreeMap<String, usize>), IngestError> {
    let groups = city_groups(frame)?;
    let years = frame.i64("year")?;
    let mut out = frame.clone();
    let mut filled = BTreeMap::new();
    for &col in cols {
        let mut v = frame.f64(col)?.to_vec();
        let mut count = 0usize;
        for rows in groups.values() {
            let observed: Vec<usize> = rows.iter().copied().filter(|&i| !v[i].is_nan()).collect();
            for pair in observed.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let (t0, t1) = (years[a] as f64, years[b] as f64);
                let (x0, x1) = (v[a], v[b]);
                for &i in rows {
                    let t = years[i] as f64;
                    if t > t0 && t < t1 && v[i].is_nan() {
                        v[i] = x0 + (x1 - x0) * (t - t0) / (t1 - t0);
                        count += 1;
                    }
                }
            }
        }
        out.set(col, Column::F64(v))?;
        filled.insert(col.to_string(), count);
    }
    Ok((out, filled))
}

/// Empirical percentile with Stata's `_pctile` / `summarize, detail` convention (no `altdef`),
/// as used by `winsor2`: sort the n non-missing values x_(1) <= ... <= x_(n); let
/// n * p = j + g with j integer and 0 <= g < 1. Then the percentile is
/// `(x_(j) + x_(j+1)) / 2` when g = 0 and `x_(j+1)` when g > 0 (with x_(0) = x_(1),
/// x_(n+1) = x_(n)). This is Hyndman-Fan type 2 (numpy's `averaged_inverted_cdf`).
/// `p` in [0, 1]. Returns NaN when there is no non-missing value.
pub fn stata_pctile(values: &[f64], p: f64) -> f64 {
    let mut x: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if x.is_empty() {
        return f64::NAN;
    }
    x.sort_by(f64::total_cmp);
    let n = x.len();
    let np = n as f64 * p;
    let j = np.floor();
    // n*p is computed in floating point (0.01 * 300 = 3.0000000000000004): treat a fraction
    // within 1e-9 of an integer as exact, as the position is meant to be rational.
    let (j, g) = if np - j > 1.0 - 1e-9 {
        (j + 1.0, 0.0)
    } else {
        (j, np - j)
    };
    let j = j as usize; // 0 <= j <= n
    let at = |k: usize| x[k.clamp(1, n) - 1]; // 1-based order statistic
    if g > 1e-9 {
        at(j + 1)
    } else {
        (at(j) + at(j + 1)) / 2.0
    }
}

/// Winsorize each column at pooled percentiles (`lower`, `upper` in [0, 1], e.g. 0.01, 0.99):
/// values below the lower percentile are set to it, above the upper percentile likewise
/// (Stata `winsor2 ..., cuts(1 99) replace`). Missing values stay missing. Returns the new
/// frame and, per column, the (lower, upper) cut points and the number of values changed.
pub fn winsorize(
    frame: &Frame,
    cols: &[&str],
    lower: f64,
    upper: f64,
) -> Result<(Frame, BTreeMap<String, WinsorCut>), IngestError> {
    if !(0.0..=1.0).contains(&lower) || !(0.0..=1.0).contains(&upper) || lower > upper {
        return Err(IngestError::Panel(format!(
            "winsorize: need 0 <= lower <= upper <= 1, got {lower}, {upper}"
        )));
    }
    let mut out = frame.clone();
    let mut cuts = BTreeMap::new();
    for &col in cols {
        let v = frame.f64(col)?;
        let lo = stata_pctile(v, lower);
        let hi = stata_pctile(v, upper);
        let mut changed = 0;
        let w: Vec<f64> = v
            .iter()
            .map(|&x| {
                if x < lo {
                    changed += 1;
                    lo
                } else if x > hi {
                    changed += 1;
                    hi
                } else {
                    x
                }
            })
            .collect();
        out.set(col, Column::F64(w))?;
        cuts.insert(
            col.to_string(),
            WinsorCut {
                lower: lo,
                upper: hi,
                changed,
            },
        );
    }
    Ok((out, cuts))
}

/// Cut points of one winsorized column.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct WinsorCut {
    /// Lower percentile value.
    pub lower: f64,
    /// Upper percentile value.
    pub upper: f64,
    /// Values replaced.
    pub changed: usize,
}

/// Depreciation rate of the perpetual inventory (9.6%, Zhang Jun et al. 2004).
pub const DEPRECIATION: f64 = 0.096;

/// Perpetual-inventory capital stock of one city from its real investment series (consecutive
/// years, 2005 prices):
///
/// `K_first = I_first / (g + delta)`, `K_t = K_{t-1} (1 - delta) + I_t`,
///
/// with delta = [`DEPRECIATION`] and g the arithmetic mean of the annual growth rates
/// `I_t / I_{t-1} - 1` over consecutive observed pairs, clamped to [0, 0.3] (so the initial
/// stock stays finite and plausible). "first" is the first non-missing year; years before it
/// are missing. A missing I_t after that (which interpolation normally prevents) makes K_t and
/// every later K missing.
pub fn capital_stock_pim(real_investment: &[f64]) -> Vec<f64> {
    let mut k = vec![f64::NAN; real_investment.len()];
    let Some(first) = real_investment.iter().position(|x| !x.is_nan()) else {
        return k;
    };
    let growth: Vec<f64> = real_investment
        .windows(2)
        .filter(|w| !w[0].is_nan() && !w[1].is_nan() && w[0] > 0.0)
        .map(|w| w[1] / w[0] - 1.0)
        .collect();
    let g = if growth.is_empty() {
        0.0
    } else {
        (growth.iter().sum::<f64>() / growth.len() as f64).clamp(0.0, 0.3)
    };
    k[first] = real_investment[first] / (g + DEPRECIATION);
    for t in first + 1..real_investment.len() {
        k[t] = k[t - 1] * (1.0 - DEPRECIATION) + real_investment[t];
    }
    k
}
