"""Independent implementation of the shift-share robot exposure (METHODS.md section 2)
with pandas group-bys, used to write tests/golden/exposure_pandas.json.

Run: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
     .venv/bin/python exposure_oracle.py > ../tests/golden/exposure_pandas.json
"""
import json
import random

import pandas as pd

CONCORDANCE = [  # (ifr_code, classification, group): a subset, incl. the 29/30 break and an aggregate
    ("10-12", "gbt2002", "food_beverage"), ("10-12", "gbt2011", "food_beverage"),
    ("22", "gbt2002", "rubber_plastics"), ("22", "gbt2011", "rubber_plastics"),
    ("26-27", "gbt2002", "electrical_electronics"), ("26-27", "gbt2011", "electrical_electronics"),
    ("29", "gbt2002", "transport_equipment"), ("29", "gbt2011", "automotive"),
    ("30", "gbt2002", "transport_equipment"), ("30", "gbt2011", "other_transport"),
    ("D", "gbt2002", "excluded"), ("D", "gbt2011", "excluded"),
]
GROUPS = {
    "gbt2002": ["food_beverage", "rubber_plastics", "electrical_electronics", "transport_equipment"],
    "gbt2011": ["food_beverage", "rubber_plastics", "electrical_electronics", "automotive", "other_transport"],
}


def regime(year):
    return "gbt2011" if year >= 2012 else "gbt2002"


def main():
    rng = random.Random(20240601)
    years = list(range(2009, 2015))
    provinces = ["13", "32", "44", "51"]
    stocks, employment, weights = [], [], []
    for y in years:
        for code in ["10-12", "22", "26-27", "29", "30", "D"]:
            stocks.append({"ifr_code": code, "year": y, "units": round(rng.uniform(0, 5000), 3)})
        for p in provinces:
            for g in GROUPS[regime(y)]:
                employment.append({"province": p, "year": y, "group": g, "classification": regime(y),
                                   "employees": round(rng.uniform(1, 900), 2)})
            for c in range(1, rng.randint(1, 6) + 1):
                weights.append({"city_code": f"{p}{c:02d}00", "province": p, "year": y,
                                "mfg_employment": round(rng.uniform(0.5, 300), 2),
                                "above_scale_firms": float(rng.randint(1, 2000))})
    conc = pd.DataFrame(CONCORDANCE, columns=["ifr_code", "classification", "group"])
    st = pd.DataFrame(stocks)
    st["classification"] = st["year"].map(regime)
    st = st.merge(conc, on=["ifr_code", "classification"], how="left", validate="many_to_one")
    assert st["group"].notna().all()
    st = st[st["group"] != "excluded"]
    robot_jt = st.groupby(["year", "group"], as_index=False)["units"].sum()
    em = pd.DataFrame(employment)
    em["national"] = em.groupby(["year", "group"])["employees"].transform("sum")
    em = em.merge(robot_jt, on=["year", "group"], how="left").fillna({"units": 0.0})
    em["part"] = em["employees"] / em["national"] * em["units"]
    robot_pt = em.groupby(["province", "year"], as_index=False)["part"].sum().rename(columns={"part": "robot_pt"})
    w = pd.DataFrame(weights)
    w["mfg_share"] = w["mfg_employment"] / w.groupby(["province", "year"])["mfg_employment"].transform("sum")
    w["firm_share"] = w["above_scale_firms"] / w.groupby(["province", "year"])["above_scale_firms"].transform("sum")
    w = w.merge(robot_pt, on=["province", "year"], how="left", validate="many_to_one")
    w["robot"] = w["mfg_share"] * w["robot_pt"] / 1000.0
    w["robot_r"] = w["firm_share"] * w["robot_pt"] / 1000.0
    w = w.sort_values(["city_code", "year"])
    expected = [{"city_code": r.city_code, "year": int(r.year), "province": r.province, "robot": float(r.robot),
                 "robot_r": float(r.robot_r), "province_robots": float(r.robot_pt)} for r in w.itertuples()]
    group_out = [{"year": int(r.year), "group": r.group, "units": float(r.units)} for r in robot_jt.itertuples()]
    print(json.dumps({
        "generator": f"exposure_oracle.py, pandas {pd.__version__}",
        "concordance": [{"ifr_code": a, "classification": b, "group": c} for a, b, c in CONCORDANCE],
        "stocks": stocks, "employment": employment, "weights": weights,
        "expected_groups": group_out, "expected": expected,
    }, indent=1))


if __name__ == "__main__":
    main()
