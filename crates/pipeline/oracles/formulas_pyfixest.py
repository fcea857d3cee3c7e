"""Golden file of the formula grammar on the default panel: every declaration below is fitted by
pyfixest (feols, multiple estimation, IV), with the small-sample conventions of the estimate
crate's goldens (reghdfe's: k adjusted, nested fixed effects not counted, G/(G-1), min G df).

Input: crates/pipeline/tests/golden/default_panel.csv (the `panel` node of pipelines/paper.toml on
the embedded default data, written by the Rust test with UPDATE_GOLDEN_PANEL=1).
Output: crates/pipeline/tests/golden/formulas_pyfixest.json, read by tests/formulas_golden.rs.

Sample filters and year ranges are applied here with pandas (an implementation independent of the
Rust filter grammar); named sets are substituted textually, so pyfixest sees plain variable lists.
Run:  VENV/bin/python crates/pipeline/oracles/formulas_pyfixest.py
"""

import json
import os
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "tests", "golden")
SSC = pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")
FIXEF_TOL = 1e-13

SETS = {"controls": ["GDP", "PS", "FDI", "FP", "URB", "EC", "HC", "VC"]}

# (formula in the pipeline's grammar, vcov, sample filter (pandas query), years (lo, hi) or None)
CASES = [
    ("CARBON ~ ROBOT | city", "cluster:city", None, None),
    ("CARBON ~ ROBOT + controls | city + year", "cluster:city", None, None),
    ("CARBON ~ ROBOT + controls | city + year", "iid", None, None),
    ("CARBON ~ ROBOT + controls | city + year", "hetero", None, None),
    ("CARBON ~ ROBOT + controls | city + year", "cluster:city+year", None, None),
    ("CARBON ~ ROBOT + controls | city", "cluster:year", None, None),
    ("CARBON ~ ROBOT + controls", "hetero", None, None),
    ("CARBON ~ ROBOT + csw0(controls) | city + year", "cluster:city", None, None),
    ("CARBON ~ ROBOT + csw(GDP, PS, FDI) | city + year", "cluster:city", None, None),
    ("CARBON ~ ROBOT + sw(GDP, PS, URB) | city", "hetero", None, None),
    ("CARBON ~ ROBOT + sw0(EC, HC) | city + year", "iid", None, None),
    ("CARBON + CARBON_I ~ ROBOT + controls | city + year", "cluster:city", None, None),
    ("CARBON ~ ROBOT + controls | csw0(city, year)", "hetero", None, None),
    ("CARBON ~ ROBOT_R + controls | city + year", "cluster:city", None, None),
    ("CARBON ~ controls | city + year | ROBOT ~ YFE", "cluster:city", None, None),
    ("CARBON ~ controls | city + year | ROBOT ~ YFE", "hetero", None, None),
    ("CARBON ~ GDP + PS | city + year | ROBOT ~ YFE", "cluster:city+year", None, None),
    ("CARBON ~ controls | city | ROBOT ~ YFE", "iid", None, None),
    ("CARBON ~ ROBOT + controls | city + year", "cluster:city", "resource_based == 1", None),
    ("CARBON ~ ROBOT + controls | city + year", "cluster:city", "resource_based == 0", None),
    ("CARBON ~ ROBOT + controls | city + year", "cluster:city", "municipality_or_plan == 0", None),
    ("CARBON ~ ROBOT + controls | city + year", "hetero", "smart_city_pilot == 1 or gov_business_high == 1", None),
    ("CARBON ~ ROBOT + controls | city + year", "cluster:city", None, (2010, 2019)),
    ("CARBON ~ ROBOT + controls | city + year", "cluster:city", None, (2006, 2012)),
    ("CARBON ~ ROBOT + csw0(controls) | city + year", "cluster:city+year", "GDP > 0", (2008, 2017)),
    ("TP ~ ROBOT + controls | city + year", "cluster:city", None, None),
    ("CARBON ~ ROBOT + DI + controls | city + year", "cluster:city", None, None),
    ("CARBON ~ 1 | city + year | ROBOT ~ YFE", "cluster:city", "resource_based == 0", (2009, 2019)),
]

# The pipeline's filter grammar for each pandas query above (same meaning, other syntax).
FILTER_TEXT = {
    "resource_based == 1": "resource_based == 1",
    "resource_based == 0": "resource_based == 0",
    "municipality_or_plan == 0": "municipality_or_plan == 0",
    "smart_city_pilot == 1 or gov_business_high == 1": "smart_city_pilot == 1 or gov_business_high == 1",
    "GDP > 0": "GDP > 0",
}


def substitute(formula):
    out = formula
    for name, members in SETS.items():
        out = " ".join("+".join(members) if tok == name else tok for tok in out.split(" "))
        out = out.replace(f"({name})", "(" + "+".join(members) + ")")
    return out


def single_argument_csw0(formula):
    """pyfixest wants at least two arguments in csw0(); with one, `csw0(A)` is the two formulas
    without and with A (the grammar's meaning), fitted one after the other."""
    start = formula.find("csw0(")
    if start < 0:
        return [formula]
    end = formula.index(")", start)
    inner = formula[start + 5 : end]
    if "," in inner:
        return [formula]
    without = formula[:start] + formula[end + 1 :]
    without = without.replace("+  |", " |").replace("+ |", " |").rstrip(" +")
    return [without, formula[:start] + inner + formula[end + 1 :]]


def vcov_of(v):
    if v == "iid":
        return "iid"
    if v == "hetero":
        return "HC1"
    names = v.split(":", 1)[1]
    return {"CRV1": names}


def main():
    df = pd.read_csv(os.path.join(GOLDEN, "default_panel.csv"), dtype={"city_code": str})
    df["city"] = df["city_code"]
    cases = []
    for formula, vcov, query, years in CASES:
        d = df
        if query is not None:
            d = d.query(query)
        if years is not None:
            d = d[(d["year"] >= years[0]) & (d["year"] <= years[1])]
        d = d.reset_index(drop=True)
        fits = {}
        for f in single_argument_csw0(substitute(formula)):
            fit = pf.feols(f, data=d, vcov=vcov_of(vcov), ssc=SSC, fixef_tol=FIXEF_TOL)
            fits.update(fit.all_fitted_models if hasattr(fit, "all_fitted_models") else {fit._fml: fit})
        models = []
        for name, m in fits.items():
            coefs = {}
            for c in m._coefnames:
                key = "const" if c == "Intercept" else c
                coefs[key] = {"b": float(m.coef()[c]), "se": float(m.se()[c])}
            models.append({"name": name, "n": int(m._N), "coefs": coefs})
        case = {"formula": formula, "vcov": vcov, "models": models}
        if query is not None:
            case["sample"] = FILTER_TEXT[query]
        if years is not None:
            case["years"] = f"{years[0]}..{years[1]}"
        cases.append(case)
    out = {
        "about": "pyfixest fits of formulas in the pipeline grammar on the default panel; made by crates/pipeline/oracles/formulas_pyfixest.py",
        "pyfixest": pf.__version__,
        "sets": SETS,
        "aliases": {"city": "city_code"},
        "cases": cases,
    }
    with open(os.path.join(GOLDEN, "formulas_pyfixest.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} declarations, {sum(len(c['models']) for c in cases)} models")


if __name__ == "__main__":
    main()
