//! In-process timing of two-way FE OLS with one-way clustered VCE on a CSV, for the peer
//! comparison in `bench/` (`just bench-peers`).
//!
//! ```text
//! cargo run --release -p robocarb-estimate --example time_fe -- \
//!     FILE.csv Y X1,X2,... UNIT TIME CLUSTER REPS
//! ```
//! Rows with an empty or non-numeric value in any used column are dropped (as the peers drop
//! NaN rows). Identifiers are mapped to dense `u32` codes before timing. Only `ols_fe` is
//! timed: REPS runs, then one JSON line with median / min / max in microseconds and the
//! coefficients and standard errors (so the runner can check both sides did the same work).

use robocarb_estimate::{ols_fe, Design, Vce};
use std::collections::HashMap;
use std::time::Instant;

/// Splits one CSV record, honouring double quotes (no embedded newlines).
fn split_record(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 8 {
        return Err("usage: time_fe FILE.csv Y X1,X2,... UNIT TIME CLUSTER REPS".into());
    }
    let text = std::fs::read_to_string(&args[1])?;
    let y_name = args[2].as_str();
    let x_names: Vec<&str> = args[3].split(',').collect();
    let (unit_name, time_name, cluster_name) = (&args[4], &args[5], &args[6]);
    let reps: usize = args[7].parse()?;

    let mut lines = text.lines();
    let header = split_record(lines.next().ok_or("empty CSV")?);
    let col = |name: &str| -> Result<usize, String> {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| format!("column {name} not in CSV"))
    };
    let y_col = col(y_name)?;
    let x_cols = x_names
        .iter()
        .map(|n| col(n))
        .collect::<Result<Vec<_>, _>>()?;
    let id_cols = [col(unit_name)?, col(time_name)?, col(cluster_name)?];

    let mut y = Vec::new();
    let mut x: Vec<Vec<f64>> = vec![Vec::new(); x_cols.len()];
    let mut ids: [Vec<u32>; 3] = Default::default();
    let mut codes: [HashMap<String, u32>; 3] = Default::default();
    'rows: for line in lines {
        if line.is_empty() {
            continue;
        }
        let f = split_record(line);
        let num = |c: usize| -> Option<f64> {
            f.get(c)
                .and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite())
        };
        let Some(yv) = num(y_col) else { continue };
        let mut xv = Vec::with_capacity(x_cols.len());
        for &c in &x_cols {
            match num(c) {
                Some(v) => xv.push(v),
                None => continue 'rows,
            }
        }
        let mut idv = [0u32; 3];
        for (k, &c) in id_cols.iter().enumerate() {
            let key = match f.get(c).map(|s| s.trim()) {
                Some(s) if !s.is_empty() => s.to_string(),
                _ => continue 'rows,
            };
            let next = codes[k].len() as u32;
            idv[k] = *codes[k].entry(key).or_insert(next);
        }
        y.push(yv);
        for (col, v) in x.iter_mut().zip(xv) {
            col.push(v);
        }
        for k in 0..3 {
            ids[k].push(idv[k]);
        }
    }

    let mut design = Design::new(&y).absorb(&ids[0]).absorb(&ids[1]);
    for (name, values) in x_names.iter().zip(&x) {
        design = design.regressor(name, values);
    }
    let mut micros = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        let fit = ols_fe(&design, Vce::Cluster(&ids[2]))?;
        micros.push(start.elapsed().as_secs_f64() * 1e6);
        last = Some(fit);
    }
    let fit = last.ok_or("no run")?;
    micros.sort_by(f64::total_cmp);
    let out = serde_json::json!({
        "n": fit.n,
        "reps": micros.len(),
        "median_us": micros[micros.len() / 2],
        "min_us": micros[0],
        "max_us": micros[micros.len() - 1],
        "names": fit.names,
        "b": fit.b,
        "se": fit.se,
    });
    println!("{out}");
    Ok(())
}
