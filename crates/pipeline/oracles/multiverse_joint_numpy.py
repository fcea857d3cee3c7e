#!/usr/bin/env python3
"""Independent oracle of a multiverse's whole joint test (Simonsohn, Simmons and Nelson 2020):
the full-sample fits, the null refits of every specification on the same cluster-bootstrap draws,
and the three statistics with their p-values. Written from docs/multiverse.md ("The joint test"),
the module doc of crates/estimate/src/refit.rs (what a draw means) and that of
crates/estimate/src/spec_curve.rs (the statistics), not from the Rust code.

The multiverse is `joint_small` (`JOINT`) of tests/tests/multiverse_e2e.rs (keep the two in step): two-way fixed
effects (city + year) of the ROBOT coefficient, outcome {CARBON, CARBON_I} x controls {all, none,
-GDP} x VCE {city clusters, province clusters} x sample {resource_based == 0, all}, the full sample
only with CARBON and all controls: 14 specifications, B = 30 null draws.

Inputs (both written by `UPDATE_GOLDEN=1 cargo test -p robocarb-tests --test multiverse_e2e`):
  crates/pipeline/tests/golden/multiverse_panel_w01.csv     the `panel` node (the data node)
  crates/pipeline/tests/golden/multiverse_joint_draws.json  the draws the pipeline makes from the
      seed (ChaCha8, which this script does not reproduce): B lists of G city positions drawn with
      replacement, position k = the k-th smallest city_code of the data node (all its cities,
      whatever a specification's sample).
Output: crates/pipeline/tests/golden/multiverse_joint_numpy.json, read by the same test.

What is computed, per specification (its rows: the sample filter on the panel):
  * the full-sample fit b, se, p (checked here against pyfixest to 1e-8);
  * y* = y - b x (the null imposed with the oracle's own b);
  * per draw: the drawn cities' rows stacked, one block per drawn position j (a city drawn m times
    gives m blocks); a drawn city outside the sample gives no rows. Each block is its own city
    (city FE id j) and, with city clusters, its own cluster (id j); province clusters keep the
    province. Singletons are dropped iteratively (none occur on this balanced panel). The fit is
    least squares on the regressors and explicit city and year dummies (no constant: it is in
    the dummies), solved by Frisch-Waugh-Lovell (everything projected off the dummies' span with
    numpy's QR, then the slopes by lstsq); the cluster-robust variance of the focus coefficient is
    q sum_g (sum_{i in g} a_i u_i)^2 with a = X~ (X~'X~)^-1 e_focus (X~: the regressors
    residualised on the dummies: a' is the focus row of (Z'Z)^-1 Z', Z = [X, dummies]), u the
    residuals, q = (N-1)/(N-K) G/(G-1), K = regressors + constant + the dummies' rank of the FE
    not nested in the cluster minus one (reghdfe), G the clusters; p from Student t with G-1 df.
  * the three statistics of the observed estimates and of each draw, and the p-values
    max(k, 1)/B, doubled and capped at 1 for the headline p of the median and Stouffer (conventions of spec_curve.rs: median, even count the mean of the middle two;
    the number with p < alpha strictly in the dominant sign; the mean of
    z = sign(b) Phi^-1(1 - p/2), sign(0) = 0, p/2 floored at the smallest normal double;
    k counts draws with s m_b >= |m_obs|, count_b >= count_obs, s Z_b >= |Z_obs|, s = sign of the
    observed statistic; a failed refit is left out of its draw, a draw with none counts as
    extreme for the median and z and as 0 for the count).
  * margins: how far every compared quantity sits from a threshold that would change a count
    (p from alpha, b from 0, each draw's median and mean z from the observed ones). The script
    stops if one is under MIN_MARGIN (then pick another seed in the test).

Run:  python3 crates/pipeline/oracles/multiverse_joint_numpy.py
(numpy, scipy, pandas; pyfixest for the full-sample check: crates/pipeline/oracles/requirements.txt)
"""

import itertools
import json
import os
import sys
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import scipy
import scipy.stats as st

# The control sets of the labels all, none and -X (the pyfixest oracle's, beside this file).
from multiverse_pyfixest import controls

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "tests", "golden")
PANEL = "multiverse_panel_w01.csv"
DRAWS = "multiverse_joint_draws.json"
OUT = "multiverse_joint_numpy.json"
ALPHA = 0.05
TINY = np.finfo(float).tiny
MIN_MARGIN = 1e-6
EXPOSURE = "ROBOT"

