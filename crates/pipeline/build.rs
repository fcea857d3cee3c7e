//! Code fingerprints, computed at build time from the sources of each workspace crate and of each
//! glue module, so that editing `crates/dea` makes only the nodes whose operations use `dea` stale.
//! A crate's fingerprint covers its own `src/`, `Cargo.toml` and `build.rs`, and the fingerprints of
//! the workspace crates it depends on (transitively).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn hash_files(root: &Path, files: &[PathBuf]) -> blake3::Hash {
    let mut h = blake3::Hasher::new();
    for f in files {
        let rel = f
            .strip_prefix(root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        h.update(&(rel.len() as u64).to_le_bytes());
        h.update(rel.as_bytes());
        let bytes = fs::read(f).unwrap_or_default();
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    h.finalize()
}

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let crates_dir = manifest_dir.parent().expect("crates/ folder").to_path_buf();
    let mut own: BTreeMap<String, blake3::Hash> = BTreeMap::new();
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut names: Vec<PathBuf> = fs::read_dir(&crates_dir)
        .expect("read crates/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Cargo.toml").exists())
        .collect();
    names.sort();
    for dir in &names {
        let name = dir
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("cargo:rerun-if-changed={}", dir.join("src").display());
        println!(
            "cargo:rerun-if-changed={}",
            dir.join("Cargo.toml").display()
        );
        let mut files = Vec::new();
        files_under(&dir.join("src"), &mut files);
        if name == "pipeline" {
            // Glue modules are fingerprinted one by one below, not as part of the crate.
            files.retain(|f| !f.starts_with(dir.join("src").join("ops")));
        }
        for extra in ["Cargo.toml", "build.rs"] {
            if dir.join(extra).exists() {
                files.push(dir.join(extra));
            }
        }
        own.insert(name.clone(), hash_files(dir, &files));
        let toml = fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        let mut d: Vec<String> = toml
            .lines()
            .filter_map(|l| l.trim().strip_prefix("robocarb-"))
            .filter_map(|rest| {
                rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
            })
            .map(|s| s.to_string())
            .filter(|s| *s != name)
            .collect();
        d.sort();
        d.dedup();
        deps.insert(name, d);
    }
    // Transitive closure, combined in sorted order.
    let mut out = String::from("/// (crate, fingerprint of the crate and its workspace dependencies)\npub const CRATES: &[(&str, &str)] = &[\n");
    for name in own.keys() {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![name.clone()];
        while let Some(n) = stack.pop() {
            if seen.insert(n.clone()) {
                for d in deps.get(&n).into_iter().flatten() {
                    stack.push(d.clone());
                }
            }
        }
        let mut h = blake3::Hasher::new();
        for n in &seen {
            if let Some(x) = own.get(n) {
                h.update(n.as_bytes());
                h.update(x.as_bytes());
            }
        }
        out.push_str(&format!(
            "    ({name:?}, {:?}),\n",
            h.finalize().to_hex().as_str()
        ));
    }
    out.push_str("];\n/// (glue module under crates/pipeline/src/ops, fingerprint)\npub const GLUE: &[(&str, &str)] = &[\n");
    let ops_dir = manifest_dir.join("src").join("ops");
    println!("cargo:rerun-if-changed={}", ops_dir.display());
    let mut glue = Vec::new();
    files_under(&ops_dir, &mut glue);
    for f in glue {
        let rel = f
            .strip_prefix(manifest_dir.join("src"))
            .unwrap_or(&f)
            .to_string_lossy()
            .replace('\\', "/");
        let h = hash_files(&manifest_dir, std::slice::from_ref(&f));
        out.push_str(&format!("    ({rel:?}, {:?}),\n", h.to_hex().as_str()));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("fingerprints.rs");
    fs::write(dest, out).expect("write fingerprints.rs");
}
