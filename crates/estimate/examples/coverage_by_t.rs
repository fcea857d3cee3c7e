//! Coverage of the paper's panel estimators when each one's own model holds, as the panel gets
//! longer (docs/montecarlo.md, "estimator-level check"): is an interval that under-covers on the
//! twins wrong in the code, or a small-T property of the estimator?
//!
//! ```text
//! cargo run --release -p robocarb-estimate --example coverage_by_t -- [REPS] [N] [SEED]
//! ```
//!
//! For T in {14, 30, 60} and `N` panels (default 100), `REPS` replications (default 200):
//! `x_it = 0.5 a_i + 0.1 t + u_it` (u AR(1) with coefficient 0.5), `y_it = 1.0 x_it + a_i + d_t + e_it`,
//! regressors `x`, panel dummies, period dummies and a constant, as Table 6 runs them, and
//!
//! * design "iid": `e` i.i.d. N(0, 1): the model of `xtpcse` (default: correlated panels, no AR)
//!   and of the FE regression with city-clustered errors;
//! * design "hetero-ar1": `e_it = rho e_it-1 + v_it`, rho = 0.4, `sd(v_it) = s_i` drawn once per
//!   panel from U(0.5, 2): the model of `xtgls, panels(hetero) corr(ar1)` (and still valid for the
//!   clustered FE).
//!
//! Prints, per design, estimator and T, the coverage of the nominal 95% interval for the slope of
//! x (true value 1), its Monte Carlo standard error, and sd(b) / mean(se). Deterministic for a seed.

use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use robocarb_estimate::dist::{normal_two_sided_p, t_two_sided_p};
use robocarb_estimate::fgls::{xtgls, GlsOptions, PanelRegression};
use robocarb_estimate::pcse::{xtpcse, PcseOptions};
use robocarb_estimate::{ols_fe, Design, Vce};

