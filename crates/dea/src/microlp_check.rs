//! Every LP shape this crate builds, solved by the dense simplex and by microlp (an independent
//! pure-Rust simplex): feasibility verdicts must match and optimal values agree to 1e-5. The
//! tolerance is loose because microlp is (it returns super-SBM values like 0.9999988 where the
//! program bounds the value below by 1); the 1e-6 acceptance check is against HiGHS in the golden
//! tests.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::data::Dims;
use crate::sbm::{plain_lp, super_lp, Pool, Returns};
use crate::simplex::{solve, DenseLp, LpOutcome};

fn solve_microlp(lp: &DenseLp) -> Option<f64> {
    use microlp::{ComparisonOp, OptimizationDirection, Problem};
    let mut p = Problem::new(OptimizationDirection::Minimize);
    let vars: Vec<_> =
        lp.c.iter()
            .map(|&c| p.add_var(c, (0.0, f64::INFINITY)))
            .collect();
    for i in 0..lp.rows {
        let expr: Vec<_> = (0..lp.cols)
            .filter(|&j| lp.a[j * lp.rows + i] != 0.0)
            .map(|j| (vars[j], lp.a[j * lp.rows + i]))
            .collect();
        p.add_constraint(expr.as_slice(), ComparisonOp::Eq, lp.b[i]);
    }
    match p.solve() {
        Ok(microlp::SolveOutcome::Solution(s)) => Some(s.objective()),
        Ok(_) => panic!("microlp interrupted"),
        Err(microlp::Error::Infeasible) => None,
        Err(e) => panic!("microlp error {e:?}"),
    }
}

fn ours(lp: &DenseLp) -> Option<f64> {
    match solve(lp) {
        LpOutcome::Optimal { objective, x } => {
            // Primal feasibility of the returned vertex.
            for i in 0..lp.rows {
                let lhs: f64 = (0..lp.cols).map(|j| lp.a[j * lp.rows + i] * x[j]).sum();
                assert!(
                    (lhs - lp.b[i]).abs() < 1e-8,
                    "row {i}: {lhs} vs {}",
                    lp.b[i]
                );
            }
            Some(objective)
        }
        LpOutcome::Infeasible => None,
        other => panic!("dense simplex: {other:?}"),
    }
}

fn random_pool(rng: &mut ChaCha8Rng, n: usize, dims: Dims, degenerate: bool) -> Pool {
    let w = dims.width();
    let mut vals = Vec::with_capacity(n * w);
    for _ in 0..n {
        for _ in 0..w {
            // Degenerate pools draw from few distinct values, so ties and duplicates abound.
            let v: f64 = if degenerate {
                f64::from(rng.random_range(1..4_u8))
            } else {
                rng.random_range(0.5..20.0)
            };
            vals.push(v);
        }
    }
    Pool { dims, vals }
}

#[test]
fn dense_simplex_matches_microlp_on_sbm_programs() {
    let mut rng = ChaCha8Rng::seed_from_u64(20260529);
    let mut compared = 0;
    for case in 0..60 {
        let dims = Dims {
            m: 1 + case % 3,
            s1: 1 + case % 2,
            s2: case % 4,
        };
        let n = 3 + (case * 7) % 40;
        let pool = random_pool(&mut rng, n + 1, dims, case % 3 == 0);
        let refs: Vec<usize> = (0..n).collect();
        let own_in: Vec<usize> = (0..=n).collect();
        for returns in [Returns::Crs, Returns::Vrs] {
            for o in [0, n] {
                let o_vals = pool.obs(o).to_vec();
                // plain SBM: against refs (o = n is outside) and against all
                for r in [&refs, &own_in] {
                    let lp = plain_lp(&pool, r, &o_vals, returns);
                    let (a, b) = (ours(&lp), solve_microlp(&lp));
                    match (a, b) {
                        (Some(a), Some(b)) => {
                            assert!((a - b).abs() < 1e-5 * (1.0 + b.abs()), "{a} vs {b}")
                        }
                        (None, None) => {}
                        _ => panic!("feasibility differs: {a:?} vs {b:?} (case {case})"),
                    }
                    let lp = super_lp(&pool, r, &o_vals, returns);
                    let (a, b) = (ours(&lp), solve_microlp(&lp));
                    match (a, b) {
                        (Some(a), Some(b)) => {
                            assert!((a - b).abs() < 1e-5 * (1.0 + b.abs()), "{a} vs {b}")
                        }
                        (None, None) => {}
                        _ => panic!("feasibility differs: {a:?} vs {b:?} (case {case})"),
                    }
                    compared += 2;
                }
            }
        }
    }
    assert_eq!(compared, 60 * 2 * 2 * 2 * 2);
}

