//! Table 6's FGLS (`xtgls, panels(hetero) corr(ar1)`) and PCSE (`xtpcse`, casewise) with city and
//! year effects at county scale (2,850 panels x 14 periods, 9 regressors): city effects absorbed
//! (`UnitEffects::Absorbed`), and for comparison at the paper's scale (274 x 14) both forms.
//! Run: `cargo bench -p robocarb-estimate --bench gls_county`.

use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use robocarb_estimate::fgls::{xtgls, GlsOptions, PanelRegression, UnitEffects};
use robocarb_estimate::pcse::{xtpcse, PcseOptions};
use std::sync::OnceLock;

/// Regressors of Table 6: ROBOT and 8 controls.
const DENSE: usize = 9;

/// y, [9 regressors, year dummies, constant], panel and time ids, as Table 6 passes them.
struct Panel {
    y: Vec<f64>,
    x: Mat<f64>,
    names: Vec<String>,
    panel: Vec<u32>,
    time: Vec<i32>,
}

impl Panel {
    fn new(n_panels: usize, n_periods: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let rows = n_panels * n_periods;
        let k = DENSE + n_periods;
        let values: Vec<f64> = (0..rows * DENSE).map(|_| rng.random::<f64>()).collect();
        let panel: Vec<u32> = (0..rows).map(|i| (i / n_periods) as u32).collect();
        let time: Vec<i32> = (0..rows).map(|i| 2006 + (i % n_periods) as i32).collect();
        // Panel effects, a trend and AR(1) errors with panel-specific scales.
        let mut u = 0.0;
        let y: Vec<f64> = (0..rows)
            .map(|i| {
                let (p, t) = (i / n_periods, i % n_periods);
                let scale = 0.5 + (p % 7) as f64 * 0.1;
                u = if t == 0 { 0.0 } else { 0.5 * u } + scale * (rng.random::<f64>() - 0.5);
                values[i * DENSE] - 0.5 * values[i * DENSE + 1]
                    + 0.01 * p as f64
                    + 0.02 * t as f64
                    + u
            })
            .collect();
        let x = Mat::from_fn(rows, k, |i, j| {
            let s = i % n_periods;
            match j {
                j if j < DENSE => values[i * DENSE + j],
                j if j < DENSE + n_periods - 1 => f64::from(u8::from(s == j - DENSE + 1)),
                _ => 1.0,
            }
        });
        let mut names: Vec<String> = (0..DENSE).map(|j| format!("x{j}")).collect();
        names.extend((1..n_periods).map(|t| format!("year_{t}")));
        names.push("_cons".into());
        Self {
            y,
            x,
            names,
            panel,
            time,
        }
    }

    fn regression(&self) -> PanelRegression<'_> {
        PanelRegression {
            y: &self.y,
            x: self.x.as_ref(),
            names: &self.names,
            panel: &self.panel,
            time: &self.time,
        }
    }
}

fn county() -> &'static Panel {
    static P: OnceLock<Panel> = OnceLock::new();
    P.get_or_init(|| Panel::new(2850, 14, 20_240_401))
}

fn city() -> &'static Panel {
    static P: OnceLock<Panel> = OnceLock::new();
    P.get_or_init(|| Panel::new(274, 14, 20_240_401))
}

const ABSORBED: UnitEffects = UnitEffects::Absorbed { at: DENSE };
const DUMMIES: UnitEffects = UnitEffects::Dummies { at: DENSE };

fn fgls(p: &Panel, unit_effects: UnitEffects) -> f64 {
    let opts = GlsOptions {
        unit_effects,
        ..GlsOptions::hetero_ar1()
    };
    xtgls(&p.regression(), &opts).map_or(f64::NAN, |r| r.wald_chi2)
}

fn pcse(p: &Panel, unit_effects: UnitEffects) -> f64 {
    let opts = PcseOptions {
        unit_effects,
        ..PcseOptions::default()
    };
    xtpcse(&p.regression(), &opts).map_or(f64::NAN, |r| r.wald_chi2)
}

#[divan::bench(sample_count = 10)]
fn fgls_2850x14_absorbed() -> f64 {
    fgls(county(), ABSORBED)
}

#[divan::bench(sample_count = 10)]
fn pcse_2850x14_absorbed() -> f64 {
    pcse(county(), ABSORBED)
}

#[divan::bench(sample_count = 10)]
fn fgls_274x14_absorbed() -> f64 {
    fgls(city(), ABSORBED)
}

#[divan::bench(sample_count = 10)]
fn pcse_274x14_absorbed() -> f64 {
    pcse(city(), ABSORBED)
}

#[divan::bench(sample_count = 5)]
fn fgls_274x14_dummies() -> f64 {
    fgls(city(), DUMMIES)
}

#[divan::bench(sample_count = 5)]
fn pcse_274x14_dummies() -> f64 {
    pcse(city(), DUMMIES)
}

fn main() {
    divan::main();
}
