"""Write the figures section of BENCHMARKS.md from bench/results/ (run by the bench recipes).

Reads results/machine.json (written here), results/cargo_bench.txt (`just bench`),
results/pipeline.json (bench/pipeline.sh) and results/peers.json (bench/run_peers.sh), and
replaces the text between the `figures:begin` / `figures:end` markers. Plain Python 3, no deps.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RES = ROOT / "bench" / "results"
DOC = ROOT / "BENCHMARKS.md"
BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(open("/proc/meminfo").readline().split()[1])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "kernel": platform.release(),
        "rustc": rustc,
        "load_now": open("/proc/loadavg").read().split()[:3],
    }


def load(name):
    p = RES / name
    return json.loads(p.read_text()) if p.exists() else None


def fmt_us(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.2f} s"
    if us >= 1e3:
        return f"{us / 1e3:.2f} ms"
    return f"{us:.0f} µs"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def peers_section(peers) -> list[str]:
    out = ["### Peer ratios (`just bench-peers`)", ""]
    if not peers:
        return out + ["Not run yet.", ""]
    rows = peers["rows"]
    by = {}
    for r in rows:
        by.setdefault((r["case"], r["side"]), []).append(r)
    out += [
        "| case | side | median | min | max | reps | load (1/5/15 min) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        x = r["result"]
        who = x.get("peer") or (f"robocarb ({x['threads']} thr)" if "threads" in x else "robocarb")
        if r["side"] == "rust_all_years":
            who += f", all {x.get('years')} years"
        out.append(
            f"| {r['case']} | {who} | {fmt_us(x['median_us'])} | {fmt_us(x['min_us'])} | "
            f"{fmt_us(x['max_us'])} | {x['reps']} | {r['load']} |"
        )
    out += ["", "| comparison | ratio (peer median / robocarb median) | target | verdict | same work? |",
            "|---|---|---|---|---|"]

    def one(case, side="rust"):
        v = by.get((case, side))
        return v[0]["result"] if v else None

    def peer(case, name):
        for r in by.get((case, "python"), []):
            if r["result"]["peer"].startswith(name):
                return r["result"]
        return None

    def check_fe(rust, py):
        if not rust or "b" not in py:
            return ""
        db = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(rust["b"], py["b"]))
        ds = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(rust["se"], py["se"]))
        return f"n {rust['n']} vs {py['n']}; max rel. diff b {db:.1e}, se {ds:.1e}"

    def check_sbm(rust, py):
        return (f"{rust['units']} x {rust['years']}; scores {rust['scores']} vs {py['scores']} "
                f"(invalid {rust['invalid']} vs {py['invalid']}); mean {rust['mean_score']:.6f} vs "
                f"{py['mean_score']:.6f}")

    specs = [
        ("a", "pyfixest", 10, "(a) Table 4 col. 4, default panel, vs pyfixest"),
        ("a", "linearmodels", None, "(a) Table 4 col. 4, default panel, vs linearmodels"),
        ("b", "pyfixest", 2, "(b) 1,000,000 rows, vs pyfixest"),
        ("c", "DEAPack", 50, "(c) SBM undesirable, VRS, contemporaneous, default DEA inputs, vs DEAPack"),
        ("d", "DEAPack", 50, "(d) same, county-scale twin, vs DEAPack"),
    ]
    for case, name, target, label in specs:
        rust, py = one(case), peer(case, name)
        if not rust or not py:
            continue
        ratio = py["median_us"] / rust["median_us"]
        tgt = f">= {target}x" if target else "(none)"
        v = verdict(ratio >= target) if target else "-"
        same = check_fe(rust, py) if case in "ab" else check_sbm(rust, py)
        out.append(f"| {label} | {ratio:.1f}x | {tgt} | {v} | {same} |")
        rust1 = one(case, "rust1")
        if rust1:
            r1 = py["median_us"] / rust1["median_us"]
            v1 = verdict(r1 >= target) if target else "-"
            out.append(f"| {label}, robocarb on 1 thread | {r1:.1f}x | {tgt} | {v1} | |")
    return out + [""]


def pipeline_section(pipe) -> list[str]:
    out = ["### End to end (`bench/pipeline.sh`; the targets are for the release CLI, see the binary column)", ""]
    if not pipe:
        return out + ["Not run yet.", ""]
    targets = {
        "default_cold": ("wall_s", 10.0, "< 10 s"),
        "noop_run": ("median_ms", 100.0, "< 100 ms"),
        "status": ("median_ms", 100.0, "< 100 ms"),
        "county_2850_cold": ("wall_s", 120.0, "< 2 min and < 4 GiB"),
        "years_30_cold": ("wall_s", None, "(recorded)"),
    }
    out += ["| case | figure | peak RSS | target | verdict | load before | binary |", "|---|---|---|---|---|---|---|"]
    for r in pipe["rows"]:
        key, lim, label = targets.get(r["case"], ("wall_s", None, ""))
        if "wall_s" in r:
            fig = f"{r['wall_s']:.2f} s wall"
            rss = f"{r['peak_rss_mib']:.0f} MiB"
        else:
            fig = f"median {r['median_ms']:.1f} ms (min {r['min_ms']:.1f}, max {r['max_ms']:.1f}; {r['runs']} runs, {r['tool']})"
            rss = ""
        ok = None
        if lim is not None:
            ok = r[key] < lim
            if r["case"] == "county_2850_cold":
                ok = ok and r["peak_rss_mib"] < 4096
        v = verdict(ok) if ok is not None else "-"
        out.append(f"| {r['case']} | {fig} | {rss} | {label} | {v} | {r['load_before']} | {r.get('binary', '')} |")
    return out + [""]


def cargo_section() -> list[str]:
    p = RES / "cargo_bench.txt"
    out = ["### In-process benches (`cargo bench --workspace`)", ""]
    if not p.exists():
        return out + ["Not run yet.", ""]
    # Keep divan's tables; drop the libtest lines of the crates' unit tests (ignored under bench).
    noise = re.compile(r"^(running \d+ tests?|test .*|test result: .*)$")
    lines = [line for line in p.read_text().splitlines() if not noise.match(line)]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    out += ["```text", text, "```", ""]
    return out


def main():
    m = machine()
    (RES / "machine.json").write_text(json.dumps(m, indent=2))
    lines = [
        BEGIN,
        "",
        f"Machine: {m['cpu']}, nproc {m['nproc']}, {m['memory']} RAM, Linux {m['kernel']}, {m['rustc']}; "
        f"load when this section was written: {' '.join(m['load_now'])} (1/5/15 min).",
        "",
    ]
    lines += pipeline_section(load("pipeline.json"))
    lines += peers_section(load("peers.json"))
    lines += cargo_section()
    lines.append(END)
    doc = DOC.read_text() if DOC.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    pre, _, rest = doc.partition(BEGIN)
    _, _, post = rest.partition(END)
    DOC.write_text(pre + "\n".join(lines) + post)


if __name__ == "__main__":
    main()
