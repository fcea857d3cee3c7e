//! Invariants of the radial Malmquist index (`src/radial.rs`) as property tests, and its
//! documented behaviour on awkward data (infeasible VRS cross-period programs, zeros, bad
//! outputs, thread count).

use proptest::prelude::*;
use robocarb_dea::{
    radial_malmquist, radial_malmquist_decomposition, radial_scores, DeaData, DeaError,
    Orientation, ProgramStatus, Returns, VariableKind,
};

/// A period of `n` units with `m` inputs and `s` desirable outputs, values in [0.1, 100].
fn period(n: usize, m: usize, s: usize) -> impl Strategy<Value = DeaData> {
    let unit = (
        prop::collection::vec(0.1f64..100.0, m),
        prop::collection::vec(0.1f64..100.0, s),
    );
    prop::collection::vec(unit, n).prop_map(|units| {
        let mut d = DeaData::default();
        for (x, y) in units {
            d.inputs.push(x);
            d.good.push(y);
            d.bad.push(Vec::new());
        }
        d
    })
}

fn panel() -> impl Strategy<Value = Vec<DeaData>> {
    (2usize..20, 1usize..4, 1usize..3, 2usize..4)
        .prop_flat_map(|(n, m, s, t)| prop::collection::vec(period(n, m, s), t))
}

fn returns() -> impl Strategy<Value = Returns> {
    prop_oneof![Just(Returns::Crs), Just(Returns::Vrs)]
}

fn orientation() -> impl Strategy<Value = Orientation> {
    prop_oneof![Just(Orientation::Input), Just(Orientation::Output)]
}

fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Own-period efficiencies lie in (0, 1] (the unit is in its reference set) and are always
    /// feasible; VRS efficiency >= CRS efficiency; under CRS input and output efficiency coincide
    /// (theta* = 1 / phi*).
    #[test]
    fn own_period_scores_in_unit_interval(p in panel()) {
        let d = &p[0];
        let mut by = std::collections::HashMap::new();
        for rts in [Returns::Crs, Returns::Vrs] {
            for o in [Orientation::Input, Orientation::Output] {
                let s = radial_scores(d, d, rts, o, None).unwrap();
                for x in &s {
                    prop_assert_eq!(x.status, ProgramStatus::Optimal);
                    let v = x.value.unwrap();
                    prop_assert!(v > 0.0 && v <= 1.0 + 1e-9, "{rts:?} {o:?}: {v}");
                }
                by.insert((rts == Returns::Vrs, o == Orientation::Input), s);
            }
        }
        for o in [false, true] {
            for (c, v) in by[&(false, o)].iter().zip(&by[&(true, o)]) {
                prop_assert!(v.value.unwrap() >= c.value.unwrap() - 1e-9);
            }
        }
        for (i, o) in by[&(false, true)].iter().zip(&by[&(false, false)]) {
            prop_assert!(rel_close(i.value.unwrap(), o.value.unwrap(), 1e-9));
        }
    }

    /// Changing the units of measurement of any variable changes no distance and no index.
    #[test]
    fn invariant_to_units_of_measurement(
        p in panel(),
        factors in prop::collection::vec(0.001f64..1000.0, 6),
        rts in returns(),
        o in orientation(),
    ) {
        let mut scaled = p.clone();
        for d in &mut scaled {
            for j in 0..d.units() {
                let mut k = 0;
                for block in [&mut d.inputs[j], &mut d.good[j]] {
                    for v in block.iter_mut() {
                        *v *= factors[k];
                        k += 1;
                    }
                }
            }
        }
        let a = radial_malmquist(&p, rts, o, None).unwrap();
        let b = radial_malmquist(&scaled, rts, o, None).unwrap();
        for (ra, rb) in a.pairs.iter().flatten().zip(b.pairs.iter().flatten()) {
            let da = [ra.d_f0_d0, ra.d_f0_d1, ra.d_f1_d0, ra.d_f1_d1];
            let db = [rb.d_f0_d0, rb.d_f0_d1, rb.d_f1_d0, rb.d_f1_d1];
            for (x, y) in da.iter().zip(&db) {
                prop_assert_eq!(x.status, y.status);
                match (x.value, y.value) {
                    (Some(x), Some(y)) => prop_assert!(rel_close(x, y, 1e-9), "{x} vs {y}"),
                    (None, None) => {}
                    (x, y) => prop_assert!(false, "scaling changed definedness: {x:?} {y:?}"),
                }
            }
            if let (Some(x), Some(y)) = (ra.m, rb.m) {
                prop_assert!(rel_close(x, y, 1e-9));
            }
        }
    }

    /// M = EC x TC; with CRS and VRS, EC = PEC x SEC, M = PEC x SEC x TC and (when the VRS
    /// cross-period programs are feasible) M = PEC x TC_vrs x SC_rd; undefined values are
    /// flagged, never numbers.
    #[test]
    fn decomposition_identities(p in panel(), o in orientation()) {
        let rows = radial_malmquist_decomposition(&p, o, None).unwrap();
        for r in rows.iter().flatten() {
            let (m, ec, tc) = (r.crs.m.unwrap(), r.crs.ec.unwrap(), r.crs.tc.unwrap());
            prop_assert!(rel_close(m, ec * tc, 1e-12));
            let (pec, sec) = (r.pec.unwrap(), r.sec.unwrap());
            prop_assert!(rel_close(ec, pec * sec, 1e-12));
            prop_assert!(rel_close(m, pec * sec * tc, 1e-12));
            match (r.vrs_tc, r.rd_scale_change) {
                (Some(tv), Some(sc)) => {
                    prop_assert!(!r.vrs.infeasible);
                    prop_assert!(rel_close(m, pec * tv * sc, 1e-12));
                    prop_assert!(rel_close(r.vrs.m.unwrap(), r.vrs.ec.unwrap() * tv, 1e-12));
                }
                (None, None) => {
                    prop_assert!(r.vrs.infeasible);
                    let statuses = [r.vrs.d_f0_d1.status, r.vrs.d_f1_d0.status];
                    prop_assert!(statuses.contains(&ProgramStatus::Infeasible));
                }
                other => prop_assert!(false, "half-defined Ray-Desli parts {other:?}"),
            }
        }
    }

    /// Known answers: unchanged data give M = EC = TC = 1; under CRS, doubling every output at
    /// unchanged inputs gives M = 2 (EC = 1, TC = 2) in both orientations.
    #[test]
    fn known_answers(
        d in (2usize..15, 1usize..4, 1usize..3).prop_flat_map(|(n, m, s)| period(n, m, s)),
        rts in returns(),
        o in orientation(),
    ) {
        let same = radial_malmquist(&[d.clone(), d.clone()], rts, o, None).unwrap();
        for r in &same.pairs[0] {
            for v in [r.m, r.ec, r.tc] {
                prop_assert!((v.unwrap() - 1.0).abs() < 1e-9);
            }
        }
        let mut doubled = d.clone();
        for y in doubled.good.iter_mut().flatten() {
            *y *= 2.0;
        }
        let r = radial_malmquist(&[d, doubled], Returns::Crs, o, None).unwrap();
        for r in &r.pairs[0] {
            prop_assert!((r.m.unwrap() - 2.0).abs() < 1e-9);
            prop_assert!((r.ec.unwrap() - 1.0).abs() < 1e-9);
            prop_assert!((r.tc.unwrap() - 2.0).abs() < 1e-9);
        }
    }
}

