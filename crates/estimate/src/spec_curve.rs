//! Joint inference for a specification curve (Simonsohn, Simmons and Nelson 2020, *Nature
//! Human Behaviour* 4, 1208-1214): given the estimate of every specification on the data
//! and on `B` null draws, how surprising is the curve as a whole under "no effect anywhere"?
//!
//! This module is only the aggregation: it turns `K` observed estimates and a `B x K` table
//! of null estimates into three statistics, their p-values and the per-rank null bands of
//! the curve figure. It must not read or write anything, refit anything or draw random
//! numbers: imposing the null (`y*_k = y_k - b_k x_k`), drawing the cluster bootstrap and
//! refitting every specification on every draw are the caller's job, so the same draws can
//! be replayed by an independent implementation (`oracles/spec_curve_numpy.py`, golden
//! `tests/golden/spec_curve.json`).
//!
//! Conventions (the project's; `docs/conventions.md` summarises them):
//! * **Signed z** of a specification (Stouffer): `z = sign(b) Φ^{-1}(1 - p/2)` from its
//!   two-sided p (the caller's p, with the specification's own df), computed as
//!   `-Φ^{-1}(p/2)` so that small p keep their precision. `sign(0) = 0`, so `b = 0` gives
//!   `z = 0`; `p/2` is floored at the smallest normal `f64` (`p = 0`, an underflowed tail,
//!   gives `|z| ≈ 37.5` rather than an infinite mean).
//! * **Three statistics** of a set of estimates: (1) the median of `b` (even count: the mean
//!   of the two middle values); (2) the number significant at `alpha` (`p < alpha`, strict)
//!   in the dominant sign, `max(#{p < alpha, b > 0}, #{p < alpha, b < 0})`, with that sign
//!   (+1, -1, or 0 when the two counts are equal); (3) the mean signed z.
//! * **Failed refits.** `None` in `null[draw][spec]` is a refit that failed in that draw:
//!   it is left out of the draw's median and mean z and counts as not significant. A draw
//!   in which every refit failed has no median and no mean z; it stays in `B` and counts as
//!   at least as extreme for those two statistics (a draw without estimates is no evidence
//!   against the null, so it can only raise p), and as 0 significant for the count.
//! * **One-sided p-values** (SSN's), each `max(k, 1) / B` with `k` the number of draws at
//!   least as extreme (the smallest reportable p is `1/B`; `k` is returned too):
//!   median `sign(m_obs) m_b >= |m_obs|` (one-sided in the observed direction; every draw
//!   counts when `m_obs = 0`); count `count_b >= count_obs`, where each draw's count is in
//!   its own dominant sign (the statistic is the same function of the data and of a draw);
//!   Stouffer `sign(Z_obs) Z_b >= |Z_obs|`.
//! * **Headline p-values.** The median's and Stouffer's one-sided p look in the direction the
//!   observed statistic happens to take, so under the null they reject at about twice their
//!   level (measured: SSN's median test rejects at 5% in 9.6% of 500 twins without an effect,
//!   docs/multiverse.md "Calibration"). Their headline p is two-sided, `min(1, 2 p_one_sided)`
//!   (4.6% on the same twins). The count is in each draw's own dominant sign, so it is
//!   two-sided already and its headline p is the one above.
//! * **Null bands** for rank `r = 1..K`: the 2.5%, 50% and 97.5% quantiles across draws of
//!   the r-th smallest null `b`, with [`crate::resample::quantile_sorted`] (numpy's linear,
//!   type 7) as for the bootstrap intervals. Only draws with no failed refit contribute
//!   (a draw with fewer than `K` estimates has no r-th smallest in the same sense); with
//!   none, the bands are empty.

use crate::describe::median_sorted;
use crate::resample::quantile_sorted;
use crate::{dist, EstimateError};
use serde::{Deserialize, Serialize};

