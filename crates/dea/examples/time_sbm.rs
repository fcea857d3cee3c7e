//! In-process timing of the plain SBM with undesirable outputs (Tone 2004), VRS, contemporaneous
//! frontier (each year against its own year), for the peer comparison in `bench/`
//! (`just bench-peers`).
//!
//! ```text
//! cargo run --release -p robocarb-dea --example time_sbm -- [--pipeline] DEA_INPUTS.csv REPS [YEARS] [SCORES_OUT.csv]
//! ```
//! With `--pipeline`, each run instead solves the programs of the pipeline's DEA nodes: the
//! own-period scores of every year (`frontier_scores`, VRS: plain SBM and super-SBM, as
//! `dea_frontier`), then the cross-period scores of every adjacent pair against the efficient
//! units (`cross_scores_on_efficient`, as `dea_ml`); both are timed separately.
//! The CSV is `robocarb export dea_inputs --format csv`: `city_code, year, labour, capital,
//! energy, gdp_real, so2, dust, wastewater` (3 inputs, 1 good, 3 bad outputs). YEARS limits the
//! run to the first YEARS years (0 = all). Parsing is not timed; each of the REPS runs scores
//! every unit of every year. Prints one JSON line with median / min / max microseconds, the
//! rayon thread count and the mean score; SCORES_OUT gets `city_code,year,score` for checking
//! against the peer.

use robocarb_dea::{cross_scores_on_efficient, frontier_scores, sbm_scores, DeaData, Returns};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

const INPUTS: [&str; 3] = ["labour", "capital", "energy"];
const GOOD: [&str; 1] = ["gdp_real"];
const BAD: [&str; 3] = ["so2", "dust", "wastewater"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().collect();
    let pipeline = args.get(1).is_some_and(|a| a == "--pipeline");
    if pipeline {
        args.remove(1);
    }
    if args.len() < 3 {
        return Err(
            "usage: time_sbm [--pipeline] DEA_INPUTS.csv REPS [YEARS] [SCORES_OUT.csv]".into(),
        );
    }
    let text = std::fs::read_to_string(&args[1])?;
    let reps: usize = args[2].parse()?;
    let max_years: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(0);

    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or("empty CSV")?
        .split(',')
        .map(|h| h.trim().trim_matches('"'))
        .collect();
    let col = |name: &str| -> Result<usize, String> {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("column {name} not in CSV"))
    };
    let (code_col, year_col) = (col("city_code")?, col("year")?);
    let cols = |names: &[&str]| names.iter().map(|n| col(n)).collect::<Result<Vec<_>, _>>();
    let (in_cols, good_cols, bad_cols) = (cols(&INPUTS)?, cols(&GOOD)?, cols(&BAD)?);

    let mut by_year: BTreeMap<i64, (Vec<String>, DeaData)> = BTreeMap::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line
            .split(',')
            .map(|s| s.trim().trim_matches('"'))
            .collect();
        let get = |c: usize| -> Result<f64, String> {
            f.get(c)
                .and_then(|s| s.parse::<f64>().ok())
                .ok_or_else(|| format!("bad number in column {c}: {line}"))
        };
        let year: i64 = f.get(year_col).ok_or("no year")?.parse()?;
        let (codes, d) = by_year.entry(year).or_default();
        codes.push(f.get(code_col).ok_or("no city_code")?.to_string());
        d.inputs
            .push(in_cols.iter().map(|&c| get(c)).collect::<Result<_, _>>()?);
        d.good.push(
            good_cols
                .iter()
                .map(|&c| get(c))
                .collect::<Result<_, _>>()?,
        );
        d.bad
            .push(bad_cols.iter().map(|&c| get(c)).collect::<Result<_, _>>()?);
    }
    let take = if max_years == 0 {
        by_year.len()
    } else {
        max_years
    };
    let years: Vec<(i64, Vec<String>, DeaData)> = by_year
        .into_iter()
        .take(take)
        .map(|(y, (c, d))| (y, c, d))
        .collect();

    if pipeline {
        return time_pipeline(&years, reps);
    }
    let mut micros = Vec::with_capacity(reps);
    let mut last = Vec::new();
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        let mut all = Vec::with_capacity(years.len());
        for (_, _, d) in &years {
            // Plain SBM (no super-SBM), the unit stays in its own reference set.
            all.push(sbm_scores(d, d, Returns::Vrs, false, true, None)?);
        }
        micros.push(start.elapsed().as_secs_f64() * 1e6);
        last = all;
    }
    micros.sort_by(f64::total_cmp);

    let mut n_scores = 0usize;
    let mut sum = 0.0;
    let mut invalid = 0usize;
    for s in last.iter().flatten() {
        match s.value {
            Some(v) => {
                n_scores += 1;
                sum += v;
            }
            None => invalid += 1,
        }
    }
    if let Some(path) = args.get(4) {
        let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
        writeln!(w, "city_code,year,score")?;
        for ((year, codes, _), scores) in years.iter().zip(&last) {
            for (code, s) in codes.iter().zip(scores) {
                let v = s.value.map(|v| v.to_string()).unwrap_or_default();
                writeln!(w, "{code},{year},{v}")?;
            }
        }
        w.flush()?;
    }
    let out = serde_json::json!({
        "units": years.first().map(|y| y.1.len()).unwrap_or(0),
        "years": years.len(),
        "reps": micros.len(),
        "threads": rayon::current_num_threads(),
        "median_us": micros[micros.len() / 2],
        "min_us": micros[0],
        "max_us": micros[micros.len() - 1],
        "scores": n_scores,
        "invalid": invalid,
        "mean_score": if n_scores > 0 { sum / n_scores as f64 } else { f64::NAN },
    });
    println!("{out}");
    Ok(())
}

/// The `--pipeline` mode: own-period programs of every year, then cross-period programs of every
/// adjacent pair, as the pipeline's `dea_frontier` and `dea_ml` nodes solve them.
fn time_pipeline(
    years: &[(i64, Vec<String>, DeaData)],
    reps: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let (mut own_us, mut cross_us) = (Vec::new(), Vec::new());
    let mut mean_own = f64::NAN;
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        let own = years
            .iter()
            .map(|(_, _, d)| frontier_scores(d, Returns::Vrs, None))
            .collect::<Result<Vec<_>, _>>()?;
        own_us.push(start.elapsed().as_secs_f64() * 1e6);
        let start = Instant::now();
        for (t, pair) in years.windows(2).enumerate() {
            cross_scores_on_efficient(
                &pair[0].2,
                &pair[1].2,
                &own[t],
                &own[t + 1],
                Returns::Vrs,
                None,
            )?;
        }
        cross_us.push(start.elapsed().as_secs_f64() * 1e6);
        let values: Vec<f64> = own.iter().flatten().filter_map(|s| s.value).collect();
        mean_own = values.iter().sum::<f64>() / values.len() as f64;
    }
    own_us.sort_by(f64::total_cmp);
    cross_us.sort_by(f64::total_cmp);
    let out = serde_json::json!({
        "mode": "pipeline",
        "units": years.first().map(|y| y.1.len()).unwrap_or(0),
        "years": years.len(),
        "reps": own_us.len(),
        "threads": rayon::current_num_threads(),
        "frontier_median_us": own_us[own_us.len() / 2],
        "ml_median_us": cross_us[cross_us.len() / 2],
        "mean_own_score": mean_own,
    });
    println!("{out}");
    Ok(())
}
