"""Independent check of a generated twin (numpy + openpyxl; see requirements.txt).

Usage: python check_twin.py DATA_DIR [GOLDEN_JSON_OUT]
Rebuilds ROBOT by the shift-share formula from the raw files, constructs the controls as METHODS.md /
ingest define them (linear interpolation within city, Stata 1/99 winsorizing), and runs the two-way FE
regression CARBON ~ ROBOT + controls | city + year (within transform, balanced panel) overall and by
Table 9 group, plus DI ~ ROBOT + controls. Prints coefficients; the truth is in truth.toml.
"""
import csv, sys
from pathlib import Path
import numpy as np
import openpyxl

d = Path(sys.argv[1])
cities = list(csv.DictReader(open(d / "admin/cities.csv", encoding="utf-8")))
codes = [c["city_code"] for c in cities]
prov = {c["city_code"]: c["province_code"] for c in cities}
yb = list(csv.DictReader(open(d / "yearbook/city_yearbook.csv", encoding="gbk")))
cmap = {}
for line in open(d / "yearbook/column_map.toml", encoding="utf-8"):
    if "=" in line and line.startswith('"'):
        k, v = line.rsplit("=", 1)
        cmap[k.strip().strip('"')] = v.strip().strip('"')
years = sorted({int(r["年份"]) for r in yb})
T, N = len(years), len(codes)
ci = {c: i for i, c in enumerate(codes)}
def blank():
    return np.full((N, T), np.nan)
raw = {}
for r in yb:
    i, t = ci[r["城市代码"]], int(r["年份"]) - years[0]
    for h, v in r.items():
        c = cmap.get(h)
        if c in ("city_code", "city_name", "year"):
            continue
        raw.setdefault(c, blank())[i, t] = float(v) if v != "" else np.nan
wb = openpyxl.load_workbook(d / "yearbook/city_environment.xlsx", read_only=True)
ws = wb["环境"]
rows = list(ws.iter_rows(values_only=True))
for r in rows[1:]:
    i, t = ci[str(r[0])], int(r[2]) - years[0]
    for k, h in enumerate(rows[0][3:]):
        raw.setdefault(cmap[h], blank())[i, t] = np.nan if r[3 + k] is None else float(r[3 + k])
def interp(a):
    a = a.copy()
    for i in range(N):
        obs = np.where(~np.isnan(a[i]))[0]
        a[i] = np.interp(np.arange(T), obs, a[i, obs])  # interior gaps only (first/last always observed)
    return a
raw = {k: interp(v) for k, v in raw.items()}
# shift-share
conc = list(csv.DictReader(open(d / "ifr/ifr_gbt_concordance.csv", encoding="utf-8")))
ifr = list(csv.DictReader(open(d / "ifr/ifr_operational_stock_china.csv", encoding="utf-8")))
stock = {}
for r in ifr:
    y = int(r["year"]); cl = "gbt2002" if y <= 2011 else "gbt2011"
    g = [c["group"] for c in conc if c["ifr_code"] == r["ifr_code"] and c["classification"] == cl][0]
    stock[(g, y)] = stock.get((g, y), 0) + int(r["operational_stock"])
emp = {}
for r in csv.DictReader(open(d / "yearbook/province_industry_employment.csv", encoding="utf-8")):
    emp[(r["地区代码"], int(r["年份"]), r["行业"])] = float(r["城镇单位就业人员(人)"])
mfg = raw["emp_manufacturing"]
robot = blank()
provs = sorted(set(prov.values()))
for t, y in enumerate(years):
    groups = {g for (g, yy) in stock if yy == y}
    for p in provs:
        rp = sum(emp[(p, y, g)] / sum(emp[(q, y, g)] for q in provs) * stock[(g, y)] for g in groups)
        members = [ci[c] for c in codes if prov[c] == p]
        tot = mfg[members, t].sum()
        for i in members:
            robot[i, t] = mfg[i, t] / tot * rp / 1000
def pct(x, p):  # Stata _pctile
    x = np.sort(x.ravel()); n = len(x); np_ = n * p; j = int(np.floor(np_ + 1e-9)); g = np_ - j
    at = lambda k: x[min(max(k, 1), n) - 1]
    return at(j + 1) if g > 1e-9 else (at(j) + at(j + 1)) / 2
def w(x):
    return np.clip(x, pct(x, 0.01), pct(x, 0.99))
co2 = blank()
ws = openpyxl.load_workbook(d / "ceads/City_CO2_Emission_Inventories.xlsx", read_only=True)["emission vector"]
short = {c["short_name"]: c["city_code"] for c in cities}; short["襄樊"] = "420600"
for r in list(ws.iter_rows(values_only=True))[1:]:
    if r[1] in short:
        co2[ci[short[r[1]]], int(r[2]) - years[0]] = r[3]
vent = blank(); dn = blank()
for r in csv.DictReader(open(d / "climate/ventilation.csv")):
    vent[ci[r["city_code"]], int(r["year"]) - years[0]] = np.log(float(r["boundary_layer_height_m"]) * float(r["wind_speed_10m_ms"]))
for r in csv.DictReader(open(d / "energy/night_lights.csv")):
    dn[ci[r["city_code"]], int(r["year"]) - years[0]] = float(r["dn_sum"])
pe = {(r["province_code"], int(r["year"])): float(r["energy_10k_tce"]) for r in csv.DictReader(open(d / "energy/province_energy.csv"))}
ec = blank()
for t, y in enumerate(years):
    for p in provs:
        members = [ci[c] for c in codes if prov[c] == p]
        for i in members:
            ec[i, t] = np.log(pe[(p, y)] * 1e4 * dn[i, t] / dn[members, t].sum())