/// One specification's estimate of the coefficient of interest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpecEstimate {
    pub b: f64,
    pub se: f64,
    /// Two-sided p-value (t with the specification's df).
    pub p: f64,
}

/// Options of [`joint_inference`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JointOptions {
    /// Significance level of the count statistic (`p < alpha`).
    pub alpha: f64,
}

impl Default for JointOptions {
    fn default() -> Self {
        Self { alpha: 0.05 }
    }
}

/// The three statistics of one set of estimates (the observed curve or one null draw).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurveStatistics {
    /// Median of `b`.
    pub median: f64,
    /// Specifications with `p < alpha` in the dominant sign.
    pub n_significant: usize,
    /// +1 or -1: the sign with more significant specifications; 0 on a tie (and when none).
    pub dominant_sign: i8,
    /// Mean signed z (Stouffer).
    pub mean_z: f64,
    /// Specifications the statistics are computed from.
    pub n_specs: usize,
}

/// The statistics of one null draw.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DrawStatistics {
    /// `None` when every refit of the draw failed.
    pub statistics: Option<CurveStatistics>,
    /// Refits that failed in this draw.
    pub failed: usize,
}

/// Result of [`joint_inference`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JointInference {
    pub observed: CurveStatistics,
    pub alpha: f64,
    /// Two-sided p-value of the median, `min(1, 2 p_median_one_sided)` (the headline).
    pub p_median: f64,
    /// SSN's one-sided p-value of the median, `max(k_median, 1) / draws`: valid only when the
    /// direction was fixed before seeing the data.
    pub p_median_one_sided: f64,
    pub k_median: usize,
    /// p-value of the count of significant specifications in the dominant sign (two-sided by
    /// construction), `max(k_count, 1) / draws`.
    pub p_count: f64,
    pub k_count: usize,
    /// Two-sided p-value of the mean signed z (Stouffer), `min(1, 2 p_stouffer_one_sided)`.
    pub p_stouffer: f64,
    /// SSN's one-sided p-value of the mean signed z, `max(k_stouffer, 1) / draws`.
    pub p_stouffer_one_sided: f64,
    pub k_stouffer: usize,
    /// Number of null draws `B`.
    pub draws: usize,
    /// Failed refits over all draws.
    pub failed_refits: usize,
    /// Draws with at least one failed refit (left out of the bands).
    pub draws_with_failures: usize,
    /// Draws in which every refit failed.
    pub draws_all_failed: usize,
    /// Draws the bands are computed from (`draws - draws_with_failures`).
    pub band_draws: usize,
    /// `[2.5%, 50%, 97.5%]` of the r-th smallest null `b`, r = 1..K; empty when
    /// `band_draws == 0`.
    pub bands: Vec<[f64; 3]>,
    /// Per-draw statistics, in draw order (for the null distributions of a figure).
    pub null: Vec<DrawStatistics>,
}

/// Quantiles of the null bands.
pub const BAND_QUANTILES: [f64; 3] = [0.025, 0.5, 0.975];

