//! Frame-based scoring against the full reference set: every own-period program (plain SBM for
//! every unit, super-SBM for the efficient ones; VRS and CRS) of the default panel's 14 years
//! and of one county-scale year (2,850 units) gives the same result against the frame as
//! against all units of the year, unpruned. Also: the frame-based scores do not depend on the
//! thread count where the frame search runs in parallel chunks.

use crate::data::{common_dims, DeaData};
use crate::malmquist::{run_blocks, Task};
use crate::sbm::{score_against, FrontierSet, Pool, ProgramStatus, Returns, Score};

/// One year's units per year present, read from a `dea_inputs` CSV of the project's test data
/// (`city_code, year`, 3 inputs, 1 good, 3 bad outputs).
fn read_years(file: &str) -> Vec<DeaData> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("test data");
    let mut years: std::collections::BTreeMap<i64, DeaData> = Default::default();
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let v: Vec<f64> = f[2..9].iter().map(|s| s.parse().expect("number")).collect();
        let d = years.entry(f[1].parse().expect("year")).or_default();
        d.inputs.push(v[0..3].to_vec());
        d.good.push(v[3..4].to_vec());
        d.bad.push(v[4..7].to_vec());
    }
    years.into_values().collect()
}

/// Own-period scores of every unit of `period` against `frontier` (the rule: plain SBM, then
/// super-SBM without the unit when it is efficient).
fn own_scores(pool: &Pool, frontier: &FrontierSet, returns: Returns) -> Vec<Score> {
    let tasks: Vec<Task> = frontier
        .members
        .iter()
        .map(|&obs| Task { frontier: 0, obs })
        .collect();
    run_blocks(&tasks, None, &|task, warm| {
        score_against(pool, frontier, task.obs, returns, true, task.obs, warm)
    })
    .expect("scores")
}

/// Checks frame-based against full-reference scores of every unit of `period`; returns the
/// number of super-SBM programs compared.
fn check_period(period: &DeaData, returns: Returns, what: &str) -> usize {
    let dims = common_dims(std::slice::from_ref(period)).expect("dims");
    let pool = Pool::from_periods(&[period], dims);
    let members: Vec<usize> = (0..period.units()).collect();
    let framed = FrontierSet::framed(&pool, members.clone());
    let frame_len = framed.frame.as_ref().map_or(0, Vec::len);
    assert!(
        frame_len > 0 && frame_len < members.len() / 2,
        "{what}: frame of {frame_len}"
    );
    // The literal full reference set: every unit, no dominance pruning.
    let all = FrontierSet {
        members: members.clone(),
        kept: members,
        frame: None,
    };
    let (a, b) = (
        own_scores(&pool, &framed, returns),
        own_scores(&pool, &all, returns),
    );
    let mut supers = 0;
    for (j, (f, r)) in a.iter().zip(&b).enumerate() {
        assert_eq!(
            (f.kind, f.sbm, f.super_sbm, f.infeasible),
            (r.kind, r.sbm, r.super_sbm, r.infeasible),
            "{what}, unit {j}"
        );
        if let (Some(x), Some(y)) = (f.value, r.value) {
            assert!(
                (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                "{what}, unit {j}: {x} vs {y}"
            );
        }
        supers += usize::from(r.super_sbm != ProgramStatus::NotSolved);
    }
    supers
}

#[test]
fn frame_scores_equal_full_reference_on_the_default_panel() {
    let years = read_years("default_dea_inputs.csv");
    assert_eq!(years.len(), 14);
    for returns in [Returns::Vrs, Returns::Crs] {
        let mut supers = 0;
        for (t, period) in years.iter().enumerate() {
            assert_eq!(period.units(), 274);
            supers += check_period(period, returns, &format!("{returns:?}, year {t}"));
        }
        assert!(supers > 100, "{returns:?}: {supers} super-SBM programs");
    }
}

#[test]
fn frame_scores_equal_full_reference_on_a_county_scale_year() {
    let years = read_years("county_2006_dea_inputs.csv");
    assert_eq!(years.len(), 1);
    assert_eq!(years[0].units(), 2850);
    for returns in [Returns::Vrs, Returns::Crs] {
        let supers = check_period(&years[0], returns, &format!("county, {returns:?}"));
        assert!(supers > 10, "{returns:?}: {supers} super-SBM programs");
    }
}

#[test]
fn frame_scores_do_not_depend_on_thread_count() {
    let years = read_years("county_2006_dea_inputs.csv");
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| crate::frontier_scores(&years[0], Returns::Vrs, None))
            .expect("scores")
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}
