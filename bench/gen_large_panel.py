"""The 1,000,000-row panel of peer comparison (b): 100,000 units x 10 years, 10 regressors.

  gen_large_panel.py OUT.csv [SEED]   (default seed 20240401; same CSV for both sides)
"""

import sys

import numpy as np
import pandas as pd

out = sys.argv[1]
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20240401
units, years, k = 100_000, 10, 10
rng = np.random.default_rng(seed)
n = units * years
unit = np.repeat(np.arange(units), years)
year = np.tile(np.arange(2010, 2010 + years), units)
unit_effect = rng.normal(size=units)[unit]
year_effect = rng.normal(size=years)[year - 2010]
x = rng.normal(size=(n, k)) + 0.5 * unit_effect[:, None]
beta = np.linspace(0.1, 1.0, k)
y = x @ beta + unit_effect + year_effect + rng.normal(size=n)
frame = pd.DataFrame({"unit": unit, "year": year, "y": y})
for j in range(k):
    frame[f"x{j}"] = x[:, j]
frame.to_csv(out, index=False, float_format="%.6f")