/// Joint inference over a specification curve: `observed[spec]` on the data,
/// `null[draw][spec]` on the null draws (`None`: that refit failed). See the module doc
/// for the conventions.
pub fn joint_inference(
    observed: &[SpecEstimate],
    null: &[Vec<Option<SpecEstimate>>],
    opts: &JointOptions,
) -> Result<JointInference, EstimateError> {
    let k = observed.len();
    if k == 0 {
        return Err(EstimateError::EmptySample("no specifications".into()));
    }
    if null.is_empty() {
        return Err(EstimateError::EmptySample("no null draws".into()));
    }
    if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
        return Err(EstimateError::InvalidArgument(format!(
            "alpha must be in (0, 1), got {}",
            opts.alpha
        )));
    }
    for (s, e) in observed.iter().enumerate() {
        check_estimate(e, || format!("observed[{s}]"), s)?;
    }
    for (d, row) in null.iter().enumerate() {
        if row.len() != k {
            return Err(EstimateError::LengthMismatch {
                what: format!("null draw {d}"),
                expected: k,
                got: row.len(),
            });
        }
        for (s, e) in row.iter().enumerate() {
            if let Some(e) = e {
                check_estimate(e, || format!("null[{d}][{s}]"), s)?;
            }
        }
    }

    let alpha = opts.alpha;
    let obs = statistics(observed.iter(), alpha).expect("observed is not empty");
    let null_stats: Vec<DrawStatistics> = null
        .iter()
        .map(|row| DrawStatistics {
            statistics: statistics(row.iter().flatten(), alpha),
            failed: row.iter().filter(|e| e.is_none()).count(),
        })
        .collect();

    // "At least as extreme in the observed direction": with `s = sign(obs)`, `s x >= |obs|`
    // (for obs = 0 this is `0 >= 0`, so every draw counts, as the convention says).
    let at_least = |obs: f64, draw: Option<f64>| match draw {
        Some(x) => sign(obs) * x >= obs.abs(),
        None => true,
    };
    let k_median = null_stats
        .iter()
        .filter(|d| at_least(obs.median, d.statistics.map(|s| s.median)))
        .count();
    let k_stouffer = null_stats
        .iter()
        .filter(|d| at_least(obs.mean_z, d.statistics.map(|s| s.mean_z)))
        .count();
    let k_count = null_stats
        .iter()
        .filter(|d| d.statistics.map_or(0, |s| s.n_significant) >= obs.n_significant)
        .count();

    let b = null.len();
    let p_of = |k: usize| k.max(1) as f64 / b as f64;
    let complete: Vec<&Vec<Option<SpecEstimate>>> = null
        .iter()
        .filter(|row| row.iter().all(Option::is_some))
        .collect();
    Ok(JointInference {
        observed: obs,
        alpha,
        p_median: two_sided(p_of(k_median)),
        p_median_one_sided: p_of(k_median),
        k_median,
        p_count: p_of(k_count),
        k_count,
        p_stouffer: two_sided(p_of(k_stouffer)),
        p_stouffer_one_sided: p_of(k_stouffer),
        k_stouffer,
        draws: b,
        failed_refits: null_stats.iter().map(|d| d.failed).sum(),
        draws_with_failures: null_stats.iter().filter(|d| d.failed > 0).count(),
        draws_all_failed: null_stats.iter().filter(|d| d.statistics.is_none()).count(),
        band_draws: complete.len(),
        bands: bands(&complete, k),
        null: null_stats,
    })
}

fn check_estimate(
    e: &SpecEstimate,
    what: impl Fn() -> String,
    index: usize,
) -> Result<(), EstimateError> {
    for (name, v) in [("b", e.b), ("se", e.se), ("p", e.p)] {
        if !v.is_finite() {
            return Err(EstimateError::NonFinite {
                what: format!("{}.{name}", what()),
                index,
            });
        }
    }
    if !(0.0..=1.0).contains(&e.p) {
        return Err(EstimateError::InvalidArgument(format!(
            "{}.p = {} is not a probability",
            what(),
            e.p
        )));
    }
    Ok(())
}

/// `sign(0) = 0` (unlike `f64::signum`, which gives ±1 for ±0): a zero estimate or a zero
/// observed statistic has no direction.
/// The two-sided p of a one-sided p in the observed direction.
fn two_sided(p_one_sided: f64) -> f64 {
    (2.0 * p_one_sided).min(1.0)
}

fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Stouffer's signed z of one estimate, `sign(b) Φ^{-1}(1 - p/2) = -sign(b) Φ^{-1}(p/2)`.
pub fn signed_z(e: &SpecEstimate) -> f64 {
    // Flooring p/2 keeps z finite (|z| <= 37.52) and keeps the Halley step of the
    // quantile away from subnormal tails.
    -sign(e.b) * dist::normal_quantile((0.5 * e.p).max(f64::MIN_POSITIVE))
}

