"""Golden file of a small multiverse: every specification fitted by pyfixest, independently of the
Rust declaration code (the dimensions are re-expanded here, in the same order, with pandas filters).

The multiverse is the one in tests/tests/multiverse_e2e.rs (`SMALL`): outcome x exposure x controls
x fixed effects (city + year, city + province^year) x VCE (city clusters, province clusters, HC1) x
sample (all, no resource-based cities, 2008..2019) x winsorizing (the panel's 1%/99%, none), minus
the exclusion of province^year effects with HC1 errors: 360 specifications.

Input: the two panel variants as the pipeline builds them on the embedded default data,
crates/pipeline/tests/golden/multiverse_panel_w01.csv (the `panel` node) and
multiverse_panel_w0.csv (its variant with winsor_lower = 0, winsor_upper = 1), written by
`UPDATE_GOLDEN=1 cargo test -p robocarb-tests --test multiverse_e2e`.
Output: crates/pipeline/tests/golden/multiverse_pyfixest.json (b, se and n of the exposure per
specification, keyed by its labels), read by the same test.

Conventions as the other pyfixest goldens (reghdfe's small-sample factors); singletons are dropped
(fixef_rm="singleton", reghdfe's default): a province with one city has only singleton
province-year cells.
Run:  python crates/pipeline/oracles/multiverse_pyfixest.py
"""

import itertools
import json
import os
import warnings

import pandas as pd
import pyfixest as pf

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "tests", "golden")
SSC = pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")
FIXEF_TOL = 1e-13
CONTROLS = ["GDP", "PS", "FDI", "FP", "URB", "EC", "HC", "VC"]

DIMENSIONS = [
    ("outcome", ["CARBON", "CARBON_I"]),
    ("exposure", ["ROBOT", "ROBOT_R"]),
    ("controls", ["all", "none", "-GDP"]),
    ("fe", ["city+year", "city+province^year"]),
    ("vcov", ["cluster:city", "cluster:province", "hetero"]),
    ("sample", ["all", "no_resource_based", "2008..2019"]),
    ("winsor", ["0.01", "0"]),
]
EXCLUDE = [{"fe": "city+province^year", "vcov": "hetero"}]


def controls(label):
    if label == "all":
        return CONTROLS
    if label == "none":
        return []
    return [c for c in CONTROLS if c != label[1:]]


def main():
    panels = {}
    for label, file in [("0.01", "multiverse_panel_w01.csv"), ("0", "multiverse_panel_w0.csv")]:
        df = pd.read_csv(os.path.join(GOLDEN, file), dtype={"city_code": str, "province_code": str})
        df["city"] = df["city_code"]
        df["province"] = df["province_code"]
        panels[label] = df
    names = [d for d, _ in DIMENSIONS]
    out = []
    for combo in itertools.product(*[opts for _, opts in DIMENSIONS]):
        labels = dict(zip(names, combo))
        if any(all(labels[k] == v for k, v in e.items()) for e in EXCLUDE):
            continue
        d = panels[labels["winsor"]]
        if labels["sample"] == "no_resource_based":
            d = d.query("resource_based == 0")
        elif labels["sample"] == "2008..2019":
            d = d[(d["year"] >= 2008) & (d["year"] <= 2019)]
        d = d.reset_index(drop=True)
        rhs = " + ".join([labels["exposure"]] + controls(labels["controls"]))
        fe = "city + year" if labels["fe"] == "city+year" else "city + province^year"
        formula = f"{labels['outcome']} ~ {rhs} | {fe}"
        vcov = {
            "cluster:city": {"CRV1": "city"},
            "cluster:province": {"CRV1": "province"},
            "hetero": "HC1",
        }[labels["vcov"]]
        fit = pf.feols(
            formula, data=d, vcov=vcov, ssc=SSC, fixef_tol=FIXEF_TOL, fixef_rm="singleton"
        )
        x = labels["exposure"]
        out.append(
            {
                "labels": list(combo),
                "formula": formula,
                "b": float(fit.coef()[x]),
                "se": float(fit.se()[x]),
                "n": int(fit._N),
            }
        )
    doc = {
        "about": "pyfixest fits of every specification of the small multiverse of tests/tests/multiverse_e2e.rs; made by crates/pipeline/oracles/multiverse_pyfixest.py",
        "pyfixest": pf.__version__,
        "dimensions": names,
        "specifications": out,
    }
    with open(os.path.join(GOLDEN, "multiverse_pyfixest.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{len(out)} specifications")


if __name__ == "__main__":
    main()
