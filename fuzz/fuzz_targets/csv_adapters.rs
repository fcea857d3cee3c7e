#![no_main]
//! Every adapter's CSV path on arbitrary bytes: Ok or a typed error, never a panic.
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::run_all(data, robocarb_ingest::Format::Csv);
});
