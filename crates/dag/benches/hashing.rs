//! Source hashing throughput (issue 2 target: first hashing of a large source >= 1 GB/s) and the
//! stat-cache path that `status` and a no-op rerun take for unchanged sources.
//!
//! The source is a temp file of `ROBOCARB_BENCH_HASH_MIB` MiB (default 1024) of seeded
//! pseudo-random bytes, written once per process. Run:
//! `cargo bench -p robocarb-dag --bench hashing` (divan prints throughput in B/s).

use robocarb_dag::source::{hash_file, hash_with_cache};
use robocarb_dag::ContentHash;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

fn main() {
    divan::main();
}

fn size_bytes() -> usize {
    let mib = std::env::var("ROBOCARB_BENCH_HASH_MIB")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(1024);
    mib << 20
}

/// Deterministic, incompressible-looking bytes (xorshift64*), so nothing in the stack can
/// shortcut a run of zeros.
fn fill(buf: &mut [u8], state: &mut u64) {
    for chunk in buf.chunks_mut(8) {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        let v = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

/// The large source file, created once (the `TempDir` lives as long as the process).
fn large_source() -> &'static Path {
    static FILE: OnceLock<(tempfile::TempDir, std::path::PathBuf)> = OnceLock::new();
    let (_, path) = FILE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("large_source.bin");
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut buf = vec![0u8; 8 << 20];
        let mut left = size_bytes();
        while left > 0 {
            let n = left.min(buf.len());
            fill(&mut buf[..n], &mut state);
            f.write_all(&buf[..n]).expect("write");
            left -= n;
        }
        f.flush().expect("flush");
        (dir, path)
    });
    path
}

/// First hashing of a large source: the whole file is read and hashed (page cache warm, as
/// right after a download; cold-disk reads are bounded by the disk, not by the hasher).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn first_hash_large_source(bencher: divan::Bencher) {
    let path = large_source();
    bencher
        .counter(divan::counter::BytesCount::new(size_bytes()))
        .bench(|| hash_file(divan::black_box(path)).expect("hash"));
}

/// The same file through the stat cache with a cold cache (what a first `run` does).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn first_hash_with_empty_stat_cache(bencher: divan::Bencher) {
    let path = large_source();
    bencher
        .counter(divan::counter::BytesCount::new(size_bytes()))
        .with_inputs(BTreeMap::new)
        .bench_local_values(|mut cache| hash_with_cache(path, &mut cache).expect("hash"));
}

/// An unchanged source on a later `status` / no-op `run`: one stat, no read.
#[divan::bench(sample_count = 100)]
fn unchanged_source_stat_cache_hit(bencher: divan::Bencher) {
    let path = large_source();
    let mut cache = BTreeMap::new();
    hash_with_cache(path, &mut cache).expect("hash");
    bencher.bench_local(|| hash_with_cache(path, &mut cache).expect("hash"));
}

/// In-memory hashing of 64 MiB (the hasher alone, without the read), for comparison.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn in_memory_64mib(bencher: divan::Bencher) {
    let mut buf = vec![0u8; 64 << 20];
    fill(&mut buf, &mut 1u64.wrapping_add(0x1234_5678));
    bencher
        .counter(divan::counter::BytesCount::new(buf.len()))
        .bench(|| ContentHash::of(divan::black_box(&buf)));
}