DIMENSIONS = [
    ("outcome", ["CARBON", "CARBON_I"]),
    ("controls", ["all", "none", "-GDP"]),
    ("vcov", ["cluster:city", "cluster:province"]),
    ("sample", ["no_resource_based", "all"]),
]
EXCLUDE = [
    {"sample": ["all"], "outcome": ["CARBON_I"]},
    {"sample": ["all"], "controls": ["none", "-GDP"]},
]


def specifications():
    names = [d for d, _ in DIMENSIONS]
    out = []
    for combo in itertools.product(*[opts for _, opts in DIMENSIONS]):
        labels = dict(zip(names, combo))
        if any(all(labels[k] in v for k, v in e.items()) for e in EXCLUDE):
            continue
        out.append(labels)
    return out


# ----------------------------------------------------------------------------- one fit
def dense(ids):
    """Dense ids 0..L-1 of an array of labels."""
    _, inv = np.unique(ids, return_inverse=True)
    return inv.reshape(-1)


def drop_singletons(fes):
    """Rows kept after dropping singletons of every FE, iterated to the fixed point."""
    keep = np.ones(len(fes[0]), dtype=bool)
    while True:
        before = keep.sum()
        for f in fes:
            _, inv, counts = np.unique(f[keep], return_inverse=True, return_counts=True)
            single = np.zeros(len(f), dtype=bool)
            single[np.flatnonzero(keep)] = counts[inv.reshape(-1)] == 1
            keep &= ~single
        if keep.sum() == before:
            return keep


def components(a, b):
    """Connected components of the bipartite graph of the levels of a and b (dense ids)."""
    la, lb = a.max() + 1, b.max() + 1
    parent = list(range(la + lb))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, t in zip(a, b):
        ra, rb = find(int(i)), find(la + int(t))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return sum(1 for x in range(la + lb) if find(x) == x)


def nested(fe, cluster):
    """Every level of fe lies within one cluster."""
    pairs = np.unique(np.stack([fe, cluster]), axis=1)
    return len(np.unique(pairs[0])) == pairs.shape[1]


def dummies(ids, drop_first):
    levels = ids.max() + 1
    d = np.zeros((len(ids), levels))
    d[np.arange(len(ids)), ids] = 1.0
    return d[:, 1:] if drop_first else d


def fit(y, x, city, year, cluster):
    """Two-way FE (city + year) least squares with explicit dummies and a one-way cluster VCE.
    Returns b, se, p of x[:, 0] (the focus), N, G; raises on a singular design."""
    keep = drop_singletons([city, year])
    y, x, city, year, cluster = y[keep], x[keep], city[keep], year[keep], cluster[keep]
    city, year, cluster = dense(city), dense(year), dense(cluster)
    n, p = x.shape
    d = np.hstack([dummies(city, False), dummies(year, True)])
    # Least squares on [x, d] by Frisch-Waugh-Lovell: the regressors and y projected off the
    # dummies' span (Householder QR, projected twice for accuracy), then the slopes. b and the
    # residuals are those of the regression on x and the dummies together.
    qd, rd = np.linalg.qr(d)
    diag = np.abs(np.diag(rd))
    m = np.column_stack([x, y])
    if diag.min() > 1e-9 * diag.max():
        mt = m - qd @ (qd.T @ m)
        mt -= qd @ (qd.T @ mt)
    else:  # the dummies are rank deficient (more than one connected component)
        mt = m - d @ np.linalg.lstsq(d, m, rcond=None)[0]
    xt, yt = mt[:, :p], mt[:, p]
    if np.linalg.matrix_rank(xt) != p:
        raise ValueError("collinear regressors")
    coef = np.linalg.lstsq(xt, yt, rcond=None)[0]
    u = yt - xt @ coef
    a = xt @ np.linalg.solve(xt.T @ xt, np.eye(p)[:, 0])
    # K: regressors + constant + FE dummies not nested in the cluster, less the one level of
    # the counted FE that is the constant (with both counted: their dummies' rank, levels -
    # components, less one).
    counted = [f for f in (city, year) if not nested(f, cluster)]
    if len(counted) == 2:
        absorbed = city.max() + 1 + year.max() + 1 - components(city, year) - 1
    else:
        absorbed = sum(f.max() + 1 - 1 for f in counted)
    k = p + 1 + absorbed
    g = cluster.max() + 1
    if n <= k or g < 2:
        raise ValueError("no degrees of freedom")
    scores = np.bincount(cluster, weights=a * u, minlength=g)
    q = (n - 1) / (n - k) * g / (g - 1)
    b = coef[0]
    se = np.sqrt(q * np.sum(scores**2))
    pval = 2.0 * st.t.sf(abs(b / se), g - 1)
    return float(b), float(se), float(pval), int(n), int(g)


