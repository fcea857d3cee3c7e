//! Specifications as data (issue 14 targets): loading and expanding `pipelines/paper.toml`
//! (parse, `extends`, sets, multiple estimation, one node per model, graph checks) under 5 ms, and
//! fitting Table 4 col. 4 from its declaration on the default panel (the numerics `robocarb fit`
//! runs after reading the store). Run: `cargo bench -p robocarb-pipeline --bench specs`.

use robocarb_panel::{Column, Frame};
use robocarb_pipeline::ops::model::{fit_model, ResolvedModel};
use std::path::PathBuf;

fn main() {
    divan::main();
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[divan::bench]
fn load_and_expand_paper_toml(bencher: divan::Bencher) {
    let registry = robocarb_pipeline::registry();
    let file = root().join("pipelines/paper.toml");
    bencher.bench(|| robocarb_pipeline::load(&file, None, &registry).expect("load"));
}

/// The default panel as committed for the pyfixest goldens.
fn panel() -> Frame {
    let text =
        std::fs::read_to_string(root().join("crates/pipeline/tests/golden/default_panel.csv"))
            .expect("panel csv");
    let mut lines = text.lines();
    let names: Vec<&str> = lines.next().expect("header").split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let mut f = Frame::new();
    for (j, name) in names.iter().enumerate() {
        let cells: Vec<&str> = rows.iter().map(|r| r[j]).collect();
        let col = if *name == "city_code" {
            Column::Str(cells.iter().map(|c| c.to_string()).collect())
        } else if let Ok(v) = cells
            .iter()
            .map(|c| c.parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
        {
            Column::I64(v)
        } else {
            Column::F64(
                cells
                    .iter()
                    .map(|c| c.parse().unwrap_or(f64::NAN))
                    .collect(),
            )
        };
        f.push(*name, col).expect("column");
    }
    f
}

#[divan::bench]
fn fit_table4_col4(bencher: divan::Bencher) {
    let registry = robocarb_pipeline::registry();
    let p = robocarb_pipeline::load(&root().join("pipelines/paper.toml"), None, &registry)
        .expect("load");
    let m = ResolvedModel::from_params(&p.graph.node("t4_4").expect("t4_4").params).expect("model");
    let frame = panel();
    bencher.bench(|| fit_model(&frame, &m, "panel").expect("fit"));
}
