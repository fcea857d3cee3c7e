"""Peer timings for `just bench-peers`: the same estimator on the same CSV, in-process.

Import time and data loading are excluded; one warm-up call (numba JIT for pyfixest) is run
and discarded, then REPS timed calls. Prints one JSON object per line with median / min / max
microseconds and the numbers needed to check that the work matches the Rust side.

  peers.py fe  CSV Y X1,X2,.. UNIT TIME CLUSTER REPS [pyfixest|linearmodels|both]
  peers.py sbm CSV REPS [YEARS] [SCORES_OUT]
"""

from __future__ import annotations

import json
import sys
import time
from importlib.metadata import version

import numpy as np
import pandas as pd


def stats(micros: list[float]) -> dict:
    micros = sorted(micros)
    return {
        "reps": len(micros),
        "median_us": micros[len(micros) // 2],
        "min_us": micros[0],
        "max_us": micros[-1],
    }


def timed(fn, reps: int):
    fn()  # warm-up (JIT, caches), discarded
    micros, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        micros.append((time.perf_counter() - t0) * 1e6)
    return micros, out


def fe(csv, y, xs, unit, tvar, cluster, reps, which):
    import pyfixest as pf
    from linearmodels.panel import PanelOLS

    xs = xs.split(",")
    df = pd.read_csv(csv, usecols=list(dict.fromkeys([y, *xs, unit, tvar, cluster])))
    df = df.dropna()
    results = []
    if which in ("pyfixest", "both"):
        fml = f"{y} ~ {' + '.join(xs)} | {unit} + {tvar}"
        micros, fit = timed(
            lambda: pf.feols(fml, df, vcov={"CRV1": cluster}, ssc=pf.ssc(k_fixef="nonnested", G_df="min")),
            reps,
        )
        results.append(
            {
                "peer": f"pyfixest {version('pyfixest')}",
                "n": int(fit._N),
                **stats(micros),
                "b": [float(v) for v in fit.coef().loc[xs]],
                "se": [float(v) for v in fit.se().loc[xs]],
            }
        )
    if which in ("linearmodels", "both"):
        pdf = df.set_index([unit, tvar])

        def run():
            mod = PanelOLS(pdf[y], pdf[xs], entity_effects=True, time_effects=True)
            return mod.fit(cov_type="clustered", cluster_entity=True)

        micros, fit = timed(run, reps)
        results.append(
            {
                "peer": f"linearmodels {version('linearmodels')}",
                "n": int(fit.nobs),
                **stats(micros),
                "b": [float(v) for v in fit.params.loc[xs]],
                "se": [float(v) for v in fit.std_errors.loc[xs]],
            }
        )
    return results


def sbm(csv, reps, years=0, scores_out=None):
    import deapack as dp

    frame = pd.read_csv(csv, dtype={"city_code": str})
    if years:
        keep = sorted(frame["year"].unique())[:years]
        frame = frame[frame["year"].isin(keep)]
    data = dp.DEAData.from_frame(
        frame,
        inputs=["labour", "capital", "energy"],
        outputs=["gdp_real"],
        bad_outputs=["so2", "dust", "wastewater"],
        dmu="city_code",
        period="year",
    )
    model = dp.UndesirableSlacksBasedDEA(returns_to_scale="vrs", reference="contemporaneous")
    # DEAPack is slow at scale: with REPS == 1 skip the warm-up (nothing to JIT).
    if reps == 1:
        t0 = time.perf_counter()
        res = model.fit(data)
        micros = [(time.perf_counter() - t0) * 1e6]
    else:
        micros, res = timed(lambda: model.fit(data), reps)
    s = res.summary_frame
    valid = s["score_valid"].astype(bool)
    if scores_out:
        s.to_csv(scores_out, index=False)
    return [
        {
            "peer": f"DEAPack {version('DEAPack')} UndesirableSlacksBasedDEA",
            "units": int(frame["city_code"].nunique()),
            "years": int(frame["year"].nunique()),
            **stats(micros),
            "scores": int(valid.sum()),
            "invalid": int((~valid).sum()),
            "mean_score": float(s.loc[valid, "score"].mean()),
        }
    ]


def main(argv):
    if argv[1] == "fe":
        which = argv[9] if len(argv) > 9 else "both"
        out = fe(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7], int(argv[8]), which)
    elif argv[1] == "sbm":
        years = int(argv[4]) if len(argv) > 4 else 0
        out = sbm(argv[2], int(argv[3]), years, argv[5] if len(argv) > 5 else None)
    else:
        raise SystemExit(__doc__)
    for r in out:
        print(json.dumps(r))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main(sys.argv)
