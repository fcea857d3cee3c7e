"""Golden numbers for the radial Malmquist index of robocarb-dea (src/radial.rs).

Writes ../tests/golden/radial_golden.json, read by tests/golden_radial.rs. Data sets: the textbook
example and the 50-unit x 3-period random panel of make_golden.py (same generator, same seed),
desirable outputs only (the radial index has no undesirable outputs; the bad-output columns are
dropped). Two independent sources:

* DEAPack (PyPI ``DEAPack``):
  - ``MalmquistProductivityIndex`` (adjacent-period geometric index, Farrell efficiency form):
    input and output orientation x CRS and VRS; per transition the four distances (from the
    diagnostics frame, so a distance is compared even when another one of the same transition is
    infeasible), their solver status, and productivity, efficiency and technical change;
  - ``FGNZEnhancedMalmquistProductivityIndex`` (output, CRS core + own-period VRS): PEC and the
    FGNZ scale change;
  - ``RayDesliMalmquistProductivityIndex`` (output): PEC, VRS technical change, Ray-Desli scale
    change (null when a VRS cross-period program is infeasible).
* hand-written scipy/HiGHS envelopment LPs of the radial programs on the raw data (below), with
  an own implementation of the index and of both decompositions, in both orientations.

Run in the venv of make_golden.py (versions pinned in requirements.txt):  .venv/bin/python make_golden_radial.py
"""

from __future__ import annotations

import json
import math
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_golden import random_panel, round_floats, textbook, to_frame  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "tests" / "golden" / "radial_golden.json"
HIGHS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
ROLES = ["base_on_base", "comparison_on_base", "base_on_comparison", "comparison_on_comparison"]


def desirable_only(periods):
    return [{"inputs": p["inputs"], "good": p["good"]} for p in periods]


# ----------------------------------------------------------------------------------------------
# Hand-written radial LPs (scipy / HiGHS)
# ----------------------------------------------------------------------------------------------


def radial(xo, yo, X, Y, orientation, vrs):
    """Farrell efficiency of (xo, yo) against the technology of (X, Y); None if infeasible.

    Variables [lambda (n), factor]. Input: min theta s.t. X'l <= theta xo, Y'l >= yo.
    Output: max phi s.t. X'l <= xo, Y'l >= phi yo; efficiency 1/phi. VRS: sum l = 1.
    """
    n, m = X.shape
    s = Y.shape[1]
    nv = n + 1
    c = np.zeros(nv)
    a_ub, b_ub = [], []
    if orientation == "input":
        c[-1] = 1.0
        for i in range(m):
            r = np.zeros(nv)
            r[:n] = X[:, i]
            r[-1] = -xo[i]
            a_ub.append(r), b_ub.append(0.0)
        for k in range(s):
            r = np.zeros(nv)
            r[:n] = -Y[:, k]
            a_ub.append(r), b_ub.append(-yo[k])
    else:
        c[-1] = -1.0
        for i in range(m):
            r = np.zeros(nv)
            r[:n] = X[:, i]
            a_ub.append(r), b_ub.append(xo[i])
        for k in range(s):
            r = np.zeros(nv)
            r[:n] = -Y[:, k]
            r[-1] = yo[k]
            a_ub.append(r), b_ub.append(0.0)
    kw = {}
    if vrs:
        r = np.zeros(nv)
        r[:n] = 1.0
        kw = {"A_eq": r[None, :], "b_eq": [1.0]}
    res = linprog(c, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=(0, None), method="highs", options=HIGHS, **kw)
    if res.status == 2:
        return None
    assert res.status == 0, res.message
    factor = float(res.x[-1])
    return factor if orientation == "input" else 1.0 / factor


