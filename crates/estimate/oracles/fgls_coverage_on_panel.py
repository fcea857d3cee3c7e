"""Coverage of FGLS as Stata's `xtgls, panels(hetero) corr(ar1)` computes it, on the study's own
regressors with errors drawn from that estimator's own model, by the independent numpy xtgls of
gen_fgls_pcse.py (docs/montecarlo.md, "estimator-level checks").

  python fgls_coverage_on_panel.py PANEL.csv [REPS] [SEED]

PANEL.csv: `robocarb export panel` of a twin (balanced in the regressors). The regressors (ROBOT, the
eight controls, city and year dummies and a constant, as Table 6 runs them) are held fixed;
y = -0.025 ROBOT + e with e i.i.d. N(0, 0.07^2) (homoskedastic, no AR: a special case of the model,
which xtgls still estimates with panel variances and a common AR(1) coefficient). Prints sd(b) /
mean(se) and the coverage of the nominal 95% interval (z) for the ROBOT slope.
"""

import sys

import numpy as np
import pandas as pd
from scipy.stats import norm

import gen_fgls_pcse as oracle

CONTROLS = ["GDP", "PS", "FDI", "FP", "URB", "EC", "HC", "VC"]
BETA = -0.025
Z975 = norm.ppf(0.975)

path = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 200
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
d = pd.read_csv(path).sort_values(["city_code", "year"])
cities, years = sorted(d.city_code.unique()), sorted(d.year.unique())
ci = d.city_code.map({c: i for i, c in enumerate(cities)}).values
ti = d.year.map({y: i for i, y in enumerate(years)}).values
n, t = len(cities), len(years)
assert len(d) == n * t, "needs a balanced panel"
X = np.column_stack(
    [d.ROBOT.values]
    + [d[c].values for c in CONTROLS]
    + [(ci == i).astype(float) for i in range(1, n)]
    + [(ti == s).astype(float) for s in range(1, t)]
    + [np.ones(len(d))]
)
names = (["ROBOT"] + CONTROLS + [f"city{i}" for i in range(1, n)]
         + [f"year{s}" for s in range(1, t)] + ["_cons"])
rng = np.random.default_rng(seed)
b, se = [], []
for _ in range(reps):
    y = BETA * d.ROBOT.values + rng.normal(size=len(d)) * 0.07
    fit = oracle.xtgls(y, X, names, ci, ti, panels="hetero", corr="ar1", check_statsmodels=False)
    b.append(fit["b"][0])
    se.append(fit["se"][0])
b, se = np.array(b), np.array(se)
cov = (np.abs(b - BETA) / se < Z975).mean()
print(f"N={n} T={t} reps={reps}: sd(b)={b.std(ddof=1):.6f} mean se={se.mean():.6f} "
      f"sd/se={b.std(ddof=1) / se.mean():.3f} coverage={cov:.3f} (MCSE {np.sqrt(cov * (1 - cov) / reps):.3f})")