R = raw
gdp_real = R["gdp_nominal"] / (R["gdp_deflator"] / 100)
X = {
    "GDP": np.log(gdp_real / R["population"]),
    "PS": np.log(R["population"] * 1e4 / R["land_area"]),
    "FDI": 100 * R["fdi_usd"] * R["exchange_rate"] / R["gdp_nominal"],
    "FP": (R["budget_expenditure"] - R["budget_revenue"]) / R["gdp_nominal"],
    "URB": (R["emp_secondary"] + R["emp_tertiary"]) / (R["emp_primary"] + R["emp_secondary"] + R["emp_tertiary"]),
    "EC": ec, "HC": 100 * R["students"] / (R["population"] * 1e4), "VC": vent,
}
X = {k: w(v) for k, v in X.items()}
CARBON = w(np.log(co2 * 1e6)); ROBOT = w(robot); DI = w(R["emp_ict"] / R["emp_tertiary"])
print("ROBOT moments: mean %.3f sd %.3f min %.3f median %.3f max %.3f" % (ROBOT.mean(), ROBOT.std(ddof=1), ROBOT.min(), np.median(ROBOT), ROBOT.max()))
print("CARBON moments: mean %.3f sd %.3f" % (CARBON.mean(), CARBON.std(ddof=1)))
for k, v in X.items():
    print("%s: mean %.3f sd %.3f min %.3f median %.3f max %.3f" % (k, v.mean(), v.std(ddof=1), v.min(), np.median(v), v.max()))
def fe(y, xs, rows):
    def dm(a):
        a = a[rows]; return a - a.mean(1, keepdims=True) - a.mean(0, keepdims=True) + a.mean()
    Z = np.column_stack([dm(x).ravel() for x in xs]); b = np.linalg.lstsq(Z, dm(y).ravel(), rcond=None)[0]
    e = dm(y).ravel() - Z @ b
    G = len(rows); Tn = T; V = np.zeros((len(xs), len(xs))); ZZi = np.linalg.inv(Z.T @ Z)
    for g in range(G):
        s = Z[g * Tn:(g + 1) * Tn].T @ e[g * Tn:(g + 1) * Tn]; V += np.outer(s, s)
    V = ZZi @ V @ ZZi * G / (G - 1)
    return b, np.sqrt(np.diag(V))
ctrl = list(X.values())
allrows = np.arange(N)
b, se = fe(CARBON, [ROBOT] + ctrl, allrows)
print("baseline ROBOT b = %.4f (se %.4f); controls:" % (b[0], se[0]), dict(zip(X, np.round(b[1:], 3))))
b, se = fe(DI, [ROBOT] + ctrl, allrows); print("DI on ROBOT a = %.4f (se %.4f)" % (b[0], se[0]))
b, se = fe(CARBON, [ROBOT, DI] + ctrl, allrows); print("CARBON on ROBOT, DI: %.4f, %.4f" % (b[0], b[1]))
defl = R["gdp_deflator"] / 100
va = [R["va_primary"], R["va_secondary"], R["va_tertiary"]]; em = [R["emp_primary"], R["emp_secondary"], R["emp_tertiary"]]
IU = w(sum((va[k] / sum(va)) * (va[k] / defl) / (em[k] * 1e4) for k in range(3)))
b, se = fe(IU, [ROBOT] + ctrl, allrows); print("IU on ROBOT a = %.5f (se %.5f), IU mean %.3f" % (b[0], se[0], IU.mean()))
b, se = fe(CARBON, [ROBOT, IU] + ctrl, allrows); print("CARBON on ROBOT, IU: %.4f, %.4f" % (b[0], b[1]))
YFE = blank()
for r in csv.DictReader(open(d / "firms/robot_firms.csv")):
    YFE[ci[r["city_code"]], int(r["year"]) - years[0]] = float(r["robot_rd_service_firms"])
b, se = fe(ROBOT, [YFE] + ctrl, allrows); print("first stage ROBOT on YFE = %.4f (t %.1f)" % (b[0], b[0] / se[0]))
res = {l.strip().split(",")[0] for l in open(d / "attributes/resource_based_cities_2013.csv", encoding="utf-8")}
pil = {r["city_code"] for r in csv.DictReader(open(d / "attributes/smart_city_pilots_2012.csv", encoding="utf-8"))}
gb = {}
for r in csv.DictReader(open(d / "attributes/gov_business_closeness.csv")):
    gb.setdefault(r["city_code"], []).append(float(r["index"]))
m = {k: np.mean(v) for k, v in gb.items()}; med = np.median(list(m.values()))
flags = {"resource": [c["city_name"] in res for c in cities], "pilot": [c in pil for c in codes], "gov_high": [m[c] > med for c in codes]}
for name, f in flags.items():
    f = np.array(f)
    for lab, rows in ((name, np.where(f)[0]), ("not " + name, np.where(~f)[0])):
        b, se = fe(CARBON, [ROBOT] + ctrl, rows); print("%s (n=%d): b = %.4f (se %.4f)" % (lab, len(rows), b[0], se[0]))
if len(sys.argv) > 2:
    # golden file for tests/golden_robot.rs: the independently rebuilt ROBOT (before winsorizing)
    import json
    json.dump({"source": "check_twin.py (numpy %s) on %s" % (np.__version__, d.name), "city_codes": codes, "years": years,
               "robot_thousand": [[float(v) for v in row] for row in robot]}, open(sys.argv[2], "w"), indent=0)
    print("wrote", sys.argv[2])