# ----------------------------------------------------------------------------- statistics
def sign(v):
    return 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)


def signed_z(b, p):
    # Phi^-1(1 - p/2) = -Phi^-1(p/2), without the cancellation of 1 - p/2.
    return -sign(b) * float(st.norm.ppf(max(p / 2.0, TINY)))


def curve_statistics(est):
    """est: list of (b, p) with None for a failed refit. None when there is no estimate."""
    est = [e for e in est if e is not None]
    if not est:
        return None
    bs = sorted(b for b, _ in est)
    m = len(bs)
    median = bs[m // 2] if m % 2 else 0.5 * (bs[m // 2 - 1] + bs[m // 2])
    pos = sum(1 for b, p in est if p < ALPHA and b > 0)
    neg = sum(1 for b, p in est if p < ALPHA and b < 0)
    return {
        "median": median,
        "n_significant": max(pos, neg),
        "dominant_sign": (pos > neg) - (pos < neg),
        "mean_z": sum(signed_z(b, p) for b, p in est) / m,
        "n_specs": m,
    }


def joint(observed, null):
    """observed: [(b, p)] per spec; null[draw] = [(b, p) or None] per spec."""
    obs = curve_statistics(observed)
    draws = [curve_statistics(row) for row in null]

    def extreme(key):
        s, o = sign(obs[key]), abs(obs[key])
        return sum(1 for d in draws if d is None or s * d[key] >= o)

    k = {
        "median": extreme("median"),
        "count": sum(1 for d in draws if (d["n_significant"] if d else 0) >= obs["n_significant"]),
        "stouffer": extreme("mean_z"),
    }
    bb = len(null)
    return {
        "observed": obs,
        "draws": bb,
        "k_median": k["median"],
        # one-sided (SSN) and the headline two-sided p (doubled, capped at 1); the count is in
        # each draw's own dominant sign, so its p is not doubled
        "p_median": min(1.0, 2.0 * max(k["median"], 1) / bb),
        "p_median_one_sided": max(k["median"], 1) / bb,
        "k_count": k["count"],
        "p_count": max(k["count"], 1) / bb,
        "k_stouffer": k["stouffer"],
        "p_stouffer": min(1.0, 2.0 * max(k["stouffer"], 1) / bb),
        "p_stouffer_one_sided": max(k["stouffer"], 1) / bb,
        "failed_refits": sum(1 for row in null for e in row if e is None),
        "null": draws,
    }


# ----------------------------------------------------------------------------- main
def check_pyfixest(d, labels, y, rhs, b, se):
    cl = {"cluster:city": "city_code", "cluster:province": "province_code"}[labels["vcov"]]
    f = pf.feols(
        f"{y} ~ {' + '.join(rhs)} | city_code + year",
        data=d.reset_index(drop=True),
        vcov={"CRV1": cl},
        ssc=pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min"),
        fixef_tol=1e-13,
    )
    for what, mine, theirs in [("b", b, f.coef()[EXPOSURE]), ("se", se, f.se()[EXPOSURE])]:
        if abs(mine - theirs) > 1e-8 * abs(theirs):
            sys.exit(f"{labels}: {what} {mine} differs from pyfixest {theirs}")


def main():
    warnings.filterwarnings("ignore")
    panel = pd.read_csv(os.path.join(GOLDEN, PANEL))
    with open(os.path.join(GOLDEN, DRAWS)) as fh:
        dj = json.load(fh)
    draws = np.array(dj["draws"], dtype=np.int64)
    universe = np.unique(panel["city_code"].to_numpy())
    if dj["units"] != len(universe) or draws.shape != (dj["reps"], len(universe)):
        sys.exit(f"{DRAWS} does not fit {PANEL}: {dj['units']} units, {len(universe)} cities")
    position = {c: k for k, c in enumerate(universe)}
    specs = []
    observed = []
    null = [[] for _ in range(len(draws))]
    margins = {"p_alpha": np.inf, "b_zero": np.inf}

    def note_p(b, se, p):
        margins["p_alpha"] = min(margins["p_alpha"], abs(p - ALPHA) / ALPHA)
        margins["b_zero"] = min(margins["b_zero"], abs(b) / se)

    for labels in specifications():
        d = panel if labels["sample"] == "all" else panel[panel["resource_based"] == 0]
        y_name = labels["outcome"]
        rhs = [EXPOSURE] + controls(labels["controls"])
        ccol = {"cluster:city": "city_code", "cluster:province": "province_code"}[labels["vcov"]]
        y = d[y_name].to_numpy(float)
        x = d[rhs].to_numpy(float)
        city = d["city_code"].to_numpy()
        year = d["year"].to_numpy()
        clus = d[ccol].to_numpy()
        b, se, p, n, g = fit(y, x, city, year, clus)
        check_pyfixest(d, labels, y_name, rhs, b, se)
        note_p(b, se, p)
        observed.append((b, p))
        ystar = y - b * x[:, 0]
        rows_of = {}
        pos = np.array([position[c] for c in city])
        for r, k in enumerate(pos):
            rows_of.setdefault(k, []).append(r)
        nb, nse, np_ = [], [], []
        for di, draw in enumerate(draws):
            blocks = [(j, rows_of[k]) for j, k in enumerate(draw) if k in rows_of]
            rows = np.concatenate([np.array(r) for _, r in blocks])
            copy = np.concatenate([np.full(len(r), j) for j, r in blocks])
            dc = copy if labels["vcov"] == "cluster:city" else clus[rows]
            try:
                rb, rse, rp, _, _ = fit(ystar[rows], x[rows], copy, year[rows], dc)
            except (ValueError, np.linalg.LinAlgError):
                null[di].append(None)
                nb.append(None), nse.append(None), np_.append(None)
                continue
            note_p(rb, rse, rp)
            null[di].append((rb, rp))
            nb.append(rb), nse.append(rse), np_.append(rp)
        specs.append(
            {
                "labels": [labels[k] for k, _ in DIMENSIONS],
                "formula": f"{y_name} ~ {' + '.join(rhs)} | city + year",
                "vcov": labels["vcov"],
                "b": b,
                "se": se,
                "p": p,
                "n": n,
                "clusters": g,
                "null_b": nb,
                "null_se": nse,
                "null_p": np_,
            }
        )
        print(f"{specs[-1]['labels']}: b {b:.6g} se {se:.6g} p {p:.4g}", file=sys.stderr)
    res = joint(observed, null)
    obs = res["observed"]
    for key in ("median", "mean_z"):
        gap = min(abs(dr[key] - obs[key]) for dr in res["null"] if dr is not None)
        margins[key] = gap / abs(obs[key])
    margins = {k: float(v) for k, v in margins.items()}
    doc = {
        "about": "Joint test of the multiverse `joint_small` of tests/tests/multiverse_e2e.rs, refits "
        "included, by numpy; made by crates/pipeline/oracles/multiverse_joint_numpy.py",
        "inputs": {
            "panel": PANEL,
            "draws": DRAWS,
            "reps": int(dj["reps"]),
            "units": int(dj["units"]),
            "seed": dj["seed"],
            "dimensions": [[d, o] for d, o in DIMENSIONS],
            "exclude": EXCLUDE,
            "model": "outcome ~ ROBOT + controls | city + year, CRV1 by city (copies their own "
            "clusters) or province, null y* = y - b ROBOT",
            "alpha": ALPHA,
        },
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "specifications": specs,
        "joint": res,
        "margins": margins,
    }
    with open(os.path.join(GOLDEN, OUT), "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    print(
        f"{len(specs)} specifications x {len(draws)} draws; observed {obs}; "
        f"k = {res['k_median']}, {res['k_count']}, {res['k_stouffer']}; margins {margins}",
        file=sys.stderr,
    )
    small = {k: v for k, v in margins.items() if v < MIN_MARGIN}
    if small:
        sys.exit(f"a statistic sits within {MIN_MARGIN} of a threshold: {small}; pick another seed")


if __name__ == "__main__":
    main()
