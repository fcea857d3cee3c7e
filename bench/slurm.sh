#!/usr/bin/env bash
# The study via the local Slurm cluster (scripts/slurm-local.sh) against local execution, cold
# (empty store), and the county-scale twin (2,850 units) via Slurm. Prints one JSON object per case
# (wall time, and for Slurm the scheduler load from `run --json`) and writes
# bench/results/slurm.json.
#   bench/slurm.sh [--county]
# ROBOCARB_BIN overrides the binary (default: the release build). Stores go to $BENCH_WORK
# (default bench/scratch/slurm/, ignored by git). POLL sets the first poll interval (default 1 s).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${BENCH_WORK:-$ROOT/bench/scratch}/slurm"
RESULTS="$ROOT/bench/results"
BIN="${ROBOCARB_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/robocarb}"
POLL="${POLL:-1}"
mkdir -p "$WORK" "$RESULTS"
[[ -n "${ROBOCARB_BIN:-}" ]] || (cd "$ROOT" && cargo build --release -q -p robocarb-cli)
sinfo -h -o %t | grep -Eq 'idle|mix|alloc' || { echo "no Slurm cluster: run scripts/slurm-local.sh as root" >&2; exit 1; }
printf 'poll_seconds = %s\npoll_max_seconds = 10\nfs_latency_seconds = 5\n' "$POLL" > "$WORK/slurm.toml"

# case NAME EXECUTOR [global args...]: cold run; prints a JSON line.
case_run() {
  local name="$1" executor="$2"; shift 2
  rm -rf "$WORK/$name-cache" "$WORK/$name-out"
  local extra=()
  [[ "$executor" == slurm ]] && extra=(--executor slurm --slurm-config "$WORK/slurm.toml")
  local t0 t1
  t0=$(date +%s.%N)
  "$BIN" "$@" --cache "$WORK/$name-cache" --out "$WORK/$name-out" run --json "${extra[@]}" \
    > "$WORK/$name.json" 2> "$WORK/$name.err"
  t1=$(date +%s.%N)
  python3 - "$name" "$executor" "$t0" "$t1" "$WORK/$name.json" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
name, executor, t0, t1, path, load = sys.argv[1:7]
v = json.load(open(path))
tasks = sum(len(n["tasks_executed"]) for n in v["nodes"])
out = {"case": name, "executor": executor, "wall_s": round(float(t1) - float(t0), 2),
       "tasks": tasks, "load_after": load}
if "slurm" in v:
    out.update({k: v["slurm"][k] for k in ("waves", "arrays", "sbatch_calls", "status_queries",
                                           "array_elements", "tasks_submitted")})
print(json.dumps(out))
PY
}

{
  case_run study_local local
  case_run study_slurm slurm
  if cmp -s <(cd "$WORK/study_local-out" && find . -type f ! -name report.html -exec sha256sum {} + | sort) \
            <(cd "$WORK/study_slurm-out" && find . -type f ! -name report.html -exec sha256sum {} + | sort); then
    echo '{"case": "study outputs", "identical": true}'
  else
    echo '{"case": "study outputs", "identical": false}'
  fi
  if [[ "${1:-}" == "--county" ]]; then
    [[ -d "$WORK/twin-county" ]] || "$BIN" synth --seed 20240401 --out "$WORK/twin-county" --cities 2850 > /dev/null
    python3 "$ROOT/bench/twin_sources.py" "$ROOT/pipelines/paper.toml" "$WORK/twin-county" "$WORK/county-sources.toml"
    case_run county_slurm slurm --sources "$WORK/county-sources.toml"
  fi
} | tee "$RESULTS/slurm.json"
