//! Malmquist-Luenberger timings at the study's size (274 cities x 14 years) and a global
//! frontier at ten times the cities (2,850 x 14), on a 2-thread rayon pool.
//!
//! `cargo bench -p robocarb-dea --bench ml` (release). Results are recorded in DESIGN.md.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use robocarb_dea::{malmquist_luenberger, DeaData, Frontier, Returns};

fn main() {
    divan::main();
}

/// Standard lognormal draw by Box-Muller (keeps the bench free of extra dependencies).
fn lognormal(rng: &mut ChaCha8Rng, mu: f64, sigma: f64) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random::<f64>();
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    (mu + sigma * z).exp()
}

/// City-like panel: 3 inputs, 1 good, 3 bad outputs; a size factor per city; drifting TFP.
fn panel(n: usize, periods: usize, seed: u64) -> Vec<DeaData> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let size: Vec<f64> = (0..n).map(|_| lognormal(&mut rng, 3.0, 0.8)).collect();
    (0..periods)
        .map(|t| {
            let tfp = 1.0 + 0.03 * t as f64;
            let mut d = DeaData::default();
            for &s in &size {
                d.inputs
                    .push((0..3).map(|_| s * lognormal(&mut rng, 0.0, 0.35)).collect());
                d.good.push(vec![tfp * s * lognormal(&mut rng, 0.0, 0.35)]);
                d.bad.push(
                    (0..3)
                        .map(|_| s * lognormal(&mut rng, -0.02 * t as f64, 0.45))
                        .collect(),
                );
            }
            d
        })
        .collect()
}

fn two_threads() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("thread pool")
}

#[divan::bench(args = [Frontier::Contemporaneous, Frontier::Sequential, Frontier::Global], sample_count = 5)]
fn ml_274x14_vrs(bencher: divan::Bencher, frontier: Frontier) {
    let data = panel(274, 14, 27414);
    let pool = two_threads();
    bencher.bench_local(|| {
        pool.install(|| malmquist_luenberger(&data, Returns::Vrs, frontier, None))
            .expect("ML")
    });
}

#[divan::bench(sample_count = 5)]
fn ml_274x14_crs_contemporaneous(bencher: divan::Bencher) {
    let data = panel(274, 14, 27414);
    let pool = two_threads();
    bencher.bench_local(|| {
        pool.install(|| malmquist_luenberger(&data, Returns::Crs, Frontier::Contemporaneous, None))
            .expect("ML")
    });
}

#[divan::bench(sample_count = 1, sample_size = 1)]
fn ml_2850x14_vrs_global(bencher: divan::Bencher) {
    let data = panel(2850, 14, 285014);
    let pool = two_threads();
    bencher.bench_local(|| {
        pool.install(|| malmquist_luenberger(&data, Returns::Vrs, Frontier::Global, None))
            .expect("ML")
    });
}
