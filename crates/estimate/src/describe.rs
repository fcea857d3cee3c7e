//! Descriptive statistics (paper Table 3): N, mean, standard deviation (divisor N - 1), min,
//! median, max, over the finite values of a variable.

use crate::EstimateError;
use serde::Serialize;

/// Summary of one variable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Describe {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation, divisor `N - 1` (Stata `summarize`).
    pub sd: f64,
    pub min: f64,
    /// The middle value; for even N the mean of the two middle values (Stata's p50).
    pub median: f64,
    pub max: f64,
}

/// Describe the finite values of `v` (missing values, NaN, are skipped and not counted).
pub fn describe(v: &[f64]) -> Result<Describe, EstimateError> {
    let mut x: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let n = x.len();
    if n == 0 {
        return Err(EstimateError::EmptySample(
            "no finite values to describe".into(),
        ));
    }
    x.sort_by(f64::total_cmp);
    let mean = x.iter().sum::<f64>() / n as f64;
    let ss: f64 = x.iter().map(|v| (v - mean) * (v - mean)).sum();
    let sd = if n > 1 {
        (ss / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    Ok(Describe {
        n,
        mean,
        sd,
        min: x[0],
        median: median_sorted(&x),
        max: x[n - 1],
    })
}

/// Median of sorted, non-empty `x`: the middle value, or for an even count the mean of the
/// two middle values (Stata's p50, numpy's median; not the type-7 quantile at 0.5, whose
/// interpolation rounds differently).
pub(crate) fn median_sorted(x: &[f64]) -> f64 {
    let n = x.len();
    if n % 2 == 1 {
        x[n / 2]
    } else {
        (x[n / 2 - 1] + x[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // 1, 2, 4, 9 and a missing value: mean 4, deviations -3 -2 0 5, ss 38, sd sqrt(38/3).
        let d = describe(&[4.0, 1.0, f64::NAN, 9.0, 2.0]).unwrap();
        assert_eq!(d.n, 4);
        assert_eq!(d.mean, 4.0);
        assert!((d.sd - (38.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!((d.min, d.median, d.max), (1.0, 3.0, 9.0));
        assert_eq!(describe(&[5.0, 1.0, 3.0]).unwrap().median, 3.0);
        assert!(describe(&[f64::NAN]).is_err());
    }
}
