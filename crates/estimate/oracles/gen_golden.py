"""Writes the golden files of robocarb-estimate (crates/estimate/tests/golden/*.json).

Independent implementations: pyfixest (feols / IV, reghdfe-style ssc), linearmodels
(PanelOLS, IV2SLS with dummies), statsmodels (LSDV OLS), scipy (distributions).
Run:  python3 -m venv .venv && .venv/bin/pip install -r crates/estimate/oracles/requirements.txt
      .venv/bin/python crates/estimate/oracles/gen_golden.py
Every data set is either a public one shipped with statsmodels (Grunfeld) or made here from
a seeded numpy generator and written into the golden file, so the Rust tests replay exactly
the same data and draws.
"""

import json
import os
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import scipy.stats as st
import statsmodels.api as sm
import statsmodels.formula.api as smf
from linearmodels.iv import IV2SLS
from linearmodels.panel import PanelOLS

warnings.filterwarnings("ignore")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden")
SSC = pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")
FIXEF_TOL = 1e-13


def lst(a):
    return [float(v) for v in np.asarray(a).ravel()]


def finite_or_none(v):
    return float(v) if v is not None and np.isfinite(v) else None


def fit_summary(fit, names):
    coef = fit.coef()
    vc = pd.DataFrame(fit._vcov, index=fit._coefnames, columns=fit._coefnames)
    return {
        "names": names,
        "b": lst(coef[names]),
        "se": lst(fit.se()[names]),
        "t": lst(fit.tstat()[names]),
        "p": lst(fit.pvalue()[names]),
        "vcov": [lst(vc.loc[n, names]) for n in names],
        "n": int(fit._N),
        "r2_within": finite_or_none(getattr(fit, "_r2_within", None)),
        "r2_overall": finite_or_none(fit._r2),
        "df_t": float(fit._df_t),
    }


def write(name, obj):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"), allow_nan=False)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def versions():
    import linearmodels
    import scipy
    import statsmodels

    return {
        "pyfixest": pf.__version__,
        "linearmodels": linearmodels.__version__,
        "statsmodels": statsmodels.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
    }


# ---------------------------------------------------------------- (a) Grunfeld
def grunfeld():
    df = sm.datasets.grunfeld.load_pandas().data
    df = df[df["firm"] != "American Steel"].copy()
    df = df.rename(columns={"value": "mvalue", "capital": "kstock"})
    df["firm_id"] = pd.factorize(df["firm"], sort=True)[0] + 1
    df["year"] = df["year"].astype(int)
    df = df.sort_values(["firm_id", "year"]).reset_index(drop=True)
    names = ["mvalue", "kstock"]
    cases = {}
    specs = {
        "twoway_cluster_firm": ("invest ~ mvalue + kstock | firm_id + year", {"CRV1": "firm_id"}),
        "twoway_hc1": ("invest ~ mvalue + kstock | firm_id + year", "HC1"),
        "twoway_iid": ("invest ~ mvalue + kstock | firm_id + year", "iid"),
        "twoway_cluster_firm_year": ("invest ~ mvalue + kstock | firm_id + year", {"CRV1": "firm_id+year"}),
        "oneway_cluster_firm": ("invest ~ mvalue + kstock | firm_id", {"CRV1": "firm_id"}),
        "oneway_iid": ("invest ~ mvalue + kstock | firm_id", "iid"),
    }
    for key, (fml, vcov) in specs.items():
        fit = pf.feols(fml, df, vcov=vcov, ssc=SSC, fixef_tol=FIXEF_TOL, fixef_maxiter=100000)
        cases[key] = fit_summary(fit, names)
    # No FE: pyfixest reports the intercept with an SE.
    for key, vcov in {"nofe_cluster_firm": {"CRV1": "firm_id"}, "nofe_hc1": "HC1"}.items():
        fit = pf.feols("invest ~ mvalue + kstock", df, vcov=vcov, ssc=SSC)
        s = fit_summary(fit, ["mvalue", "kstock", "Intercept"])
        s["names"] = ["mvalue", "kstock", "_cons"]
        cases[key] = s
    # reghdfe-style constant with both effects absorbed: linearmodels PanelOLS with a const.
    pdf = df.set_index(["firm_id", "year"])
    pol = PanelOLS(pdf["invest"], sm.add_constant(pdf[names]), entity_effects=True, time_effects=True).fit()
    cases["twoway_cluster_firm"]["cons"] = float(pol.params["const"])
    # The same b from an exact LSDV solve (statsmodels, dummies).
    lsdv = smf.ols("invest ~ mvalue + kstock + C(firm_id) + C(year)", df).fit()
    cases["twoway_cluster_firm"]["b_lsdv"] = lst(lsdv.params[names])
    data = {
        "invest": lst(df["invest"]),
        "mvalue": lst(df["mvalue"]),
        "kstock": lst(df["kstock"]),
        "firm": [int(v) for v in df["firm_id"]],
        "year": [int(v) for v in df["year"]],
    }
    write("grunfeld.json", {"versions": versions(), "data": data, "cases": cases})


