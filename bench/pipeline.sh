#!/usr/bin/env bash
# End-to-end timings of the release CLI (issue 2 / issue 8 targets), written to
# bench/results/pipeline.json:
#   * full pipeline on the default data, cold (empty store): wall time and peak RSS (/usr/bin/time -v);
#   * no-op rerun (`robocarb run` on a built store) and `robocarb status`: hyperfine (or a loop);
#   * with --scale: the full pipeline, cold, on a county-scale twin (2,850 units, 2006..2019) and on
#     a 30-year twin (274 units, 1990..2019).
# ROBOCARB_BIN overrides the binary (and skips the release build).
# Stores and outputs go to $BENCH_WORK (default bench/scratch/, not in git), never to the repo's cache/ or out/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${BENCH_WORK:-$ROOT/bench/scratch}"
RESULTS="$ROOT/bench/results"
BIN="${ROBOCARB_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/robocarb}"
SCALE=0
[[ "${1:-}" == "--scale" ]] && SCALE=1
mkdir -p "$WORK" "$RESULTS"

[[ -n "${ROBOCARB_BIN:-}" ]] || (cd "$ROOT" && cargo build --release -q -p robocarb-cli)

load() { cut -d' ' -f1-3 /proc/loadavg; }

# cold_run NAME [extra CLI args...]: empty store, full pipeline; prints a JSON object.
cold_run() {
  local name="$1"; shift
  rm -rf "$WORK/$name-cache" "$WORK/$name-out"
  local before; before="$(load)"
  /usr/bin/time -v -o "$WORK/$name.time" "$BIN" "$@" --cache "$WORK/$name-cache" --out "$WORK/$name-out" \
    run > "$WORK/$name.log" 2>&1
  local wall rss
  wall="$(grep 'Elapsed (wall clock)' "$WORK/$name.time" | awk '{print $NF}')"
  rss="$(grep 'Maximum resident set size' "$WORK/$name.time" | awk '{print $NF}')"
  python3 - "$name" "$wall" "$rss" "$before" <<'PY'
import json, sys
name, wall, rss, load = sys.argv[1:5]
parts = [float(p) for p in wall.split(":")]
secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
print(json.dumps({"case": name, "wall_s": secs, "peak_rss_mib": int(rss) / 1024, "load_before": load}))
PY
}

# warm NAME CMD...: hyperfine mean / min / max in ms on a built store.
warm() {
  local name="$1"; shift
  local before; before="$(load)"
  if command -v hyperfine > /dev/null; then
    hyperfine -N --warmup 3 --runs 30 --export-json "$WORK/$name.hf.json" "$*" > /dev/null 2>&1
    python3 - "$name" "$WORK/$name.hf.json" "$before" <<'PY'
import json, sys
name, path, load = sys.argv[1:4]
r = json.load(open(path))["results"][0]
t = sorted(r["times"])
print(json.dumps({"case": name, "tool": "hyperfine", "runs": len(t), "median_ms": 1e3 * r["median"],
                  "min_ms": 1e3 * r["min"], "max_ms": 1e3 * r["max"], "load_before": load}))
PY
  else
    local times=()
    for _ in $(seq 30); do
      local t0 t1; t0=$(date +%s%N); "$@" > /dev/null 2>&1; t1=$(date +%s%N)
      times+=("$(( (t1 - t0) / 1000 ))")
    done
    python3 - "$name" "$before" "${times[@]}" <<'PY'
import json, sys
name, load, *us = sys.argv[1:]
t = sorted(int(u) / 1e3 for u in us)
print(json.dumps({"case": name, "tool": "loop", "runs": len(t), "median_ms": t[len(t) // 2],
                  "min_ms": t[0], "max_ms": t[-1], "load_before": load}))
PY
  fi
}

{
  cold_run default_cold
  D=(--cache "$WORK/default_cold-cache" --out "$WORK/default_cold-out")
  warm noop_run "$BIN" "${D[@]}" run
  warm status "$BIN" "${D[@]}" status
  if [[ $SCALE == 1 ]]; then
    "$BIN" synth --seed 20240401 --out "$WORK/twin-county" --cities 2850 > /dev/null
    python3 "$ROOT/bench/twin_sources.py" "$ROOT/pipelines/paper.toml" "$WORK/twin-county" "$WORK/county-sources.toml"
    cold_run county_2850_cold --sources "$WORK/county-sources.toml"
    "$BIN" synth --seed 20240401 --out "$WORK/twin-30y" --years 1990..2019 > /dev/null
    python3 "$ROOT/bench/twin_sources.py" "$ROOT/pipelines/paper.toml" "$WORK/twin-30y" "$WORK/30y-sources.toml"
    cold_run years_30_cold --sources "$WORK/30y-sources.toml"
  fi
} | tee "$WORK/pipeline.jsonl"

# The binary is recorded by what it is, not where this machine keeps it.
if [[ -n "${ROBOCARB_BIN:-}" ]]; then BIN_LABEL="ROBOCARB_BIN=$(basename "$BIN")"; else BIN_LABEL="release/robocarb"; fi
python3 - "$WORK/pipeline.jsonl" "$RESULTS/pipeline.json" "$BIN_LABEL" <<'PY'
import json, os, sys
rows = [dict(json.loads(l), binary=sys.argv[3]) for l in open(sys.argv[1]) if l.strip()]
old = {}
if os.path.exists(sys.argv[2]):
    old = {r["case"]: r for r in json.load(open(sys.argv[2])).get("rows", [])}
old.update({r["case"]: r for r in rows})
json.dump({"rows": list(old.values())}, open(sys.argv[2], "w"), indent=2)
PY
python3 "$ROOT/bench/report.py"
