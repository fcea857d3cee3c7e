#!/usr/bin/env python3
"""Independent oracle for robocarb-estimate's `spec_curve::joint_inference` (Simonsohn,
Simmons and Nelson 2020 joint inference over a specification curve).

Writes ../tests/golden/spec_curve.json: for each case the injected inputs (observed
estimates, and null estimates null[draw][spec] with null = a failed refit) and the expected
outputs. The Rust test (tests/spec_curve_golden.rs) replays the inputs, so CI needs no Python.
`--check` recomputes every case from the stored inputs and compares with the stored outputs.

Written from the conventions (module doc of src/spec_curve.rs), not from the Rust code: the
null table is a B x K float array with NaN for failed refits, and every statistic is a
vectorised numpy reduction (nanmedian, nanmean, masked counts, np.quantile over axis 0).

  z          = sign(b) * norm.isf(max(p / 2, tiny))      (= Phi^-1(1 - p/2), without the
                                                           cancellation of 1 - p/2)
  median     = np.nanmedian (even count: mean of the two middle values)
  count      = max(#{p < alpha, b > 0}, #{p < alpha, b < 0}); sign +1 / -1 / 0 on a tie
  mean z     = np.nanmean
  p-values   = max(k, 1) / B with k = #draws at least as extreme:
               median s*m_b >= |m_obs| (s = sign(m_obs)); count c_b >= c_obs;
               Stouffer s*Z_b >= |Z_obs|; a draw with every refit failed has no median and
               no mean z and counts as extreme for those two, with count 0. These are SSN's
               one-sided p (`p_*_one_sided`); the headline p of the median and of Stouffer is
               min(1, 2 p_one_sided), the count's is its own p
  bands      = np.quantile(sorted complete draws, [.025, .5, .975], axis=0, method="linear")
               (Hyndman-Fan type 7, checked below against h = (n-1) q by hand)

Cases: "multiverse" (60 specifications x 200 draws from a seeded numpy generator, a
correlated null as a cluster bootstrap gives, scattered failed refits, a negative effect);
"ties_zero_median" (8 x 40, estimates on a grid, observed median exactly 0, p exactly alpha,
p = 0 and p = 1, b = 0, a draw equal to the observed curve, a draw with every refit failed);
"ties_positive" (7 x 30, grid estimates, observed median > 0 tied by some draws, count ties).

Run:  python3 -m venv .venv && .venv/bin/pip install -r crates/estimate/oracles/requirements.txt
      .venv/bin/python crates/estimate/oracles/spec_curve_numpy.py [--check]
(only numpy and scipy are used).
"""

import json
import os
import sys

import numpy as np
import scipy
import scipy.stats as st

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "tests", "golden", "spec_curve.json")
SEED = 20260615
ALPHA = 0.05
QUANTILES = [0.025, 0.5, 0.975]
TINY = np.finfo(float).tiny


def sig(x, digits=6):
    """Rounds to `digits` significant digits, so the golden file stays small; the stored
    (rounded) values are the inputs, and everything is computed from them."""
    return np.array([float(f"{v:.{digits}g}") for v in np.ravel(x)]).reshape(np.shape(x))


def two_sided_p(b, se, df):
    return 2.0 * st.t.sf(np.abs(b / se), df)


# ----------------------------------------------------------------------------- the oracle
def signed_z(b, p):
    return np.sign(b) * st.norm.isf(np.maximum(p / 2.0, TINY))


def stats_rows(b, p, alpha):
    """Statistics of each row of B x K arrays (NaN = failed). Rows with no estimate get NaN
    median and mean z."""
    avail = ~np.isnan(b)
    sigp = avail & (np.nan_to_num(p, nan=1.0) < alpha)
    pos = np.sum(sigp & (np.nan_to_num(b) > 0), axis=1)
    neg = np.sum(sigp & (np.nan_to_num(b) < 0), axis=1)
    n = avail.sum(axis=1)
    z = np.where(avail, signed_z(np.nan_to_num(b), np.nan_to_num(p, nan=1.0)), np.nan)
    with np.errstate(all="ignore"), _quiet():
        median = np.nanmedian(b, axis=1)
        mean_z = np.nanmean(z, axis=1)
    return {
        "median": median,
        "n_significant": np.maximum(pos, neg),
        "dominant_sign": np.sign(pos - neg).astype(int),
        "mean_z": mean_z,
        "n_specs": n,
    }


class _quiet:
    """nanmedian / nanmean warn on all-NaN rows, which are expected here."""

    def __enter__(self):
        import warnings

        self.w = warnings.catch_warnings()
        self.w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *a):
        self.w.__exit__(*a)


