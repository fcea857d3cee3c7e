//! Pipeline-file errors name the file and the line.

use robocarb_pipeline::{load, registry};

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn load_err(text: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("data.csv"), "a\n").expect("write");
    let file = write(dir.path(), "p.toml", text);
    match load(&file, None, &registry()) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

const HEAD: &str = "[sources.vent]\npath = \"data.csv\"\n\n";

#[test]
fn unknown_operation() {
    let msg = load_err(&format!(
        "{HEAD}[nodes.climate]\nop = \"read_ventilatoin\"\ninputs = {{ file = \"source:vent\" }}\n"
    ));
    assert!(msg.contains("p.toml:5:"), "{msg}");
    assert!(
        msg.contains("unknown operation `read_ventilatoin`"),
        "{msg}"
    );
    assert!(
        msg.contains("read_ventilation"),
        "lists the known operations: {msg}"
    );
}

#[test]
fn unknown_input_node_and_source() {
    let msg = load_err(&format!(
        "{HEAD}[nodes.table3]\nop = \"table3\"\ninputs = {{ panel = \"pannel\" }}\n"
    ));
    assert!(
        msg.contains("p.toml:6:") && msg.contains("unknown node `pannel`"),
        "{msg}"
    );
    let msg = load_err(&format!(
        "{HEAD}[nodes.climate]\nop = \"read_ventilation\"\ninputs = {{ file = \"source:wind\" }}\n"
    ));
    assert!(
        msg.contains("p.toml:6:") && msg.contains("unknown source `wind`"),
        "{msg}"
    );
}

#[test]
fn unknown_slot() {
    let msg = load_err(&format!(
        "{HEAD}[nodes.climate]\nop = \"read_ventilation\"\ninputs = {{ fiel = \"source:vent\" }}\n"
    ));
    assert!(
        msg.contains("has no input `fiel`") && msg.contains("it takes: file"),
        "{msg}"
    );
}

#[test]
fn cycle_is_printed() {
    let text = format!(
        "{HEAD}[nodes.a]\nop = \"table3\"\ninputs = {{ panel = \"b\" }}\n\n[nodes.b]\nop = \"table3\"\ninputs = {{ panel = \"a\" }}\n"
    );
    let msg = load_err(&text);
    assert!(
        msg.contains("p.toml") && msg.contains("cycle in the graph: a -> b -> a"),
        "{msg}"
    );
}

#[test]
fn parameter_of_the_wrong_type() {
    let text =
        format!("{HEAD}[nodes.p]\nop = \"build_panel\"\nparams = {{ winsor_lower = \"many\" }}\n");
    let msg = load_err(&text);
    assert!(msg.contains("p.toml:6:"), "{msg}");
    assert!(
        msg.contains("parameter `winsor_lower` must be a number, found string"),
        "{msg}"
    );
}

#[test]
fn unknown_parameter_and_bad_toml() {
    let msg = load_err(&format!(
        "{HEAD}[nodes.t3]\nop = \"table3\"\nparams = {{ reps = 3 }}\n"
    ));
    assert!(msg.contains("has no parameter `reps`"), "{msg}");
    let msg = load_err("[nodes.a\nop = 1\n");
    assert!(msg.contains("p.toml:1:"), "{msg}");
}

#[test]
fn sources_file_overrides_and_rejects_unknown_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("data.csv"), "a\n").expect("write");
    std::fs::write(dir.path().join("mine.csv"), "b\n").expect("write");
    let file = write(dir.path(), "p.toml", &format!("{HEAD}[nodes.climate]\nop = \"read_ventilation\"\ninputs = {{ file = \"source:vent\" }}\n"));
    let sources = write(
        dir.path(),
        "s.toml",
        "[sources.vent]\npath = \"mine.csv\"\n",
    );
    let p = load(&file, Some(&sources), &registry()).expect("load");
    assert!(p.graph.sources["vent"].path.ends_with("mine.csv"));
    let bad = write(
        dir.path(),
        "bad.toml",
        "\n[sources.vnet]\npath = \"mine.csv\"\n",
    );
    let err = load(&file, Some(&bad), &registry())
        .err()
        .expect("error")
        .to_string();
    assert!(
        err.contains("bad.toml:2:") && err.contains("unknown source `vnet`"),
        "{err}"
    );
    let missing = write(
        dir.path(),
        "missing.toml",
        "[sources.vent]\npath = \"nope.csv\"\n",
    );
    let err = load(&file, Some(&missing), &registry())
        .err()
        .expect("error")
        .to_string();
    assert!(
        err.contains("missing.toml:1:") && err.contains("does not exist"),
        "{err}"
    );
}

mod no_panic {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        /// Arbitrary text, and mutations of a valid pipeline file, load or fail with a typed error.
        #[test]
        fn loader_never_panics(text in "\\PC{0,400}", cut in 0usize..2000, insert in "[\\[\\]={}\",a-z0-9_:\\n ]{0,8}") {
            let registry = robocarb_pipeline::registry();
            let _ = robocarb_pipeline::load_text(std::path::Path::new("p.toml"), &text, None, &registry);
            let base = include_str!("../../../pipelines/paper.toml");
            let at = base.char_indices().map(|(i, _)| i).nth(cut % base.chars().count()).unwrap_or(0);
            let mutated = format!("{}{}{}", &base[..at], insert, &base[at..]);
            let _ = robocarb_pipeline::load_text(std::path::Path::new("p.toml"), &mutated, None, &registry);
        }
    }
}

#[test]
fn node_resources_are_read_checked_and_fall_back_to_the_operation() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("data.csv"), "a\n").expect("write");
    let text = format!(
        "{HEAD}[nodes.climate]\nop = \"read_ventilation\"\ninputs = {{ file = \"source:vent\" }}\nresources = {{ cpus = 2, time = \"00:30:00\" }}\n"
    );
    let file = write(dir.path(), "p.toml", &text);
    let p = load(&file, None, &registry()).expect("loads");
    let node = p.graph.node("climate").expect("node");
    assert_eq!(node.resources.cpus, Some(2));
    assert_eq!(node.task_resources().time.as_deref(), Some("00:30:00"));
    assert_eq!(node.task_resources().mem, None);
    // An operation's defaults apply where the node names none.
    let dea = registry().get("dea_frontier").expect("op").op.resources();
    assert_eq!(dea.mem.as_deref(), Some("1G"));

    let msg = load_err(&format!(
        "{HEAD}[nodes.climate]\nop = \"read_ventilation\"\ninputs = {{ file = \"source:vent\" }}\nresources = {{ mem = \"4 GB\" }}\n"
    ));
    assert!(msg.contains("p.toml:7:"), "{msg}");
    assert!(msg.contains("`mem`") && msg.contains("4 GB"), "{msg}");
    let msg = load_err(&format!(
        "{HEAD}[nodes.climate]\nop = \"read_ventilation\"\ninputs = {{ file = \"source:vent\" }}\nresources = {{ gpus = 1 }}\n"
    ));
    assert!(msg.contains("gpus"), "{msg}");
}
