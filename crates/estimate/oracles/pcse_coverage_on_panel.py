"""Coverage of PCSE (casewise Sigma, no AR: Stata xtpcse's default) with i.i.d. errors on the
study's own regressors, by an independent numpy computation (docs/montecarlo.md).

  python pcse_coverage_on_panel.py PANEL.csv [REPS] [SEED]

PANEL.csv: `robocarb export panel` of a twin. The regressors (ROBOT and the eight controls, with
city and year effects) are held fixed; y = city and year effects + e, e i.i.d. N(0, 0.07^2), true
ROBOT slope 0. Per replication: the two-way within OLS slope of ROBOT (equal to OLS with city and
year dummies), its PCSE by Frisch-Waugh-Lovell, V = (r'r)^-2 sum_t r_t' S r_t with S = E'E / T from
the residuals, r = ROBOT net of the controls and the effects; and the city-cluster SE for reference.
"""

import sys

import numpy as np
import pandas as pd

CONTROLS = ["GDP", "PS", "FDI", "FP", "URB", "EC", "HC", "VC"]

path = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 400
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
d = pd.read_csv(path).sort_values(["year", "city_code"])  # period-major
n, t = d.city_code.nunique(), d.year.nunique()
assert len(d) == n * t, "needs a balanced panel"


def within(v):
    m = d[v].values.reshape(t, n)
    return (m - m.mean(0) - m.mean(1, keepdims=True) + m.mean()).reshape(-1)


x = np.column_stack([within(v) for v in ["ROBOT"] + CONTROLS])
z = x[:, 1:]
r = x[:, 0] - z @ np.linalg.lstsq(z, x[:, 0], rcond=None)[0]
rr = r @ r
R = r.reshape(t, n)
rng = np.random.default_rng(seed)
b, se_pcse, se_cluster = [], [], []
for _ in range(reps):
    e = rng.normal(size=(t, n)) * 0.07
    y = (e - e.mean(0) - e.mean(1, keepdims=True) + e.mean()).reshape(-1)
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    res = (y - x @ coef).reshape(t, n)
    s = res.T @ res / t
    b.append(coef[0])
    se_pcse.append(np.sqrt(sum(R[k] @ s @ R[k] for k in range(t))) / rr)
    se_cluster.append(np.sqrt(((R * res).sum(0) ** 2).sum()) / rr)
b, se_pcse, se_cluster = map(np.array, (b, se_pcse, se_cluster))
cov = (np.abs(b / se_pcse) < 1.959963984540054).mean()
print(f"N={n} T={t} reps={reps}: sd(b)={b.std(ddof=1):.6f} mean PCSE={se_pcse.mean():.6f} "
      f"sd/PCSE={b.std(ddof=1) / se_pcse.mean():.3f} PCSE coverage={cov:.3f} "
      f"(MCSE {np.sqrt(cov * (1 - cov) / reps):.3f}); sd/cluster SE={b.std(ddof=1) / se_cluster.mean():.3f}")
