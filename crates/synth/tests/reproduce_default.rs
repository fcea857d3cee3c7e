//! The committed embedded default (data/default) is exactly what `generate` produces for the
//! default config: every file byte for byte, and no file missing on either side.

use std::path::{Path, PathBuf};

fn files_under(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(root, &p, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(rel.to_path_buf());
        }
    }
}

#[test]
fn default_data_is_reproduced_byte_for_byte() {
    let committed = Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("../../data/default");
    if !committed.join("truth.toml").exists() {
        println!("SKIPPED: {} is absent", committed.display());
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let summary = robocarb_synth::generate(&robocarb_synth::SynthConfig::default(), tmp.path())
        .expect("generate");
    let mut committed_files = Vec::new();
    files_under(&committed, &committed, &mut committed_files);
    committed_files.sort();
    assert_eq!(committed_files, summary.files, "file lists differ");
    for rel in &summary.files {
        let a = std::fs::read(committed.join(rel)).expect("read committed");
        let b = std::fs::read(tmp.path().join(rel)).expect("read generated");
        assert!(
            a == b,
            "{} differs from the committed default",
            rel.display()
        );
    }
}
