//! Degenerate inputs give typed errors (never panics or NaN), and results are finite on
//! arbitrary small panels.

use proptest::prelude::*;
use robocarb_estimate::mediation::MediationInput;
use robocarb_estimate::{
    group_difference, iv_fe, mediation, ols_fe, Design, Draws, EstimateError, GroupDiffInput,
    GroupDiffOptions, IvDesign, MediationOptions, Vce,
};

fn panel(n_city: u32, n_year: u32) -> (Vec<u32>, Vec<u32>, Vec<f64>, Vec<f64>) {
    let city: Vec<u32> = (0..n_city * n_year).map(|k| k / n_year).collect();
    let year: Vec<u32> = (0..n_city * n_year).map(|k| k % n_year).collect();
    let x: Vec<f64> = (0..city.len())
        .map(|k| ((k * 37 % 17) as f64).sin() + 0.1 * k as f64)
        .collect();
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(k, v)| 2.0 * v + ((k * 13 % 7) as f64).cos())
        .collect();
    (city, year, x, y)
}

#[test]
fn empty_mismatched_and_non_finite() {
    let e: [f64; 0] = [];
    assert!(matches!(
        ols_fe(&Design::new(&e).regressor("x", &e), Vce::Robust),
        Err(EstimateError::EmptySample(_))
    ));
    let (city, year, x, y) = panel(5, 4);
    let short = &x[..10];
    assert!(matches!(
        ols_fe(&Design::new(&y).regressor("x", short), Vce::Robust),
        Err(EstimateError::LengthMismatch { .. })
    ));
    assert!(matches!(
        ols_fe(
            &Design::new(&y).regressor("x", &x).absorb(&city[..3]),
            Vce::Robust
        ),
        Err(EstimateError::LengthMismatch { .. })
    ));
    assert!(matches!(
        ols_fe(
            &Design::new(&y).regressor("x", &x),
            Vce::Cluster(&year[..5])
        ),
        Err(EstimateError::LengthMismatch { .. })
    ));
    let mut bad = x.clone();
    bad[7] = f64::NAN;
    assert_eq!(
        ols_fe(&Design::new(&y).regressor("x", &bad), Vce::Robust).unwrap_err(),
        EstimateError::NonFinite {
            what: "x".into(),
            index: 7
        }
    );
    let mut bad_y = y.clone();
    bad_y[3] = f64::INFINITY;
    assert!(matches!(
        ols_fe(&Design::new(&bad_y).regressor("x", &x), Vce::Robust),
        Err(EstimateError::NonFinite { .. })
    ));
    assert!(matches!(
        ols_fe(&Design::new(&y), Vce::Robust),
        Err(EstimateError::InvalidArgument(_))
    ));
    let _ = city;
}

#[test]
fn one_cluster_collinear_singular_and_singletons() {
    let (city, year, x, y) = panel(6, 5);
    let one = vec![9u32; y.len()];
    assert_eq!(
        ols_fe(
            &Design::new(&y).regressor("x", &x).absorb(&city),
            Vce::Cluster(&one)
        )
        .unwrap_err(),
        EstimateError::TooFewClusters(1)
    );
    // Constant within city: absorbed by the city FE.
    let xc: Vec<f64> = city.iter().map(|&c| c as f64 * 1.5).collect();
    assert!(matches!(
        ols_fe(&Design::new(&y).regressor("xc", &xc).absorb(&city).absorb(&year), Vce::Robust),
        Err(EstimateError::AllRegressorsCollinear(v)) if v == vec!["xc".to_string()]
    ));
    // Collinear pair: the later one is dropped and reported.
    let x2: Vec<f64> = x.iter().map(|v| 3.0 * v - 1.0).collect();
    let r = ols_fe(
        &Design::new(&y)
            .regressor("x", &x)
            .regressor("x2", &x2)
            .absorb(&city),
        Vce::Robust,
    )
    .unwrap();
    assert_eq!(r.collinear_dropped, vec!["x2".to_string()]);
    assert_eq!(r.names, vec!["x".to_string(), "_cons".to_string()]);
    // Every observation its own city: all singletons.
    let own: Vec<u32> = (0..y.len() as u32).collect();
    assert!(matches!(
        ols_fe(
            &Design::new(&y).regressor("x", &x).absorb(&own),
            Vce::Robust
        ),
        Err(EstimateError::EmptySample(_))
    ));
    // Too few observations for the parameters.
    let c2 = [0u32, 0, 1, 1];
    let (ya, xa, xb) = (
        [1.0, 2.0, 0.5, 3.0],
        [0.3, 0.1, 0.7, 0.2],
        [1.0, -1.0, 2.0, 0.5],
    );
    assert!(matches!(
        ols_fe(
            &Design::new(&ya)
                .regressor("xa", &xa)
                .regressor("xb", &xb)
                .absorb(&c2),
            Vce::Unadjusted
        ),
        Err(EstimateError::NoDegreesOfFreedom { .. })
    ));
    // Perfect fit.
    let exact: Vec<f64> = x.iter().map(|v| 4.0 * v + 1.0).collect();
    assert!(matches!(
        ols_fe(&Design::new(&exact).regressor("x", &x), Vce::Robust),
        Err(EstimateError::SingularDesign(_))
    ));
}

