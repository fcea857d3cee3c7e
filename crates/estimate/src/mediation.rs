//! Baron-Kenny stepwise mediation with fixed effects and a cluster VCE (paper Table 8):
//!
//! 1. `Y = c X + controls + FE`            (total effect `c`)
//! 2. `M = a X + controls + FE`            (`a`)
//! 3. `Y = c' X + b M + controls + FE`     (direct effect `c'`, `b`)
//!
//! Indirect effect `ab`; Sobel `z = ab / sqrt(b² s_a² + a² s_b²)`, Aroian adds `s_a² s_b²`
//! under the root, Goodman subtracts it (undefined when the radicand is not positive);
//! two-sided normal p-values. Proportion mediated `ab / c`.
//!
//! Cluster bootstrap of `ab`: each draw resamples whole clusters with replacement (see
//! [`crate::resample`] for the position convention); every drawn copy of a cluster is a
//! new cluster, and FE dimensions nested in the cluster (city FE) get a new level per
//! copy, as Stata's `bootstrap, cluster() idcluster()`. Equations 2 and 3 are re-estimated
//! per draw (singletons dropped as usual); draws whose fit fails are counted, not used.
//! On a unit x period panel clustered by unit (balanced or not) a draw is a re-weighting
//! of whole units, and its slopes come from per-unit moments ([`crate::cluster_moments`])
//! with the same normal equations; any other design, or any draw that is not clean there,
//! takes the general path above.
//! Percentile interval: type-7 quantiles at `α/2`, `1-α/2` of the `ab*`. Bias-corrected:
//! `z0 = Φ^{-1}(#{ab* <= ab} / B)`, quantiles at `Φ(2 z0 ± z_{1-α/2})` (Efron; Stata's
//! `estat bootstrap, bc` formula), `None` when `z0` is infinite.

use crate::absorb::is_nested;
use crate::cluster_moments::ClusterPanel;
use crate::linear::{check_finite, check_len, Prepared};
use crate::ols::ols_prepared;
use crate::resample::{bootstrap_draws, gather, quantile_sorted, ClusterRows, Draws};
use crate::{dist, EstimateError, FitOptions, Vce};
use serde::Serialize;

/// Inputs, one entry per observation.
#[derive(Debug, Clone)]
pub struct MediationInput<'a> {
    pub y: &'a [f64],
    /// Treatment `X` (name, values).
    pub x: (&'a str, &'a [f64]),
    /// Mediator `M` (name, values).
    pub m: (&'a str, &'a [f64]),
    pub controls: Vec<(&'a str, &'a [f64])>,
    pub fe: Vec<&'a [u32]>,
    /// Cluster ids for the VCE and the bootstrap.
    pub cluster: &'a [u32],
}

/// Options: bootstrap draws (default 1,000 seeded draws), interval level, fit options.
#[derive(Debug, Clone, Copy)]
pub struct MediationOptions<'a> {
    pub draws: Draws<'a>,
    /// Confidence level of the bootstrap intervals, e.g. 0.95.
    pub level: f64,
    pub fit: FitOptions,
}

impl Default for MediationOptions<'_> {
    fn default() -> Self {
        Self {
            draws: Draws::Seeded {
                reps: 1000,
                seed: 20_260_601,
            },
            level: 0.95,
            fit: FitOptions::default(),
        }
    }
}

/// Coefficient with cluster-robust inference (t with G - 1 df).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Coef {
    pub b: f64,
    pub se: f64,
    pub t: f64,
    pub p: f64,
}

/// A normal test of the indirect effect.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct IndirectTest {
    pub se: f64,
    pub z: f64,
    pub p: f64,
}

/// Bootstrap summary of `ab`.
#[derive(Debug, Clone, Serialize)]
pub struct BootstrapSummary {
    pub reps: usize,
    pub failed: usize,
    pub level: f64,
    pub mean: f64,
    /// Standard deviation of the `ab*` (divisor B - 1).
    pub se: f64,
    pub percentile: (f64, f64),
    pub bias_corrected: Option<(f64, f64)>,
    /// The `ab*` of the successful draws, in draw order.
    pub draws: Vec<f64>,
}