/// Small integers (ties, duplicates, many efficient units) must never make the simplex fail.
fn degenerate_period(n: usize, m: usize, s: usize) -> impl Strategy<Value = DeaData> {
    let unit = (
        prop::collection::vec(1u8..4, m),
        prop::collection::vec(1u8..4, s),
    );
    prop::collection::vec(unit, n).prop_map(|units| {
        let f = |v: Vec<u8>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
        let mut d = DeaData::default();
        for (x, y) in units {
            d.inputs.push(f(x));
            d.good.push(f(y));
            d.bad.push(Vec::new());
        }
        d
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn degenerate_panels_solve(
        p in (2usize..30, 1usize..4, 1usize..3).prop_flat_map(|(n, m, s)| {
            prop::collection::vec(degenerate_period(n, m, s), 2..4)
        }),
        rts in returns(),
        o in orientation(),
    ) {
        let r = radial_malmquist(&p, rts, o, None);
        prop_assert!(r.is_ok(), "{:?}", r.err());
        let r = r.unwrap();
        for s in r.own.iter().flatten() {
            let v = s.value.unwrap();
            prop_assert!(v > 0.0 && v <= 1.0 + 1e-9);
        }
        for row in r.pairs.iter().flatten() {
            if let (Some(m), Some(ec), Some(tc)) = (row.m, row.ec, row.tc) {
                prop_assert!(rel_close(m, ec * tc, 1e-12));
            } else {
                prop_assert!(row.infeasible);
            }
        }
    }
}

fn two_unit_period(x: [[f64; 1]; 2], y: [[f64; 1]; 2]) -> DeaData {
    DeaData {
        inputs: x.iter().map(|v| v.to_vec()).collect(),
        good: y.iter().map(|v| v.to_vec()).collect(),
        bad: vec![Vec::new(); 2],
    }
}

#[test]
fn vrs_cross_period_infeasibility_is_flagged_per_unit() {
    // One input, one output. Period 1's unit 0 produces 10 > any output of period 0 (at most 4):
    // input-oriented VRS against period 0 cannot reach it (sum lambda = 1 caps output at 4).
    let p0 = two_unit_period([[2.0], [4.0]], [[2.0], [4.0]]);
    let p1 = two_unit_period([[5.0], [4.0]], [[10.0], [4.0]]);
    let r = radial_malmquist(&[p0, p1], Returns::Vrs, Orientation::Input, None).unwrap();
    let u0 = &r.pairs[0][0];
    assert_eq!(u0.d_f0_d1.status, ProgramStatus::Infeasible);
    assert!(u0.d_f0_d1.value.is_none() && u0.d_f0_d1.radial_factor.is_none());
    assert!(u0.infeasible && u0.m.is_none() && u0.ec.is_none() && u0.tc.is_none());
    // Unit 1 is unaffected.
    let u1 = &r.pairs[0][1];
    assert!(!u1.infeasible && u1.m.is_some());
    // Under CRS the same program is feasible.
    let crs = radial_malmquist(
        &[
            two_unit_period([[2.0], [4.0]], [[2.0], [4.0]]),
            two_unit_period([[5.0], [4.0]], [[10.0], [4.0]]),
        ],
        Returns::Crs,
        Orientation::Input,
        None,
    )
    .unwrap();
    // Period-0 CRS frontier: y = x (both units at ratio 1); unit 0 in period 1 has y/x = 2,
    // so it needs theta = 2 (E > 1 against the earlier frontier).
    let v = crs.pairs[0][0].d_f0_d1.value.unwrap();
    assert!((v - 2.0).abs() < 1e-12, "{v}");
    // The decomposition keeps the CRS index, PEC and SEC and flags the Ray-Desli parts.
    let dec = radial_malmquist_decomposition(
        &[
            two_unit_period([[2.0], [4.0]], [[2.0], [4.0]]),
            two_unit_period([[5.0], [4.0]], [[10.0], [4.0]]),
        ],
        Orientation::Input,
        None,
    )
    .unwrap();
    let d0 = &dec[0][0];
    assert!(d0.crs.m.is_some() && d0.pec.is_some() && d0.sec.is_some());
    assert!(d0.vrs_tc.is_none() && d0.rd_scale_change.is_none() && d0.vrs.infeasible);
}

#[test]
fn undesirable_outputs_are_rejected_and_can_be_dropped() {
    let d = DeaData {
        inputs: vec![vec![1.0], vec![2.0]],
        good: vec![vec![1.0], vec![1.0]],
        bad: vec![vec![1.0], vec![1.0]],
    };
    let e = radial_scores(&d, &d, Returns::Crs, Orientation::Input, None);
    assert!(matches!(e, Err(DeaError::Shape(_))), "{e:?}");
    let s = radial_scores(
        &d.without_bad(),
        &d.without_bad(),
        Returns::Crs,
        Orientation::Input,
        None,
    )
    .unwrap();
    assert!((s[1].value.unwrap() - 0.5).abs() < 1e-12);
}

#[test]
fn unit_with_all_inputs_or_all_outputs_zero_is_a_typed_error() {
    let d = DeaData {
        inputs: vec![vec![0.0, 0.0], vec![2.0, 1.0]],
        good: vec![vec![1.0], vec![1.0]],
        bad: vec![Vec::new(), Vec::new()],
    };
    match radial_scores(&d, &d, Returns::Vrs, Orientation::Output, None) {
        Err(DeaError::ZeroInEvaluated { unit: 0, variable }) => {
            assert_eq!(variable.kind, VariableKind::Input)
        }
        other => panic!("{other:?}"),
    }
    let d = DeaData {
        inputs: vec![vec![1.0], vec![2.0]],
        good: vec![vec![1.0], vec![0.0]],
        bad: vec![Vec::new(), Vec::new()],
    };
    match radial_scores(&d, &d, Returns::Crs, Orientation::Input, None) {
        Err(DeaError::ZeroInEvaluated { unit: 1, variable }) => {
            assert_eq!(variable.kind, VariableKind::Good)
        }
        other => panic!("{other:?}"),
    }
    // A single zero among positive values is fine (radial programs do not divide by it).
    let d = DeaData {
        inputs: vec![vec![1.0, 0.0], vec![2.0, 1.0], vec![1.5, 2.0]],
        good: vec![vec![1.0], vec![1.0], vec![1.2]],
        bad: vec![Vec::new(); 3],
    };
    for o in [Orientation::Input, Orientation::Output] {
        let s = radial_scores(&d, &d, Returns::Vrs, o, None).unwrap();
        assert!(s.iter().all(|x| x.value.is_some()));
    }
}

#[test]
fn unequal_unit_counts_are_rejected() {
    let a = two_unit_period([[1.0], [2.0]], [[1.0], [1.0]]);
    let mut b = a.clone();
    b.inputs.pop();
    b.good.pop();
    b.bad.pop();
    assert!(matches!(
        radial_malmquist(&[a, b], Returns::Crs, Orientation::Output, None),
        Err(DeaError::Shape(_))
    ));
}

#[test]
fn results_do_not_depend_on_thread_count() {
    // 3 periods x 120 units: several warm-start blocks per frontier.
    let mut periods = Vec::new();
    let mut state: u64 = 12345;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        0.5 + (state >> 11) as f64 / (1u64 << 53) as f64 * 10.0
    };
    for _ in 0..3 {
        let mut d = DeaData::default();
        for _ in 0..120 {
            d.inputs.push(vec![next(), next()]);
            d.good.push(vec![next()]);
            d.bad.push(Vec::new());
        }
        periods.push(d);
    }
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                radial_malmquist_decomposition(&periods, Orientation::Output, None).unwrap()
            })
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn a_zero_radial_factor_has_no_value_and_unbounded_is_an_error() {
    let one = |x: Vec<f64>, y: f64| DeaData {
        inputs: vec![x],
        good: vec![vec![y]],
        bad: vec![Vec::new()],
    };
    // Output orientation, CRS: the only reference unit uses input 2, which the evaluated unit
    // lacks, so no output can be produced: phi* = 0, E would be infinite.
    let eval = one(vec![1.0, 0.0], 1.0);
    let reference = one(vec![1.0, 1.0], 1.0);
    let s = radial_scores(&eval, &reference, Returns::Crs, Orientation::Output, None).unwrap();
    assert_eq!(s[0].status, ProgramStatus::Optimal);
    assert_eq!(s[0].radial_factor, Some(0.0));
    assert!(s[0].value.is_none() && s[0].is_undefined());
    // Under VRS the same program is infeasible (sum lambda = 1 forces input 2 above 0).
    let s = radial_scores(&eval, &reference, Returns::Vrs, Orientation::Output, None).unwrap();
    assert_eq!(s[0].status, ProgramStatus::Infeasible);
    // Input orientation: a reference unit with no input at all produces the output: theta* = 0.
    let free = one(vec![0.0, 0.0], 1.0);
    let eval = one(vec![1.0, 1.0], 1.0);
    let s = radial_scores(&eval, &free, Returns::Crs, Orientation::Input, None).unwrap();
    assert_eq!(s[0].status, ProgramStatus::Optimal);
    assert!(s[0].value.is_none());
    // Output orientation against it: unbounded output, a typed solver error.
    assert!(matches!(
        radial_scores(&eval, &free, Returns::Crs, Orientation::Output, None),
        Err(DeaError::Solver { unit: 0, .. })
    ));
}