#[test]
fn iv_zero_first_stage() {
    let (city, year, x, y) = panel(8, 5);
    // Instrument orthogonal to d after FE: d varies only within city while z varies only
    // across years -> after two-way FE z~ = 0, dropped, underidentified.
    let z: Vec<f64> = year.iter().map(|&t| t as f64).collect();
    let d = IvDesign::new(&y)
        .endogenous("x", &x)
        .instrument("z", &z)
        .absorb(&city)
        .absorb(&year);
    assert!(matches!(
        iv_fe(&d, Vce::Cluster(&city)),
        Err(EstimateError::Underidentified(_))
    ));
}

#[test]
fn mediation_and_group_difference_errors() {
    let (city, year, x, y) = panel(8, 5);
    let m: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(k, v)| 0.5 * v + ((k * 11 % 13) as f64).sin())
        .collect();
    let input = MediationInput {
        y: &y,
        x: ("x", &x),
        m: ("x", &m),
        controls: vec![],
        fe: vec![&city, &year],
        cluster: &city,
    };
    assert!(matches!(
        mediation(&input, &MediationOptions::default()),
        Err(EstimateError::InvalidArgument(_))
    ));
    let input = MediationInput {
        m: ("m", &m),
        ..input
    };
    let bad_draws = vec![vec![0u32, 99]];
    assert!(matches!(
        mediation(
            &input,
            &MediationOptions {
                draws: Draws::Explicit(&bad_draws),
                ..Default::default()
            }
        ),
        Err(EstimateError::InvalidArgument(_))
    ));
    let ok = mediation(
        &input,
        &MediationOptions {
            draws: Draws::None,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(ok.bootstrap.is_none() && ok.sobel.z.is_finite());

    let varying: Vec<bool> = (0..y.len()).map(|k| k % 2 == 0).collect();
    let gi = GroupDiffInput {
        y: &y,
        x: vec![("x", &x)],
        coef: "x",
        fe: vec![&city, &year],
        cluster: &city,
        group: &varying,
    };
    assert!(matches!(
        group_difference(&gi, &GroupDiffOptions::default()),
        Err(EstimateError::InvalidArgument(_))
    ));
    let lonely: Vec<bool> = city.iter().map(|&c| c == 0).collect();
    let gi = GroupDiffInput {
        group: &lonely,
        ..gi.clone()
    };
    assert!(matches!(
        group_difference(&gi, &GroupDiffOptions::default()),
        Err(EstimateError::TooFewClusters(1))
    ));
    let fine: Vec<bool> = city.iter().map(|&c| c < 4).collect();
    let gi = GroupDiffInput {
        group: &fine,
        coef: "nope",
        ..gi
    };
    assert!(matches!(
        group_difference(&gi, &GroupDiffOptions::default()),
        Err(EstimateError::InvalidArgument(_))
    ));
    let not_perm = vec![vec![0u32, 0, 1, 2, 3, 4, 5, 6]];
    let gi = GroupDiffInput { coef: "x", ..gi };
    assert!(matches!(
        group_difference(
            &gi,
            &GroupDiffOptions {
                permutations: Draws::Explicit(&not_perm),
                ..Default::default()
            }
        ),
        Err(EstimateError::InvalidArgument(_))
    ));
    let r = group_difference(
        &gi,
        &GroupDiffOptions {
            permutations: Draws::Seeded { reps: 20, seed: 3 },
            ..Default::default()
        },
    )
    .unwrap();
    let p = r.permutation.unwrap().p;
    assert!((0.0..=0.5).contains(&p));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn results_are_finite_or_typed_errors(
        rows in prop::collection::vec((0u32..6, 0u32..5, -10.0f64..10.0, -10.0f64..10.0, -5.0f64..5.0), 1..60),
    ) {
        let city: Vec<u32> = rows.iter().map(|r| r.0).collect();
        let year: Vec<u32> = rows.iter().map(|r| r.1).collect();
        let x1: Vec<f64> = rows.iter().map(|r| r.2).collect();
        let x2: Vec<f64> = rows.iter().map(|r| r.3).collect();
        let y: Vec<f64> = rows.iter().map(|r| r.4 + 0.5 * r.2).collect();
        let d = Design::new(&y).regressor("x1", &x1).regressor("x2", &x2).absorb(&city).absorb(&year);
        for vce in [Vce::Unadjusted, Vce::Robust, Vce::Cluster(&city), Vce::TwoWayCluster(&city, &year)] {
            if let Ok(r) = ols_fe(&d, vce) {
                let finite = r.b.iter().chain(&r.se).chain(&r.t).chain(&r.p).all(|v| v.is_finite())
                    && r.r2_within.is_finite() && r.r2_overall.is_finite();
                prop_assert!(finite, "non-finite result {:?}", r);
            }
        }
    }
}
