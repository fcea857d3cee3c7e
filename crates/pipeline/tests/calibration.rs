//! pipelines/calibration.toml (the calibration of the multiverse's joint test): its multiverses
//! and the `replace_columns` node that gives the paper's panel its outcomes as constructed.

use robocarb_dag::{Engine, LocalExecutor, LocalStore, RunOptions, Silent, Store};
use robocarb_panel::Frame;
use robocarb_pipeline::MultiverseSelection;
use std::path::Path;

fn calibration_file() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pipelines/calibration.toml")
}

#[test]
fn every_calibration_multiverse_has_24_specifications() {
    let registry = robocarb_pipeline::registry();
    let p = robocarb_pipeline::load_with(
        &calibration_file(),
        None,
        &registry,
        &MultiverseSelection::All,
    )
    .expect("calibration.toml loads");
    for name in [
        "calibration",
        "calibration_paper_panel",
        "calibration_outcomes",
        "calibration_unwinsorized",
    ] {
        let specs = p
            .graph
            .nodes()
            .iter()
            .filter(|n| n.name.starts_with(&format!("{name}[")))
            .count();
        assert_eq!(specs, 24, "{name}");
        assert!(p.graph.node(name).is_some(), "{name}");
    }
}

#[test]
fn replace_columns_takes_the_outcomes_from_the_unwinsorized_panel() {
    let registry = robocarb_pipeline::registry();
    let p = robocarb_pipeline::load(&calibration_file(), None, &registry).expect("loads");
    let tmp = tempfile::tempdir().expect("temp dir");
    let store = LocalStore::open(tmp.path()).expect("store");
    let engine = Engine::new(&p.graph, &store);
    let targets = ["panel_no_tp", "panel_unwinsorized", "panel_carbon_raw"];
    engine
        .run(
            &RunOptions {
                targets: targets.iter().map(|t| t.to_string()).collect(),
                ..Default::default()
            },
            &LocalExecutor { threads: 1 },
            &Silent,
        )
        .expect("runs");
    let frame = |node: &str| -> Frame {
        let outputs = engine.last_outputs(node).expect("record").expect("outputs");
        let bytes = store
            .get_blob(&outputs["table"])
            .expect("read")
            .expect("blob");
        Frame::decode(&bytes).expect("frame")
    };
    let (paper, raw, mixed) = (
        frame("panel_no_tp"),
        frame("panel_unwinsorized"),
        frame("panel_carbon_raw"),
    );
    assert_eq!(mixed.names(), paper.names());
    for name in paper.names() {
        let from = if name == "CARBON" || name == "CARBON_I" {
            &raw
        } else {
            &paper
        };
        assert_eq!(mixed.column(name), from.column(name), "{name}");
    }
    // the paper's winsorizing does clip CARBON, so the test has teeth
    assert_ne!(paper.column("CARBON"), raw.column("CARBON"));
}
