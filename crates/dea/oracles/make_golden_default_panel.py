"""Golden numbers on the study's DEFAULT panel (the synthetic twin's DEA inputs, 274 cities x 14
years): writes ../tests/golden/default_panel_golden.json (SBM scores, Malmquist-Luenberger) and
../tests/golden/default_panel_radial_{highs,deapack}_golden.json (radial Malmquist), read by
tests/golden_default_panel.rs.

Data: ../tests/golden/default_dea_inputs.csv (columns city_code, year, labour, capital, energy,
gdp_real, so2, dust, wastewater; inputs labour, capital, energy; good output gdp_real; bad outputs
so2, dust, wastewater), parsed exactly as stored (no rounding). Units are ordered by city_code in
every year. The zero-data rule of the pipeline (every zero of a variable -> min(positive values of
that variable over the whole panel) / 100) is applied first; the default data have no zero, so
the rule is a no-op there (the count is stored in the JSON and checked by the test).

Independent sources:

* the hand-written scipy/HiGHS LPs of make_golden.py (plain and super SBM with undesirable
  outputs, own implementation of the scoring rule and the ML formulas; data in power-of-two
  units per variable, see load_panel), VRS:
  - contemporaneous frontier: own scores of all 14 years, both cross-period scores and the full
    Malmquist-Luenberger index (ML, TE, TC, TP) of all 13 adjacent pairs;
  - sequential frontier: the same (own, cross, index);
  - global frontier (all 3,836 observations pooled): global scores of every observation (or of
    the subset given by --global-units) against the full pooled reference set, and GML, TE, BPC,
    TP where both global scores are present.
* the hand-written HiGHS radial LPs of make_golden_radial.py on the desirable-output part of the
  panel (labour, capital, energy -> gdp_real): radial Malmquist index (four distances, M, EC, TC)
  in both orientations under CRS and VRS, and the PEC/SEC and Ray-Desli decompositions.
* DEAPack UndesirableSlacksBasedDEA (plain SBM with undesirable outputs, VRS, contemporaneous)
  for the years given by --deapack-years (default: all 14; about 5 s per year of 274 LPs here).
* DEAPack's radial Malmquist classes on the desirable-output part (raw data):
  MalmquistProductivityIndex in both orientations x CRS and VRS (four distances with statuses,
  M, EC, TC), FGNZEnhancedMalmquist and RayDesliMalmquist (output orientation).

Each part is written to a parts directory (default .parts/ beside this script, not in git) so the slow
parts can run in parallel background processes; `combine` assembles the golden file from the
parts that exist.

Run (versions pinned in requirements.txt):
    .venv/bin/python make_golden_default_panel.py all      (the venv of make_golden.py)
or part by part:
    ... contemporaneous | sequential | global [--global-units K] | radial | deapack [--deapack-years 2006 2019] | deapack-radial
    ... combine
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_golden import EFF_TOL, ml_oracle, round_floats  # noqa: E402

HERE = Path(__file__).resolve().parent
CSV = HERE.parent / "tests" / "golden" / "default_dea_inputs.csv"
OUT = HERE.parent / "tests" / "golden" / "default_panel_golden.json"
OUT_RADIAL_HIGHS = HERE.parent / "tests" / "golden" / "default_panel_radial_highs_golden.json"
OUT_RADIAL_DEAPACK = HERE.parent / "tests" / "golden" / "default_panel_radial_deapack_golden.json"
INPUTS = ["labour", "capital", "energy"]
GOOD = ["gdp_real"]
BAD = ["so2", "dust", "wastewater"]


def load_panel(scaled: bool = False):
    """Periods as dicts of lists (unit order: sorted city_code), after the zero-data rule."""
    frame = pd.read_csv(CSV)
    frame = frame.sort_values(["year", "city_code"]).reset_index(drop=True)
    years = sorted(frame["year"].unique().tolist())
    cities = sorted(frame["city_code"].unique().tolist())
    for y in years:
        got = frame.loc[frame["year"] == y, "city_code"].tolist()
        assert got == cities, f"year {y}: unbalanced panel"
    zero_counts = {}
    for col in INPUTS + GOOD + BAD:
        vals = frame[col].to_numpy()
        zeros = vals == 0.0
        zero_counts[col] = int(zeros.sum())
        if zeros.any():
            positive = vals[vals > 0.0]
            frame.loc[zeros, col] = positive.min() / 100.0
    # Power-of-two units per variable (exact in floating point, so the programs are the raw
    # data's programs in other units and every score is unchanged): the raw magnitudes span
    # 1e2 (labour) to 1e10 (capital), which HiGHS at 1e-10 tolerances cannot solve reliably.
    if scaled:
        for col in INPUTS + GOOD + BAD:
            frame[col] = frame[col] / 2.0 ** round(math.log2(frame[col].mean()))
    periods = []
    for y in years:
        f = frame[frame["year"] == y]
        periods.append(
            {
                "inputs": f[INPUTS].to_numpy().tolist(),
                "good": f[GOOD].to_numpy().tolist(),
                "bad": f[BAD].to_numpy().tolist(),
            }
        )
    return years, cities, periods, zero_counts


def parts_dir(args) -> Path:
    p = Path(args.parts)
    p.mkdir(parents=True, exist_ok=True)
    return p


def write_part(args, name, obj):
    path = parts_dir(args) / f"{name}.json"
    path.write_text(json.dumps(round_floats(obj), separators=(",", ":")))
    print(f"wrote part {path}", file=sys.stderr)


def run_highs(args, frontier):
    _, _, periods, _ = load_panel(scaled=True)
    t0 = time.time()
    if frontier == "global" and args.global_units is not None:
        out = global_subset(periods, args.global_units)
    else:
        out = ml_oracle(periods, True, frontier)
    elapsed = time.time() - t0
    write_part(
        args,
        f"highs_{frontier}",
        {
            "source": "scipy-highs hand-written LP",
            "model": "ml",
            "returns": "vrs",
            "frontier": frontier,
            "seconds": elapsed,
            **out,
        },
    )


def global_subset(periods, k):
    """Global scores of the first k units of every period against the FULL pooled reference set,
    plus contemporaneous own scores, and GML/TE/BPC/TP for those units."""
    from make_golden import arrays, score, stack

    T = len(periods)
    n = len(periods[0]["inputs"])
    data = [arrays(p) for p in periods]
    ref = stack(periods, list(range(T)))
    own_ref = [stack(periods, [t]) for t in range(T)]
    units = list(range(min(k, n)))
    own, glob = [], []
    for t in range(T):
        own.append([score(tuple(a[j] for a in data[t]), own_ref[t], j, True) for j in units])
        glob.append([score(tuple(a[j] for a in data[t]), ref, t * n + j, True) for j in units])
    pairs = []
    for t in range(1, T):
        row = []
        for u in range(len(units)):
            a00, a11 = own[t - 1][u][0], own[t][u][0]
            g0, g1 = glob[t - 1][u][0], glob[t][u][0]
            if None in (a00, a11, g0, g1):
                row.append(None)
                continue
            te = a11 / a00
            tc = (g1 / a11) / (g0 / a00)
            row.append([g1 / g0, te, tc, tc / te])
        pairs.append(row)
    return {"units": units, "own": own, "global": glob, "pairs": pairs}


def run_radial(args):
    """Radial Malmquist (desirable outputs only: labour, capital, energy -> gdp_real) by the
    hand-written HiGHS LPs of make_golden_radial.py: both orientations x CRS and VRS, plus both
    VRS decompositions."""
    from make_golden_radial import decomposition_oracle, malmquist_oracle

    _, _, periods, _ = load_panel(scaled=True)
    good_only = [{"inputs": p["inputs"], "good": p["good"]} for p in periods]
    t0 = time.time()
    cases = []
    for orientation in ["input", "output"]:
        oracles = {}
        for rts in ["crs", "vrs"]:
            oracles[rts] = malmquist_oracle(good_only, orientation, rts == "vrs")
            cases.append(
                {
                    "source": "scipy-highs hand-written LP",
                    "model": "radial_malmquist_highs",
                    "orientation": orientation,
                    "returns": rts,
                    **oracles[rts],
                }
            )
        cases.append(
            {
                "source": "scipy-highs hand-written LP",
                "model": "radial_decomposition_highs",
                "orientation": orientation,
                "pairs": decomposition_oracle(oracles["crs"], oracles["vrs"]),
            }
        )
    write_part(args, "highs_radial", {"seconds": time.time() - t0, "cases": cases})


def run_deapack_radial(args):
    """DEAPack's radial Malmquist classes on the desirable-output part of the panel (raw data):
    MalmquistProductivityIndex (both orientations x CRS and VRS), FGNZEnhancedMalmquist and
    RayDesliMalmquist (output orientation)."""
    from make_golden_radial import deapack_cases

    _, _, periods, _ = load_panel()
    good_only = [{"inputs": p["inputs"], "good": p["good"]} for p in periods]
    t0 = time.time()
    cases = deapack_cases("default", good_only)
    for c in cases:
        del c["dataset"]
        for row in c.get("statuses", []):
            for unit in row:
                bad = [st for st in unit if st not in ("optimal", "infeasible")]
                assert not bad, f"DEAPack distance status {bad}"
    write_part(args, "deapack_radial", {"seconds": time.time() - t0, "cases": cases})


def run_deapack(args):
    import deapack as dp

    years, cities, periods, _ = load_panel()
    for y in args.deapack_years:
        t = years.index(y)
        p = periods[t]
        rows = []
        for j in range(len(cities)):
            r = {"dmu": f"c{cities[j]}", "period": 0}
            for i, v in enumerate(p["inputs"][j]):
                r[f"x{i}"] = v
            for i, v in enumerate(p["good"][j]):
                r[f"y{i}"] = v
            for i, v in enumerate(p["bad"][j]):
                r[f"b{i}"] = v
            rows.append(r)
        frame = pd.DataFrame(rows)
        xs = [c for c in frame.columns if c.startswith("x")]
        ys = [c for c in frame.columns if c.startswith("y")]
        bs = [c for c in frame.columns if c.startswith("b")]
        data = dp.DEAData.from_frame(frame, inputs=xs, outputs=ys, bad_outputs=bs, dmu="dmu")
        t0 = time.time()
        res = dp.UndesirableSlacksBasedDEA(returns_to_scale="vrs").fit(data)
        elapsed = time.time() - t0
        s = res.summary_frame.sort_values("dmu_id")
        assert list(s["dmu_id"]) == [f"c{c}" for c in cities]
        vals = [float(v) if ok else None for v, ok in zip(s["score"], s["score_valid"])]
        write_part(
            args,
            f"deapack_{y}",
            {
                "source": f"DEAPack {version('DEAPack')} UndesirableSlacksBasedDEA",
                "model": "sbm_plain",
                "returns": "vrs",
                "frontier": "contemporaneous",
                "year": y,
                "period_index": t,
                "seconds": elapsed,
                "scores": vals,
            },
        )
        print(f"DEAPack year {y}: {elapsed:.1f} s", file=sys.stderr)


def compact_statuses(case):
    """DEAPack distance statuses as one string per unit ('o' optimal, 'i' infeasible, in the
    order of ROLES), to keep the file small."""
    if "statuses" in case:
        code = {"optimal": "o", "infeasible": "i"}
        case["statuses"] = [["".join(code[st] for st in unit) for unit in row] for row in case["statuses"]]
    return case


def combine(args):
    years, cities, _, zero_counts = load_panel()
    parts = parts_dir(args)
    meta = {
        "generator": "crates/dea/oracles/make_golden_default_panel.py",
        "data": "tests/golden/default_dea_inputs.csv",
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": version("scipy"),
        "pandas": pd.__version__,
        "deapack": version("DEAPack"),
        "efficient_tol": EFF_TOL,
        "years": years,
        "cities": cities,
        "zero_counts": zero_counts,
        "rounding": "results rounded to 12 significant digits",
    }
    # File 1: SBM / super-SBM scores and the Malmquist-Luenberger index.
    cases = []
    for name in ["highs_contemporaneous", "highs_sequential", "highs_global"]:
        path = parts / f"{name}.json"
        if path.exists():
            cases.append(json.loads(path.read_text()))
        else:
            print(f"missing part {name}", file=sys.stderr)
    for path in sorted(parts.glob("deapack_*.json")):
        if path.name != "deapack_radial.json":
            cases.append(json.loads(path.read_text()))
    sbm_meta = {
        **meta,
        "score_format": "[value or null, 'plain'|'super']",
        "pairs_format": "[ML, TE, TC, TP] or null when a needed score is infeasible",
    }
    OUT.write_text(json.dumps({"meta": sbm_meta, "cases": cases}, separators=(",", ":")))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes), {len(cases)} cases", file=sys.stderr)
    # Files 2 and 3: the radial Malmquist index of the desirable-output part (HiGHS, DEAPack;
    # two files keep each below 3 MB).
    radial_meta = {
        **meta,
        "distance": "Farrell efficiency: input theta*, output 1/phi*",
        "roles": ["base_on_base", "comparison_on_base", "base_on_comparison", "comparison_on_comparison"],
        "statuses_format": "one string per unit, one letter per role: o = optimal, i = infeasible",
        "pairs_format": "[M, EC, TC] or null; radial_decomposition_highs: [PEC, SEC, TC_vrs, SC_rd]",
    }
    for name, out in [("highs_radial", OUT_RADIAL_HIGHS), ("deapack_radial", OUT_RADIAL_DEAPACK)]:
        path = parts / f"{name}.json"
        if not path.exists():
            print(f"missing part {name}", file=sys.stderr)
            continue
        cases = [compact_statuses(c) for c in json.loads(path.read_text())["cases"]]
        out.write_text(json.dumps({"meta": radial_meta, "cases": cases}, separators=(",", ":")))
        print(f"wrote {out} ({out.stat().st_size} bytes), {len(cases)} cases", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["all", "contemporaneous", "sequential", "global", "radial", "deapack", "deapack-radial", "combine"])
    ap.add_argument("--parts", default=str(HERE / ".parts"))
    ap.add_argument("--global-units", type=int, default=None)
    ap.add_argument("--deapack-years", type=int, nargs="*", default=list(range(2006, 2020)))
    args = ap.parse_args()
    if args.what in ("contemporaneous", "sequential", "global"):
        run_highs(args, args.what)
    elif args.what == "radial":
        run_radial(args)
    elif args.what == "deapack":
        run_deapack(args)
    elif args.what == "deapack-radial":
        run_deapack_radial(args)
    elif args.what == "combine":
        combine(args)
    else:
        for fr in ["contemporaneous", "sequential", "global"]:
            run_highs(args, fr)
        run_radial(args)
        run_deapack(args)
        run_deapack_radial(args)
        combine(args)


if __name__ == "__main__":
    main()