/// The three statistics of a set of estimates; `None` when the set is empty.
pub fn statistics<'a>(
    estimates: impl Iterator<Item = &'a SpecEstimate>,
    alpha: f64,
) -> Option<CurveStatistics> {
    let mut bs = Vec::new();
    let (mut pos, mut neg) = (0usize, 0usize);
    let mut sum_z = 0.0;
    for e in estimates {
        bs.push(e.b);
        if e.p < alpha {
            if e.b > 0.0 {
                pos += 1;
            } else if e.b < 0.0 {
                neg += 1;
            }
        }
        sum_z += signed_z(e);
    }
    if bs.is_empty() {
        return None;
    }
    bs.sort_unstable_by(f64::total_cmp);
    let n = bs.len();
    Some(CurveStatistics {
        median: median_sorted(&bs),
        n_significant: pos.max(neg),
        dominant_sign: match pos.cmp(&neg) {
            std::cmp::Ordering::Greater => 1,
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
        },
        mean_z: sum_z / n as f64,
        n_specs: n,
    })
}

/// Per-rank quantiles over the complete draws (each row has `k` estimates).
fn bands(complete: &[&Vec<Option<SpecEstimate>>], k: usize) -> Vec<[f64; 3]> {
    if complete.is_empty() {
        return Vec::new();
    }
    // by_rank[r][d] = the r-th smallest b of complete draw d.
    let mut by_rank = vec![Vec::with_capacity(complete.len()); k];
    for row in complete {
        let mut bs: Vec<f64> = row.iter().flatten().map(|e| e.b).collect();
        bs.sort_unstable_by(f64::total_cmp);
        for (r, b) in bs.into_iter().enumerate() {
            by_rank[r].push(b);
        }
    }
    by_rank
        .into_iter()
        .map(|mut v| {
            v.sort_unstable_by(f64::total_cmp);
            BAND_QUANTILES.map(|q| quantile_sorted(&v, q).expect("non-empty, q in [0, 1]"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(b: f64, p: f64) -> SpecEstimate {
        SpecEstimate { b, se: 1.0, p }
    }

    fn opts() -> JointOptions {
        JointOptions::default()
    }

    #[test]
    fn negative_dominant_sign_and_one_sided_p_values() {
        // Observed: 3 of 4 significant and negative.
        let obs = [
            est(-2.0, 0.01),
            est(-1.0, 0.02),
            est(-0.5, 0.04),
            est(0.3, 0.5),
        ];
        let null = vec![
            // As extreme in the median (-1.0 <= -0.75) and the count; z more negative.
            vec![
                Some(est(-3.0, 0.001)),
                Some(est(-1.0, 0.01)),
                Some(est(-1.0, 0.01)),
                Some(est(2.0, 0.9)),
            ],
            // Positive and large: not extreme for the (negative) median or Stouffer, but
            // its count (3 positive) is as large as the observed one.
            vec![
                Some(est(3.0, 0.001)),
                Some(est(3.0, 0.001)),
                Some(est(3.0, 0.001)),
                Some(est(3.0, 0.9)),
            ],
            vec![
                Some(est(0.0, 1.0)),
                Some(est(0.1, 0.8)),
                Some(est(-0.1, 0.8)),
                Some(est(0.2, 0.7)),
            ],
        ];
        let r = joint_inference(&obs, &null, &opts()).unwrap();
        assert_eq!(r.observed.dominant_sign, -1);
        assert_eq!(r.observed.n_significant, 3);
        assert_eq!(r.observed.median, -0.75);
        assert!(r.observed.mean_z < 0.0);
        assert_eq!((r.k_median, r.k_count, r.k_stouffer), (1, 2, 1));
        assert_eq!(r.p_median_one_sided, 1.0 / 3.0);
        assert_eq!(r.p_median, 2.0 / 3.0);
        assert_eq!(r.p_count, 2.0 / 3.0);
        assert_eq!(r.null[1].statistics.unwrap().dominant_sign, 1);
        assert_eq!(r.bands.len(), 4);
        assert_eq!(r.band_draws, 3);
        // Rank 1 across draws: [-3.0, -0.1, 3.0] sorted; h = 2 * 0.025 = 0.05.
        assert_eq!(r.bands[0][1], -0.1);
        assert!((r.bands[0][0] - (-3.0 + 0.05 * 2.9)).abs() < 1e-15);
        assert!((r.bands[0][2] - (-0.1 + 0.95 * 3.1)).abs() < 1e-15);
    }

    #[test]
    fn a_draw_with_every_refit_failed() {
        let obs = [est(1.0, 0.01), est(2.0, 0.01)];
        let null = vec![
            vec![None, None],
            vec![Some(est(0.1, 0.6)), None],
            vec![Some(est(0.1, 0.6)), Some(est(-0.2, 0.5))],
        ];
        let r = joint_inference(&obs, &null, &opts()).unwrap();
        assert_eq!(r.failed_refits, 3);
        assert_eq!(r.draws_with_failures, 2);
        assert_eq!(r.draws_all_failed, 1);
        assert_eq!(r.null[0].statistics, None);
        assert_eq!(r.null[1].statistics.unwrap().n_specs, 1);
        // The all-failed draw counts as extreme for the median and Stouffer, not for the
        // count (0 < 2 significant).
        assert_eq!((r.k_median, r.k_stouffer, r.k_count), (1, 1, 0));
        assert_eq!(r.p_count, 1.0 / 3.0);
        // Only the complete draw makes the bands.
        assert_eq!(r.band_draws, 1);
        assert_eq!(r.bands, vec![[-0.2; 3], [0.1; 3]]);
    }

    #[test]
    fn every_draw_failed_gives_no_bands() {
        let r = joint_inference(&[est(1.0, 0.2)], &[vec![None], vec![None]], &opts()).unwrap();
        assert!(r.bands.is_empty());
        assert_eq!(r.band_draws, 0);
        assert_eq!((r.k_median, r.k_stouffer), (2, 2));
        // Observed count 0: every draw's 0 counts.
        assert_eq!(r.k_count, 2);
        assert_eq!(r.p_count, 1.0);
    }

    #[test]
    fn one_specification() {
        let obs = [est(0.5, 0.03)];
        let null: Vec<Vec<Option<SpecEstimate>>> = [0.1, -0.7, 0.6, 0.5, 0.2]
            .iter()
            .map(|&b| Some(est(b, 0.5)))
            .map(|e| vec![e])
            .collect();
        let r = joint_inference(&obs, &null, &opts()).unwrap();
        assert_eq!(r.observed.median, 0.5);
        assert_eq!(r.observed.n_significant, 1);
        assert_eq!(r.observed.dominant_sign, 1);
        // 0.6 and 0.5 (a tie counts) are at least the observed 0.5.
        assert_eq!(r.k_median, 2);
        assert_eq!(r.k_count, 0);
        assert_eq!(r.p_count, 0.2);
        let z = dist::normal_quantile(1.0 - 0.015);
        assert!((r.observed.mean_z - z).abs() < 1e-13);
        // sorted [-0.7, 0.1, 0.2, 0.5, 0.6]: h = 4 * 0.025 = 0.1.
        assert_eq!(r.bands.len(), 1);
        assert!((r.bands[0][0] - (-0.7 + 0.1 * 0.8)).abs() < 1e-15);
        assert_eq!(r.bands[0][1], 0.2);
    }

    #[test]
    fn one_draw() {
        let obs = [est(1.0, 0.01), est(2.0, 0.01), est(3.0, 0.01)];
        let null = vec![vec![Some(est(0.0, 1.0)); 3]];
        let r = joint_inference(&obs, &null, &opts()).unwrap();
        assert_eq!((r.k_median, r.k_count, r.k_stouffer), (0, 0, 0));
        // The smallest reportable p is 1/B = 1.
        assert_eq!((r.p_median, r.p_count, r.p_stouffer), (1.0, 1.0, 1.0));
        assert_eq!(r.bands, vec![[0.0; 3]; 3]);
    }

    #[test]
    fn zero_median_counts_every_draw_and_zero_b_has_no_sign() {
        let obs = [est(-1.0, 0.01), est(0.0, 0.01), est(1.0, 0.2)];
        let null = vec![vec![Some(est(-5.0, 0.5)); 3], vec![Some(est(5.0, 0.5)); 3]];
        let r = joint_inference(&obs, &null, &opts()).unwrap();
        assert_eq!(r.observed.median, 0.0);
        assert_eq!(r.k_median, 2);
        // b = 0 is significant in neither sign and has z = 0.
        assert_eq!(r.observed.n_significant, 1);
        assert_eq!(r.observed.dominant_sign, -1);
        assert_eq!(signed_z(&est(0.0, 0.01)), 0.0);
        assert_eq!(signed_z(&est(-0.0, 0.01)), 0.0);
    }

    #[test]
    fn tied_counts_have_no_dominant_sign_and_alpha_is_strict() {
        let s = statistics(
            [est(1.0, 0.01), est(-1.0, 0.02), est(2.0, 0.05)].iter(),
            0.05,
        )
        .unwrap();
        assert_eq!((s.n_significant, s.dominant_sign), (1, 0));
        assert_eq!(s.median, 1.0);
    }

    #[test]
    fn signed_z_is_finite_and_precise_in_the_tail() {
        assert_eq!(signed_z(&est(1.0, 1.0)), 0.0);
        let z = signed_z(&est(-1.0, 0.0));
        assert!(z.is_finite() && z < -37.0);
        assert_eq!(signed_z(&est(1.0, 5e-324)), -z);
        // p = 1e-20: 1 - p/2 rounds to 1, but -Φ^{-1}(p/2) does not (scipy: 9.33604484923406).
        let z = signed_z(&est(2.0, 1e-20));
        assert!((z - 9.336_044_849_234_06).abs() < 1e-12 * z);
    }

    #[test]
    fn errors() {
        let ok = [est(1.0, 0.5)];
        let row = vec![vec![Some(est(0.0, 1.0))]];
        let e = |r| matches!(r, Err(EstimateError::EmptySample(_)));
        assert!(e(joint_inference(&[], &row, &opts())));
        assert!(e(joint_inference(&ok, &[], &opts())));
        assert!(matches!(
            joint_inference(&ok, &[vec![None, None]], &opts()),
            Err(EstimateError::LengthMismatch {
                expected: 1,
                got: 2,
                ..
            })
        ));
        assert!(matches!(
            joint_inference(&[est(f64::NAN, 0.5)], &row, &opts()),
            Err(EstimateError::NonFinite { index: 0, .. })
        ));
        let bad_se = SpecEstimate {
            b: 1.0,
            se: f64::INFINITY,
            p: 0.5,
        };
        assert!(matches!(
            joint_inference(&[bad_se], &row, &opts()),
            Err(EstimateError::NonFinite { .. })
        ));
        assert!(matches!(
            joint_inference(&ok, &[vec![Some(est(1.0, f64::NAN))]], &opts()),
            Err(EstimateError::NonFinite { .. })
        ));
        assert!(matches!(
            joint_inference(&[est(1.0, 1.5)], &row, &opts()),
            Err(EstimateError::InvalidArgument(_))
        ));
        assert!(matches!(
            joint_inference(&ok, &row, &JointOptions { alpha: 0.0 }),
            Err(EstimateError::InvalidArgument(_))
        ));
    }
}
