"""Generate the ingest test fixtures and golden values from an independent implementation.

Run from crates/ingest:  python tests/golden/gen_golden.py
Needs the packages of tests/golden/requirements.txt (numpy, pandas, openpyxl).

Writes
  tests/fixtures/mini/...          small raw files in the formats of docs/data-formats.md
  tests/golden/clean.json          percentiles / winsorizing / interpolation / PIM references
  tests/golden/mini_panel.json     the panel and DEA inputs built from tests/fixtures/mini

The panel reference is computed here with pandas from the raw fixture values, following the
formulas documented in robocarb-panel's catalogue (not by calling the Rust code).
"""

import json
import math
import os
from fractions import Fraction

import numpy as np
import pandas as pd
import openpyxl

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)  # crates/ingest/tests
MINI = os.path.join(ROOT, "fixtures", "mini")
rng = np.random.default_rng(20240401)


def write_csv(rel, df, encoding="utf-8"):
    path = os.path.join(MINI, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    df.to_csv(path, index=False, encoding=encoding, lineterminator="\n", float_format="%.10g")


# ---------------------------------------------------------------- fixtures
cities = pd.DataFrame(
    {
        "city_code": ["130100", "130200", "340100", "420600"],
        "city_name": ["石家庄市", "唐山市", "合肥市", "襄阳市"],
        "short_name": ["石家庄", "唐山", "合肥", "襄阳"],
        "province_code": ["13", "13", "34", "42"],
        "province_name": ["河北省", "河北省", "安徽省", "湖北省"],
    }
)
crosswalk = pd.DataFrame(
    {
        "old_code": ["341400", "420600", "371200"],
        "old_name": ["巢湖", "襄樊", "莱芜"],
        "new_code": ["340100", "420600", "370100"],
        "new_name": ["合肥", "襄阳", "济南"],
        "from_year": [2006, 2006, 2006],
        "to_year": [2011, 2009, 2018],
        "change": ["abolish_merge", "rename", "merge"],
    }
)
YEARS = list(range(2006, 2011))
codes = list(cities.city_code)
rows = []
for k, code in enumerate(codes):
    for t, y in enumerate(YEARS):
        g = 1.0 + 0.08 * t
        scale = [1.0, 0.8, 0.9, 0.5][k]
        e1, e2, e3 = 0.6 * scale, 40 * scale * g, 45 * scale * g
        rows.append(
            {
                "城市代码": code,
                "城市": cities.city_name[k],
                "年份": y,
                "年末单位从业人员(万人)": round(e1 + e2 + e3 + 3, 3),
                "第一产业从业人员(万人)": round(e1, 3),
                "第二产业从业人员(万人)": round(e2, 3),
                "第三产业从业人员(万人)": round(e3, 3),
                "信息传输计算机服务和软件业从业人员(万人)": round(1.2 * scale * g, 3),
                "制造业从业人员(万人)": round(30 * scale * g, 3),
                "地区生产总值(万元)": round(2.0e7 * scale * g * 1.1 ** t, 1),
                "第一产业增加值(万元)": round(2.0e6 * scale * g, 1),
                "第二产业增加值(万元)": round(9.0e6 * scale * g * 1.1 ** t, 1),
                "第三产业增加值(万元)": round(2.0e7 * scale * g * 1.1 ** t - 2.0e6 * scale * g - 9.0e6 * scale * g * 1.1 ** t, 1),
                "GDP平减指数(2005=100)": round(100 * 1.03 ** (t + 1), 4),
                "年末户籍人口(万人)": round(900 * scale + 5 * t, 2),
                "行政区域土地面积(平方公里)": [15848, 13472, 11445, 19728][k],
                "当年实际使用外资金额(万美元)": round(50000 * scale * g, 1),
                "人民币汇率(元/美元)": [7.97, 7.60, 6.95, 6.83, 6.77][t],
                "地方一般公共预算收入(万元)": round(1.2e6 * scale * g, 1),
                "地方一般公共预算支出(万元)": round(1.9e6 * scale * g, 1),
                "普通高等学校在校学生数(人)": round(300000 * scale * g),
                "固定资产投资(万元)": round(1.0e7 * scale * (1.15 ** t), 1),
                "固定资产投资价格指数(2005=100)": round(100 * 1.02 ** (t + 1), 4),
                "规模以上工业企业数(个)": round(2000 * scale + 50 * t),
            }
        )
yearbook = pd.DataFrame(rows)
# Realistic gaps: interior cells and one leading cell (stays missing: no extrapolation).
yearbook = yearbook.astype(object)
yearbook.loc[2, "第二产业从业人员(万人)"] = None  # 130100 2008, interior
yearbook.loc[6, "地区生产总值(万元)"] = None  # 130200 2007, interior
yearbook.loc[7, "地区生产总值(万元)"] = None  # 130200 2008, interior (two in a row)
yearbook.loc[10, "普通高等学校在校学生数(人)"] = None  # 340100 2006, leading: stays missing
yearbook.loc[13, "固定资产投资(万元)"] = None  # 340100 2009, interior

env_rows = []
for k, code in enumerate(codes):
    for t, y in enumerate(YEARS):
        scale = [1.0, 0.8, 0.9, 0.5][k]
        env_rows.append(
            [code, cities.city_name[k], y, round(80000 * scale * 0.95 ** t, 1), round(40000 * scale * 0.93 ** t, 1),
             round(9000 * scale, 1), round(2.5e6 * scale * 1.07 ** t, 1)]
        )
env_header = ["城市代码", "城市", "年份", "工业二氧化硫排放量(吨)", "工业烟(粉)尘排放量(吨)", "工业废水排放量(万吨)", "全社会用电量(万千瓦时)"]
env_rows[3][3] = None  # 130100 2009 so2, interior

ceads_rows = []
ceads_names = {"130100": "河北石家庄", "130200": "唐山", "340100": "安徽合肥", "420600": "湖北襄阳"}
co2 = {}
for k, code in enumerate(codes):
    for t, y in enumerate(YEARS):
        v = round([45.0, 160.0, 30.0, 25.0][k] * 1.04 ** t, 6)
        name = ceads_names[code]
        if code == "420600" and y <= 2009:
            name = "湖北襄樊"
        ceads_rows.append([f"{name}{y}", name, y, v])
        co2[(code, y)] = v
for t, y in enumerate(YEARS):  # 巢湖, merged into 合肥
    v = round(4.0 + 0.1 * t, 6)
    ceads_rows.append([f"安徽巢湖{y}", "安徽巢湖", y, v])
    co2[("340100", y)] += v
ceads_rows.append(["新疆石河子2008", "新疆石河子", 2008, 3.5])

vent = pd.DataFrame(
    [
        {"city_code": c, "year": y, "boundary_layer_height_m": round(600 + 40 * k + 7 * t, 3),
         "wind_speed_10m_ms": round(2.0 + 0.2 * k + 0.05 * t, 4)}
        for k, c in enumerate(codes) for t, y in enumerate(YEARS)
    ]
)
lights = pd.DataFrame(
    [{"city_code": c, "year": y, "dn_sum": round([5e5, 4e5, 3e5, 2e5][k] * 1.05 ** t, 1)}
     for k, c in enumerate(codes) for t, y in enumerate(YEARS)]
)
penergy = pd.DataFrame(
    [{"province_code": p, "year": y, "energy_10k_tce": round(e * 1.06 ** t, 2)}
     for p, e in [("13", 25000.0), ("34", 9000.0), ("42", 15000.0), ("11", 7000.0)] for t, y in enumerate(YEARS)]
)
firms = pd.DataFrame(
    [{"city_code": c, "year": y, "robot_rd_service_firms": k * 3 + t * (k + 1)}
     for k, c in enumerate(codes) for t, y in enumerate(YEARS)]
)
resource = pd.DataFrame(
    {"name": ["唐山市", "巢湖市", "迁安市", "邯郸市"], "admin_level": ["prefecture", "county_level_city", "county_level_city", "prefecture"],
     "type": ["regenerating", "mature", "mature", "mature"]}
)
smart = pd.DataFrame({"city_code": ["130100", "420600"], "city_name": ["石家庄市", "襄阳市"]})
gov = pd.DataFrame(
    [{"city_code": c, "year": y, "index": v} for c, vals in
     [("130100", [50.0, 52.0, 54.0]), ("130200", [40.0, 41.0, 42.0]), ("340100", [60.0, 61.0, 62.0]), ("420600", [45.0, 47.0, 49.0])]
     for y, v in zip([2017, 2018, 2019], vals)]
)
plan = pd.DataFrame({"city_code": ["340100"], "city_name": ["合肥市"], "kind": ["separately_planned"]})

os.makedirs(MINI, exist_ok=True)
write_csv("admin/cities.csv", cities)
write_csv("admin/crosswalk.csv", crosswalk)
write_csv("yearbook/city_yearbook.csv", yearbook, encoding="gbk")
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "环境"
ws.append(env_header)
for r in env_rows:
    ws.append(r)
os.makedirs(os.path.join(MINI, "yearbook"), exist_ok=True)
wb.save(os.path.join(MINI, "yearbook/city_environment.xlsx"))
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "NOTE"
ws.append(["Introduction", "test workbook in the CEADs layout"])
ws2 = wb.create_sheet("emission vector")
ws2.append(["ID", "city", "year", "emission"])
for r in ceads_rows:
    ws2.append(r)
os.makedirs(os.path.join(MINI, "ceads"), exist_ok=True)
wb.save(os.path.join(MINI, "ceads/City_CO2_Emission_Inventories.xlsx"))
write_csv("climate/ventilation.csv", vent)
write_csv("energy/night_lights.csv", lights)
write_csv("energy/province_energy.csv", penergy)
write_csv("firms/robot_firms.csv", firms)
write_csv("attributes/resource_based_cities_2013.csv", resource)
write_csv("attributes/smart_city_pilots_2012.csv", smart)
write_csv("attributes/gov_business_closeness.csv", gov)
write_csv("attributes/municipalities_plan_cities.csv", plan)
with open(os.path.join(MINI, "yearbook/column_map.toml"), "w", encoding="utf-8") as f:
    f.write("[columns]\n")
    for h, c in zip(yearbook.columns, [
        "city_code", "city_name", "year", "employees", "emp_primary", "emp_secondary", "emp_tertiary", "emp_ict",
        "emp_manufacturing", "gdp_nominal", "va_primary", "va_secondary", "va_tertiary", "gdp_deflator",
        "population", "land_area", "fdi_usd", "exchange_rate", "budget_revenue", "budget_expenditure",
        "students", "fixed_investment", "investment_deflator", "above_scale_firms"]):
        f.write(f'"{h}" = "{c}"\n')
    for h, c in zip(env_header, ["city_code", "city_name", "year", "so2", "dust", "wastewater", "electricity"]):
        if h not in yearbook.columns:
            f.write(f'"{h}" = "{c}"\n')


# ---------------------------------------------------------------- reference implementations
def stata_pctile(x, pct):
    """Stata _pctile (no altdef) with exact rational position n*pct/100; pct in percent."""
    x = sorted(v for v in x if not math.isnan(v))
    n = len(x)
    pos = Fraction(n) * Fraction(pct) / 100
    j = math.floor(pos)
    g = pos - j
    at = lambda k: x[min(max(k, 1), n) - 1]
    if g > 0:
        return at(j + 1)
    return (at(j) + at(j + 1)) / 2


def winsor(x, lo_pct, hi_pct):
    lo, hi = stata_pctile(x, lo_pct), stata_pctile(x, hi_pct)
    return [v if math.isnan(v) else min(max(v, lo), hi) for v in x], lo, hi


def interp_inside(years, values):
    s = pd.Series(values, index=years, dtype=float)
    return s.interpolate(method="index", limit_area="inside").tolist()


def pim(inv):
    delta = 0.096
    inv = list(inv)
    first = next((i for i, v in enumerate(inv) if not math.isnan(v)), None)
    out = [float("nan")] * len(inv)
    if first is None:
        return out
    gr = [inv[t] / inv[t - 1] - 1 for t in range(1, len(inv))
          if not math.isnan(inv[t]) and not math.isnan(inv[t - 1]) and inv[t - 1] > 0]
    g = min(max(sum(gr) / len(gr), 0.0), 0.3) if gr else 0.0
    out[first] = inv[first] / (g + delta)
    for t in range(first + 1, len(inv)):
        out[t] = out[t - 1] * (1 - delta) + inv[t]
    return out


def nan_to_none(v):
    return [None if (isinstance(x, float) and math.isnan(x)) else x for x in v]


clean = {"pctile": [], "winsor": [], "interp": [], "pim": []}
for n in [1, 2, 7, 50, 100, 101, 199, 200, 300, 3836]:
    x = rng.normal(size=n).tolist()
    if n > 10:
        x[3] = x[5]  # ties
        x[7] = float("nan")
    for pct in [0, 1, 5, 25, 50, 75, 95, 99, 100]:
        ref = stata_pctile(x, pct)
        finite = np.array([v for v in x if not math.isnan(v)])
        npv = float(np.percentile(finite, pct, method="averaged_inverted_cdf"))
        clean["pctile"].append({"x": nan_to_none(x), "p": pct / 100, "value": ref, "numpy": npv})
    w, lo, hi = winsor(x, 1, 99)
    clean["winsor"].append({"x": nan_to_none(x), "lower": lo, "upper": hi, "out": nan_to_none(w)})
for case in range(20):
    years = list(range(2006, 2006 + 14))
    v = rng.normal(10, 3, size=14).tolist()
    for k in rng.choice(14, size=int(rng.integers(0, 9)), replace=False):
        v[int(k)] = float("nan")
    clean["interp"].append({"years": years, "x": nan_to_none(v), "out": nan_to_none(interp_inside(years, v))})
for case in range(10):
    inv = (1e5 * np.cumprod(1 + rng.normal(0.08, 0.15, size=14))).tolist()
    if case == 1:
        inv[0] = float("nan")
        inv[1] = float("nan")
    if case == 2:  # shrinking series: growth clamped at 0
        inv = (1e5 * np.cumprod(np.full(14, 0.9))).tolist()
    if case == 3:  # fast growth: clamped at 0.3
        inv = (1e5 * np.cumprod(np.full(14, 1.5))).tolist()
    clean["pim"].append({"investment": nan_to_none(inv), "capital": nan_to_none(pim(inv))})
with open(os.path.join(HERE, "clean.json"), "w") as f:
    json.dump(clean, f, indent=1)

# ---------------------------------------------------------------- panel reference
yb = pd.read_csv(os.path.join(MINI, "yearbook/city_yearbook.csv"), encoding="gbk", dtype={"城市代码": str})
cmap = dict(l.split(" = ") for l in open(os.path.join(MINI, "yearbook/column_map.toml"), encoding="utf-8").read().splitlines()[1:])
cmap = {k.strip('"'): v.strip('"') for k, v in cmap.items()}
yb = yb.rename(columns=cmap).drop(columns=["city_name"])
env = pd.DataFrame(env_rows, columns=env_header).rename(columns=cmap).drop(columns=["city_name"])
em = pd.DataFrame([{"city_code": c, "year": y, "co2_mt": v} for (c, y), v in co2.items()])
wide = yb.merge(env, on=["city_code", "year"]).merge(em, on=["city_code", "year"]).merge(vent.astype({"city_code": str}), on=["city_code", "year"]) \
    .merge(lights, on=["city_code", "year"]).merge(firms, on=["city_code", "year"])
wide = wide.merge(cities[["city_code", "province_code"]], on="city_code")
wide = wide.merge(penergy, on=["province_code", "year"], how="left")
wide = wide.sort_values(["city_code", "year"]).reset_index(drop=True)
raw_cols = [c for c in wide.columns if c not in ("city_code", "year", "province_code")]
filled = {}
for c in raw_cols:
    wide[c] = wide[c].astype(float)
    before = wide[c].isna().sum()
    wide[c] = wide.groupby("city_code", group_keys=False)[c].apply(
        lambda s: s.interpolate(method="index", limit_area="inside") if False else
        pd.Series(interp_inside(wide.loc[s.index, "year"].tolist(), s.tolist()), index=s.index))
    filled[c] = int(before - wide[c].isna().sum())
W = wide
d = W.gdp_deflator / 100
out = pd.DataFrame({"city_code": W.city_code, "year": W.year})
out["CARBON"] = np.log(W.co2_mt * 1e6)
out["CARBON_I"] = W.co2_mt * 1e6 / (W.gdp_nominal / d)
va_tot = W.va_primary + W.va_secondary + W.va_tertiary
out["IU"] = sum((W[f"va_{s}"] / va_tot) * (W[f"va_{s}"] / d) / (W[f"emp_{s}"] * 1e4) for s in ["primary", "secondary", "tertiary"])
out["DI"] = W.emp_ict / W.emp_tertiary
out["GDP"] = np.log(W.gdp_nominal / d / W.population)
out["PS"] = np.log(W.population * 1e4 / W.land_area)
out["FDI"] = 100 * W.fdi_usd * W.exchange_rate / W.gdp_nominal
out["FP"] = (W.budget_expenditure - W.budget_revenue) / W.gdp_nominal
out["URB"] = (W.emp_secondary + W.emp_tertiary) / (W.emp_primary + W.emp_secondary + W.emp_tertiary)
share = W.dn_sum / W.groupby(["province_code", "year"]).dn_sum.transform("sum")
out["EC"] = np.log(W.energy_10k_tce * 1e4 * share)
out["HC"] = 100 * W.students / (W.population * 1e4)
out["VC"] = np.log(W.boundary_layer_height_m * W.wind_speed_10m_ms)
out["YFE"] = W.robot_rd_service_firms.astype(float)
unwinsorized = out.copy()
for c in ["CARBON", "CARBON_I", "IU", "DI", "GDP", "PS", "FDI", "FP", "URB", "EC", "HC", "VC"]:
    out[c] = winsor(out[c].tolist(), 1, 99)[0]
# Flags
out["resource_based"] = out.city_code.isin(["130200"]).astype(int)  # 唐山 (巢湖市 is county-level in 2013)
out["smart_city_pilot"] = out.city_code.isin(smart.city_code).astype(int)
means = gov.groupby("city_code")["index"].mean()
med = float(np.median(means.values))
out["gov_business_high"] = out.city_code.map(lambda c: int(means.get(c, -np.inf) > med))
out["municipality_or_plan"] = out.city_code.isin(plan.city_code).astype(int)
out["province_code"] = out.city_code.map(dict(zip(cities.city_code, cities.province_code)))

dea = pd.DataFrame({"city_code": W.city_code, "year": W.year})
dea["labour"] = W.employees
inv_real = W.fixed_investment / (W.investment_deflator / 100)
cap = []
for c, g in W.assign(inv_real=inv_real).groupby("city_code", sort=True):
    cap.extend(pim(g.sort_values("year").inv_real.tolist()))
dea["capital"] = cap
dea["energy"] = W.electricity
dea["gdp_real"] = W.gdp_nominal / d
dea["so2"] = W.so2
dea["dust"] = W.dust
dea["wastewater"] = W.wastewater


def frame_json(df):
    return {c: (df[c].tolist() if df[c].dtype == object else nan_to_none([float(v) if df[c].dtype.kind == "f" else int(v) for v in df[c]]))
            for c in df.columns}


golden = {
    "filled": {k: v for k, v in filled.items() if v > 0},
    "panel": frame_json(out),
    "unwinsorized": frame_json(unwinsorized),
    "dea_inputs": frame_json(dea),
    "gov_median": med,
}
with open(os.path.join(HERE, "mini_panel.json"), "w") as f:
    json.dump(golden, f, indent=1, ensure_ascii=False)
print("ok", {k: len(v) for k, v in clean.items()}, golden["filled"])
