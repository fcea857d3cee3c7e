//! Capital stock by the perpetual-inventory method.

use crate::DeaError;

/// Depreciation rate used by the study (9.6%, Zhang Jun et al. 2004).
pub const DEFAULT_DEPRECIATION: f64 = 0.096;

/// Bounds applied to the initial-stock growth rate `g`: `[0, 0.25]`.
///
/// Why: `K_0 = I_0 / (g + d)` explodes as `g + d -> 0`; a city whose investment fell on average
/// would otherwise get an initial stock of 20-100 years of investment. Clamping at 0 gives the
/// no-growth steady state `I_0 / d`; the upper bound 25% a year stops a short, erratic series from
/// shrinking `K_0` below about three years of investment.
pub const PIM_GROWTH_BOUNDS: (f64, f64) = (0.0, 0.25);

/// The growth rate used for the initial stock: the arithmetic mean of the annual real growth
/// rates `I_t / I_{t-1} - 1` over consecutive years with `I_{t-1} > 0`, clamped to
/// [`PIM_GROWTH_BOUNDS`]; 0 (then clamped) when the series has fewer than two usable years.
pub fn pim_growth(investment_real: &[f64]) -> Result<f64, DeaError> {
    check_series(investment_real)?;
    let rates: Vec<f64> = investment_real
        .windows(2)
        .filter(|w| w[0] > 0.0)
        .map(|w| w[1] / w[0] - 1.0)
        .collect();
    let mean = if rates.is_empty() {
        0.0
    } else {
        rates.iter().sum::<f64>() / rates.len() as f64
    };
    Ok(mean.clamp(PIM_GROWTH_BOUNDS.0, PIM_GROWTH_BOUNDS.1))
}

fn check_series(investment_real: &[f64]) -> Result<(), DeaError> {
    if investment_real.is_empty() {
        return Err(DeaError::Capital("empty investment series".into()));
    }
    for (t, &v) in investment_real.iter().enumerate() {
        if !v.is_finite() || v < 0.0 {
            return Err(DeaError::Capital(format!(
                "investment at position {t} is {v}: must be finite and non-negative"
            )));
        }
    }
    Ok(())
}

/// Capital stock of one city by the perpetual-inventory method:
///
/// ```text
/// K_0 = I_0 / (g + delta),   K_t = K_{t-1} (1 - delta) + I_t
/// ```
///
/// `investment_real` is real investment `I_t / P_t` (deflated, first element = the base year),
/// `delta` the depreciation rate in (0, 1), `g` from [`pim_growth`]. The first year's investment
/// must be positive (otherwise the initial stock would be zero).
///
/// ```
/// let k = robocarb_dea::capital_stock_pim(&[100.0, 110.0], 0.096).unwrap();
/// // g = 10%: K_0 = 100 / 0.196, K_1 = K_0 * 0.904 + 110.
/// assert!((k[0] - 100.0 / 0.196).abs() < 1e-9);
/// assert!((k[1] - (k[0] * 0.904 + 110.0)).abs() < 1e-9);
/// ```
pub fn capital_stock_pim(investment_real: &[f64], delta: f64) -> Result<Vec<f64>, DeaError> {
    if !(delta > 0.0 && delta < 1.0) {
        return Err(DeaError::Capital(format!(
            "depreciation rate {delta} must be in (0, 1)"
        )));
    }
    let g = pim_growth(investment_real)?;
    let first = investment_real[0];
    if first <= 0.0 {
        return Err(DeaError::Capital(
            "first-year investment must be positive to start the perpetual inventory".into(),
        ));
    }
    let mut out = Vec::with_capacity(investment_real.len());
    let mut k = first / (g + delta);
    out.push(k);
    for &inv in &investment_real[1..] {
        k = k * (1.0 - delta) + inv;
        out.push(k);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pim_by_hand() {
        // Growth rates 0.2 and -0.5: mean -0.15, clamped to 0, so K_0 = 100 / 0.1.
        let k = capital_stock_pim(&[100.0, 120.0, 60.0], 0.1).unwrap();
        assert_eq!(k.len(), 3);
        assert!((k[0] - 1000.0).abs() < 1e-12);
        assert!((k[1] - (900.0 + 120.0)).abs() < 1e-12);
        assert!((k[2] - (1020.0 * 0.9 + 60.0)).abs() < 1e-12);
        // Growth 50% a year is clamped to 25%.
        assert!((pim_growth(&[1.0, 1.5, 2.25]).unwrap() - 0.25).abs() < 1e-15);
        assert!((pim_growth(&[1.0, 1.1]).unwrap() - 0.1).abs() < 1e-12);
    }

    #[test]
    fn pim_errors() {
        assert!(capital_stock_pim(&[], 0.1).is_err());
        assert!(capital_stock_pim(&[0.0, 1.0], 0.1).is_err());
        assert!(capital_stock_pim(&[1.0, f64::NAN], 0.1).is_err());
        assert!(capital_stock_pim(&[1.0, -1.0], 0.1).is_err());
        assert!(capital_stock_pim(&[1.0], 0.0).is_err());
    }
}
