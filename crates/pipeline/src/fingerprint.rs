//! Code fingerprints of the workspace crates and glue modules, computed by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/fingerprints.rs"));

/// The fingerprint string of an operation that runs `crates` through the glue module `glue`
/// (a path under `crates/pipeline/src`, e.g. `ops/ingest.rs`): `crate:NAME=HASH;...;glue:PATH=HASH`.
///
/// `ROBOCARB_CODE_SALT=crate:dea=x,crate:ingest=y` appends a salt to the named parts. It exists so
/// the end-to-end tests can simulate an edit of one crate without rebuilding the binary.
pub fn fingerprint(crates: &[&str], glue: &str) -> String {
    let salt = std::env::var("ROBOCARB_CODE_SALT").unwrap_or_default();
    let salted = |part: &str, hash: &str| -> String {
        let extra: String = salt
            .split(',')
            .filter_map(|s| s.split_once('='))
            .filter(|(p, _)| *p == part)
            .map(|(_, v)| format!("+{v}"))
            .collect();
        format!("{part}={hash}{extra}")
    };
    let mut parts: Vec<String> = Vec::new();
    let mut names: Vec<&str> = crates.to_vec();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let hash = CRATES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, h)| *h)
            .unwrap_or("unknown");
        parts.push(salted(&format!("crate:{name}"), hash));
    }
    let hash = GLUE
        .iter()
        .find(|(n, _)| *n == glue)
        .map(|(_, h)| *h)
        .unwrap_or("unknown");
    parts.push(salted(&format!("glue:{glue}"), hash));
    parts.join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_crate_and_glue_module_has_a_fingerprint() {
        for name in [
            "dag", "panel", "ingest", "exposure", "dea", "estimate", "report", "pipeline",
        ] {
            assert!(
                CRATES.iter().any(|(n, h)| *n == name && h.len() == 64),
                "{name}"
            );
        }
        assert!(!GLUE.is_empty());
        let f = fingerprint(&["dea", "panel"], "ops/dea.rs");
        assert!(f.starts_with("crate:dea="), "{f}");
        assert!(f.contains(";crate:panel="));
        assert!(f.contains(";glue:ops/dea.rs="));
        assert!(!f.contains("unknown"), "{f}");
    }

    #[test]
    fn dependent_crates_carry_their_dependencies() {
        // ingest depends on panel, so it cannot share panel's fingerprint by accident, and the
        // fingerprints differ between unrelated crates.
        let get = |n: &str| CRATES.iter().find(|(c, _)| *c == n).map(|(_, h)| *h);
        assert_ne!(get("dea"), get("estimate"));
        assert_ne!(get("ingest"), get("panel"));
    }
}