# ------------------------------------------- (b) unbalanced panel with singletons
def unbalanced():
    rng = np.random.default_rng(20260601)
    n_city, n_year = 40, 12
    city = np.repeat(np.arange(n_city), n_year)
    year = np.tile(np.arange(2006, 2006 + n_year), n_city)
    keep = rng.random(city.size) > 0.3
    df = pd.DataFrame({"city": city[keep], "year": year[keep]})
    # Singletons: a city observed once, and a year-only singleton (year 2030, one row).
    extra = pd.DataFrame({"city": [100, 7], "year": [2010, 2030]})
    df = pd.concat([df, extra], ignore_index=True)
    n = len(df)
    ce = rng.normal(size=200)[df["city"] % 200]
    ye = rng.normal(size=40)[df["year"] - 2000]
    df["x1"] = rng.normal(size=n) + 0.5 * ce
    df["x2"] = rng.normal(size=n) - 0.3 * ye
    df["x3"] = rng.gamma(2.0, 1.0, size=n)
    df["x4"] = df["x1"] - 2.0 * df["x3"]  # exactly collinear with x1, x3
    df["xc"] = (df["city"] % 5).astype(float)  # constant within city: absorbed
    df["y"] = 1.0 + 0.7 * df["x1"] - 0.4 * df["x2"] + 0.25 * df["x3"] + ce + ye + rng.normal(size=n) * (
        1 + 0.5 * np.abs(df["x2"])
    )
    df["province"] = df["city"] // 4
    names = ["x1", "x2", "x3"]
    cases = {}
    specs = {
        "cluster_city": {"CRV1": "city"},
        "cluster_province": {"CRV1": "province"},
        "cluster_city_year": {"CRV1": "city+year"},
        "hc1": "HC1",
        "iid": "iid",
    }
    fml = "y ~ x1 + x2 + x3 + x4 + xc | city + year"
    for key, vcov in specs.items():
        fit = pf.feols(fml, df, vcov=vcov, ssc=SSC, fixef_tol=FIXEF_TOL, fixef_maxiter=100000, fixef_rm="singleton")
        s = fit_summary(fit, names)
        s["collinear_dropped"] = [c for c in ["x1", "x2", "x3", "x4", "xc"] if c not in fit._coefnames]
        cases[key] = s
    # Three FE dimensions (forces the iterative solver; third FE crosses city and year).
    df["grp"] = (df["city"] * 7 + df["year"] * 3) % 5
    fit3 = pf.feols("y ~ x1 + x2 + x3 | city + year + grp", df, vcov={"CRV1": "city"}, ssc=SSC,
                    fixef_tol=FIXEF_TOL, fixef_maxiter=100000, fixef_rm="singleton")
    cases["three_fe_cluster_city"] = fit_summary(fit3, names)
    # Exact b from LSDV on the sample without singletons.
    fit = pf.feols(fml, df, vcov="iid", fixef_tol=FIXEF_TOL, fixef_maxiter=100000, fixef_rm="singleton")
    sample = df.loc[fit._data.index] if hasattr(fit, "_data") else df
    lsdv = smf.ols("y ~ x1 + x2 + x3 + C(city) + C(year)", sample).fit()
    cases["cluster_city"]["b_lsdv"] = lst(lsdv.params[names])
    cases["cluster_city"]["singletons_dropped"] = int(n - fit._N)
    data = {c: lst(df[c]) for c in ["y", "x1", "x2", "x3", "x4", "xc"]}
    data.update({c: [int(v) for v in df[c]] for c in ["city", "year", "province", "grp"]})
    write("unbalanced.json", {"versions": versions(), "data": data, "cases": cases})


