#!/usr/bin/env bash
# Multiverse timings (issue 15), written to bench/results/multiverse.json:
#   * fits: the 1,920 specifications of `robot_carbon` once their three panels exist
#     (bootstrap_reps = 0: one model node per specification, the summary, the curve);
#   * joint: the same with the joint inference, B = 500 (every specification refit on 500 draws);
#   * pyfixest: the same 1,920 fits in pyfixest on the same panels (exported by robocarb), the
#     two outcomes of a specification in one call (multiple estimation), a loop over the rest.
# Wall times from the shell; the load average is recorded before each case.
# ROBOCARB_BIN overrides the binary (and skips the release build). PYTHON picks the interpreter
# (needs pyfixest; bench/requirements.txt). Scratch in $BENCH_WORK (default bench/scratch/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${BENCH_WORK:-$ROOT/bench/scratch}/multiverse"
RESULTS="$ROOT/bench/results"
BIN="${ROBOCARB_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/robocarb}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$RESULTS"
[[ -n "${ROBOCARB_BIN:-}" ]] || (cd "$ROOT" && cargo build --release -q -p robocarb-cli)

rm -rf "$WORK" && mkdir -p "$WORK"
cp -r "$ROOT/pipelines" "$ROOT/data" "$WORK/"
cd "$WORK"
sed 's/^bootstrap_reps = 500$/bootstrap_reps = 0/' pipelines/paper.toml > pipelines/fits.toml
grep -q '^bootstrap_reps = 0$' pipelines/fits.toml

load() { cut -d' ' -f1-3 /proc/loadavg; }
now() { date +%s.%N; }
W0='panel~panel.winsor_lower=0.0+panel.winsor_upper=1.0'
W025='panel~panel.winsor_lower=0.025+panel.winsor_upper=0.975'

# The panels (and everything upstream) first: "once their panels exist".
"$BIN" --pipeline pipelines/fits.toml --multiverse robot_carbon run panel "$W0" "$W025" > panels.log

timed() {  # NAME CMD...: wall seconds of CMD as a JSON object
  local name="$1"; shift
  local before t0 t1; before="$(load)"; t0="$(now)"
  "$@" > "$name.log" 2>&1
  t1="$(now)"
  printf '{"case": "%s", "wall_s": %.3f, "load_before": "%s"}\n' "$name" "$(echo "$t1 - $t0" | bc)" "$before"
}

{
  timed fits "$BIN" --pipeline pipelines/fits.toml --multiverse robot_carbon run robot_carbon
  timed fits_noop "$BIN" --pipeline pipelines/fits.toml --multiverse robot_carbon run robot_carbon
  timed joint_b500 "$BIN" --pipeline pipelines/paper.toml --multiverse robot_carbon run robot_carbon
  for node in panel "$W0" "$W025"; do
    "$BIN" --pipeline pipelines/fits.toml --multiverse robot_carbon export "$node" --format csv --out "panel_${node//[^A-Za-z0-9]/_}.csv"
  done
  cp "panel_panel.csv" panel_w01.csv
  cp "panel_panel_panel_winsor_lower_0_0_panel_winsor_upper_1_0.csv" panel_w0.csv
  cp "panel_panel_panel_winsor_lower_0_025_panel_winsor_upper_0_975.csv" panel_w025.csv
  "$PYTHON" "$ROOT/bench/multiverse_pyfixest.py" "$WORK" "out/multiverse/robot_carbon/specs.csv"
} | tee "$RESULTS/multiverse.json"
