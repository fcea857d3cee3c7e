//! The TP the generator feeds into the CO2 equation is the TP the pipeline measures: it equals
//! `robocarb export tfp` on data/default (ingest's DEA inputs + robocarb-dea), stored in
//! golden/tp_default.json; and robots raise it (the twin's TP channel, docs/twin.md).

use robocarb_synth::{generate_panel, SynthConfig};

#[test]
fn tp_matches_the_pipelines_dea_and_rises_with_robots() {
    let text = include_str!("golden/tp_default.json");
    let golden: serde_json::Value = serde_json::from_str(text).expect("golden json");
    let config = SynthConfig::default();
    let years: Vec<i32> = (config.years.0..=config.years.1).collect();
    let g = generate_panel(&config).expect("generate");
    let codes = golden["city_codes"].as_array().expect("codes");
    let rows = golden["tp"].as_array().expect("tp");
    let nt = years.len();
    let mut compared = 0;
    for (code, row) in codes.iter().zip(rows) {
        let code = code.as_str().expect("code");
        let i = g
            .cities
            .iter()
            .position(|c| c.code == code)
            .expect("city in twin");
        for (t, v) in row.as_array().expect("row").iter().enumerate() {
            let want = v.as_f64().expect("number");
            let got = g.tp[i * nt + t];
            assert!(
                (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                "{code} {}: {got} vs {want}",
                years[t]
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 274 * 14);
    // The measured within slope of TP on ROBOT_w is the channel's `a` (positive by design).
    assert!(g.truth.a_tp > 0.01, "a_tp = {}", g.truth.a_tp);
}