# ------------------------------------------------------------ distributions
def distributions():
    rows = []
    for t, df in [(0.5, 3), (1.96, 9), (2.7, 19), (-4.1, 150), (12.0, 5), (0.01, 3000)]:
        rows.append({"kind": "t2", "x": t, "df": df, "v": float(2 * st.t.sf(abs(t), df))})
    for f, d1, d2 in [(3.2, 2, 19), (0.4, 3, 100), (25.0, 1, 9), (7.5, 4, 3800)]:
        rows.append({"kind": "f", "x": f, "d1": d1, "d2": d2, "v": float(st.f.sf(f, d1, d2))})
    for x, k in [(3.84, 1), (10.0, 3), (0.2, 2), (60.0, 7)]:
        rows.append({"kind": "chi2", "x": x, "df": k, "v": float(st.chi2.sf(x, k))})
    for z in [-8.0, -3.1, -1.0, 0.0, 0.4, 2.5, 6.0]:
        rows.append({"kind": "ncdf", "x": z, "v": float(st.norm.cdf(z))})
    for p in [1e-12, 0.001, 0.025, 0.2, 0.5, 0.8, 0.975, 0.999999]:
        rows.append({"kind": "nq", "x": p, "v": float(st.norm.ppf(p))})
    write("distributions.json", {"versions": versions(), "rows": rows})


# ------------------------------------------------------------------ (c) IV
def wald_f(fit, names):
    b = fit.coef()[names].to_numpy()
    vc = pd.DataFrame(fit._vcov, index=fit._coefnames, columns=fit._coefnames).loc[names, names].to_numpy()
    w = float(b @ np.linalg.solve(vc, b))
    return w, w / len(names)


