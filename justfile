# Recipes are the convenience layer: every recipe is a plain cargo command, so nothing here is
# needed to run the study or the tests (see README).

set shell := ["bash", "-euo", "pipefail", "-c"]

# Regenerate every table (Markdown, LaTeX, CSV, JSON) and the HTML report under out/.
all:
    cargo robocarb run

# Run one node and what it needs: `just node panel`.
node NAME:
    cargo robocarb run {{NAME}}

# Fresh / stale / missing for every node, with reasons.
status:
    cargo robocarb status

# Why a node is stale: `just why table4`.
why NAME:
    cargo robocarb why {{NAME}}

# The whole test suite (what CI runs).
test:
    cargo test --workspace

# Lints as CI's standard: formatting and clippy with warnings as errors.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# In-process benchmarks of every hot path (release build), then end-to-end CLI timings (cold run,
# no-op rerun, status; `just bench --scale` adds the county-scale and 30-year twins); figures go to
# BENCHMARKS.md. Scratch stores live in $BENCH_WORK (default bench/scratch/), not in cache/.
bench *ARGS:
    mkdir -p bench/results
    cargo bench --workspace | tee bench/results/cargo_bench.txt
    bench/pipeline.sh {{ARGS}}

# Rust vs Python peers (pyfixest, linearmodels, DEAPack) on the same data, in-process on both sides;
# creates bench/.venv from bench/requirements.txt (needs PyPI access); ratios go to BENCHMARKS.md.
bench-peers:
    bench/run_peers.sh

# Tables 8 and 9 (the resampling nodes) on an unbalanced real-data panel against the balanced twin
# (issue 17: at most twice the twin's time); ROBOCARB_REAL_SOURCES overrides data/real/sources.toml.
bench-resampling:
    bench/resampling_unbalanced.sh

# Regenerate the embedded default data (the synthetic twin) byte for byte.
synth:
    cargo robocarb synth --seed 20240401 --out data/default

# Monte Carlo of the estimators over many twins (see docs/montecarlo.md).
# PROCESS: default (the embedded twin's) or well-specified; YEARS: the twins' years, A..B.
montecarlo REPS="200" PROCESS="default" YEARS="2006..2019":
    cargo run --release -p robocarb-pipeline --example montecarlo -- {{REPS}} --process {{PROCESS}} --years {{YEARS}}

# Calibration of the multiverse's joint test (docs/multiverse.md): REPS twins with every path from
# robots to CO2 scaled by EFFECT (0: no effect, the tests' size; 1: the default twin, their power),
# each running MULTIVERSE of pipelines/calibration.toml; results in docs/multiverse_MULTIVERSE_effectEFFECT.json.
multiverse-calibration REPS="200" EFFECT="0" MULTIVERSE="calibration":
    cargo run --release -p robocarb-pipeline --example multiverse_calibration -- {{REPS}} --effect {{EFFECT}} --multiverse {{MULTIVERSE}} --json docs/multiverse_{{MULTIVERSE}}_effect{{EFFECT}}.json

# Bounded fuzzing of the adapters, the frame codec and the pipeline-file parser (needs cargo-fuzz and a
# nightly toolchain: `cargo install cargo-fuzz`, `rustup toolchain install nightly`; see fuzz/README.md).
fuzz SECONDS="60":
    cd fuzz && for t in $(cargo +nightly fuzz list); do cargo +nightly fuzz run "$t" -- -max_total_time={{SECONDS}}; done

# Regenerate golden files from the independent implementations (needs Python 3 and network access to PyPI).
# Each folder's requirements*.txt pins the versions; the default-panel DEA goldens take ~30 min.
oracles:
    for d in crates/*/oracles; do (cd "$d" && for s in gen_*.py make_golden.py make_golden_radial.py; do if [ -f "$s" ]; then python3 "$s"; fi; done); done
    cd crates/dea/oracles && for part in contemporaneous sequential global radial deapack deapack-radial combine; do python3 make_golden_default_panel.py "$part"; done
