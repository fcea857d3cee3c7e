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

/// Seed 12 has a cross-period VRS program that is infeasible (unit 236, 2006 -> 2007). The channel
/// stays on: that cell enters the CO2 equation with TP = 1 and truth.toml counts it (before, the
/// whole channel was silently switched off for such a twin).
#[test]
fn an_undefined_tp_cell_keeps_the_channel_on() {
    let config = SynthConfig {
        seed: 12,
        ..SynthConfig::default()
    };
    let g = generate_panel(&config).expect("generate");
    assert!(g.truth.tp_measured);
    assert!(
        g.truth.tp_undefined_cells >= 1,
        "{}",
        g.truth.tp_undefined_cells
    );
    let nt = 14;
    assert_eq!(g.tp[236 * nt + 1], 1.0);
    assert!(g.truth.a_tp > 0.01, "a_tp = {}", g.truth.a_tp);
    let text = g.truth.to_toml("test", 274, config.years);
    assert!(
        text.contains(&format!(
            "tp_undefined_cells = {}",
            g.truth.tp_undefined_cells
        )),
        "{text}"
    );
}
