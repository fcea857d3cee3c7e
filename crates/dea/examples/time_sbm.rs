//! In-process timing of the plain SBM with undesirable outputs (Tone 2004), VRS, contemporaneous
//! frontier (each year against its own year), for the peer comparison in `bench/`
//! (`just bench-peers`).
//!
//! ```text
//! cargo run --release -p robocarb-dea --example time_sbm -- DEA_INPUTS.csv REPS [YEARS] [SCORES_OUT.csv]
//! ```
//! The CSV is `robocarb export dea_inputs --format csv`: `city_code, year, labour, capital,
//! energy, gdp_real, so2, dust, wastewater` (3 inputs, 1 good, 3 bad outputs). YEARS limits the
//! run to the first YEARS years (0 = all). Parsing is not timed; each of the REPS runs scores
//! every unit of every year. Prints one JSON line with median / min / max microseconds, the
//! rayon thread count and the mean score; SCORES_OUT gets `city_code,year,score` for checking
//! against the peer.

use robocarb_dea::{sbm_scores, DeaData, Returns};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

const INPUTS: [&str; 3] = ["labour", "capital", "energy"];
const GOOD: [&str; 1] = ["gdp_real"];
const BAD: [&str; 3] = ["so2", "dust", "wastewater"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err("usage: time_sbm DEA_INPUTS.csv REPS [YEARS] [SCORES_OUT.csv]".into());
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
