//! Distribution functions used for p-values and intervals: standard normal (CDF and
//! quantile), Student t, F and chi-squared tail probabilities.
//!
//! All are built on two special functions: the regularized incomplete beta function
//! `I_x(a, b)` (continued fraction, modified Lentz) and the regularized incomplete gamma
//! functions `P(a, x)` / `Q(a, x)` (series / continued fraction), with `ln Γ` from the
//! 14-term Lanczos approximation (relative error about 1e-15). Tested against scipy.

const EPS: f64 = 1e-16;
const FPMIN: f64 = 1e-300;
const MAX_ITER: usize = 10_000;

/// Natural log of the gamma function, `x > 0`.
pub fn ln_gamma(x: f64) -> f64 {
    // Numerical Recipes (3rd ed.) coefficients, kept as published.
    #[allow(clippy::excessive_precision)]
    const COF: [f64; 14] = [
        57.156_235_665_862_92,
        -59.597_960_355_475_49,
        14.136_097_974_741_747,
        -0.491_913_816_097_620_2,
        0.339_946_499_848_118_9e-4,
        0.465_236_289_270_485_76e-4,
        -0.983_744_753_048_795_6e-4,
        0.158_088_703_224_912_5e-3,
        -0.210_264_441_724_104_88e-3,
        0.217_439_618_115_212_65e-3,
        -0.164_318_106_536_763_9e-3,
        0.844_182_239_838_527_4e-4,
        -0.261_908_384_015_814_1e-4,
        0.368_991_826_595_316_2e-5,
    ];
    let mut y = x;
    let tmp = x + 5.242_187_5;
    let tmp = (x + 0.5) * tmp.ln() - tmp;
    let mut ser = 0.999_999_999_999_997_1;
    for c in COF {
        y += 1.0;
        ser += c / y;
    }
    tmp + (2.506_628_274_631_000_5 * ser / x).ln()
}

fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < FPMIN {
        d = FPMIN;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..MAX_ITER {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < FPMIN {
            d = FPMIN;
        }
        c = 1.0 + aa / c;
        if c.abs() < FPMIN {
            c = FPMIN;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < FPMIN {
            d = FPMIN;
        }
        c = 1.0 + aa / c;
        if c.abs() < FPMIN {
            c = FPMIN;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// Regularized incomplete beta function `I_x(a, b)`, `a, b > 0`, `0 <= x <= 1`.
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    incomplete_beta_with_complement(a, b, x, 1.0 - x)
}

/// `I_x(a, b)` with `y = 1 - x` passed in, so that a complement computed without
/// cancellation (for example `t^2 / (df + t^2)`) keeps its precision.
pub fn incomplete_beta_with_complement(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if y <= 0.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * y.ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_continued_fraction(b, a, y) / b
    }
}

/// Regularized lower incomplete gamma `P(a, x)`.
pub fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x < a + 1.0 {
        gamma_series(a, x)
    } else {
        1.0 - gamma_continued_fraction(a, x)
    }
}

/// Regularized upper incomplete gamma `Q(a, x) = 1 - P(a, x)`, accurate in the far tail.
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x < a + 1.0 {
        1.0 - gamma_series(a, x)
    } else {
        gamma_continued_fraction(a, x)
    }
}

fn gamma_series(a: f64, x: f64) -> f64 {
    let mut ap = a;
    let mut del = 1.0 / a;
    let mut sum = del;
    for _ in 0..MAX_ITER {
        ap += 1.0;
        del *= x / ap;
        sum += del;
        if del.abs() < sum.abs() * EPS {
            break;
        }
    }
    sum * (-x + a * x.ln() - ln_gamma(a)).exp()
}

