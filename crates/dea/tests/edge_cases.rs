//! Documented behaviour on awkward data: zeros, a unit with every output zero, infeasible
//! programs (flagged per unit and program, never a silent number), the base-period rule,
//! determinism across thread counts, and input validation.

use robocarb_dea::{
    frontier_scores, malmquist_luenberger, replace_zeros, sbm_scores, DeaData, DeaError, Frontier,
    ProgramStatus, Returns, ScoreKind, Variable, VariableKind,
};

fn unit(x: &[f64], y: &[f64], b: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    (x.to_vec(), y.to_vec(), b.to_vec())
}

fn data(units: &[(Vec<f64>, Vec<f64>, Vec<f64>)]) -> DeaData {
    DeaData {
        inputs: units.iter().map(|u| u.0.clone()).collect(),
        good: units.iter().map(|u| u.1.clone()).collect(),
        bad: units.iter().map(|u| u.2.clone()).collect(),
    }
}

fn sample_period(shift: f64) -> DeaData {
    data(&[
        unit(&[2.0, 3.0], &[5.0 * shift], &[1.0, 2.0]),
        unit(&[4.0, 1.0], &[6.0 * shift], &[2.0, 1.0]),
        unit(&[3.0, 3.0], &[4.0 * shift], &[3.0, 3.0]),
        unit(&[1.0, 5.0], &[3.0 * shift], &[1.0, 1.5]),
        unit(&[5.0, 5.0], &[9.0 * shift], &[2.5, 2.0]),
    ])
}

#[test]
fn zeros_are_replaced_by_a_hundredth_of_the_smallest_positive_value_and_counted() {
    let p0 = data(&[
        unit(&[2.0, 0.0], &[5.0], &[1.0]),
        unit(&[4.0, 1.0], &[0.0], &[0.0]),
        unit(&[3.0, 3.0], &[4.0], &[3.0]),
    ]);
    let p1 = data(&[
        unit(&[2.0, 0.5], &[6.0], &[2.0]),
        unit(&[0.0, 1.0], &[7.0], &[1.0]),
        unit(&[3.0, 3.0], &[4.0], &[0.0]),
    ]);
    // Without the rule the SBM cannot divide by the zero: a typed error naming unit and variable.
    match frontier_scores(&p0, Returns::Vrs, None) {
        Err(DeaError::ZeroInEvaluated { unit: 0, variable }) => assert_eq!(
            variable,
            Variable {
                kind: VariableKind::Input,
                index: 1
            }
        ),
        other => panic!("expected ZeroInEvaluated, got {other:?}"),
    }
    let (fixed, rep) = replace_zeros(&[p0, p1]).unwrap();
    // Pooled over both periods: input 0 min positive 2 -> 0.02; input 1 min positive 0.5 ->
    // 0.005; good min 4 -> 0.04; bad min 1 -> 0.01.
    assert_eq!(rep.count, vec![1, 1, 1, 2]);
    assert_eq!(rep.total(), 5);
    assert_eq!(
        rep.replaced_by,
        vec![Some(0.02), Some(0.005), Some(0.04), Some(0.01)]
    );
    assert!(rep.all_zero.is_empty());
    assert_eq!(fixed[0].inputs[0][1], 0.005);
    assert_eq!(fixed[1].inputs[1][0], 0.02);
    assert_eq!(fixed[0].good[1][0], 0.04);
    assert_eq!(fixed[0].bad[1][0], 0.01);
    assert_eq!(fixed[1].bad[2][0], 0.01);
    let r = malmquist_luenberger(&fixed, Returns::Vrs, Frontier::Contemporaneous, None).unwrap();
    assert_eq!(r.pairs[0].len(), 3);
}

