"""pyfixest side of bench/multiverse.sh: the 1,920 specifications of `robot_carbon` on the panels
robocarb built (panel_w0.csv, panel_w01.csv, panel_w025.csv in WORK), timed from data in memory
to the last fit; the two outcomes of a specification go in one call (pyfixest's multiple
estimation), the other dimensions in a loop. Checks every b and se against robocarb's specs.csv
(relative difference printed) and prints one JSON line.
Usage: python bench/multiverse_pyfixest.py WORK SPECS_CSV
"""

import itertools
import json
import os
import sys
import time
import warnings

import pandas as pd
import pyfixest as pf

warnings.filterwarnings("ignore")
SSC = pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")
CONTROLS = ["GDP", "PS", "FDI", "FP", "URB", "EC", "HC", "VC"]
CONTROL_OPTIONS = ["all", "none"] + [f"-{c}" for c in CONTROLS]
SAMPLES = ["all", "no_municipality_or_plan", "no_resource_based", "2008..2019"]


def controls(label):
    if label == "all":
        return CONTROLS
    if label == "none":
        return []
    return [c for c in CONTROLS if c != label[1:]]


def main():
    work, specs_csv = sys.argv[1], sys.argv[2]
    panels = {}
    for label, f in [("0", "panel_w0.csv"), ("0.01", "panel_w01.csv"), ("0.025", "panel_w025.csv")]:
        d = pd.read_csv(os.path.join(work, f), dtype={"city_code": str, "province_code": str})
        d["city"] = d["city_code"]
        d["province"] = d["province_code"]
        panels[label] = d
    subsets = {}
    for w, d in panels.items():
        subsets[(w, "all")] = d
        subsets[(w, "no_municipality_or_plan")] = d[d["municipality_or_plan"] == 0].reset_index(drop=True)
        subsets[(w, "no_resource_based")] = d[d["resource_based"] == 0].reset_index(drop=True)
        subsets[(w, "2008..2019")] = d[(d["year"] >= 2008) & (d["year"] <= 2019)].reset_index(drop=True)
    results = {}
    t0 = time.perf_counter()
    for exposure, ctl, fe, vcov, sample, winsor in itertools.product(
        ["ROBOT", "ROBOT_R"], CONTROL_OPTIONS, ["city+year", "city+province^year"],
        ["cluster:city", "cluster:province"], SAMPLES, ["0", "0.01", "0.025"],
    ):
        rhs = " + ".join([exposure] + controls(ctl))
        fes = "city + year" if fe == "city+year" else "city + province^year"
        fit = pf.feols(
            f"CARBON + CARBON_I ~ {rhs} | {fes}",
            data=subsets[(winsor, sample)],
            vcov={"CRV1": vcov.split(":")[1]},
            ssc=SSC,
            fixef_rm="singleton",
        )
        for outcome, m in zip(["CARBON", "CARBON_I"], fit.all_fitted_models.values()):
            results[(outcome, exposure, ctl, fe, vcov, sample, winsor)] = (
                float(m.coef()[exposure]),
                float(m.se()[exposure]),
            )
    seconds = time.perf_counter() - t0
    ours = pd.read_csv(specs_csv, dtype=str)
    worst = 0.0
    for _, r in ours.iterrows():
        key = (r["outcome"], r["exposure"], r["controls"], r["fe"], r["vcov"], r["sample"], r["winsor"])
        b, se = results[key]
        worst = max(worst, abs(float(r["b"]) - b) / abs(b), abs(float(r["se"]) - se) / abs(se))
    print(json.dumps({"case": "pyfixest_fits", "wall_s": round(seconds, 3), "specifications": len(results),
                      "calls": len(results) // 2, "pyfixest": pf.__version__,
                      "max_rel_diff_b_se_vs_robocarb": worst}))


if __name__ == "__main__":
    main()
