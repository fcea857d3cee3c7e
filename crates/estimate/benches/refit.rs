//! Null refits of one specification on cluster-bootstrap draws of cities (the joint
//! inference of the specification curve: 1,920 specifications x 500 draws), at the
//! study's size: 274 cities x 14 years (3,836 rows; and the unbalanced CEADs shape,
//! about 3,076 rows), 10 regressors, cities in 31 provinces of 1 to 20 cities; FE
//! city+year and city+province^year; clusters city and province. `fast::<100>` is one
//! specification's set-up plus 100 draws (the counter gives draws per second),
//! `fast::<0>` the set-up alone. The general path (each draw's data built and fit by
//! `ols_fe_with`) is benched on one design for scale.
//! Run: `cargo bench -p robocarb-estimate --bench refit` (`RAYON_NUM_THREADS=1` for one
//! core).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use robocarb_estimate::resample::bootstrap_draws;
use robocarb_estimate::{refit_draws, FitOptions, RefitDesign, RefitPath, Vce};
use std::sync::OnceLock;

/// Cities per province: 31 provinces of 1 to 20 cities, 274 in all.
const PROVINCE_SIZES: [u32; 31] = [
    1, 8, 15, 2, 9, 16, 3, 10, 17, 4, 11, 18, 5, 12, 19, 6, 13, 20, 7, 14, 1, 8, 15, 2, 9, 6, 3, 5,
    7, 4, 4,
];
const YEARS: u32 = 14;
const DRAWS: usize = 100;
const NAMES: [&str; 10] = ["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"];

struct Panel {
    y: Vec<f64>,
    x: Vec<Vec<f64>>,
    unit: Vec<u32>,
    city: Vec<u32>,
    year: Vec<u32>,
    province: Vec<u32>,
    province_year: Vec<u32>,
    units: usize,
}

/// The panel; with `unbalanced`, cities 84.. lose each year with probability 0.29, as the
/// real CEADs inventories.
fn make_panel(unbalanced: bool) -> Panel {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let province_of: Vec<u32> = PROVINCE_SIZES
        .iter()
        .enumerate()
        .flat_map(|(g, &n)| std::iter::repeat_n(g as u32, n as usize))
        .collect();
    let units = province_of.len();
    assert_eq!(units, 274);
    let effects: Vec<Vec<f64>> = (0..11)
        .map(|_| (0..units).map(|_| rng.random::<f64>() * 10.0).collect())
        .collect();
    let mut p = Panel {
        y: Vec::new(),
        x: vec![Vec::new(); 10],
        unit: Vec::new(),
        city: Vec::new(),
        year: Vec::new(),
        province: Vec::new(),
        province_year: Vec::new(),
        units,
    };
    for c in 0..units {
        for t in 0..YEARS {
            if unbalanced && c >= 84 && rng.random::<f64>() >= 0.714 {
                continue;
            }
            let g = province_of[c];
            p.unit.push(c as u32);
            p.city.push(110_000 + 100 * c as u32);
            p.year.push(2006 + t);
            p.province.push(11 + g);
            p.province_year.push((11 + g) * 10_000 + 2006 + t);
            let mut y = effects[10][c] + 0.1 * t as f64 + rng.random::<f64>();
            for (j, col) in p.x.iter_mut().enumerate() {
                let v = effects[j][c] + 0.05 * t as f64 * j as f64 + rng.random::<f64>();
                y += (j as f64 + 1.0) * 0.1 * v;
                col.push(v);
            }
            p.y.push(y);
        }
    }
    p
}

fn panel(unbalanced: bool) -> &'static Panel {
    static P: [OnceLock<Panel>; 2] = [OnceLock::new(), OnceLock::new()];
    P[unbalanced as usize].get_or_init(|| make_panel(unbalanced))
}

fn draws() -> &'static [Vec<u32>] {
    static D: OnceLock<Vec<Vec<u32>>> = OnceLock::new();
    D.get_or_init(|| bootstrap_draws(DRAWS, 274, 42))
}

fn design(p: &Panel, province_year: bool, cluster_province: bool) -> RefitDesign<'_> {
    RefitDesign {
        y: &p.y,
        x: NAMES
            .into_iter()
            .zip(p.x.iter().map(Vec::as_slice))
            .collect(),
        fe: vec![
            &p.city,
            if province_year {
                &p.province_year
            } else {
                &p.year
            },
        ],
        vce: Vce::Cluster(if cluster_province {
            &p.province
        } else {
            &p.city
        }),
        unit: &p.unit,
        units: p.units,
    }
}

/// `(unbalanced, province^year FE, province clusters)`.
const CASES: [(bool, bool, bool); 8] = [
    (false, false, false),
    (false, false, true),
    (false, true, false),
    (false, true, true),
    (true, false, false),
    (true, false, true),
    (true, true, false),
    (true, true, true),
];

/// `N` = 100: one specification's set-up and 100 draws; `N` = 0: the set-up alone.
#[divan::bench(consts = [0, DRAWS], args = CASES)]
fn fast<const N: usize>(bencher: divan::Bencher, (unbalanced, py, cp): (bool, bool, bool)) {
    let p = panel(unbalanced);
    let d = design(p, py, cp);
    let opts = FitOptions::default();
    let draws = &draws()[..N];
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| {
            divan::black_box(refit_draws(&d, 0, 0.1, draws, &opts, RefitPath::Fast).unwrap())
        });
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn general_100_draws_city_year_cluster_city(bencher: divan::Bencher) {
    let p = panel(false);
    let d = design(p, false, false);
    let opts = FitOptions::default();
    bencher
        .counter(divan::counter::ItemsCount::new(DRAWS))
        .bench(|| {
            divan::black_box(refit_draws(&d, 0, 0.1, draws(), &opts, RefitPath::General).unwrap())
        });
}

fn main() {
    // How many draws each case sends to the general path, for the record.
    for (unbalanced, py, cp) in CASES {
        let d = design(panel(unbalanced), py, cp);
        let r = refit_draws(&d, 0, 0.1, draws(), &FitOptions::default(), RefitPath::Fast).unwrap();
        eprintln!(
            "unbalanced={unbalanced} province_year={py} cluster_province={cp}: {:?}",
            r.stats
        );
    }
    divan::main();
}