def malmquist_oracle(periods, orientation, vrs):
    """Distances [own, cross] and [M, EC, TC] per transition and unit."""
    data = [(np.asarray(p["inputs"], float), np.asarray(p["good"], float)) for p in periods]
    T, n = len(data), data[0][0].shape[0]

    def dist(s, t, j):
        X, Y = data[s]
        return radial(data[t][0][j], data[t][1][j], X, Y, orientation, vrs)

    own = [[dist(t, t, j) for j in range(n)] for t in range(T)]
    cross01 = [[dist(t - 1, t, j) for j in range(n)] for t in range(1, T)]
    cross10 = [[dist(t, t - 1, j) for j in range(n)] for t in range(1, T)]
    pairs = []
    for t in range(1, T):
        row = []
        for j in range(n):
            a00, a01, a10, a11 = own[t - 1][j], cross01[t - 1][j], cross10[t - 1][j], own[t][j]
            if None in (a00, a01, a10, a11):
                row.append(None)
                continue
            m = math.sqrt((a01 / a00) * (a11 / a10))
            ec = a11 / a00
            tc = math.sqrt((a01 / a11) * (a00 / a10))
            row.append([m, ec, tc])
        pairs.append(row)
    return {"own": own, "cross_f0_d1": cross01, "cross_f1_d0": cross10, "pairs": pairs}


def decomposition_oracle(crs, vrs):
    """[PEC, SEC, TC_vrs, SC_rd] per transition and unit from the CRS and VRS oracles."""
    out = []
    for p in range(len(crs["pairs"])):
        row = []
        for j in range(len(crs["pairs"][p])):
            c = [crs["own"][p][j], crs["cross_f0_d1"][p][j], crs["cross_f1_d0"][p][j], crs["own"][p + 1][j]]
            v = [vrs["own"][p][j], vrs["cross_f0_d1"][p][j], vrs["cross_f1_d0"][p][j], vrs["own"][p + 1][j]]
            pec = v[3] / v[0]
            sec = (c[3] / v[3]) / (c[0] / v[0])
            if None in v:
                tc_vrs, sc = None, None
            else:
                tc_vrs = math.sqrt((v[0] / v[2]) * (v[1] / v[3]))
                s = [ci / vi for ci, vi in zip(c, v)]
                sc = math.sqrt((s[1] / s[0]) * (s[3] / s[2]))
            row.append([pec, sec, tc_vrs, sc])
        out.append(row)
    return out


# ----------------------------------------------------------------------------------------------
# DEAPack
# ----------------------------------------------------------------------------------------------


def deapack_data(periods):
    import deapack as dp

    frame = to_frame(periods, with_bad=False)
    xs = [c for c in frame.columns if c.startswith("x")]
    ys = [c for c in frame.columns if c.startswith("y")]
    return dp.DEAData.from_frame(frame, inputs=xs, outputs=ys, dmu="dmu", period="period")


def num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v) else float(v)