/// Standard normal draw (Box-Muller; one of the pair is enough here).
fn normal(r: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = r.random::<f64>().max(1e-300);
    let u2: f64 = r.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[derive(Clone, Copy, PartialEq)]
enum Errors {
    Iid,
    HeteroAr1,
}

struct Sample {
    y: Vec<f64>,
    x: Vec<f64>,
    panel: Vec<u32>,
    time: Vec<i32>,
}

fn draw(n: usize, t: usize, errors: Errors, r: &mut ChaCha8Rng) -> Sample {
    let mut s = Sample {
        y: Vec::with_capacity(n * t),
        x: Vec::with_capacity(n * t),
        panel: Vec::with_capacity(n * t),
        time: Vec::with_capacity(n * t),
    };
    let period_effect: Vec<f64> = (0..t).map(|_| normal(r)).collect();
    for i in 0..n {
        let a = normal(r);
        let sd = 0.5 + 1.5 * r.random::<f64>();
        let (mut u, mut e) = (normal(r) / (1.0f64 - 0.25).sqrt(), 0.0);
        for (k, effect) in period_effect.iter().enumerate() {
            if k > 0 {
                u = 0.5 * u + normal(r);
            }
            e = match errors {
                Errors::Iid => normal(r),
                Errors::HeteroAr1 if k == 0 => sd * normal(r) / (1.0f64 - 0.16).sqrt(),
                Errors::HeteroAr1 => 0.4 * e + sd * normal(r),
            };
            let x = 0.5 * a + 0.1 * k as f64 + u;
            s.x.push(x);
            s.y.push(x + a + effect + e);
            s.panel.push(i as u32);
            s.time.push(2000 + k as i32);
        }
    }
    s
}

/// `x`, panel dummies 1.., period dummies 1.., constant.
fn dummies(s: &Sample, n: usize, t: usize) -> (Mat<f64>, Vec<String>) {
    let k = 1 + (n - 1) + (t - 1) + 1;
    let x = Mat::from_fn(s.y.len(), k, |row, j| {
        let (i, p) = (s.panel[row] as usize, (s.time[row] - 2000) as usize);
        match j {
            0 => s.x[row],
            j if j < n => f64::from(i == j),
            j if j < n + t - 1 => f64::from(p == j - n + 1),
            _ => 1.0,
        }
    });
    let mut names = vec!["x".to_string()];
    names.extend((1..n).map(|i| format!("p{i}")));
    names.extend((1..t).map(|k| format!("t{k}")));
    names.push("_cons".into());
    (x, names)
}

struct Tally {
    b: Vec<f64>,
    se: Vec<f64>,
    covered: usize,
}

impl Tally {
    fn new() -> Self {
        Tally {
            b: Vec::new(),
            se: Vec::new(),
            covered: 0,
        }
    }

    /// `p`: two-sided p-value of `(b - 1) / se` in the estimator's reference distribution.
    fn add(&mut self, b: f64, se: f64, p: f64) {
        self.b.push(b);
        self.se.push(se);
        if p > 0.05 {
            self.covered += 1;
        }
    }

    fn line(&self, label: &str) -> String {
        let r = self.b.len() as f64;
        let mean = self.b.iter().sum::<f64>() / r;
        let sd = (self.b.iter().map(|b| (b - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
        let mean_se = self.se.iter().sum::<f64>() / r;
        let p = self.covered as f64 / r;
        format!(
            "| {label} | {mean:.4} | {:.3} | {p:.3} ({:.3}) |",
            sd / mean_se,
            (p * (1.0 - p) / r).sqrt()
        )
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reps: usize = args.first().map_or(Ok(200), |a| a.parse())?;
    let n: usize = args.get(1).map_or(Ok(100), |a| a.parse())?;
    let seed: u64 = args.get(2).map_or(Ok(1), |a| a.parse())?;
    println!("{reps} replications per cell, N = {n} panels, seed {seed}; true slope 1\n");
    println!("| design, estimator, T | mean b | sd(b) / mean(se) | coverage (MCSE) |");
    println!("|---|---|---|---|");
    for (errors, name) in [(Errors::Iid, "iid"), (Errors::HeteroAr1, "hetero-ar1")] {
        for t in [14usize, 30, 60] {
            let mut r = ChaCha8Rng::seed_from_u64(seed ^ ((t as u64) << 8) ^ (errors as u64));
            let (mut fe, mut gls) = (Tally::new(), Tally::new());
            let mut failed = 0usize;
            for _ in 0..reps {
                let s = draw(n, t, errors, &mut r);
                let fe_fit = ols_fe(
                    &Design::new(&s.y)
                        .regressor("x", &s.x)
                        .absorb(&s.panel)
                        .absorb(&s.time.iter().map(|&v| v as u32).collect::<Vec<u32>>()),
                    Vce::Cluster(&s.panel),
                )?;
                let (b, se, _, _) = fe_fit.coef("x").ok_or("x dropped")?;
                // Student t with G - 1 df, as reported.
                fe.add(b, se, t_two_sided_p((b - 1.0) / se, (n - 1) as f64));
                let (xm, names) = dummies(&s, n, t);
                let data = PanelRegression {
                    y: &s.y,
                    x: xm.as_ref(),
                    names: &names,
                    panel: &s.panel,
                    time: &s.time,
                };
                let fit = match errors {
                    Errors::Iid => {
                        xtpcse(&data, &PcseOptions::default()).map(|f| (f.b[0], f.se[0]))
                    }
                    Errors::HeteroAr1 => {
                        xtgls(&data, &GlsOptions::hetero_ar1()).map(|f| (f.b[0], f.se[0]))
                    }
                };
                match fit {
                    Ok((b, se)) => gls.add(b, se, normal_two_sided_p((b - 1.0) / se)),
                    Err(_) => failed += 1,
                }
            }
            let gls_name = match errors {
                Errors::Iid => "PCSE (xtpcse)",
                Errors::HeteroAr1 => "FGLS (xtgls hetero ar1)",
            };
            println!("{}", fe.line(&format!("{name}, FE cluster, T = {t}")));
            println!("{}", gls.line(&format!("{name}, {gls_name}, T = {t}")));
            if failed > 0 {
                println!("| ({failed} {gls_name} fits failed at T = {t}) | | | |");
            }
        }
    }
    Ok(())
}
