#!/usr/bin/env python3
"""Independent oracle for robocarb-estimate's `fgls` (Stata xtgls) and `pcse` (Stata xtpcse).

Writes golden JSON files under ../tests/golden/ that the Rust tests read, so CI needs no Python:

  fgls_grunfeld_data.json          Grunfeld data as Stata's `webuse grunfeld` (statsmodels' grunfeld
                                   without "American Steel": 10 firms x 20 years)
  fgls_synthetic_panel.json        seeded unbalanced panel, 30 panels x 14 periods, no interior gaps
  pcse_synthetic_gap_panel.json    the same panel with a few interior rows removed (gaps)
  pcse_grunfeld_unbalanced_data.json  Grunfeld with a late start, an early end and a gap
  gls_small_gap_panel.json         seeded 8 panels x 14 periods, different lengths and gaps
                                   (fewer panels than periods: pairwise Sigma can be PSD)
  fgls_results.json                xtgls cases
  pcse_results.json                xtpcse cases

The estimators below are written from the formulas with DENSE matrices (the full N x N covariance
Omega and explicit Prais-Winsten matrices), a deliberately different computational route from the
Rust code, which works panel by panel and never forms Omega. Where statsmodels applies (OLS, WLS,
GLS with a given Omega) it is used as a second check and must agree to 1e-9.

Conventions (from Stata's xtgls.ado 2.7.2 and xtpcse.ado 6.7.0):
  rho_i (rhotype regress) = sum_t e_t e_{t-1} / sum_t e_{t-1}^2 over pairs of consecutive periods.
  xtgls:  common rho = sum_i T_i rho_i / sum_i T_i (weights = panel sizes), no clipping;
          no gaps allowed under AR(1) unless `force`, which takes the previous observation of
          the panel as the lag whatever the gap (Stata: "lags based on the data ordered by the
          time variable"); Prais-Winsten; sigma_i^2 = e*_i'e*_i / T_i from the OLS residuals of the
          transformed data; b = (X*'W X*)^-1 X*'W y*, V = (X*'W X*)^-1; igls re-estimates sigma
          (rho stays fixed) until max|b - b_old| / (|b_old| + 1) <= tol.
  xtpcse: common rho = sum_i n_i rho_i / sum_i n_i, n_i = number of lag pairs (+1 with np1), each
          rho_i clipped to [-1, 1]; transform restarts after a gap (that observation is scaled by
          sqrt(1 - rho^2)); V = (X*'X*)^-1 X*' Omega X* (X*'X*)^-1 with Omega = Sigma (x) I over the
          observed (panel, period) cells; Sigma_ij = sum_t e_it e_jt / #t over the periods used
          (casewise: periods observed for every panel; pairwise: periods common to i and j).
  psd (robocarb's option, not Stata's): a pairwise Sigma whose smallest eigenvalue is below
          -1e-10 max|eigenvalue| is replaced by U max(L, 0) U' (np.linalg.eigh), the count of those
          clearly negative eigenvalues is recorded (sigma_projected), and V is not checked for PSD.

Run:  python3 -m venv .venv-fgls
      .venv-fgls/bin/pip install -r requirements-fgls-pcse.txt
      .venv-fgls/bin/python gen_fgls_pcse.py
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import scipy
import scipy.stats as st
import statsmodels
import statsmodels.api as sm
import statsmodels.datasets.grunfeld as grunfeld_ds

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "tests", "golden")
SEED = 20260601


# --------------------------------------------------------------------------------------------
# data


def grunfeld():
    d = grunfeld_ds.load_pandas().data
    d = d[d.firm != "American Steel"].copy()
    firms = list(dict.fromkeys(d.firm))  # Stata's company numbering = order of appearance
    d["company"] = [firms.index(f) + 1 for f in d.firm]
    d["year"] = d.year.astype(int)
    d = d.sort_values(["company", "year"]).reset_index(drop=True)
    return {
        "source": "statsmodels.datasets.grunfeld without American Steel (= Stata webuse grunfeld)",
        "company": d.company.astype(int).tolist(),
        "year": d.year.astype(int).tolist(),
        "invest": d.invest.astype(float).tolist(),
        "mvalue": d.value.astype(float).tolist(),
        "kstock": d.capital.astype(float).tolist(),
        "firm_names": firms,
    }


def synthetic(n_panels=30, seed=SEED):
    """n_panels x 14 periods (2006..2019), unbalanced by late starts / early ends, AR(1) errors
    with panel-specific variances, two regressors, city and year effects."""
    rng = np.random.default_rng(seed)
    years = np.arange(2006, 2020)
    rows = []
    for p in range(n_panels):
        first = 0 if p % 3 else int(rng.integers(0, 3))
        last = len(years) - (0 if p % 4 else int(rng.integers(1, 3)))
        sd = 0.3 + 1.2 * rng.random()
        rho = 0.55
        alpha = rng.normal(0.0, 1.0)
        u = rng.normal(0.0, sd / np.sqrt(1 - rho**2))
        for t in range(len(years)):
            u = rho * u + rng.normal(0.0, sd) if t > 0 else u
            if first <= t < last:
                x1 = rng.normal(1.0, 1.0) + 0.1 * t
                x2 = rng.normal(0.0, 2.0) + 0.3 * alpha
                y = 1.5 + 0.8 * x1 - 0.4 * x2 + alpha + 0.05 * t + u
                rows.append((1000 + 7 * p, int(years[t]), y, x1, x2))
    rows.sort(key=lambda r: (r[0], r[1]))
    cols = list(zip(*rows))
    return {
        "source": f"numpy default_rng({seed}), see gen_fgls_pcse.py synthetic({n_panels})",
        "panel": list(cols[0]),
        "time": list(cols[1]),
        "y": list(cols[2]),
        "x1": list(cols[3]),
        "x2": list(cols[4]),
    }


def with_gaps(data, drop, pkey="panel", tkey="time"):
    keep = [i for i, (p, t) in enumerate(zip(data[pkey], data[tkey])) if (p, t) not in drop]
    out = {k: ([v[i] for i in keep] if isinstance(v, list) and k != "firm_names" else v)
           for k, v in data.items()}
    out["source"] = data["source"] + "; rows dropped to make interior gaps: " + str(sorted(drop))
    return out


def design_grunfeld(d):
    X = np.column_stack([d["mvalue"], d["kstock"], np.ones(len(d["invest"]))])
    return (np.array(d["invest"]), X, ["mvalue", "kstock", "_cons"],
            np.array(d["company"]), np.array(d["year"]))


def design_pooled(d):
    """x1, x2 and the constant (no panel or year dummies)."""
    X = np.column_stack([d["x1"], d["x2"], np.ones(len(d["y"]))])
    return np.array(d["y"]), X, ["x1", "x2", "_cons"], np.array(d["panel"]), np.array(d["time"])


def design_synthetic(d):
    """x1, x2, panel dummies (first panel is the base), year dummies (first year is the base),
    constant last. The Rust tests build the same matrix from the same rule."""
    panel, time = np.array(d["panel"]), np.array(d["time"])
    cols, names = [np.array(d["x1"]), np.array(d["x2"])], ["x1", "x2"]
    for p in sorted(set(panel.tolist()))[1:]:
        cols.append((panel == p).astype(float))
        names.append(f"panel_{p}")
    for t in sorted(set(time.tolist()))[1:]:
        cols.append((time == t).astype(float))
        names.append(f"year_{t}")
    cols.append(np.ones(len(panel)))
    names.append("_cons")
    return np.array(d["y"]), np.column_stack(cols), names, panel, time


# --------------------------------------------------------------------------------------------
# shared pieces


def panels_of(panel, time):
    """Row indices of each panel, in time order (rows are already sorted by panel, time)."""
    out = {}
    for r, p in enumerate(panel):
        out.setdefault(int(p), []).append(r)
    for p in out:
        rs = out[p]
        assert all(time[a] < time[b] for a, b in zip(rs, rs[1:]))
    return out


def rho_regress(e, t, force=False):
    """Stata rhotype(regress): sum e_t e_{t-1} / sum e_{t-1}^2 over consecutive-period pairs
    (with xtgls `force`: over every pair of successive observations of the panel)."""
    num = den = 0.0
    pairs = 0
    for a in range(1, len(e)):
        if force or t[a] - t[a - 1] == 1:
            num += e[a] * e[a - 1]
            den += e[a - 1] ** 2
            pairs += 1
    if pairs == 0 or den == 0.0:
        return None, 0
    return num / den, pairs


def pw_matrix(t, rho, force=False):
    """Explicit Prais-Winsten matrix of one panel; an observation without a predecessor at
    t - 1 (the first one, or the one after a gap) is scaled by sqrt(1 - rho^2). With xtgls
    `force` the previous observation of the panel is the predecessor, whatever the gap."""
    n = len(t)
    P = np.zeros((n, n))
    for a in range(n):
        if a > 0 and (force or t[a] - t[a - 1] == 1):
            P[a, a] = 1.0
            P[a, a - 1] = -rho
        else:
            P[a, a] = np.sqrt(1.0 - rho * rho)
    return P


def block_diag_pw(groups, time, rhos, n, force=False):
    P = np.zeros((n, n))
    for p, rs in groups.items():
        P[np.ix_(rs, rs)] = pw_matrix(time[rs], rhos[p], force)
    return P


def ols(y, X):
    XtX = X.T @ X
    b = np.linalg.solve(XtX, X.T @ y)
    return b, y - X @ b, np.linalg.inv(XtX)


WALD_TOL = 1e-10


def wald_ordered(b, V, tol=WALD_TOL):
    """Wald chi2 b' V^- b with the generalized inverse of an in-order sweep (like Stata's test /
    invsym): coefficient j is dropped when its variance left after the kept ones is <= tol times
    its own variance. df = number of kept coefficients."""
    keep = []
    for j in range(len(b)):
        if V[j, j] <= 0.0:
            continue
        if keep:
            c = V[keep, j]
            resid = V[j, j] - float(c.T @ np.linalg.solve(V[np.ix_(keep, keep)], c))
        else:
            resid = V[j, j]
        if resid > tol * V[j, j]:
            keep.append(j)
    bk = b[keep]
    return float(bk @ np.linalg.solve(V[np.ix_(keep, keep)], bk)), len(keep)


class NotPsd(Exception):
    pass


def check_psd(V, tol=1e-8):
    """In-order sweep over all coefficients; a clearly negative residual variance means V is
    indefinite (possible with pairwise Sigma). Stata refuses to post such a VCE."""
    keep = []
    for j in range(V.shape[0]):
        if V[j, j] < 0.0:
            raise NotPsd()
        if V[j, j] == 0.0:
            continue
        c = V[keep, j]
        resid = V[j, j] - (float(c @ np.linalg.solve(V[np.ix_(keep, keep)], c)) if keep else 0.0)
        if resid < -tol * V[j, j]:
            raise NotPsd()
        if resid > WALD_TOL * V[j, j]:
            keep.append(j)


def inference(b, V, names):
    se = np.sqrt(np.diag(V))
    z = b / se
    p = 2.0 * st.norm.sf(np.abs(z))
    slope = [i for i, n in enumerate(names) if n != "_cons"]
    wald, df = wald_ordered(b[slope], V[np.ix_(slope, slope)])
    return {
        "names": names,
        "b": b.tolist(),
        "se": se.tolist(),
        "z": z.tolist(),
        "p": p.tolist(),
        "wald_chi2": wald,
        "wald_df": df,
        "wald_p": float(st.chi2.sf(wald, df)),
    }


def mreldif(a, b):
    return float(np.max(np.abs(a - b) / (np.abs(b) + 1.0)))


# --------------------------------------------------------------------------------------------
# xtgls


class RhoOutOfRange(Exception):
    pass


class TimeGap(Exception):
    """xtgls under AR(1) without `force` refuses panels with gaps ("not regularly spaced")."""


def xtgls(y, X, names, panel, time, panels="hetero", corr="independent", igls=False,
          clip=False, tol=1e-7, maxiter=300, check_statsmodels=True, force=False):
    n, k = X.shape
    groups = panels_of(panel, time)
    ids = sorted(groups)
    out = {"options": {"panels": panels, "corr": corr, "igls": igls, "clip_rho": clip,
                       "tol": tol}}
    if force:
        out["options"]["force"] = True
    ys, Xs = y.copy(), X.copy()
    rho_out = None
    rho_use = {}
    if corr != "independent":
        b0, e0, _ = ols(y, X)
        rhos = {}
        for p in ids:
            rs = groups[p]
            if not force and any(b - a != 1 for a, b in zip(time[rs], time[rs][1:])):
                raise TimeGap()
            r, _pairs = rho_regress(e0[rs], time[rs], force)
            if r is None:
                raise ValueError("rho_i not computable")
            if clip:
                r = min(1.0, max(-1.0, r))
            rhos[p] = r
        if corr == "ar1":
            num = sum(len(groups[p]) * rhos[p] for p in ids if rhos[p] is not None)
            den = sum(len(groups[p]) for p in ids if rhos[p] is not None)
            common = num / den
            rho_use = {p: common for p in ids}
            rho_out = [common]
        else:
            rho_use = {p: rhos[p] for p in ids}
            rho_out = [rhos[p] for p in ids]
        if any(abs(r) > 1.0 for r in rho_use.values()):
            # Stata would silently drop the first observation of such panels (sqrt of a negative)
            raise RhoOutOfRange()
        P = block_diag_pw(groups, time, rho_use, n, force)
        ys, Xs = P @ y, P @ X
    # first stage on (possibly transformed) data: OLS residuals give Sigma
    b, e, _ = ols(ys, Xs)
    iters = 0
    b_old = None
    while True:
        if panels == "iid":
            s2 = np.full(n, np.mean(e**2))
            sig_out = [float(np.mean(e**2))]
        else:
            s2 = np.empty(n)
            sig_out = []
            for p in ids:
                rs = groups[p]
                v = float(np.mean(e[rs] ** 2))
                s2[rs] = v
                sig_out.append(v)
        w = 1.0 / s2
        XtWX = Xs.T @ (Xs * w[:, None])
        b = np.linalg.solve(XtWX, Xs.T @ (w * ys))
        V = np.linalg.inv(XtWX)
        iters += 1
        if not igls:
            break
        if b_old is not None and mreldif(b, b_old) <= tol:
            break
        if iters >= maxiter:
            raise RuntimeError("igls did not converge")
        b_old = b
        e = ys - Xs @ b
    last_s2 = s2
    if check_statsmodels and all(abs(r) < 1.0 for r in rho_use.values()):
        # statsmodels GLS with the full Omega implied by (rho, sigma): Omega^-1 = P' W P
        Omega_inv = np.diag(w) if corr == "independent" else (P.T @ np.diag(w) @ P)
        g = sm.GLS(y, X, sigma=np.linalg.inv(Omega_inv)).fit()
        assert np.allclose(g.params, b, rtol=1e-9, atol=1e-12), (g.params, b)
        assert np.allclose(g.normalized_cov_params, V, rtol=1e-8, atol=1e-14)
    if check_statsmodels:
        wls = sm.WLS(ys, Xs, weights=w).fit()
        assert np.allclose(wls.params, b, rtol=1e-9, atol=1e-12)
    out.update(inference(b, V, names))
    out.update({"n": int(n), "n_panels": len(ids), "rho": rho_out, "sigma2": sig_out,
                "iterations": iters})
    if corr == "independent" and (igls or panels == "iid"):
        ehat = y - X @ b
        out["log_likelihood"] = float(-0.5 * (n * np.log(2 * np.pi) + np.sum(np.log(last_s2))
                                              + np.sum(ehat**2 / last_s2)))
    else:
        out["log_likelihood"] = None
    return out


# --------------------------------------------------------------------------------------------
# xtpcse


SIGMA_PSD_TOL = 1e-10


def project_psd(S):
    """Projection of a symmetric S onto the PSD cone when it is clearly indefinite: eigenvalues
    below -SIGMA_PSD_TOL max|eigenvalue| count as negative; every negative one is set to 0.
    Returns (S used, count or None)."""
    w, U = np.linalg.eigh(S)
    neg = int(np.sum(w < -SIGMA_PSD_TOL * np.max(np.abs(w))))
    if neg == 0:
        return S, None
    P = (U * np.clip(w, 0.0, None)) @ U.T
    return (P + P.T) / 2.0, neg


def xtpcse(y, X, names, panel, time, corr="independent", sigma="correlated", pairwise=False,
           np1=False, nmk=False, psd=False):
    n, k = X.shape
    groups = panels_of(panel, time)
    ids = sorted(groups)
    has_cons = "_cons" in names
    out = {"options": {"corr": corr, "sigma": sigma, "pairwise": pairwise, "np1": np1,
                       "nmk": nmk}}
    if psd:
        assert sigma == "correlated" and pairwise
        out["options"]["psd"] = True
    ys, Xs = y.copy(), X.copy()
    rho_out = None
    if corr != "independent":
        _, e0, _ = ols(y, X)
        rhos, pairs = {}, {}
        for p in ids:
            rs = groups[p]
            r, m = rho_regress(e0[rs], time[rs])
            rhos[p] = None if r is None else min(1.0, max(-1.0, r))
            pairs[p] = m
        if corr == "ar1":
            wts = {p: pairs[p] + (1 if np1 else 0) for p in ids if rhos[p] is not None}
            common = sum(wts[p] * rhos[p] for p in wts) / sum(wts.values())
            rho_use = {p: common for p in ids}
            rho_out = [common]
        else:
            rho_use = {p: (0.0 if rhos[p] is None else rhos[p]) for p in ids}
            rho_out = [rho_use[p] for p in ids]
        P = block_diag_pw(groups, time, rho_use, n)
        ys, Xs = P @ y, P @ X
    b, e, XtXi = ols(ys, Xs)
    fit = sm.OLS(ys, Xs).fit()
    assert np.allclose(fit.params, b, rtol=1e-9, atol=1e-12)
    rss = float(e @ e)
    tss = float(np.sum((ys - ys.mean()) ** 2)) if has_cons else float(ys @ ys)
    r2 = 1.0 - rss / tss

    # dense Omega over the observed cells
    periods = sorted(set(time.tolist()))
    cell = {(int(panel[r]), int(time[r])): r for r in range(n)}
    if sigma == "independent":
        Omega = np.eye(n) * float(np.mean(e**2))
        sig_out = {"sigma2": float(np.mean(e**2))}
    elif sigma == "hetonly":
        s2 = {p: float(np.mean(e[groups[p]] ** 2)) for p in ids}
        Omega = np.diag([s2[int(panel[r])] for r in range(n)])
        sig_out = {"sigma2_panels": [s2[p] for p in ids]}
    else:
        if pairwise:
            use_t = periods
        else:
            use_t = [t for t in periods if all((p, t) in cell for p in ids)]
            if not use_t:
                raise RuntimeError("no common periods")
        M = len(ids)
        S = np.zeros((M, M))
        for a, pi in enumerate(ids):
            for c, pj in enumerate(ids):
                ts = [t for t in use_t if (pi, t) in cell and (pj, t) in cell]
                if ts:
                    S[a, c] = sum(e[cell[(pi, t)]] * e[cell[(pj, t)]] for t in ts) / len(ts)
        if psd:
            S, out["sigma_projected"] = project_psd(S)
        Omega = np.zeros((n, n))
        pos = {p: a for a, p in enumerate(ids)}
        for r in range(n):
            for s in range(n):
                if time[r] == time[s]:
                    Omega[r, s] = S[pos[int(panel[r])], pos[int(panel[s])]]
        sig_out = {"sigma_diag": np.diag(S).tolist(), "sigma_01": float(S[0, 1]),
                   "n_sigma_periods": len(use_t) if not pairwise else None}
    V = XtXi @ (Xs.T @ Omega @ Xs) @ XtXi
    if nmk:
        V = V * n / (n - k)
    if psd:
        # PSD by construction: Omega's blocks are principal submatrices of a PSD Sigma
        assert np.linalg.eigvalsh(V).min() >= -1e-10 * np.abs(V).max()
    else:
        check_psd(V)
    out.update(inference(b, V, names))
    out.update({"n": int(n), "n_panels": len(ids), "rho": rho_out, "r2": r2})
    out.update(sig_out)
    return out


# --------------------------------------------------------------------------------------------
# Stata's printed answers (Stata manual examples on webuse grunfeld): the oracle must reproduce them


def check_printed(values, printed, what):
    for v, s in zip(values, printed):
        decimals = len(s.split(".")[1]) if "." in s else 0
        # printed digits are rounded: |diff| <= half a unit of the last printed digit
        half_ulp = 0.5 * 10.0 ** (-decimals)
        if abs(v - float(s)) > half_ulp * (1 + 1e-9):
            sys.exit(f"oracle does not reproduce Stata's {what}: {v} vs printed {s}")


def main():
    os.makedirs(GOLDEN, exist_ok=True)
    g = grunfeld()
    syn = synthetic()
    # interior gaps: a panel that keeps its first and last period but loses one in between
    gap_rows = {(syn["panel"][0], 2010), (syn["panel"][40], 2015)}
    syn_gap = with_gaps(syn, gap_rows)
    # Fewer panels than periods (a pairwise Sigma can be positive definite), with panel and year
    # dummies, panels of different lengths and gaps inside two panels.
    small = synthetic(8, SEED + 1)
    small_gap = with_gaps(small, {(small["panel"][0], 2011), (small["panel"][0], 2012),
                                  (small["panel"][-1], 2016)})

    versions = {"python": sys.version.split()[0], "numpy": np.__version__,
                "scipy": scipy.__version__, "statsmodels": statsmodels.__version__}

    yg, Xg, ng, pg, tg = design_grunfeld(g)
    ys_, Xs_, ns_, ps_, ts_ = design_synthetic(syn)
    yq, Xq, nq, pq, tq = design_synthetic(syn_gap)
    # Grunfeld made unbalanced: late start, early end, one interior gap (M = 10 < T, so a
    # pairwise Sigma stays positive definite here)
    g_unb = with_gaps(g, {(3, 1935), (3, 1936), (3, 1937), (7, 1953), (7, 1954), (9, 1945)},
                      "company", "year")
    yu, Xu, nu, pu, tu = design_grunfeld(g_unb)
    ysm, Xsm, nsm, psm, tsm = design_synthetic(small_gap)
    spooled = design_pooled(small_gap)

    fgls_cases = {}
    for panels in ("iid", "hetero"):
        for corr in ("independent", "ar1", "psar1"):
            for igls in (False, True):
                for clip in ((False, True) if corr == "psar1" else (False,)):
                    tag = f"{panels}_{corr}_{'igls' if igls else 'twostep'}"
                    tag += "_clip" if clip else ""
                    for dname, (yy, XX, nn, pp, tt) in (
                            ("grunfeld", (yg, Xg, ng, pg, tg)),
                            ("synthetic", (ys_, Xs_, ns_, ps_, ts_))):
                        try:
                            res = xtgls(yy, XX, nn, pp, tt, panels, corr, igls, clip)
                        except RhoOutOfRange:
                            res = {"options": {"panels": panels, "corr": corr, "igls": igls,
                                               "clip_rho": clip, "tol": 1e-7},
                                   "error": "rho_out_of_range"}
                        fgls_cases[f"{dname}_{tag}"] = {"data": dname, **res}
    # xtgls refuses interior gaps under AR(1) (Stata: "not regularly spaced")
    fgls_cases["gap_hetero_ar1_twostep"] = {
        "data": "synthetic_gap", "error": "time_gap",
        "options": {"panels": "hetero", "corr": "ar1", "igls": False, "clip_rho": False,
                    "tol": 1e-7}}
    fgls_cases["gap_hetero_independent_twostep"] = {
        "data": "synthetic_gap", **xtgls(yq, Xq, nq, pq, tq, "hetero", "independent", False)}

    # Unbalanced panels with gaps inside panels and panels of different lengths: xtgls `force`
    # (lags = previous observation of the panel); without it AR(1) is refused.
    for dname, (yy, XX, nn, pp, tt) in (("synthetic_gap", (yq, Xq, nq, pq, tq)),
                                        ("grunfeld_unbalanced", (yu, Xu, nu, pu, tu)),
                                        ("small_gap", (ysm, Xsm, nsm, psm, tsm)),
                                        ("small_gap_pooled", spooled)):
        for panels in ("iid", "hetero"):
            for corr in ("independent", "ar1", "psar1"):
                # 8 panels and 23 coefficients: iterated panel variances collapse, two-step only
                for igls in ((False,) if dname.startswith("small") else (False, True)):
                    tag = f"{dname}_{panels}_{corr}_{'igls' if igls else 'twostep'}"
                    try:
                        res = xtgls(yy, XX, nn, pp, tt, panels, corr, igls, force=True)
                    except RhoOutOfRange:
                        res = {"options": {"panels": panels, "corr": corr, "igls": igls,
                                           "clip_rho": False, "tol": 1e-7, "force": True},
                               "error": "rho_out_of_range"}
                    fgls_cases[f"{tag}_force"] = {"data": dname, **res}
                    if corr != "independent" and not igls:
                        try:
                            xtgls(yy, XX, nn, pp, tt, panels, corr, igls)
                            sys.exit(f"{tag}: expected a time gap refusal")
                        except TimeGap:
                            pass
                        fgls_cases[tag] = {
                            "data": dname, "error": "time_gap",
                            "options": {"panels": panels, "corr": corr, "igls": igls,
                                        "clip_rho": False, "tol": 1e-7}}

    het = fgls_cases["grunfeld_hetero_independent_twostep"]
    check_printed(het["b"], [".1116328", ".1537718", "-21.44348"], "xtgls panels(hetero) b")
    check_printed(het["se"], [".0049823", ".0125707", "3.901219"], "xtgls panels(hetero) se")

    pcse_cases = {}
    for corr in ("independent", "ar1", "psar1"):
        for sigma in ("correlated", "hetonly", "independent"):
            pcse_cases[f"grunfeld_{corr}_{sigma}"] = \
                {"data": "grunfeld", **xtpcse(yg, Xg, ng, pg, tg, corr, sigma)}
            pcse_cases[f"synthetic_{corr}_{sigma}"] = \
                {"data": "synthetic", **xtpcse(ys_, Xs_, ns_, ps_, ts_, corr, sigma)}
        for pairwise in (False, True):
            tag = "pairwise" if pairwise else "casewise"
            for dname, key, (yy, XX, nn, pp, tt), np1 in (
                    ("synthetic", f"synthetic_{corr}_correlated_{tag}_np1",
                     (ys_, Xs_, ns_, ps_, ts_), True),
                    ("synthetic_gap", f"gap_{corr}_correlated_{tag}",
                     (yq, Xq, nq, pq, tq), False)):
                try:
                    res = xtpcse(yy, XX, nn, pp, tt, corr, "correlated", pairwise, np1=np1)
                except NotPsd:
                    res = {"options": {"corr": corr, "sigma": "correlated",
                                       "pairwise": pairwise, "np1": np1, "nmk": False},
                           "error": "covariance_not_psd"}
                pcse_cases[key] = {"data": dname, **res}
    for corr in ("independent", "ar1", "psar1"):
        for pairwise in (False, True):
            tag = "pairwise" if pairwise else "casewise"
            try:
                res = xtpcse(ys_, Xs_, ns_, ps_, ts_, corr, "correlated", pairwise)
            except NotPsd:
                res = {"options": {"corr": corr, "sigma": "correlated", "pairwise": pairwise,
                                   "np1": False, "nmk": False},
                       "error": "covariance_not_psd"}
            pcse_cases[f"synthetic_{corr}_correlated_{tag}"] = {"data": "synthetic", **res}
            # With panel dummies a pairwise Sigma makes V indefinite (refused, as the oracle's
            # check_psd); without them it is positive definite here.
            for dname, dd in (("small_gap", (ysm, Xsm, nsm, psm, tsm)),
                              ("small_gap_pooled", spooled)):
                try:
                    res = xtpcse(*dd, corr, "correlated", pairwise)
                except NotPsd:
                    res = {"options": {"corr": corr, "sigma": "correlated",
                                       "pairwise": pairwise, "np1": False, "nmk": False},
                           "error": "covariance_not_psd"}
                pcse_cases[f"{dname}_{corr}_correlated_{tag}"] = {"data": dname, **res}
            pcse_cases[f"grunfeld_unbalanced_{corr}_correlated_{tag}"] = \
                {"data": "grunfeld_unbalanced",
                 **xtpcse(yu, Xu, nu, pu, tu, corr, "correlated", pairwise)}
        pcse_cases[f"grunfeld_unbalanced_{corr}_hetonly"] = \
            {"data": "grunfeld_unbalanced", **xtpcse(yu, Xu, nu, pu, tu, corr, "hetonly")}
    # The `psd` option on every unbalanced pairwise case above: the refused ones get a projected
    # Sigma; where Sigma is PSD the numbers are those of the case without the option.
    pairwise_data = {"synthetic": (ys_, Xs_, ns_, ps_, ts_), "synthetic_gap": (yq, Xq, nq, pq, tq),
                     "small_gap": (ysm, Xsm, nsm, psm, tsm), "small_gap_pooled": spooled,
                     "grunfeld_unbalanced": (yu, Xu, nu, pu, tu)}
    for key in [k for k in pcse_cases if k.endswith(("_pairwise", "_pairwise_np1"))]:
        case = pcse_cases[key]
        o = case["options"]
        res = xtpcse(*pairwise_data[case["data"]], o["corr"], "correlated", True, np1=o["np1"],
                     psd=True)
        if res["sigma_projected"] is None:
            assert "error" not in case, key
            for f in ("b", "se", "wald_chi2"):
                assert np.allclose(res[f], case[f], rtol=1e-12, atol=0), (key, f)
        pcse_cases[key + "_psd"] = {"data": case["data"], **res}
    pcse_cases["grunfeld_independent_correlated_nmk"] = \
        {"data": "grunfeld", **xtpcse(yg, Xg, ng, pg, tg, "independent", "correlated", nmk=True)}

    ind = pcse_cases["grunfeld_independent_correlated"]
    check_printed(ind["b"], [".1155622", ".2306785", "-42.71437"], "xtpcse b")
    check_printed(ind["se"], [".0072124", ".0278862", "6.780965"], "xtpcse PCSE")
    ar1 = pcse_cases["grunfeld_ar1_correlated"]
    check_printed(ar1["rho"], [".9059774"], "xtpcse corr(ar1) rho")
    check_printed(ar1["b"], [".0950157", ".3060051", "-39.1257"], "xtpcse corr(ar1) b")
    check_printed(ar1["se"], [".0129934", ".0603718", "30.50355"], "xtpcse corr(ar1) PCSE")

    def dump(name, obj):
        with open(os.path.join(GOLDEN, name), "w") as f:
            json.dump(obj, f, indent=1, sort_keys=True)
            f.write("\n")

    dump("fgls_grunfeld_data.json", g)
    dump("fgls_synthetic_panel.json", syn)
    dump("pcse_synthetic_gap_panel.json", syn_gap)
    dump("pcse_grunfeld_unbalanced_data.json", g_unb)
    dump("gls_small_gap_panel.json", small_gap)
    meta = {"generator": "crates/estimate/oracles/gen_fgls_pcse.py", "versions": versions,
            "design_synthetic": "x1, x2, panel dummies (base = smallest panel id), year dummies "
                                "(base = first year), _cons last; grunfeld: mvalue, kstock, _cons"}
    dump("fgls_results.json", {"meta": meta, "cases": fgls_cases})
    dump("pcse_results.json", {"meta": meta, "cases": pcse_cases})
    print(f"wrote {len(fgls_cases)} xtgls and {len(pcse_cases)} xtpcse cases to {GOLDEN}")


if __name__ == "__main__":
    main()