def deapack_cases(name, periods):
    import deapack as dp

    data = deapack_data(periods)
    T = len(periods)
    src = f"DEAPack {version('DEAPack')}"
    cases = []
    for orientation in ["input", "output"]:
        for rts in ["crs", "vrs"]:
            res = dp.MalmquistProductivityIndex(orientation=orientation, returns_to_scale=rts).fit(data)
            s = res.summary_frame.sort_values(["comparison_period", "dmu_id"])
            d = res.diagnostics
            distances, statuses, pairs = [], [], []
            for t in range(1, T):
                st = s[s["comparison_period"] == t]
                dt = d[d["comparison_period"] == t]
                drow, srow, prow = [], [], []
                for _, r in st.iterrows():
                    du = dt[dt["dmu_id"] == r["dmu_id"]].set_index("distance_role")
                    drow.append([num(du.loc[role, "farrell_efficiency"]) if bool(du.loc[role, "score_valid"]) else None for role in ROLES])
                    srow.append([str(du.loc[role, "solver_status"]) for role in ROLES])
                    prow.append(
                        [float(r["productivity_change"]), float(r["efficiency_change"]), float(r["technical_change"])]
                        if bool(r["score_valid"])
                        else None
                    )
                distances.append(drow)
                statuses.append(srow)
                pairs.append(prow)
            cases.append(
                {
                    "dataset": name,
                    "source": f"{src} MalmquistProductivityIndex",
                    "model": "radial_malmquist",
                    "orientation": orientation,
                    "returns": rts,
                    "distances": distances,
                    "statuses": statuses,
                    "pairs": pairs,
                }
            )
    # FGNZ enhanced (output, CRS core + own VRS) and Ray-Desli (output).
    fg = dp.FGNZEnhancedMalmquist().fit(data).summary_frame.sort_values(["comparison_period", "dmu_id"])
    rd = dp.RayDesliMalmquist().fit(data).summary_frame.sort_values(["comparison_period", "dmu_id"])
    decomposition = []
    for t in range(1, T):
        f_t = fg[fg["comparison_period"] == t]
        r_t = rd[rd["comparison_period"] == t]
        row = []
        for (_, a), (_, b) in zip(f_t.iterrows(), r_t.iterrows()):
            assert a["dmu_id"] == b["dmu_id"]
            row.append(
                {
                    "m": num(a["productivity_change"]),
                    "ec": num(a["efficiency_change"]),
                    "tc": num(a["technical_change"]),
                    "pec": num(a["pure_efficiency_change"]),
                    "sec": num(a["fgnz_scale_change"]),
                    "rd_m": num(b["productivity_change"]),
                    "rd_pec": num(b["pure_efficiency_change"]),
                    "vrs_tc": num(b["vrs_technical_change"]),
                    "rd_sc": num(b["ray_desli_scale_change"]),
                    "rd_status": str(b["decomposition_status"]),
                }
            )
        decomposition.append(row)
    cases.append(
        {
            "dataset": name,
            "source": f"{src} FGNZEnhancedMalmquist + RayDesliMalmquist",
            "model": "radial_decomposition",
            "orientation": "output",
            "pairs": decomposition,
        }
    )
    return cases


def main() -> None:
    datasets = {
        "textbook": desirable_only(textbook()),
        "random50x3": desirable_only(random_panel(seed=5003, n=50, periods=3, m=3, s1=1, s2=3)),
    }
    cases = []
    for name, periods in datasets.items():
        print(name, file=sys.stderr)
        for orientation in ["input", "output"]:
            oracles = {}
            for rts in ["crs", "vrs"]:
                oracles[rts] = malmquist_oracle(periods, orientation, rts == "vrs")
                cases.append(
                    {
                        "dataset": name,
                        "source": "scipy-highs hand-written LP",
                        "model": "radial_malmquist_highs",
                        "orientation": orientation,
                        "returns": rts,
                        **oracles[rts],
                    }
                )
            cases.append(
                {
                    "dataset": name,
                    "source": "scipy-highs hand-written LP",
                    "model": "radial_decomposition_highs",
                    "orientation": orientation,
                    "pairs": decomposition_oracle(oracles["crs"], oracles["vrs"]),
                }
            )
        cases.extend(deapack_cases(name, periods))
    meta = {
        "generator": "crates/dea/oracles/make_golden_radial.py",
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": version("scipy"),
        "pandas": pd.__version__,
        "deapack": version("DEAPack"),
        "distance": "Farrell efficiency: input theta*, output 1/phi*",
        "roles": ROLES,
        "role_meaning": "base_on_base = E^t(t), comparison_on_base = E^t(t+1), "
        "base_on_comparison = E^{t+1}(t), comparison_on_comparison = E^{t+1}(t+1)",
        "pairs_format": "[M, EC, TC] or null (highs and DEAPack Malmquist); "
        "decomposition_highs: [PEC, SEC, TC_vrs or null, SC_rd or null]",
        "rounding": "results rounded to 12 significant digits",
    }
    cases = round_floats(cases)
    OUT.write_text(json.dumps({"meta": meta, "datasets": datasets, "cases": cases}, separators=(",", ":")))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
