#![no_main]
//! Every adapter's XLSX path (calamine) on arbitrary bytes. Seed the corpus with
//! crates/ingest/tests/fixtures/mini/**/*.xlsx for useful coverage.
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::run_all(data, robocarb_ingest::Format::Xlsx);
});