/// Result of [`mediation`].
#[derive(Debug, Clone, Serialize)]
pub struct MediationResult {
    /// Total effect of X on Y (equation 1).
    pub c: Coef,
    /// Effect of X on M (equation 2).
    pub a: Coef,
    /// Effect of M on Y given X (equation 3).
    pub b: Coef,
    /// Direct effect of X on Y given M (equation 3).
    pub c_prime: Coef,
    pub indirect: f64,
    pub sobel: IndirectTest,
    pub aroian: IndirectTest,
    /// `None` when `b² s_a² + a² s_b² - s_a² s_b² <= 0`.
    pub goodman: Option<IndirectTest>,
    /// `ab / c` (`None` when `c = 0`).
    pub proportion_mediated: Option<f64>,
    /// Observations and clusters of each equation (1, 2, 3).
    pub n: [usize; 3],
    pub n_clusters: [usize; 3],
    pub bootstrap: Option<BootstrapSummary>,
}

fn coef_of(r: &crate::OlsResult, name: &str) -> Result<Coef, EstimateError> {
    r.coef(name)
        .map(|(b, se, t, p)| Coef { b, se, t, p })
        .ok_or_else(|| EstimateError::AllRegressorsCollinear(vec![name.to_string()]))
}

fn indirect_test(ab: f64, var: f64) -> Option<IndirectTest> {
    if var > 0.0 {
        let se = var.sqrt();
        let z = ab / se;
        Some(IndirectTest {
            se,
            z,
            p: dist::normal_two_sided_p(z),
        })
    } else {
        None
    }
}

/// The three regressions for one sample; returns (eq1, eq2, eq3).
#[allow(clippy::too_many_arguments)]
fn equations(
    y: &[f64],
    x: (&str, &[f64]),
    m: (&str, &[f64]),
    controls: &[(&str, &[f64])],
    fe: &[&[u32]],
    vce: Vce,
    opts: &FitOptions,
    total: bool,
) -> Result<(Option<crate::OlsResult>, crate::OlsResult, crate::OlsResult), EstimateError> {
    let prep = Prepared::new(y.len(), fe, &vce, opts)?;
    let mut reg1 = vec![x];
    reg1.extend_from_slice(controls);
    let eq1 = if total {
        Some(ols_prepared(&prep, y, &reg1, opts)?)
    } else {
        None
    };
    let eq2 = ols_prepared(&prep, m.1, &reg1, opts)?;
    let mut reg3 = vec![x, m];
    reg3.extend_from_slice(controls);
    let eq3 = ols_prepared(&prep, y, &reg3, opts)?;
    Ok((eq1, eq2, eq3))
}

/// Baron-Kenny mediation with FE, cluster VCE, Sobel-type tests and a cluster bootstrap.
pub fn mediation(
    input: &MediationInput,
    opts: &MediationOptions,
) -> Result<MediationResult, EstimateError> {
    let n = input.y.len();
    if n == 0 {
        return Err(EstimateError::EmptySample(
            "outcome has no observations".into(),
        ));
    }
    check_finite("y", input.y)?;
    for (name, v) in [input.x, input.m].iter().chain(&input.controls) {
        check_len(name, v.len(), n)?;
        check_finite(name, v)?;
    }
    check_len("cluster", input.cluster.len(), n)?;
    if input.x.0 == input.m.0 {
        return Err(EstimateError::InvalidArgument(
            "treatment and mediator have the same name".into(),
        ));
    }
    if !(opts.level > 0.0 && opts.level < 1.0) {
        return Err(EstimateError::InvalidArgument(format!(
            "confidence level {} not in (0, 1)",
            opts.level
        )));
    }
    let (eq1, eq2, eq3) = equations(
        input.y,
        input.x,
        input.m,
        &input.controls,
        &input.fe,
        Vce::Cluster(input.cluster),
        &opts.fit,
        true,
    )?;
    let eq1 =
        eq1.ok_or_else(|| EstimateError::InvalidArgument("total-effect equation missing".into()))?;
    let c = coef_of(&eq1, input.x.0)?;
    let a = coef_of(&eq2, input.x.0)?;
    let b = coef_of(&eq3, input.m.0)?;
    let c_prime = coef_of(&eq3, input.x.0)?;
    let ab = a.b * b.b;
    let base = b.b * b.b * a.se * a.se + a.b * a.b * b.se * b.se;
    let cross = a.se * a.se * b.se * b.se;
    let sobel = indirect_test(ab, base)
        .ok_or_else(|| EstimateError::SingularDesign("Sobel variance is zero".into()))?;
    let aroian = indirect_test(ab, base + cross)
        .ok_or_else(|| EstimateError::SingularDesign("Aroian variance is zero".into()))?;
    let goodman = indirect_test(ab, base - cross);
    let bootstrap = bootstrap_ab(input, opts, ab)?;
    Ok(MediationResult {
        c,
        a,
        b,
        c_prime,
        indirect: ab,
        sobel,
        aroian,
        goodman,
        proportion_mediated: if c.b != 0.0 { Some(ab / c.b) } else { None },
        n: [eq1.n, eq2.n, eq3.n],
        n_clusters: [eq1.n_clusters[0], eq2.n_clusters[0], eq3.n_clusters[0]],
        bootstrap,
    })
}

