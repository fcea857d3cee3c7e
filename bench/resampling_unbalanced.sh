#!/usr/bin/env bash
# Tables 8 and 9 (the resampling nodes: 3 x 1,000 cluster bootstraps, 3 x 1,000 permutations) on
# an unbalanced real-data panel against the balanced twin (issue 17: at most twice the twin's time).
# Each case builds its store once, then forces each table and its model nodes to re-execute, one
# task at a time, REPS times, and records the summed node durations the CLI prints. Writes
# bench/results/resampling_unbalanced.json.
#   ROBOCARB_REAL_SOURCES  sources file of the unbalanced panel (default data/real/sources.toml)
#   ROBOCARB_BIN           the binary (default: the release build, built here)
#   BENCH_WORK             scratch directory for stores and outputs (default: a new temp dir)
#   REPS                   forced re-executions per case (default 5)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REAL="${ROBOCARB_REAL_SOURCES:-$ROOT/data/real/sources.toml}"
WORK="${BENCH_WORK:-$(mktemp -d)}"
REPS="${REPS:-5}"
BIN="${ROBOCARB_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/robocarb}"
mkdir -p "$WORK" "$ROOT/bench/results"
[[ -n "${ROBOCARB_BIN:-}" ]] || (cd "$ROOT" && cargo build --release -q -p robocarb-cli)

# case NAME [--sources FILE]: prints one JSON line per forced run of a table: its node plus every
# model node it assembles (table8: the t8_* mediations and OLS columns; table9: the t9_* group
# differences and splits), all forced, one task at a time, so their summed times are the table's.
case_runs() {
  local name="$1"; shift
  local args=("$@" --cache "$WORK/$name-cache" --out "$WORK/$name-out")
  "$BIN" "${args[@]}" run table8 table9 > "$WORK/$name.build.log" 2>&1
  local force=()
  for node in $(awk '$1 == "executed" && ($2 ~ /^t[89]_/ || $2 == "table8" || $2 == "table9") { print $2 }' \
      "$WORK/$name.build.log"); do
    force+=(--force "$node")
  done
  for _ in $(seq "$REPS"); do
    "$BIN" "${args[@]}" run table8 table9 "${force[@]}" -j 1 2>&1 \
      | awk -v name="$name" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
          $1 == "executed" && ($2 ~ /^t8_/ || $2 == "table8") { t8 += $3 }
          $1 == "executed" && ($2 ~ /^t9_/ || $2 == "table9") { t9 += $3 }
          END {
            printf "{\"case\": \"%s\", \"node\": \"table8\", \"ms\": %s, \"load_before\": \"%s\"}\n", name, t8, load
            printf "{\"case\": \"%s\", \"node\": \"table9\", \"ms\": %s, \"load_before\": \"%s\"}\n", name, t9, load }'
  done
}

{
  case_runs balanced_twin
  case_runs unbalanced_real --sources "$REAL"
} > "$WORK/runs.jsonl"

python3 - "$WORK/runs.jsonl" "$ROOT/bench/results/resampling_unbalanced.json" "$REPS" \
  "$(basename "$(dirname "$BIN")")/$(basename "$BIN")" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
reps = int(sys.argv[3])
out = {"binary": sys.argv[4], "reps": reps, "cases": {}}
for case in ("balanced_twin", "unbalanced_real"):
    for node in ("table8", "table9"):
        ms = sorted(r["ms"] for r in rows if r["case"] == case and r["node"] == node)
        if len(ms) != reps:
            sys.exit(f"{case} {node}: {len(ms)} of {reps} runs executed (see the logs in the work dir)")
        out["cases"].setdefault(case, {})[node] = {
            "median_ms": statistics.median(ms), "min_ms": ms[0], "max_ms": ms[-1],
            "load_before": [r["load_before"] for r in rows if r["case"] == case and r["node"] == node][0]}
out["ratio_unbalanced_over_balanced"] = {
    node: out["cases"]["unbalanced_real"][node]["median_ms"] / out["cases"]["balanced_twin"][node]["median_ms"]
    for node in ("table8", "table9")}
json.dump(out, open(sys.argv[2], "w"), indent=2)
print(json.dumps(out, indent=2))
PY
