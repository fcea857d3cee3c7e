#![no_main]
//! The pipeline-file loader on arbitrary text: a checked graph or a typed error, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let registry = robocarb_pipeline::registry();
        let _ = robocarb_pipeline::load_text(std::path::Path::new("fuzz.toml"), text, None, &registry);
    }
});