#[test]
fn a_unit_with_every_output_zero_gets_replaced_outputs_and_a_low_score() {
    let mut p = sample_period(1.0);
    p.good[2] = vec![0.0];
    p.bad[2] = vec![0.0, 0.0];
    let (fixed, rep) = replace_zeros(std::slice::from_ref(&p)).unwrap();
    assert_eq!(rep.count, vec![0, 0, 1, 1, 1]);
    assert_eq!(fixed[0].good[2], vec![3.0 / 100.0]);
    assert_eq!(fixed[0].bad[2], vec![0.01, 0.01]);
    // CRS: the peers can be scaled down to the unit's tiny outputs, so the plain SBM gives a
    // defined, very low score.
    let crs = frontier_scores(&fixed[0], Returns::Crs, None).unwrap();
    assert_eq!(crs[2].kind, ScoreKind::Plain);
    let v = crs[2].value.unwrap();
    assert!(v > 0.0 && v < 0.01, "{v}");
    // VRS: no convex combination of peers has bad outputs as small as the unit's, so the plain
    // SBM finds it efficient (rho = 1); the super-SBM then needs 1 - (1/3)(s^g/y + sum s^b/b) > 0
    // with every peer's bad output ~100 times the unit's, which is impossible: the super program
    // is infeasible and the unit gets no number, flagged with the program that failed.
    let vrs = frontier_scores(&fixed[0], Returns::Vrs, None).unwrap();
    assert_eq!(vrs[2].sbm, ProgramStatus::Optimal);
    assert_eq!(vrs[2].super_sbm, ProgramStatus::Infeasible);
    assert!(vrs[2].infeasible && vrs[2].value.is_none());
    // The other units are unaffected.
    assert!(vrs
        .iter()
        .enumerate()
        .all(|(j, s)| j == 2 || s.value.is_some()));
}

#[test]
fn a_variable_zero_everywhere_is_reported() {
    let mut p = sample_period(1.0);
    for g in &mut p.good {
        g[0] = 0.0;
    }
    let (_, rep) = replace_zeros(std::slice::from_ref(&p)).unwrap();
    assert_eq!(
        rep.all_zero,
        vec![Variable {
            kind: VariableKind::Good,
            index: 0
        }]
    );
    assert_eq!(rep.total(), 0);
}

#[test]
fn vrs_cross_period_sbm_infeasible_falls_back_to_super_and_says_so() {
    // Period 1 doubles every good output: under VRS the previous frontier cannot reach y_o (no
    // convex combination has that much output), so E^{0}(1) needs the super form.
    let panel = [sample_period(1.0), sample_period(2.0)];
    let r = malmquist_luenberger(&panel, Returns::Vrs, Frontier::Contemporaneous, None).unwrap();
    let row = &r.pairs[0][4];
    let cross = row.e_f0_d1.as_ref().unwrap();
    assert_eq!(cross.sbm, ProgramStatus::Infeasible);
    assert_eq!(cross.super_sbm, ProgramStatus::Optimal);
    assert_eq!(cross.kind, ScoreKind::Super);
    assert!(cross.value.unwrap() > 1.0);
    assert!(!row.infeasible && row.ml.is_some());
    // With undesirable outputs even the CRS plain SBM can be infeasible (scaling a peer up to
    // y_o also scales its bad outputs past b_o); the same rule applies.
    let r = malmquist_luenberger(&panel, Returns::Crs, Frontier::Contemporaneous, None).unwrap();
    for row in &r.pairs[0] {
        let cross = row.e_f0_d1.as_ref().unwrap();
        if cross.sbm == ProgramStatus::Infeasible {
            assert_eq!(cross.kind, ScoreKind::Super);
            assert!(cross.value.unwrap() >= 1.0);
        }
    }
}

#[test]
fn super_program_infeasible_is_flagged_per_unit_and_program() {
    // Cross-period scoring against a frontier with no desirable output and no bad outputs
    // (s2 = 0): the SBM cannot reach y_o and the super-SBM denominator 1 - s^g / y_o cannot stay
    // positive, so both programs are infeasible. The unit gets no number.
    let reference = data(&[unit(&[1.0], &[0.0], &[]), unit(&[2.0], &[0.0], &[])]);
    let evaluated = data(&[unit(&[1.5], &[1.0], &[])]);
    for rts in [Returns::Crs, Returns::Vrs] {
        let s = sbm_scores(&evaluated, &reference, rts, true, false, None).unwrap();
        assert_eq!(s[0].value, None);
        assert!(s[0].infeasible);
        assert_eq!(s[0].sbm, ProgramStatus::Infeasible);
        assert_eq!(s[0].super_sbm, ProgramStatus::Infeasible);
    }
    // A period with a single unit: it is efficient, and without itself the super-SBM has no
    // reference at all. The ML index of that unit is then undefined and flagged.
    let single = |v: f64| data(&[unit(&[v], &[1.0], &[1.0])]);
    let r = malmquist_luenberger(
        &[single(1.0), single(2.0), single(3.0)],
        Returns::Vrs,
        Frontier::Contemporaneous,
        None,
    )
    .unwrap();
    assert_eq!(r.own[0][0].super_sbm, ProgramStatus::Infeasible);
    assert!(r.own[0][0].infeasible);
    for pair in &r.pairs {
        assert!(pair[0].infeasible && pair[0].ml.is_none() && pair[0].tp.is_none());
    }
    let yearly = r.yearly();
    assert!(yearly[1][0].infeasible && yearly[1][0].ml.is_none());
}