def iv():
    rng = np.random.default_rng(7001)
    n_city, n_year = 60, 10
    city = np.repeat(np.arange(n_city), n_year)
    year = np.tile(np.arange(n_year), n_city)
    n = city.size
    ce, ye = rng.normal(size=n_city)[city], rng.normal(size=n_year)[year]
    z1 = rng.normal(size=n) + 0.3 * ce
    z2 = rng.normal(size=n) + 0.2 * ye
    w = rng.normal(size=n)
    u = rng.normal(size=n)
    d = 0.35 * z1 + 0.2 * z2 + 0.3 * w + ce + 0.5 * ye + u
    y = 1.0 * d + 0.5 * w + ce - ye + 0.8 * u + rng.normal(size=n)
    df = pd.DataFrame({"y": y, "d": d, "w": w, "z1": z1, "z2": z2, "city": city + 1, "year": year + 2006})
    cases = {}
    for tag, insts in {"overid": ["z1", "z2"], "justid": ["z1"]}.items():
        zs = " + ".join(insts)
        for vtag, vcov in {"cluster": {"CRV1": "city"}, "hc1": "HC1", "iid": "iid"}.items():
            key = f"{tag}_{vtag}"
            fit = pf.feols(f"y ~ w | city + year | d ~ {zs}", df, vcov=vcov, ssc=SSC, fixef_tol=FIXEF_TOL, fixef_maxiter=100000)
            s = fit_summary(fit, ["w", "d"])
            s["pyfixest_first_stage_f"] = float(np.ravel(fit._f_stat_1st_stage)[0])
            fs = pf.feols(f"d ~ w + {zs} | city + year", df, vcov=vcov, ssc=SSC, fixef_tol=FIXEF_TOL, fixef_maxiter=100000)
            _, f_fs = wald_f(fs, insts)
            s["first_stage"] = {
                "b": lst(fs.coef()[insts]),
                "se": lst(fs.se()[insts]),
                "t": lst(fs.tstat()[insts]),
                "partial_f": f_fs,
                "df": [len(insts), float(fs._df_t)],
                "p": float(st.f.sf(f_fs, len(insts), fs._df_t)),
            }
            rf = pf.feols(f"y ~ w + {zs} | city + year", df, vcov=vcov, ssc=SSC, fixef_tol=FIXEF_TOL, fixef_maxiter=100000)
            w_ar, f_ar = wald_f(rf, insts)
            s["anderson_rubin"] = {
                "chi2": w_ar,
                "f": f_ar,
                "f_p": float(st.f.sf(f_ar, len(insts), rf._df_t)),
                "chi2_p": float(st.chi2.sf(w_ar, len(insts))),
            }
            # Cragg-Donald by closed form from two LSDV fits (statsmodels):
            # ((RSS_r - RSS_u)/L) / (RSS_u/(N - K1)), K1 counting FE as the VCE's K does.
            u_fit = smf.ols(f"d ~ w + {zs} + C(city) + C(year)", df).fit()
            r_fit = smf.ols("d ~ w + C(city) + C(year)", df).fit()
            L = len(insts)
            k1_full = 1 + 1 + L + (n_city - 1) + (n_year - 1)
            k1 = k1_full - (n_city - 1) if vtag == "cluster" else k1_full
            s["cragg_donald_f"] = float(((r_fit.ssr - u_fit.ssr) / L) / (u_fit.ssr / (n - k1)))
            s["partial_r2"] = float(1 - u_fit.ssr / r_fit.ssr)
            # linearmodels IV2SLS with dummies (debiased): same b; iid SEs identical.
            cov = {"cluster": "clustered", "hc1": "robust", "iid": "unadjusted"}[vtag]
            kw = {"clusters": df["city"]} if vtag == "cluster" else {}
            lm = IV2SLS.from_formula(f"y ~ 1 + w + C(city) + C(year) + [d ~ {zs}]", df).fit(cov_type=cov, debiased=True, **kw)
            s["linearmodels"] = {
                "b": lst(lm.params[["w", "d"]]),
                "se": lst(lm.std_errors[["w", "d"]]),
                "first_stage_f": float(lm.first_stage.diagnostics.loc["d", "f.stat"]),
                "partial_r2": float(lm.first_stage.diagnostics.loc["d", "partial.rsquared"]),
            }
            cases[key] = s
    # Two endogenous regressors, three instruments: linearmodels b / unadjusted SEs, and
    # the Cragg-Donald minimum-eigenvalue statistic from a generalized eigenproblem.
    z3 = rng.normal(size=n)
    d2 = 0.4 * z3 - 0.3 * z1 + 0.5 * ce + rng.normal(size=n) + 0.5 * u
    df["z3"], df["d2"] = z3, d2
    df["y2"] = y + 0.7 * d2
    lm2 = IV2SLS.from_formula("y2 ~ 1 + w + C(city) + C(year) + [d + d2 ~ z1 + z2 + z3]", df).fit(
        cov_type="unadjusted", debiased=True
    )
    dums = pd.get_dummies(df[["city", "year"]].astype(str), drop_first=True).astype(float)
    X = np.column_stack([np.ones(n), df["w"], dums.to_numpy()])

    def resid(A, B):
        return B - A @ np.linalg.lstsq(A, B, rcond=None)[0]

    D = df[["d", "d2"]].to_numpy()
    Z = df[["z1", "z2", "z3"]].to_numpy()
    Dp, Zp = resid(X, D), resid(X, Z)
    S = Dp.T @ Zp @ np.linalg.solve(Zp.T @ Zp, Zp.T @ Dp)
    V = resid(np.column_stack([X, Z]), D)
    k1 = X.shape[1] + 3
    Sigma = V.T @ V / (n - k1)
    import scipy.linalg as sla

    cd2 = float(sla.eigh(S, Sigma, eigvals_only=True).min() / 3)
    cases["two_endog_iid"] = {
        "b": lst(lm2.params[["w", "d", "d2"]]),
        "se": lst(lm2.std_errors[["w", "d", "d2"]]),
        "cragg_donald_f": cd2,
    }
    data = {c: lst(df[c]) for c in ["y", "d", "w", "z1", "z2", "z3", "d2", "y2"]}
    data.update({c: [int(v) for v in df[c]] for c in ["city", "year"]})
    write("iv.json", {"versions": versions(), "data": data, "cases": cases})


