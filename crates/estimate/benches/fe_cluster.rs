//! Two-way FE OLS with clustered VCE: a paper-sized panel (274 cities x 14 years = 3,836
//! rows) and a large one (50,000 x 20 = 1,000,000 rows), 10 regressors each.
//! Also the study's resampling at its sizes: 1,000 city-cluster bootstrap draws of a
//! mediation (Table 8 runs three) and 1,000 bdiff permutations (Table 9 runs three), on
//! the balanced panel and on an unbalanced one shaped like the real CEADs panel (84 of
//! 274 cities seen every year, the others in about 71% of the years: 3,076 rows).
//! Run: `cargo bench -p robocarb-estimate --bench fe_cluster`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use robocarb_estimate::{
    group_difference, mediation, ols_fe, Design, Draws, GroupDiffInput, GroupDiffOptions,
    MediationInput, MediationOptions, Vce,
};
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

/// The paper-sized panel with holes: cities 84.. lose each year with probability 0.29,
/// as the real CEADs inventories (3,076 of 3,836 city-years).
fn small_unbalanced() -> &'static Panel {
    static P: OnceLock<Panel> = OnceLock::new();
    P.get_or_init(|| {
        let full = small();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let keep: Vec<usize> = (0..full.y.len())
            .filter(|&i| i < 84 * 14 || rng.random::<f64>() < 0.714)
            .collect();
        let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        Panel {
            y: pick(&full.y),
            x: full.x.iter().map(|c| pick(c)).collect(),
            names: full.names.clone(),
            city: keep.iter().map(|&i| full.city[i]).collect(),
            year: keep.iter().map(|&i| full.year[i]).collect(),
        }
    })
}

/// One mediation with 1,000 bootstrap draws: x0 is the treatment, x1 the mediator, x2..
/// the controls.
fn mediation_1000(p: &Panel) {
    let controls: Vec<(&str, &[f64])> = p.names[2..]
        .iter()
        .zip(&p.x[2..])
        .map(|(n, c)| (n.as_str(), c.as_slice()))
        .collect();
    let input = MediationInput {
        y: &p.y,
        x: ("x0", &p.x[0]),
        m: ("x1", &p.x[1]),
        controls,
        fe: vec![&p.city, &p.year],
        cluster: &p.city,
    };
    let opts = MediationOptions {
        draws: Draws::Seeded {
            reps: 1000,
            seed: 1,
        },
        ..Default::default()
    };
    divan::black_box(mediation(&input, &opts).ok());
}

/// One split-sample difference with 1,000 permutations (and the Chow test), groups of
/// 109 and 165 cities as the resource-based split.
fn group_difference_1000(p: &Panel) {
    let group: Vec<bool> = p.city.iter().map(|c| (c / 100) % 5 < 2).collect();
    let input = GroupDiffInput {
        y: &p.y,
        x: p.names
            .iter()
            .zip(&p.x)
            .map(|(n, c)| (n.as_str(), c.as_slice()))
            .collect(),
        coef: "x0",
        fe: vec![&p.city, &p.year],
        cluster: &p.city,
        group: &group,
    };
    let opts = GroupDiffOptions {
        permutations: Draws::Seeded {
            reps: 1000,
            seed: 1,
        },
        ..Default::default()
    };
    divan::black_box(group_difference(&input, &opts).ok());
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn mediation_1000_cluster_bootstraps() {
    mediation_1000(small());
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn group_difference_1000_permutations() {
    group_difference_1000(small());
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn mediation_1000_cluster_bootstraps_unbalanced() {
    mediation_1000(small_unbalanced());
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn group_difference_1000_permutations_unbalanced() {
    group_difference_1000(small_unbalanced());
}

fn main() {
    divan::main();
}