fn bootstrap_ab(
    input: &MediationInput,
    opts: &MediationOptions,
    ab: f64,
) -> Result<Option<BootstrapSummary>, EstimateError> {
    let clusters = ClusterRows::new(input.cluster);
    let g = clusters.len();
    let generated;
    let draws: &[Vec<u32>] = match opts.draws {
        Draws::None => return Ok(None),
        Draws::Seeded { reps, seed } => {
            generated = bootstrap_draws(reps, g, seed);
            &generated
        }
        Draws::Explicit(d) => d,
    };
    if draws.is_empty() {
        return Ok(None);
    }
    let nested: Vec<bool> = input
        .fe
        .iter()
        .map(|f| is_nested(f, input.cluster))
        .collect();
    for draw in draws {
        if let Some(&bad) = draw.iter().find(|&&k| k as usize >= g) {
            return Err(EstimateError::InvalidArgument(format!(
                "bootstrap draw refers to cluster position {bad} of {g}"
            )));
        }
    }
    let fast = MomentBootstrap::new(input, &clusters, opts.fit.collinearity_tolerance);
    let mut weights = vec![0.0; g];
    let mut values = Vec::with_capacity(draws.len());
    let mut failed = 0;
    for draw in draws {
        let replicate = fast
            .as_ref()
            .and_then(|f| f.ab(draw, &mut weights))
            .or_else(|| general_draw(input, opts, &clusters, &nested, draw));
        match replicate {
            Some(v) => values.push(v),
            None => failed += 1,
        }
    }
    if values.len() < 2 {
        return Err(EstimateError::InvalidArgument(format!(
            "only {} bootstrap draws succeeded",
            values.len()
        )));
    }
    let bsz = values.len() as f64;
    let mean = values.iter().sum::<f64>() / bsz;
    let se = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (bsz - 1.0)).sqrt();
    let mut sorted = values.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let alpha = 1.0 - opts.level;
    let q = |p: f64| quantile_sorted(&sorted, p).unwrap_or(f64::NAN);
    let percentile = (q(alpha / 2.0), q(1.0 - alpha / 2.0));
    let below = values.iter().filter(|&&v| v <= ab).count() as f64;
    let z0 = dist::normal_quantile(below / bsz);
    let bias_corrected = if z0.is_finite() {
        let zc = dist::normal_quantile(1.0 - alpha / 2.0);
        Some((
            q(dist::normal_cdf(2.0 * z0 - zc)),
            q(dist::normal_cdf(2.0 * z0 + zc)),
        ))
    } else {
        None
    };
    Ok(Some(BootstrapSummary {
        reps: draws.len(),
        failed,
        level: opts.level,
        mean,
        se,
        percentile,
        bias_corrected,
        draws: values,
    }))
}

/// The moment fast path of the bootstrap ([`crate::cluster_moments`]): variables y, X, M,
/// controls at indices 0, 1, 2, 3...
struct MomentBootstrap {
    panel: ClusterPanel,
    /// Regressors of equation 2 (X, controls) and 3 (X, M, controls).
    regs_a: Vec<usize>,
    regs_b: Vec<usize>,
    collinearity_tolerance: f64,
}

impl MomentBootstrap {
    fn new(input: &MediationInput, clusters: &ClusterRows, tol: f64) -> Option<Self> {
        let mut vars: Vec<&[f64]> = vec![input.y, input.x.1, input.m.1];
        vars.extend(input.controls.iter().map(|(_, v)| *v));
        let controls = 3..vars.len();
        Some(Self {
            panel: ClusterPanel::new(clusters, &input.fe, &vars)?,
            regs_a: std::iter::once(1).chain(controls.clone()).collect(),
            regs_b: [1, 2].into_iter().chain(controls).collect(),
            collinearity_tolerance: tol,
        })
    }