#[test]
fn base_period_rule_index_one_and_flagged() {
    let panel = [sample_period(1.0), sample_period(1.1), sample_period(1.3)];
    for frontier in [
        Frontier::Contemporaneous,
        Frontier::Sequential,
        Frontier::Global,
    ] {
        let r = malmquist_luenberger(&panel, Returns::Vrs, frontier, None).unwrap();
        let y = r.yearly();
        assert_eq!(
            y.len(),
            3,
            "one row set per period: the panel stays balanced"
        );
        for (j, row) in y[0].iter().enumerate() {
            assert!(row.base_period);
            assert_eq!(
                (row.ml, row.te, row.tc, row.tp),
                (Some(1.0), Some(1.0), Some(1.0), Some(1.0))
            );
            assert_eq!(row.eff_f1_d1, r.own[0][j].value);
            assert_eq!(row.eff_f0_d0, None);
        }
        for (t, rows) in y.iter().enumerate().skip(1) {
            for (j, row) in rows.iter().enumerate() {
                assert!(!row.base_period);
                assert_eq!(row.ml, r.pairs[t - 1][j].ml);
                assert_eq!(row.eff_f1_d1, r.own[t][j].value);
            }
        }
    }
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let panel: Vec<DeaData> = (0..4)
        .map(|t| sample_period(1.0 + 0.1 * t as f64))
        .collect();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| malmquist_luenberger(&panel, Returns::Vrs, Frontier::Sequential, None))
            .unwrap()
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

#[test]
fn progress_reaches_total() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let panel = [sample_period(1.0), sample_period(1.1)];
    let seen = AtomicUsize::new(0);
    let last_total = AtomicUsize::new(0);
    let cb = |done: usize, total: usize| {
        seen.fetch_max(done, Ordering::Relaxed);
        last_total.store(total, Ordering::Relaxed);
    };
    malmquist_luenberger(&panel, Returns::Vrs, Frontier::Contemporaneous, Some(&cb)).unwrap();
    // 5 units x 2 own + 5 x 2 cross programs.
    assert_eq!(last_total.load(Ordering::Relaxed), 20);
    assert_eq!(seen.load(Ordering::Relaxed), 20);
}

#[test]
fn duplicates_of_an_efficient_unit_have_super_score_one() {
    let mut p = sample_period(1.0);
    p.inputs.push(p.inputs[4].clone());
    p.good.push(p.good[4].clone());
    p.bad.push(p.bad[4].clone());
    let s = frontier_scores(&p, Returns::Vrs, None).unwrap();
    for j in [4, 5] {
        assert_eq!(s[j].kind, ScoreKind::Super);
        assert!((s[j].value.unwrap() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn invalid_input_is_a_typed_error() {
    let mut p = sample_period(1.0);
    p.inputs[1][0] = f64::NAN;
    assert!(matches!(
        frontier_scores(&p, Returns::Crs, None),
        Err(DeaError::NonFinite { unit: 1, .. })
    ));
    let mut p = sample_period(1.0);
    p.bad[2][1] = -1.0;
    assert!(matches!(
        frontier_scores(&p, Returns::Crs, None),
        Err(DeaError::Negative { unit: 2, .. })
    ));
    let mut p = sample_period(1.0);
    p.good[0].push(1.0);
    assert!(matches!(
        frontier_scores(&p, Returns::Crs, None),
        Err(DeaError::Shape(_))
    ));
    let short = data(&[unit(&[1.0], &[1.0], &[1.0])]);
    assert!(matches!(
        malmquist_luenberger(
            &[sample_period(1.0), short],
            Returns::Crs,
            Frontier::Global,
            None
        ),
        Err(DeaError::Shape(_))
    ));
}
