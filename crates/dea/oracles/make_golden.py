"""Golden numbers for robocarb-dea from independent implementations.

Writes ../tests/golden/dea_golden.json (datasets and expected results) so the Rust tests need no
Python. Two independent sources:

* a hand-written LP of each program in scipy (HiGHS, ``linprog(method="highs")``), formulated
  directly from METHODS.md section 3 on the raw (unnormalised) data, with its own implementation
  of the scoring rule and of the Malmquist-Luenberger formulas;
* DEAPack (PyPI ``DEAPack``): ``UndesirableSlacksBasedDEA`` (Tone 2004 SBM with undesirable
  outputs; CRS and VRS; contemporaneous and global reference sets) and ``ToneSuperSBM`` (Tone 2002
  super-SBM, desirable outputs only; CRS and VRS).

Run in a venv with requirements.txt installed (python3 -m venv .venv && .venv/bin/pip install -r
requirements.txt):  .venv/bin/python make_golden.py
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

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "tests" / "golden" / "dea_golden.json"
HIGHS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
EFF_TOL = 1e-9

# ----------------------------------------------------------------------------------------------
# Data sets
# ----------------------------------------------------------------------------------------------


def textbook() -> list[dict]:
    """5 units, 2 inputs, 1 good, 1 bad output, 2 periods (worked by hand in tests/golden.rs)."""
    p0 = {
        "inputs": [[2, 2], [4, 1], [1, 4], [4, 4], [3, 2]],
        "good": [[1], [1], [1], [1], [1]],
        "bad": [[1], [1], [1], [2], [1]],
    }
    p1 = {
        "inputs": [[2, 2], [3, 1], [1, 3], [4, 4], [2, 2]],
        "good": [[2], [1], [1], [1], [1]],
        "bad": [[1], [1], [1], [2], [1]],
    }
    return [p0, p1]


def random_panel(seed: int, n: int, periods: int, m: int, s1: int, s2: int) -> list[dict]:
    """Lognormal city-like panel: a size factor per unit, productivity drifting over time.

    Values are rounded to 3 decimals (at least 0.1) so the JSON holds exactly the data used.
    """
    rng = np.random.default_rng(seed)
    size = rng.lognormal(mean=3.0, sigma=0.8, size=n)
    out = []
    for t in range(periods):
        tfp = 1.0 + 0.03 * t
        x = size[:, None] * rng.lognormal(0.0, 0.35, size=(n, m))
        y = tfp * size[:, None] * rng.lognormal(0.0, 0.35, size=(n, s1))
        b = size[:, None] * rng.lognormal(-0.02 * t, 0.45, size=(n, s2))
        fix = lambda a: np.maximum(np.round(a, 3), 0.1)  # noqa: E731
        out.append({"inputs": fix(x).tolist(), "good": fix(y).tolist(), "bad": fix(b).tolist()})
    return out


# ----------------------------------------------------------------------------------------------
# Hand-written LPs (scipy / HiGHS), straight from METHODS.md section 3, raw data
# ----------------------------------------------------------------------------------------------


def arrays(period: dict):
    x = np.asarray(period["inputs"], dtype=float)
    y = np.asarray(period["good"], dtype=float)
    b = np.asarray(period["bad"], dtype=float).reshape(x.shape[0], -1)
    return x, y, b


def sbm_plain(xo, yo, bo, X, Y, B, vrs):
    """Tone (2004) SBM, Charnes-Cooper form; variables [t, L(n), s-(m), sg(s1), sb(s2)].

    min t - (1/m) sum s-_i / x_io
    s.t. t + 1/(s1+s2) (sum sg_r / y_ro + sum sb_k / b_ko) = 1
         X L + s- = x_o t,  Y L - sg = y_o t,  B L + sb = b_o t,  [sum L = t]
    """
    n, m = X.shape
    s1, s2 = Y.shape[1], B.shape[1]
    nv = 1 + n + m + s1 + s2
    c = np.zeros(nv)
    c[0] = 1.0
    c[1 + n : 1 + n + m] = -1.0 / (m * xo)
    rows, rhs = [], []
    r = np.zeros(nv)
    r[0] = 1.0
    r[1 + n + m : 1 + n + m + s1] = 1.0 / ((s1 + s2) * yo)
    r[1 + n + m + s1 :] = 1.0 / ((s1 + s2) * bo)
    rows.append(r), rhs.append(1.0)
    for i in range(m):
        r = np.zeros(nv)
        r[0] = -xo[i]
        r[1 : 1 + n] = X[:, i]
        r[1 + n + i] = 1.0
        rows.append(r), rhs.append(0.0)
    for k in range(s1):
        r = np.zeros(nv)
        r[0] = -yo[k]
        r[1 : 1 + n] = Y[:, k]
        r[1 + n + m + k] = -1.0
        rows.append(r), rhs.append(0.0)
    for k in range(s2):
        r = np.zeros(nv)
        r[0] = -bo[k]
        r[1 : 1 + n] = B[:, k]
        r[1 + n + m + s1 + k] = 1.0
        rows.append(r), rhs.append(0.0)
    if vrs:
        r = np.zeros(nv)
        r[0] = -1.0
        r[1 : 1 + n] = 1.0
        rows.append(r), rhs.append(0.0)
    res = linprog(c, A_eq=np.array(rows), b_eq=np.array(rhs), bounds=(0, None), method="highs", options=HIGHS)
    if res.status == 2:
        return None
    assert res.status == 0, res.message
    return float(res.fun)


def sbm_super(xo, yo, bo, X, Y, B, vrs):
    """Super-SBM with undesirable outputs, Charnes-Cooper form; variables [t, L, s-, sg, sb].

    min t + (1/m) sum s-_i / x_io
    s.t. t - 1/(s1+s2) (sum sg_r / y_ro + sum sb_k / b_ko) = 1
         X L - s- <= x_o t,  Y L + sg >= y_o t,  B L - sb <= b_o t,  sg <= y_o t,  [sum L = t]
    """
    n, m = X.shape
    s1, s2 = Y.shape[1], B.shape[1]
    nv = 1 + n + m + s1 + s2
    if n == 0:
        return None
    c = np.zeros(nv)
    c[0] = 1.0
    c[1 + n : 1 + n + m] = 1.0 / (m * xo)
    eq, eq_rhs = [], []
    r = np.zeros(nv)
    r[0] = 1.0
    r[1 + n + m : 1 + n + m + s1] = -1.0 / ((s1 + s2) * yo)
    r[1 + n + m + s1 :] = -1.0 / ((s1 + s2) * bo)
    eq.append(r), eq_rhs.append(1.0)
    if vrs:
        r = np.zeros(nv)
        r[0] = -1.0
        r[1 : 1 + n] = 1.0
        eq.append(r), eq_rhs.append(0.0)
    ub = []
    for i in range(m):
        r = np.zeros(nv)
        r[0] = -xo[i]
        r[1 : 1 + n] = X[:, i]
        r[1 + n + i] = -1.0
        ub.append(r)
    for k in range(s1):
        r = np.zeros(nv)
        r[0] = yo[k]
        r[1 : 1 + n] = -Y[:, k]
        r[1 + n + m + k] = -1.0
        ub.append(r)
        r = np.zeros(nv)
        r[0] = -yo[k]
        r[1 + n + m + k] = 1.0
        ub.append(r)
    for k in range(s2):
        r = np.zeros(nv)
        r[0] = -bo[k]
        r[1 : 1 + n] = B[:, k]
        r[1 + n + m + s1 + k] = -1.0
        ub.append(r)
    res = linprog(
        c,
        A_ub=np.array(ub),
        b_ub=np.zeros(len(ub)),
        A_eq=np.array(eq),
        b_eq=np.array(eq_rhs),
        bounds=(0, None),
        method="highs",
        options=HIGHS,
    )
    if res.status == 2:
        return None
    assert res.status == 0, res.message
    return float(res.fun)


def score(o, ref, self_row, vrs, super_when_efficient=True):
    """The scoring rule: SBM (self kept); if infeasible or 1, super-SBM without self.

    Returns [value or None, kind] with kind 'plain' or 'super'.
    """
    xo, yo, bo = o
    X, Y, B = ref
    rho = sbm_plain(xo, yo, bo, X, Y, B, vrs)
    if not super_when_efficient or (rho is not None and rho < 1 - EFF_TOL):
        return [None if rho is None else min(rho, 1.0), "plain"]
    keep = np.ones(X.shape[0], dtype=bool)
    if self_row is not None:
        keep[self_row] = False
    sup = sbm_super(xo, yo, bo, X[keep], Y[keep], B[keep], vrs)
    if sup is not None and 1 - EFF_TOL < sup < 1:
        sup = 1.0
    return [sup, "super"]


def stack(periods, idx):
    arrs = [arrays(periods[t]) for t in idx]
    return tuple(np.vstack([a[k] for a in arrs]) for k in range(3))


def ml_oracle(periods, vrs, frontier):
    """Own scores, cross/global scores and the index, by the formulas of METHODS.md."""
    T = len(periods)
    n = len(periods[0]["inputs"])
    data = [arrays(p) for p in periods]

    def obs(t, j):
        return tuple(a[j] for a in data[t])

    def frontier_periods(s):
        if frontier == "sequential":
            return list(range(s + 1))
        return [s]

    def against(s_periods, t, j):
        ref = stack(periods, s_periods)
        self_row = s_periods.index(t) * n + j if t in s_periods else None
        return score(obs(t, j), ref, self_row, vrs)

    own = [[against(frontier_periods(t), t, j) for j in range(n)] for t in range(T)]
    out = {"own": own}
    if frontier == "global":
        glob = [[against(list(range(T)), t, j) for j in range(n)] for t in range(T)]
        out["global"] = glob
        pairs = []
        for t in range(1, T):
            row = []
            for j in range(n):
                a00, a11 = own[t - 1][j][0], own[t][j][0]
                g0, g1 = glob[t - 1][j][0], glob[t][j][0]
                if None in (a00, a11, g0, g1):
                    row.append(None)
                    continue
                ml = g1 / g0
                te = a11 / a00
                tc = (g1 / a11) / (g0 / a00)
                row.append([ml, te, tc, tc / te])
            pairs.append(row)
        out["pairs"] = pairs
        return out
    cross01, cross10, pairs = [], [], []
    for t in range(1, T):
        c01 = [against(frontier_periods(t - 1), t, j) for j in range(n)]
        c10 = [against(frontier_periods(t), t - 1, j) for j in range(n)]
        cross01.append(c01)
        cross10.append(c10)
        row = []
        for j in range(n):
            a00, a01, a10, a11 = own[t - 1][j][0], c01[j][0], c10[j][0], own[t][j][0]
            if None in (a00, a01, a10, a11):
                row.append(None)
                continue
            ml = math.sqrt((a01 / a00) * (a11 / a10))
            te = a11 / a00
            tc = math.sqrt((a01 / a11) * (a00 / a10))
            row.append([ml, te, tc, tc / te])
        pairs.append(row)
    out.update({"cross_f0_d1": cross01, "cross_f1_d0": cross10, "pairs": pairs})
    return out


# ----------------------------------------------------------------------------------------------
# DEAPack
# ----------------------------------------------------------------------------------------------


def to_frame(periods, with_bad=True):
    """Long frame for DEAPack: dmu u0000.., period, inputs x*, good outputs y*, bad outputs b*
    (left out when `with_bad` is false)."""
    rows = []
    for t, p in enumerate(periods):
        for j in range(len(p["inputs"])):
            r = {"dmu": f"u{j:04d}", "period": t}
            for i, v in enumerate(p["inputs"][j]):
                r[f"x{i}"] = v
            for i, v in enumerate(p["good"][j]):
                r[f"y{i}"] = v
            if with_bad:
                for i, v in enumerate(p["bad"][j]):
                    r[f"b{i}"] = v
            rows.append(r)
    return pd.DataFrame(rows)


def deapack_cases(name, periods):
    import deapack as dp

    frame = to_frame(periods)
    xs = [c for c in frame.columns if c.startswith("x")]
    ys = [c for c in frame.columns if c.startswith("y")]
    bs = [c for c in frame.columns if c.startswith("b")]
    data = dp.DEAData.from_frame(frame, inputs=xs, outputs=ys, bad_outputs=bs, dmu="dmu", period="period")
    cases = []
    for rts in ["crs", "vrs"]:
        for ref in ["contemporaneous", "sequential", "global"]:
            res = dp.UndesirableSlacksBasedDEA(returns_to_scale=rts, reference=ref).fit(data)
            s = res.summary_frame
            assert bool(s["score_valid"].all()), "DEAPack returned an invalid score"
            scores = s.sort_values(["period", "dmu_id"])["score"].to_numpy().reshape(len(periods), -1)
            cases.append(
                {
                    "dataset": name,
                    "source": f"DEAPack {version('DEAPack')} UndesirableSlacksBasedDEA",
                    "model": "sbm_plain",
                    "returns": rts,
                    "frontier": ref,
                    "scores": scores.tolist(),
                }
            )
    # Tone (2002) super-SBM, desirable outputs only (the bad outputs are dropped), period 0.
    frame0 = frame[frame["period"] == 0]
    data0 = dp.DEAData.from_frame(frame0, inputs=xs, outputs=ys, dmu="dmu")
    for rts in ["crs", "vrs"]:
        res = dp.ToneSuperSBM(returns_to_scale=rts).fit(data0)
        s = res.summary_frame.sort_values("dmu_id")
        vals = [float(v) if ok else None for v, ok in zip(s["score"], s["score_valid"])]
        eff = [bool(e) for e in s["is_sbm_efficient"]] if "is_sbm_efficient" in s else None
        cases.append(
            {
                "dataset": name,
                "source": f"DEAPack {version('DEAPack')} ToneSuperSBM",
                "model": "super_sbm_desirable_only",
                "returns": rts,
                "frontier": "period0",
                "scores": vals,
                "sbm_efficient": eff,
            }
        )
    return cases


# ----------------------------------------------------------------------------------------------


def round_floats(obj):
    if isinstance(obj, float):
        return float(f"{obj:.12g}")
    if isinstance(obj, list):
        return [round_floats(v) for v in obj]
    if isinstance(obj, dict):
        return {k: round_floats(v) for k, v in obj.items()}
    return obj


def main() -> None:
    datasets = {
        "textbook": textbook(),
        "random50x3": random_panel(seed=5003, n=50, periods=3, m=3, s1=1, s2=3),
        "panel274x14": random_panel(seed=27414, n=274, periods=14, m=3, s1=1, s2=3),
    }
    cases = []
    for name in ["textbook", "random50x3"]:
        for rts in ["crs", "vrs"]:
            for fr in ["contemporaneous", "sequential", "global"]:
                print(name, rts, fr, file=sys.stderr)
                cases.append(
                    {
                        "dataset": name,
                        "source": "scipy-highs hand-written LP",
                        "model": "ml",
                        "returns": rts,
                        "frontier": fr,
                        **ml_oracle(datasets[name], rts == "vrs", fr),
                    }
                )
        cases.extend(deapack_cases(name, datasets[name]))
    for rts in ["vrs", "crs"]:
        print(f"panel274x14 {rts} contemporaneous", file=sys.stderr)
        cases.append(
            {
                "dataset": "panel274x14",
                "source": "scipy-highs hand-written LP",
                "model": "ml",
                "returns": rts,
                "frontier": "contemporaneous",
                **ml_oracle(datasets["panel274x14"], rts == "vrs", "contemporaneous"),
            }
        )
    meta = {
        "generator": "crates/dea/oracles/make_golden.py",
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": version("scipy"),
        "pandas": pd.__version__,
        "deapack": version("DEAPack"),
        "efficient_tol": EFF_TOL,
        "score_format": "[value or null, 'plain'|'super']",
        "rounding": "results rounded to 12 significant digits",
        "pairs_format": "[ML, TE, TC, TP] or null when a needed score is infeasible",
    }
    # Results rounded to 12 significant digits (far below the 1e-6 test tolerance) to keep the
    # file small; the data are stored exactly as used (3 decimals).
    cases = round_floats(cases)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"meta": meta, "datasets": datasets, "cases": cases}, separators=(",", ":")))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