    /// `ab` of one draw, or `None` when the general path must refit it. `weights` is
    /// scratch space of one entry per cluster.
    fn ab(&self, draw: &[u32], weights: &mut [f64]) -> Option<f64> {
        weights.iter_mut().for_each(|w| *w = 0.0);
        for &k in draw {
            weights[k as usize] += 1.0;
        }
        let moments = self.panel.weighted(weights)?;
        let a = moments.slopes(2, &self.regs_a, self.collinearity_tolerance)?;
        let b = moments.slopes(0, &self.regs_b, self.collinearity_tolerance)?;
        // In eq. 3 the mediator is the second regressor.
        Some(a[0] * b[1])
    }
}

/// One bootstrap draw on the general path: the drawn rows, FE nested in the cluster
/// relabelled per copy, equations 2 and 3 re-estimated; `None` when the fit fails.
fn general_draw(
    input: &MediationInput,
    opts: &MediationOptions,
    clusters: &ClusterRows,
    nested: &[bool],
    draw: &[u32],
) -> Option<f64> {
    let mut rows = Vec::new();
    let mut new_cluster = Vec::new();
    for (copy, &k) in draw.iter().enumerate() {
        for &r in &clusters.rows[k as usize] {
            rows.push(r);
            new_cluster.push(copy as u32);
        }
    }
    // FE nested in the cluster get a distinct level per drawn copy.
    let fe: Vec<Vec<u32>> = input
        .fe
        .iter()
        .zip(nested)
        .map(|(f, &is_n)| {
            let raw = gather(f, &rows);
            if is_n {
                let pairs: Vec<u64> = raw
                    .iter()
                    .zip(&new_cluster)
                    .map(|(&l, &c)| ((c as u64) << 32) | l as u64)
                    .collect();
                relabel(&pairs)
            } else {
                raw
            }
        })
        .collect();
    let fe_refs: Vec<&[u32]> = fe.iter().map(|v| v.as_slice()).collect();
    let y = gather(input.y, &rows);
    let x = gather(input.x.1, &rows);
    let m = gather(input.m.1, &rows);
    let controls: Vec<Vec<f64>> = input
        .controls
        .iter()
        .map(|(_, v)| gather(v, &rows))
        .collect();
    let control_refs: Vec<(&str, &[f64])> = input
        .controls
        .iter()
        .zip(&controls)
        .map(|((n, _), v)| (*n, v.as_slice()))
        .collect();
    let (_, eq2, eq3) = equations(
        &y,
        (input.x.0, &x),
        (input.m.0, &m),
        &control_refs,
        &fe_refs,
        Vce::Unadjusted,
        &opts.fit,
        false,
    )
    .ok()?;
    let a = eq2.coef(input.x.0)?;
    let b = eq3.coef(input.m.0)?;
    Some(a.0 * b.0)
}

