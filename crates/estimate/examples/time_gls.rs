//! Timing of Table 6's FGLS and PCSE with panel and period effects at a given scale (the
//! county-scale twin has 2,850 panels x 14 periods): the panel effects absorbed (default) or as
//! explicit dummy columns (`dummies`: about 2,880 columns at county scale).
//!
//! ```text
//! cargo run --release -p robocarb-estimate --example time_gls -- [N] [T] [absorbed|dummies]
//! ```

use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use robocarb_estimate::fgls::{xtgls, GlsOptions, PanelRegression, UnitEffects};
use robocarb_estimate::pcse::{xtpcse, PcseOptions};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().map_or(Ok(274), |a| a.parse())?;
    let t: usize = args.get(1).map_or(Ok(14), |a| a.parse())?;
    let dense = 9;
    let unit_effects = match args.get(2).map(String::as_str) {
        None | Some("absorbed") => UnitEffects::Absorbed { at: dense },
        Some("dummies") => UnitEffects::Dummies { at: dense },
        Some(other) => return Err(format!("unknown form {other}").into()),
    };
    let mut r = ChaCha8Rng::seed_from_u64(1);
    let rows = n * t;
    let k = dense + (t - 1) + 1;
    let values: Vec<f64> = (0..rows * dense).map(|_| r.random::<f64>()).collect();
    let panel: Vec<u32> = (0..rows).map(|i| (i / t) as u32).collect();
    let time: Vec<i32> = (0..rows).map(|i| (i % t) as i32).collect();
    let y: Vec<f64> = (0..rows)
        .map(|i| values[i * dense] + 0.1 * (i / t) as f64 + r.random::<f64>())
        .collect();
    let x = Mat::from_fn(rows, k, |i, j| {
        let s = i % t;
        match j {
            j if j < dense => values[i * dense + j],
            j if j < dense + t - 1 => f64::from(s == j - dense + 1),
            _ => 1.0,
        }
    });
    let names: Vec<String> = (0..k)
        .map(|j| {
            if j == k - 1 {
                "_cons".into()
            } else {
                format!("x{j}")
            }
        })
        .collect();
    let data = PanelRegression {
        y: &y,
        x: x.as_ref(),
        names: &names,
        panel: &panel,
        time: &time,
    };
    println!("{n} panels x {t} periods: {rows} rows, {k} columns, panel effects {unit_effects:?}");
    let t0 = Instant::now();
    let g = xtgls(
        &data,
        &GlsOptions {
            unit_effects,
            ..GlsOptions::hetero_ar1()
        },
    )?;
    println!(
        "xtgls panels(hetero) corr(ar1): {:.2} s (b0 {:.6})",
        t0.elapsed().as_secs_f64(),
        g.b[0]
    );
    let t0 = Instant::now();
    let p = xtpcse(
        &data,
        &PcseOptions {
            unit_effects,
            ..PcseOptions::default()
        },
    )?;
    println!(
        "xtpcse: {:.2} s (b0 {:.6})",
        t0.elapsed().as_secs_f64(),
        p.b[0]
    );
    Ok(())
}
