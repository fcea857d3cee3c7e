#![no_main]
//! The canonical frame decoder: arbitrary bytes never panic, and whatever decodes re-encodes
//! to bytes that decode to the same frame.
use libfuzzer_sys::fuzz_target;
use robocarb_panel::Frame;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = Frame::decode(data) {
        let again = Frame::decode(&f.encode()).expect("canonical bytes decode");
        assert_eq!(again, f);
    }
});