fn relabel(codes: &[u64]) -> Vec<u32> {
    crate::absorb::compact_codes(codes).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Every bootstrap replicate (moment fast path where it applies) equals the general
    /// path's refit of the same draw, including draws where a control becomes collinear
    /// (it moves only in unit 0) and the fast path hands the draw back.
    #[test]
    fn fast_bootstrap_replicates_equal_general_refits() {
        let (g, t) = (30, 6);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let city: Vec<u32> = (0..g * t).map(|i| (i / t) as u32 + 100).collect();
        let year: Vec<u32> = (0..g * t).map(|i| (i % t) as u32).collect();
        let noise = |rng: &mut ChaCha8Rng| rng.random::<f64>() - 0.5;
        let x: Vec<f64> = (0..g * t)
            .map(|i| (i % 7) as f64 + noise(&mut rng))
            .collect();
        let m: Vec<f64> = x.iter().map(|v| 0.5 * v + noise(&mut rng)).collect();
        let y: Vec<f64> = x
            .iter()
            .zip(&m)
            .map(|(a, b)| a - b + noise(&mut rng))
            .collect();
        let only_first: Vec<f64> = (0..g * t)
            .map(|i| if i < t { i as f64 } else { 0.0 })
            .collect();
        let input = MediationInput {
            y: &y,
            x: ("x", &x),
            m: ("m", &m),
            controls: vec![("w", &only_first)],
            fe: vec![&city, &year],
            cluster: &city,
        };
        let draws = crate::resample::bootstrap_draws(60, g, 5);
        assert!(
            draws.iter().any(|d| !d.contains(&0)),
            "no draw exercises the fallback"
        );
        let opts = MediationOptions {
            draws: Draws::Explicit(&draws),
            ..Default::default()
        };
        let got = mediation(&input, &opts).unwrap().bootstrap.unwrap();
        let clusters = ClusterRows::new(&city);
        let nested = [true, false];
        let want: Vec<f64> = draws
            .iter()
            .filter_map(|d| general_draw(&input, &opts, &clusters, &nested, d))
            .collect();
        assert_eq!(got.draws.len(), want.len());
        for (a, b) in got.draws.iter().zip(&want) {
            assert!((a - b).abs() <= 1e-10 * b.abs().max(1e-12), "{a} vs {b}");
        }
    }

    /// On an unbalanced panel every bootstrap draw taken by the moment fast path equals
    /// the general refit of the same draw, and the bootstrap as a whole equals the
    /// general path draw by draw. The panel has holes, three cities observed once
    /// (singletons in every copy), a year seen by two cities only (draws where it has one
    /// row go to the general path), and a control that moves only in city 0 (collinear
    /// in draws without it); the draws include cities absent or drawn several times.
    #[test]
    fn unbalanced_fast_bootstrap_replicates_equal_general_refits() {
        let (g, t) = (40, 8);
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        let keep = |i: usize| {
            let (c, l) = (i / t, i % t);
            match c {
                5 | 17 | 33 => l == 3,
                _ if l == 7 => c == 1 || c == 2,
                _ => (c * 3 + l * 5) % 7 != 0,
            }
        };
        let rows: Vec<usize> = (0..g * t).filter(|&i| keep(i)).collect();
        let city: Vec<u32> = rows
            .iter()
            .map(|&i| (i / t) as u32 * 10 + 110_000)
            .collect();
        let year: Vec<u32> = rows.iter().map(|&i| (i % t) as u32 + 2006).collect();
        let n = rows.len();
        let noise = |rng: &mut ChaCha8Rng| rng.random::<f64>() - 0.5;
        let x: Vec<f64> = rows
            .iter()
            .map(|&i| (i % 7) as f64 + 3.0 * (i / t) as f64 + noise(&mut rng))
            .collect();
        let m: Vec<f64> = x.iter().map(|v| 0.5 * v + noise(&mut rng)).collect();
        let y: Vec<f64> = (0..n)
            .map(|r| x[r] - m[r] + 0.2 * year[r] as f64 + noise(&mut rng))
            .collect();
        let only_first: Vec<f64> = rows
            .iter()
            .map(|&i| if i < t { (i * i) as f64 } else { 0.0 })
            .collect();
        let input = MediationInput {
            y: &y,
            x: ("x", &x),
            m: ("m", &m),
            controls: vec![("w", &only_first)],
            fe: vec![&city, &year],
            cluster: &city,
        };
        let mut draws = crate::resample::bootstrap_draws(80, g, 3);
        // City 0 five times, and a draw where city 1 alone sees 2013 (a singleton year).
        draws.push((0..g as u32).map(|k| if k < 5 { 0 } else { k }).collect());
        draws.push((0..g as u32).map(|k| if k == 2 { 3 } else { k }).collect());
        let opts = MediationOptions {
            draws: Draws::Explicit(&draws),
            ..Default::default()
        };
        let clusters = ClusterRows::new(&city);
        let nested = [true, false];
        let fast = MomentBootstrap::new(&input, &clusters, opts.fit.collinearity_tolerance)
            .expect("the unbalanced city x year design takes the fast path");
        let mut weights = vec![0.0; g];
        let (mut took_fast, mut handed_back) = (0, 0);
        let mut want = Vec::new();
        for d in &draws {
            let general = general_draw(&input, &opts, &clusters, &nested, d);
            match fast.ab(d, &mut weights) {
                Some(a) => {
                    let b = general.expect("the general path fits a clean draw");
                    assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-12), "{a} vs {b}");
                    took_fast += 1;
                }
                None => handed_back += 1,
            }
            want.extend(general);
        }
        assert!(took_fast >= 30, "only {took_fast} draws took the fast path");
        assert!(handed_back >= 2, "only {handed_back} draws handed back");
        let got = mediation(&input, &opts).unwrap().bootstrap.unwrap();
        assert_eq!(got.draws.len(), want.len());
        for (a, b) in got.draws.iter().zip(&want) {
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-12), "{a} vs {b}");
        }
    }
}
