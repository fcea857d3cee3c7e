//! The `robocarb` executable; the program itself is the library (`src/lib.rs`), so the end-to-end
//! tests (`tests/`) can build the same program as their own binary.

fn main() {
    robocarb_cli::main()
}
