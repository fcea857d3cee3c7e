"""Select the twin's 274 sample cities from the real 2023 admin-division list (deterministic).

Run from the repo root:  python3 crates/synth/scripts/select_cities.py data/real
Writes crates/synth/assets/sample_cities.csv (the generated 274-row subset, committed) and copies the
resource-city list verbatim to crates/synth/assets/resource_based_cities_2013.csv. Standard library only.

Rule (documented in docs/twin.md):
1. pool = 2023 prefecture-level units whose name ends in 市, outside Tibet (54), Taiwan (71),
   Hong Kong (81), Macao (82); plus the 4 municipalities with codes 110100 120100 310100 500100;
2. drop units that were not prefecture-level cities for all of 2006-2019: 毕节 铜仁 (2011), 三沙 (2012),
   海东 (2013), 儋州 吐鲁番 (2015), 哈密 (2016);
3. split into resource-based (name on the 2013 plan's prefecture list) and others; in each group drop
   cities from the highest code downward until 109 resource-based and 165 others remain, never dropping
   a provincial capital (code ending 01), a municipality or separately planned city, or a city whose
   province would be left with fewer than 2 sample cities (or 1 if it has only 1).
"""
import csv, shutil, sys
from pathlib import Path

real = Path(sys.argv[1] if len(sys.argv) > 1 else "data/real")
out = Path(__file__).resolve().parent.parent / "assets"
prov = {r["code"]: r["name"] for r in csv.DictReader(open(real / "admin-divisions/provinces.csv", encoding="utf-8"))}
cities = list(csv.DictReader(open(real / "admin-divisions/cities.csv", encoding="utf-8")))
res = {r["name"] for r in csv.DictReader(open(real / "resource-cities/resource_based_cities_2013.csv", encoding="utf-8"))
       if r["admin_level"] == "prefecture"}
late = {"毕节市", "铜仁市", "三沙市", "海东市", "儋州市", "吐鲁番市", "哈密市"}
plan = {"210200", "370200", "330200", "350200", "440300"}
pool = []
for pc, name in [("11", "北京市"), ("12", "天津市"), ("31", "上海市"), ("50", "重庆市")]:
    pool.append((pc + "0100", name, pc))
for c in cities:
    if c["name"].endswith("市") and c["provinceCode"] not in ("54", "71", "81", "82") and c["name"] not in late:
        pool.append((c["code"] + "00", c["name"], c["provinceCode"]))
pool.sort()
keep = set(code for code, _, _ in pool)
def count(pc):
    return sum(1 for code, _, p in pool if p == pc and code in keep)
for is_res, target in [(True, 109), (False, 165)]:
    group = [c for c in pool if (c[1] in res) == is_res]
    excess = len(group) - target
    for code, name, pc in sorted(group, reverse=True):
        if excess == 0:
            break
        if code.endswith("0100") or code in plan or count(pc) <= 2:
            continue
        keep.discard(code); excess -= 1
        print("dropped", code, name, "resource" if is_res else "other")
    assert excess == 0
rows = [c for c in pool if c[0] in keep]
assert len(rows) == 274 and len({p for _, _, p in rows}) == 30
with open(out / "sample_cities.csv", "w", encoding="utf-8", newline="") as f:
    f.write("city_code,city_name,short_name,province_code,province_name,resource_based\n")
    for code, name, pc in rows:
        f.write(f"{code},{name},{name[:-1]},{pc},{prov[pc]},{int(name in res)}\n")
shutil.copyfile(real / "resource-cities/resource_based_cities_2013.csv", out / "resource_based_cities_2013.csv")
print(len(rows), sum(1 for r in rows if r[1] in res))