fn gamma_continued_fraction(a: f64, x: f64) -> f64 {
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / FPMIN;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..MAX_ITER {
        let i = i as f64;
        let an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < FPMIN {
            d = FPMIN;
        }
        c = b + an / c;
        if c.abs() < FPMIN {
            c = FPMIN;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    (-x + a * x.ln() - ln_gamma(a)).exp() * h
}

/// Complementary error function, `erfc(x) = Q(1/2, x^2)` for `x >= 0`.
pub fn erfc(x: f64) -> f64 {
    if x >= 0.0 {
        gamma_q(0.5, x * x)
    } else {
        2.0 - gamma_q(0.5, x * x)
    }
}

/// Standard normal CDF `Φ(z)`.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Two-sided normal p-value `2 (1 - Φ(|z|))`.
pub fn normal_two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Standard normal quantile `Φ^{-1}(p)`: Acklam's rational approximation refined by one
/// Halley step on [`normal_cdf`] (about 1e-15 relative). `p` outside (0, 1) gives ±∞.
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if p > 0.5 {
        // 1 - p is exact for p in (0.5, 1).
        return -normal_quantile(1.0 - p);
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p_low = 0.02425;
    let mut x = if p < p_low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // Halley refinement on the lower half, where Φ(x) - p has no cancellation.
    for _ in 0..2 {
        let e = normal_cdf(x) - p;
        let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
        x -= u / (1.0 + x * u / 2.0);
    }
    x
}

/// Two-sided Student-t p-value `P(|T_df| > |t|) = I_{df/(df+t^2)}(df/2, 1/2)`.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    incomplete_beta_with_complement(df / 2.0, 0.5, df / (df + t * t), t * t / (df + t * t))
}

/// Quantile of Student's t with `df` degrees of freedom, by bisection on [`t_cdf`] to the last
/// representable digit (confidence intervals; NaN outside `0 < p < 1` or for `df <= 0`).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    // Written so that NaN inputs fail the test too.
    let valid = p > 0.0 && p < 1.0 && df > 0.0;
    if !valid {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    // Solve in the upper tail and mirror: t is symmetric.
    let (q, sign) = if p > 0.5 { (p, 1.0) } else { (1.0 - p, -1.0) };
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while t_cdf(hi, df) < q && hi < 1e300 {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if t_cdf(mid, df) < q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    sign * 0.5 * (lo + hi)
}

/// Student-t CDF `P(T_df <= t)`.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * t_two_sided_p(t, df);
    if t > 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// Upper tail of the F distribution, `P(F_{d1,d2} > f) = I_{d2/(d2 + d1 f)}(d2/2, d1/2)`.
pub fn f_sf(f: f64, d1: f64, d2: f64) -> f64 {
    if f <= 0.0 {
        return 1.0;
    }
    if !f.is_finite() {
        return 0.0;
    }
    incomplete_beta_with_complement(
        d2 / 2.0,
        d1 / 2.0,
        d2 / (d2 + d1 * f),
        d1 * f / (d2 + d1 * f),
    )
}

/// Upper tail of the chi-squared distribution, `P(χ²_k > x) = Q(k/2, x/2)`.
pub fn chi2_sf(x: f64, k: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if !x.is_finite() {
        return 0.0;
    }
    gamma_q(k / 2.0, x / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantile_matches_scipy() {
        // scipy.stats.t.ppf(p, df), scipy 1.17.
        for &(p, df, want) in &[
            (0.975, 273.0, 1.968_691_619_795_294_6),
            (0.975, 30.0, 2.042_272_456_301_237_8),
            (0.975, 1.0, 12.706_204_736_174_694),
            (0.025, 5.0, -2.570_581_835_636_315_5),
            (0.995, 2.5, 7.163_728_138_948_783),
            (0.9, 1000.0, 1.282_398_721_460_924_7),
        ] {
            let got = t_quantile(p, df);
            assert!(
                (got - want).abs() <= 1e-11 * want.abs(),
                "p {p} df {df}: {got} vs {want}"
            );
        }
        assert_eq!(t_quantile(0.5, 3.0), 0.0);
        assert!(t_quantile(1.0, 3.0).is_nan() && t_quantile(0.5, 0.0).is_nan());
    }

    #[test]
    fn normal_quantile_inverts_cdf() {
        for &p in &[
            1e-10,
            0.001,
            0.025,
            0.3,
            0.5,
            0.7,
            0.975,
            0.999,
            1.0 - 1e-10,
        ] {
            let x = normal_quantile(p);
            assert!((normal_cdf(x) - p).abs() <= 1e-14 * p.max(1e-3), "p = {p}");
        }
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
    }

    #[test]
    fn t_with_many_df_approaches_normal() {
        let p = t_two_sided_p(1.96, 1e7);
        assert!((p - normal_two_sided_p(1.96)).abs() < 1e-6);
    }
}
