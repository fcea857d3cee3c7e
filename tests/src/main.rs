//! The `robocarb` program, built for the end-to-end tests beside this file (`tests/*.rs`).
//!
//! It is the CLI's `main` and nothing else: the tests must exercise exactly what users run. It is
//! not installed or shipped; users run the `robocarb` binary of `crates/cli`.

fn main() {
    robocarb_cli::main()
}