def type7(v, q):
    v = np.sort(v)
    h = (len(v) - 1) * q
    lo = int(np.floor(h))
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (h - lo) * (v[hi] - v[lo])


def oracle(obs_b, obs_p, null_b, null_p, alpha=ALPHA):
    o = {k: v[0] for k, v in stats_rows(obs_b[None, :], obs_p[None, :], alpha).items()}
    d = stats_rows(null_b, null_p, alpha)
    B, K = null_b.shape
    none = np.isnan(d["median"])  # every refit of the draw failed

    def k_one_sided(obs, draws):
        s = np.sign(obs)
        return int(np.sum(none | (s * np.nan_to_num(draws) >= abs(obs))))

    k_median = k_one_sided(o["median"], d["median"])
    k_stouffer = k_one_sided(o["mean_z"], d["mean_z"])
    k_count = int(np.sum(d["n_significant"] >= o["n_significant"]))

    failed = np.isnan(null_b).sum(axis=1)
    complete = np.sort(null_b[failed == 0], axis=1)
    if len(complete):
        bands = np.quantile(complete, QUANTILES, axis=0, method="linear").T
        # The method must be quantile_sorted's (type 7, h = (n-1) q).
        hand = np.array([[type7(complete[:, r], q) for q in QUANTILES] for r in range(K)])
        assert np.allclose(bands, hand, rtol=1e-14, atol=1e-15), "np.quantile is not type 7"
    else:
        bands = np.zeros((0, 3))
    return {
        "observed": {
            "median": float(o["median"]),
            "n_significant": int(o["n_significant"]),
            "dominant_sign": int(o["dominant_sign"]),
            "mean_z": float(o["mean_z"]),
            "n_specs": int(o["n_specs"]),
        },
        # SSN's p is one-sided in the observed direction; the headline doubles it (capped at 1)
        # for the median and Stouffer. The count is in each draw's dominant sign already.
        "p_median": min(1.0, 2.0 * max(k_median, 1) / B),
        "p_median_one_sided": max(k_median, 1) / B,
        "k_median": k_median,
        "p_count": max(k_count, 1) / B,
        "k_count": k_count,
        "p_stouffer": min(1.0, 2.0 * max(k_stouffer, 1) / B),
        "p_stouffer_one_sided": max(k_stouffer, 1) / B,
        "k_stouffer": k_stouffer,
        "draws": B,
        "failed_refits": int(failed.sum()),
        "draws_with_failures": int(np.sum(failed > 0)),
        "draws_all_failed": int(np.sum(none)),
        "band_draws": int(len(complete)),
        "bands": [[float(x) for x in row] for row in bands],
        "null": {
            "median": [None if np.isnan(v) else float(v) for v in d["median"]],
            "mean_z": [None if np.isnan(v) else float(v) for v in d["mean_z"]],
            "n_significant": [int(v) for v in d["n_significant"]],
            "dominant_sign": [int(v) for v in d["dominant_sign"]],
            "n_specs": [int(v) for v in d["n_specs"]],
            "failed": [int(v) for v in failed],
        },
    }


def guard_near_ties(case, out, identical):
    """Mathematical ties of the mean z between different rows can round differently in two
    implementations (summation order), so a case may only tie the observed mean z exactly
    through a draw equal to the observed curve. Median ties are exact in both (same values,
    one (a + b) / 2) and are allowed."""
    zo = out["observed"]["mean_z"]
    for i, z in enumerate(out["null"]["mean_z"]):
        if z is not None and i not in identical:
            assert abs(abs(z) - abs(zo)) > 1e-9, f"{case}: draw {i} near-ties the mean z"


# ------------------------------------------------------------------------------ the cases
def case_multiverse(rng):
    K, B = 60, 200
    se = sig(rng.uniform(0.02, 0.06, K), 4)
    df = np.where(rng.random(K) < 0.5, 273.0, 29.0)  # cluster by city / by province
    # Observed: a negative effect that varies over specifications.
    obs_b = sig(-0.06 + 0.04 * rng.standard_normal(K) * se / se.mean())
    # Null: every specification is refit on the same bootstrap draw, so the estimates of a
    # draw share a common component.
    common = rng.standard_normal((B, 1))
    null_b = sig(se * (0.8 * common + 0.6 * rng.standard_normal((B, K))) * 1.3)
    obs_p = sig(two_sided_p(obs_b, se, df))
    null_p = sig(two_sided_p(null_b, se[None, :], df[None, :]))
    fail = rng.random((B, K)) < 0.004
    null_b[fail] = np.nan
    null_p[fail] = np.nan
    null_se = np.where(fail, np.nan, np.broadcast_to(se, (B, K)))
    return obs_b, np.array(se), obs_p, null_b, null_se, null_p, set()


