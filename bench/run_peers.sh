#!/usr/bin/env bash
# `just bench-peers`: the same estimator on the same CSV, in-process on both sides, Rust vs the
# Python peers, written to bench/results/peers.json and into BENCHMARKS.md (bench/report.py).
#   (a) Table 4 col. 4 two-way FE, city clusters, default panel: pyfixest and linearmodels
#   (b) two-way FE with clusters, 1,000,000 rows (100,000 units x 10 years, 10 regressors): pyfixest
#   (c) undesirable-output SBM, VRS, contemporaneous, 274 x 14 (default DEA inputs): DEAPack
#   (d) the same on a county-scale twin (2,850 units): DEAPack on DEAPACK_COUNTY_YEARS years
# Env: REPS_SMALL (default 20), REPS_LARGE (5), DEAPACK_COUNTY_YEARS (default 2: DEAPack needs
# minutes per year at 2,850 units), BENCH_WORK (default bench/scratch/, not in git).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${BENCH_WORK:-$ROOT/bench/scratch}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release/robocarb"
VENV="$ROOT/bench/.venv"
PY="$VENV/bin/python"
REPS_SMALL="${REPS_SMALL:-20}"
REPS_LARGE="${REPS_LARGE:-5}"
COUNTY_YEARS="${DEAPACK_COUNTY_YEARS:-2}"
mkdir -p "$WORK" "$ROOT/bench/results"

if [[ ! -x "$PY" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$ROOT/bench/requirements.txt"
fi

(cd "$ROOT" && cargo build --release -q -p robocarb-cli \
  && cargo build --release -q -p robocarb-estimate --example time_fe \
  && cargo build --release -q -p robocarb-dea --example time_sbm)
TIME_FE="$TARGET/release/examples/time_fe"
TIME_SBM="$TARGET/release/examples/time_sbm"

# Data: default panel and DEA inputs; county-scale DEA inputs; the 1M-row panel.
D=(--cache "$WORK/peers-cache" --out "$WORK/peers-out")
"$BIN" "${D[@]}" run panel dea_inputs > /dev/null
"$BIN" "${D[@]}" export panel --out "$WORK/panel.csv" --format csv
"$BIN" "${D[@]}" export dea_inputs --out "$WORK/dea_inputs_274.csv" --format csv
if [[ ! -f "$WORK/dea_inputs_2850.csv" ]]; then
  "$BIN" synth --seed 20240401 --out "$WORK/twin-county" --cities 2850 > /dev/null
  python3 "$ROOT/bench/twin_sources.py" "$ROOT/pipelines/paper.toml" "$WORK/twin-county" "$WORK/county-sources.toml"
  C=(--sources "$WORK/county-sources.toml" --cache "$WORK/county-dea-cache" --out "$WORK/county-dea-out")
  "$BIN" "${C[@]}" run dea_inputs > /dev/null
  "$BIN" "${C[@]}" export dea_inputs --out "$WORK/dea_inputs_2850.csv" --format csv
fi
[[ -f "$WORK/panel_1m.csv" ]] || "$PY" "$ROOT/bench/gen_large_panel.py" "$WORK/panel_1m.csv" 20240401

T4X="ROBOT,GDP,PS,FDI,FP,URB,EC,HC,VC"
L1M="x0,x1,x2,x3,x4,x5,x6,x7,x8,x9"
OUT="$WORK/peers.jsonl"
: > "$OUT"
emit() { # emit CASE SIDE JSON-lines...
  local case="$1" side="$2"; shift 2
  local load; load="$(cut -d' ' -f1-3 /proc/loadavg)"
  while IFS= read -r line; do
    [[ -n "$line" ]] && echo "{\"case\":\"$case\",\"side\":\"$side\",\"load\":\"$load\",\"result\":$line}" | tee -a "$OUT"
  done <<< "$*"
}

emit a rust "$("$TIME_FE" "$WORK/panel.csv" CARBON "$T4X" city_code year city_code "$REPS_SMALL")"
emit a python "$("$PY" "$ROOT/bench/peers.py" fe "$WORK/panel.csv" CARBON "$T4X" city_code year city_code "$REPS_SMALL" both)"
emit b rust "$("$TIME_FE" "$WORK/panel_1m.csv" y "$L1M" unit year unit "$REPS_LARGE")"
emit b python "$("$PY" "$ROOT/bench/peers.py" fe "$WORK/panel_1m.csv" y "$L1M" unit year unit "$REPS_LARGE" pyfixest)"
emit c rust "$("$TIME_SBM" "$WORK/dea_inputs_274.csv" "$REPS_SMALL" 0 "$WORK/sbm_274_rust.csv")"
emit c rust1 "$(RAYON_NUM_THREADS=1 "$TIME_SBM" "$WORK/dea_inputs_274.csv" "$REPS_SMALL" 0)"
emit c python "$("$PY" "$ROOT/bench/peers.py" sbm "$WORK/dea_inputs_274.csv" 3 0 "$WORK/sbm_274_deapack.csv")"
emit d rust "$("$TIME_SBM" "$WORK/dea_inputs_2850.csv" "$REPS_LARGE" "$COUNTY_YEARS")"
emit d rust1 "$(RAYON_NUM_THREADS=1 "$TIME_SBM" "$WORK/dea_inputs_2850.csv" "$REPS_LARGE" "$COUNTY_YEARS")"
emit d rust_all_years "$("$TIME_SBM" "$WORK/dea_inputs_2850.csv" 3 0)"
emit d python "$("$PY" "$ROOT/bench/peers.py" sbm "$WORK/dea_inputs_2850.csv" 1 "$COUNTY_YEARS")"

python3 - "$OUT" "$ROOT/bench/results/peers.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
json.dump({"rows": rows}, open(sys.argv[2], "w"), indent=2)
PY
python3 "$ROOT/bench/report.py"
