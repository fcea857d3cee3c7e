//! Two-way FE OLS with clustered VCE: a paper-sized panel (274 cities x 14 years = 3,836
//! rows) and a large one (50,000 x 20 = 1,000,000 rows), 10 regressors each.
//! Run: `cargo bench -p robocarb-estimate --bench fe_cluster`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use robocarb_estimate::{ols_fe, Design, Vce};
use std::sync::OnceLock;

struct Panel {
    y: Vec<f64>,
    x: Vec<Vec<f64>>,
    names: Vec<String>,
    city: Vec<u32>,
    year: Vec<u32>,
}

fn make_panel(n_city: u32, n_year: u32, seed: u64) -> Panel {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = (n_city * n_year) as usize;
    // 6-digit city codes as in the real data, and calendar years.
    let city: Vec<u32> = (0..n as u32)
        .map(|k| 110_000 + 100 * (k / n_year))
        .collect();
    let year: Vec<u32> = (0..n as u32).map(|k| 2006 + k % n_year).collect();
    let x: Vec<Vec<f64>> = (0..10)
        .map(|_| (0..n).map(|_| rng.random::<f64>()).collect())
        .collect();
    let y = (0..n)
        .map(|i| {
            x.iter()
                .enumerate()
                .map(|(j, c)| (j as f64 + 1.0) * 0.1 * c[i])
                .sum::<f64>()
                + rng.random::<f64>()
        })
        .collect();
    Panel {
        y,
        x,
        names: (0..10).map(|j| format!("x{j}")).collect(),
        city,
        year,
    }
}

fn design(p: &Panel) -> Design<'_> {
    let mut d = Design::new(&p.y).absorb(&p.city).absorb(&p.year);
    for (name, col) in p.names.iter().zip(&p.x) {
        d = d.regressor(name, col);
    }
    d
}

fn small() -> &'static Panel {
    static P: OnceLock<Panel> = OnceLock::new();
    P.get_or_init(|| make_panel(274, 14, 1))
}

fn large() -> &'static Panel {
    static P: OnceLock<Panel> = OnceLock::new();
    P.get_or_init(|| make_panel(50_000, 20, 2))
}

#[divan::bench]
fn small_3836_rows_cluster_city() {
    let p = small();
    divan::black_box(ols_fe(&design(p), Vce::Cluster(&p.city)).ok());
}

#[divan::bench]
fn small_3836_rows_two_way_cluster() {
    let p = small();
    divan::black_box(ols_fe(&design(p), Vce::TwoWayCluster(&p.city, &p.year)).ok());
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn large_1m_rows_cluster_city() {
    let p = large();
    divan::black_box(ols_fe(&design(p), Vce::Cluster(&p.city)).ok());
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn large_1m_rows_two_way_cluster() {
    let p = large();
    divan::black_box(ols_fe(&design(p), Vce::TwoWayCluster(&p.city, &p.year)).ok());
}

fn main() {
    divan::main();
}