def grid_draws(rng, B, K, b_grid, fail_rate):
    b = rng.choice(b_grid, size=(B, K))
    # p continuous (see guard_near_ties), a few exactly alpha, 0 or 1.
    p = sig(rng.uniform(0.0005, 0.25, size=(B, K)))
    special = rng.random((B, K))
    p[special < 0.05] = ALPHA
    p[(special >= 0.05) & (special < 0.07)] = 1.0
    p[(special >= 0.07) & (special < 0.08)] = 0.0
    fail = rng.random((B, K)) < fail_rate
    b[fail] = np.nan
    p[fail] = np.nan
    return b, p


def case_ties_zero_median(rng):
    K, B = 8, 40
    obs_b = np.array([-1.0, -1.0, -0.5, -0.5, 0.5, 0.5, 1.0, 1.0])  # median (-0.5 + 0.5)/2 = 0
    obs_p = np.array([0.01, ALPHA, 0.2, 1.0, 0.01, 0.013, 0.0, 0.3])
    null_b, null_p = grid_draws(rng, B, K, [-1.0, -0.5, 0.0, 0.5, 1.0], 0.05)
    null_b[3], null_p[3] = obs_b, obs_p  # identical to the observed curve: ties everywhere
    null_b[11], null_p[11] = np.nan, np.nan  # every refit failed
    null_b[17, 0], null_p[17, 0] = 0.0, 0.001  # b = 0 with a small p: no sign, z = 0
    se = np.full(K, 0.25)
    null_se = np.where(np.isnan(null_b), np.nan, 0.25)
    return obs_b, se, obs_p, null_b, null_se, null_p, {3}


def case_ties_positive(rng):
    K, B = 7, 30
    obs_b = np.array([-0.5, 0.25, 0.25, 0.5, 0.75, 1.0, 1.5])  # median 0.5
    obs_p = np.array([0.02, 0.3, 0.04, 0.01, 0.002, ALPHA, 0.0007])
    null_b, null_p = grid_draws(rng, B, K, [-0.5, 0.0, 0.25, 0.5, 0.75, 1.0], 0.03)
    null_b[5], null_p[5] = obs_b, obs_p
    se = np.full(K, 0.2)
    null_se = np.where(np.isnan(null_b), np.nan, 0.2)
    return obs_b, se, obs_p, null_b, null_se, null_p, {5}


def encode_rows(a):
    return [[None if np.isnan(v) else float(v) for v in row] for row in a]


def build():
    rng = np.random.default_rng(SEED)
    cases = {}
    for name, make in [
        ("multiverse", case_multiverse),
        ("ties_zero_median", case_ties_zero_median),
        ("ties_positive", case_ties_positive),
    ]:
        obs_b, se, obs_p, null_b, null_se, null_p, identical = make(rng)
        out = oracle(obs_b, obs_p, null_b, null_p)
        guard_near_ties(name, out, identical)
        cases[name] = {
            "alpha": ALPHA,
            "observed": {"b": [float(v) for v in obs_b], "se": [float(v) for v in se],
                         "p": [float(v) for v in obs_p]},
            "null": {"b": encode_rows(null_b), "se": encode_rows(null_se),
                     "p": encode_rows(null_p)},
            "expected": out,
        }
        e = out
        print(f"{name}: K={len(obs_b)} B={e['draws']} median={e['observed']['median']:.4g} "
              f"count={e['observed']['n_significant']}({e['observed']['dominant_sign']:+d}) "
              f"Z={e['observed']['mean_z']:.4g}  p = {e['p_median']}, {e['p_count']}, "
              f"{e['p_stouffer']}  failed={e['failed_refits']} band_draws={e['band_draws']}")
    return {"versions": {"numpy": np.__version__, "scipy": scipy.__version__},
            "seed": SEED, "cases": cases}


def decode(rows):
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


def check():
    with open(GOLDEN) as f:
        g = json.load(f)
    for name, c in g["cases"].items():
        out = oracle(np.array(c["observed"]["b"]), np.array(c["observed"]["p"]),
                     decode(c["null"]["b"]), decode(c["null"]["p"]), c["alpha"])
        assert json.dumps(out) == json.dumps(c["expected"]), f"{name} differs"
        print(f"{name}: ok")


if __name__ == "__main__":
    if "--check" in sys.argv:
        check()
    else:
        g = build()
        with open(GOLDEN, "w") as f:
            json.dump(g, f, separators=(",", ":"), allow_nan=False)
        print(f"wrote {GOLDEN} ({os.path.getsize(GOLDEN)} bytes)")
