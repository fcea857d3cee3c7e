//! Timing of Table 6's FGLS and PCSE with explicit panel and period dummies at a given scale
//! (the county-scale twin has 2,850 panels x 14 periods, so about 2,880 columns).
//!
//! ```text
//! cargo run --release -p robocarb-estimate --example time_gls -- [N] [T]
//! ```

use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use robocarb_estimate::fgls::{xtgls, GlsOptions, PanelRegression};
use robocarb_estimate::pcse::{xtpcse, PcseOptions};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().map_or(Ok(274), |a| a.parse())?;
    let t: usize = args.get(1).map_or(Ok(14), |a| a.parse())?;
    let mut r = ChaCha8Rng::seed_from_u64(1);
    let rows = n * t;
    let dense = 9;
    let k = dense + (n - 1) + (t - 1) + 1;
    let values: Vec<f64> = (0..rows * dense).map(|_| r.random::<f64>()).collect();
    let panel: Vec<u32> = (0..rows).map(|i| (i / t) as u32).collect();
    let time: Vec<i32> = (0..rows).map(|i| (i % t) as i32).collect();
    let y: Vec<f64> = (0..rows)
        .map(|i| values[i * dense] + 0.1 * (i / t) as f64 + r.random::<f64>())
        .collect();
    let x = Mat::from_fn(rows, k, |i, j| {
        let (p, s) = (i / t, i % t);
        match j {
            j if j < dense => values[i * dense + j],
            j if j < dense + n - 1 => f64::from(p == j - dense + 1),
            j if j < dense + n + t - 2 => f64::from(s == j - dense - n + 2),
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
    println!("{n} panels x {t} periods: {rows} rows, {k} columns");
    let t0 = Instant::now();
    let g = xtgls(&data, &GlsOptions::hetero_ar1())?;
    println!(
        "xtgls panels(hetero) corr(ar1): {:.2} s (b0 {:.6})",
        t0.elapsed().as_secs_f64(),
        g.b[0]
    );
    let t0 = Instant::now();
    let p = xtpcse(&data, &PcseOptions::default())?;
    println!(
        "xtpcse: {:.2} s (b0 {:.6})",
        t0.elapsed().as_secs_f64(),
        p.b[0]
    );
    Ok(())
}