def coef_dict(fit, name):
    return {
        "b": float(fit.coef()[name]),
        "se": float(fit.se()[name]),
        "t": float(fit.tstat()[name]),
        "p": float(fit.pvalue()[name]),
    }


def feols_b(fml, df, name):
    fit = pf.feols(fml, df, vcov="iid", fixef_tol=FIXEF_TOL, fixef_maxiter=100000)
    return float(fit.coef()[name])


# ------------------------------------------------- (d) mediation + bootstrap
def mediation():
    rng = np.random.default_rng(8101)
    n_city, n_year = 50, 8
    city = np.repeat(np.arange(n_city), n_year) * 3 + 11  # non-dense raw ids
    year = np.tile(np.arange(2010, 2010 + n_year), n_city)
    n = city.size
    ce = rng.normal(size=n_city)[(city - 11) // 3]
    ye = rng.normal(size=n_year)[year - 2010]
    w = rng.normal(size=n)
    x = rng.normal(size=n) + 0.5 * ce
    m = 0.6 * x + 0.3 * w + ce + ye + rng.normal(size=n)
    y = 0.4 * x + 0.5 * m - 0.2 * w + ce - ye + rng.normal(size=n) * 1.5
    df = pd.DataFrame({"y": y, "x": x, "m": m, "w": w, "city": city, "year": year})
    kw = dict(vcov={"CRV1": "city"}, ssc=SSC, fixef_tol=FIXEF_TOL, fixef_maxiter=100000)
    eq1 = pf.feols("y ~ x + w | city + year", df, **kw)
    eq2 = pf.feols("m ~ x + w | city + year", df, **kw)
    eq3 = pf.feols("y ~ x + m + w | city + year", df, **kw)
    a, b = coef_dict(eq2, "x"), coef_dict(eq3, "m")
    ab = a["b"] * b["b"]
    base = b["b"] ** 2 * a["se"] ** 2 + a["b"] ** 2 * b["se"] ** 2
    cross = a["se"] ** 2 * b["se"] ** 2
    tests = {}
    for name, var in {"sobel": base, "aroian": base + cross, "goodman": base - cross}.items():
        se = np.sqrt(var)
        tests[name] = {"se": float(se), "z": float(ab / se), "p": float(2 * st.norm.sf(abs(ab / se)))}
    # Cluster bootstrap with draws made here (positions into the sorted unique city ids).
    ids = np.sort(df["city"].unique())
    G = ids.size
    B = 30
    draws = [rng.integers(0, G, size=G) for _ in range(B)]
    abs_ = []
    groups = {c: g for c, g in df.groupby("city")}
    for draw in draws:
        parts = []
        for copy, k in enumerate(draw):
            part = groups[ids[k]].copy()
            part["city"] = copy
            parts.append(part)
        bs = pd.concat(parts, ignore_index=True)
        abs_.append(feols_b("m ~ x + w | city + year", bs, "x") * feols_b("y ~ x + m + w | city + year", bs, "m"))
    abs_ = np.array(abs_)
    level = 0.95
    alpha = 1 - level
    pct = np.quantile(abs_, [alpha / 2, 1 - alpha / 2])
    z0 = st.norm.ppf(np.mean(abs_ <= ab))
    zc = st.norm.ppf(1 - alpha / 2)
    bc = np.quantile(abs_, [st.norm.cdf(2 * z0 - zc), st.norm.cdf(2 * z0 + zc)])
    out = {
        "c": coef_dict(eq1, "x"),
        "a": a,
        "b": b,
        "c_prime": coef_dict(eq3, "x"),
        "indirect": ab,
        "tests": tests,
        "proportion_mediated": ab / float(eq1.coef()["x"]),
        "bootstrap": {
            "draws": [[int(v) for v in d] for d in draws],
            "ab": lst(abs_),
            "level": level,
            "mean": float(abs_.mean()),
            "se": float(abs_.std(ddof=1)),
            "percentile": lst(pct),
            "bias_corrected": lst(bc),
        },
    }
    data = {c: lst(df[c]) for c in ["y", "x", "m", "w"]}
    data.update({c: [int(v) for v in df[c]] for c in ["city", "year"]})
    write("mediation.json", {"versions": versions(), "data": data, "result": out})


# ------------------------------------------- (e) bdiff permutations + Chow
def group_difference():
    rng = np.random.default_rng(9201)
    n_city, n_year = 40, 8
    city = np.repeat(np.arange(n_city), n_year) + 100
    year = np.tile(np.arange(2008, 2008 + n_year), n_city)
    n = city.size
    grp_city = rng.random(n_city) < 0.4
    g = grp_city[city - 100].astype(int)
    ce = rng.normal(size=n_city)[city - 100]
    ye = rng.normal(size=n_year)[year - 2008]
    x = rng.normal(size=n) + 0.3 * ce
    w = rng.normal(size=n)
    y = np.where(g == 1, 0.2, 0.6) * x + 0.3 * w + ce + ye * (1 + 0.5 * g) + rng.normal(size=n)
    df = pd.DataFrame({"y": y, "x": x, "w": w, "city": city, "year": year, "g": g})
    kw = dict(vcov={"CRV1": "city"}, ssc=SSC, fixef_tol=FIXEF_TOL, fixef_maxiter=100000)
    fml = "y ~ x + w | city + year"
    f0 = pf.feols(fml, df[df.g == 0], **kw)
    f1 = pf.feols(fml, df[df.g == 1], **kw)
    b0, b1 = coef_dict(f0, "x"), coef_dict(f1, "x")
    d0 = b0["b"] - b1["b"]
    ids = np.sort(df["city"].unique())
    G = ids.size
    grp_of = df.groupby("city")["g"].first().loc[ids].to_numpy()
    G0 = int((grp_of == 0).sum())
    R = 30
    perms = [rng.permutation(G) for _ in range(R)]
    ds = []
    for perm in perms:
        c0 = set(ids[perm[:G0]])
        s0 = df[df.city.isin(c0)]
        s1 = df[~df.city.isin(c0)]
        ds.append(feols_b(fml, s0, "x") - feols_b(fml, s1, "x"))
    ds = np.array(ds)
    p = float(np.mean(ds >= d0))
    if p > 0.5:
        p = 1 - p
    chow = pf.feols("y ~ x + w + x:g + w:g | city + year^g", df, **kw)
    names = ["x:g", "w:g"]
    w_joint, f_joint = wald_f(chow, names)
    t = float(chow.tstat()["x:g"])
    out = {
        "group0": {**b0, "n": int(f0._N)},
        "group1": {**b1, "n": int(f1._N)},
        "d0": d0,
        "permutations": [[int(v) for v in pm] for pm in perms],
        "d_star": lst(ds),
        "p": p,
        "chow": {
            "diff": float(chow.coef()["x:g"]),
            "se": float(chow.se()["x:g"]),
            "f": t * t,
            "p": float(st.f.sf(t * t, 1, chow._df_t)),
            "joint_f": f_joint,
            "joint_p": float(st.f.sf(f_joint, 2, chow._df_t)),
            "df": float(chow._df_t),
        },
    }
    data = {c: lst(df[c]) for c in ["y", "x", "w"]}
    data.update({c: [int(v) for v in df[c]] for c in ["city", "year", "g"]})
    write("groupdiff.json", {"versions": versions(), "data": data, "result": out})


# ------------------------- (f) resampling replays on an unbalanced panel
def resampling_unbalanced():
    """Bootstrap ab* and permutation d* on an unbalanced city x year panel shaped like the
    real CEADs one (some cities every year, the others with holes, two cities observed
    once, one year seen by few cities), each draw refitted by pyfixest on its own sample:
    pins the moment fast path of crates/estimate/src/cluster_moments.rs on unbalanced data."""
    rng = np.random.default_rng(1707)
    n_city, n_year = 45, 10
    city = np.repeat(np.arange(n_city), n_year) * 5 + 200
    year = np.tile(np.arange(2006, 2006 + n_year), n_city)
    k = (city - 200) // 5
    keep = (k < 12) | (rng.random(city.size) < 0.7)
    keep &= (year != 2015) | (k % 6 == 0)  # 2015 seen by few cities
    for c in (40, 44):  # observed once
        keep &= (k != c) | (year == 2010)
    df = pd.DataFrame({"city": city[keep], "year": year[keep]}).reset_index(drop=True)
    n = len(df)
    ce = rng.normal(size=n_city)[(df["city"] - 200) // 5]
    ye = rng.normal(size=n_year)[df["year"] - 2006]
    df["w"] = rng.normal(size=n) + 0.3 * ye
    df["x"] = rng.normal(size=n) + 0.5 * ce
    df["m"] = 0.6 * df["x"] + 0.3 * df["w"] + ce + ye + rng.normal(size=n)
    df["y"] = 0.4 * df["x"] + 0.5 * df["m"] - 0.2 * df["w"] + ce - ye + rng.normal(size=n) * 1.5
    df["g"] = (((df["city"] - 200) // 5) % 3 == 0).astype(int)
    ids = np.sort(df["city"].unique())
    G = ids.size
    groups = {c: part for c, part in df.groupby("city")}
    a = feols_b("m ~ x + w | city + year", df, "x")
    b = feols_b("y ~ x + m + w | city + year", df, "m")
    draws = [rng.integers(0, G, size=G) for _ in range(40)]
    ab = []
    for draw in draws:
        parts = []
        for copy, pos in enumerate(draw):
            part = groups[ids[pos]].copy()
            part["city"] = copy
            parts.append(part)
        bs = pd.concat(parts, ignore_index=True)
        ab.append(feols_b("m ~ x + w | city + year", bs, "x") * feols_b("y ~ x + m + w | city + year", bs, "m"))
    grp_of = df.groupby("city")["g"].first().loc[ids].to_numpy()
    G0 = int((grp_of == 0).sum())
    fml = "y ~ x + w | city + year"
    perms = [rng.permutation(G) for _ in range(40)]
    ds = []
    for perm in perms:
        in0 = df.city.isin(set(ids[perm[:G0]]))
        ds.append(feols_b(fml, df[in0], "x") - feols_b(fml, df[~in0], "x"))
    out = {
        "a": a,
        "b": b,
        "bootstrap_draws": [[int(v) for v in d] for d in draws],
        "ab": lst(ab),
        "permutations": [[int(v) for v in pm] for pm in perms],
        "d_star": lst(ds),
    }
    data = {c: lst(df[c]) for c in ["y", "x", "m", "w"]}
    data.update({c: [int(v) for v in df[c]] for c in ["city", "year", "g"]})
    write("resampling_unbalanced.json", {"versions": versions(), "data": data, "result": out})


if __name__ == "__main__":
    # Names given on the command line write only those golden files.
    ALL = [grunfeld, unbalanced, distributions, iv, mediation, group_difference, resampling_unbalanced]
    import sys

    for f in ALL:
        if len(sys.argv) == 1 or f.__name__ in sys.argv[1:]:
            f()