#[test]
fn warm_started_programs_match_microlp() {
    // A sequence of neighbouring units' SBM programs against one reference list, each started
    // from the previous optimal basis, as `run_tasks` does.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let dims = Dims { m: 3, s1: 1, s2: 3 };
    let pool = random_pool(&mut rng, 80, dims, false);
    let refs: Vec<usize> = (0..60).collect();
    for returns in [Returns::Crs, Returns::Vrs] {
        let mut warm: Option<Vec<usize>> = None;
        let mut warm_used = 0;
        for o in 0..80 {
            let lp = plain_lp(&pool, &refs, pool.obs(o), returns);
            if warm.is_some() {
                warm_used += 1;
            }
            let (outcome, basis) = crate::simplex::solve_warm(&lp, warm.as_deref());
            if basis.is_some() {
                warm = basis;
            }
            let reference = solve_microlp(&lp);
            match (outcome, reference) {
                (LpOutcome::Optimal { objective, .. }, Some(b)) => {
                    assert!(
                        (objective - b).abs() < 1e-5 * (1.0 + b.abs()),
                        "{objective} vs {b}"
                    );
                    // And against the cold start, to round-off.
                    match solve(&lp) {
                        LpOutcome::Optimal {
                            objective: cold, ..
                        } => {
                            assert!((objective - cold).abs() < 1e-10, "{objective} vs {cold}")
                        }
                        other => panic!("cold start: {other:?}"),
                    }
                }
                (LpOutcome::Infeasible, None) => {}
                (a, b) => panic!("unit {o}: {a:?} vs {b:?}"),
            }
        }
        assert!(warm_used > 70);
    }
}

/// Measurement behind DESIGN.md (not an assertion of speed): per-LP time of the dense simplex
/// (cold and warm-started) and of microlp on the study's shape (3 inputs, 1 good, 3 bad outputs,
/// 274 reference units, VRS). Run with
/// `cargo test --release -p robocarb-dea --lib timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing_dense_vs_microlp() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let dims = Dims { m: 3, s1: 1, s2: 3 };
    let pool = random_pool(&mut rng, 274, dims, false);
    let refs: Vec<usize> = (0..274).collect();
    let lps: Vec<DenseLp> = (0..274)
        .map(|o| plain_lp(&pool, &refs, pool.obs(o), Returns::Vrs))
        .collect();
    let t0 = std::time::Instant::now();
    let cold: Vec<Option<f64>> = lps.iter().map(ours).collect();
    let t_cold = t0.elapsed();
    let t0 = std::time::Instant::now();
    let mut warm: Option<Vec<usize>> = None;
    for lp in &lps {
        let (_, basis) = crate::simplex::solve_warm(lp, warm.as_deref());
        if basis.is_some() {
            warm = basis;
        }
    }
    let t_warm = t0.elapsed();
    let t0 = std::time::Instant::now();
    let reference: Vec<Option<f64>> = lps.iter().map(solve_microlp).collect();
    let t_micro = t0.elapsed();
    for (a, b) in cold.iter().zip(&reference) {
        assert_eq!(a.is_some(), b.is_some());
    }
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / lps.len() as f64;
    eprintln!(
        "per LP (274 columns + slacks, 9 rows): dense cold {:.1} us, dense warm {:.1} us, microlp {:.1} us",
        per(t_cold),
        per(t_warm),
        per(t_micro)
    );
}

#[test]
fn dense_simplex_matches_microlp_on_radial_programs() {
    use crate::radial::{radial_lp, Orientation};
    let mut rng = ChaCha8Rng::seed_from_u64(19940301);
    let mut compared = 0;
    let mut infeasible = 0;
    for case in 0..60 {
        let dims = Dims {
            m: 1 + case % 3,
            s1: 1 + case % 2,
            s2: 0,
        };
        let n = 3 + (case * 7) % 40;
        let mut pool = random_pool(&mut rng, n + 1, dims, case % 3 == 0);
        if case % 5 == 1 {
            // An evaluated unit beyond every reference unit's output: VRS input-oriented and
            // output-oriented cross programs become infeasible.
            let w = dims.width();
            for p in 0..w {
                pool.vals[n * w + p] = if p < dims.m { 0.1 } else { 100.0 };
            }
        }
        let refs: Vec<usize> = (0..n).collect();
        let own_in: Vec<usize> = (0..=n).collect();
        for returns in [Returns::Crs, Returns::Vrs] {
            for orientation in [Orientation::Input, Orientation::Output] {
                for o in [0, n] {
                    let o_vals = pool.obs(o).to_vec();
                    for r in [&refs, &own_in] {
                        let lp = radial_lp(&pool, r, &o_vals, returns, orientation);
                        let (a, b) = (ours(&lp), solve_microlp(&lp));
                        match (a, b) {
                            (Some(a), Some(b)) => {
                                assert!((a - b).abs() < 1e-5 * (1.0 + b.abs()), "{a} vs {b}")
                            }
                            (None, None) => infeasible += 1,
                            _ => panic!("feasibility differs: {a:?} vs {b:?} (case {case})"),
                        }
                        compared += 1;
                    }
                }
            }
        }
    }
    assert_eq!(compared, 60 * 2 * 2 * 2 * 2);
    assert!(infeasible > 0, "the check must cover infeasible programs");
}
