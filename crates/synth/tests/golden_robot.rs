//! The generator's private shift-share ROBOT equals ROBOT rebuilt independently from the
//! written raw files by `scripts/check_twin.py` (numpy), for the default twin.

use robocarb_synth::{generate_panel, SynthConfig};

#[test]
fn robot_matches_the_independent_python_rebuild() {
    let text = include_str!("golden/robot_default.json");
    let golden: serde_json::Value = serde_json::from_str(text).expect("golden json");
    let config = SynthConfig::default();
    let years: Vec<i32> = (config.years.0..=config.years.1).collect();
    let g = generate_panel(&config).expect("generate");
    let codes = golden["city_codes"].as_array().expect("codes");
    assert_eq!(codes.len(), g.cities.len());
    let rows = golden["robot_thousand"].as_array().expect("robot");
    let mut compared = 0;
    for (i, (c, row)) in g.cities.iter().zip(rows).enumerate() {
        assert_eq!(codes[i].as_str(), Some(c.code.as_str()));
        for (t, v) in row.as_array().expect("row").iter().enumerate() {
            let want = v.as_f64().expect("number");
            let got = g.robot[i * years.len() + t];
            assert!(
                (got - want).abs() <= 1e-8 * want.abs().max(1e-12),
                "{} {}: {got} vs {want}",
                c.code,
                years[t]
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 274 * 14);
}
