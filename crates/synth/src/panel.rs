//! The data-generating process: latent city panel, raw fields as written, the shift-share ROBOT
//! recomputed as the pipeline will compute it, the mediators and CO2.

// City-major panels indexed by (i, t) read more plainly with index loops.
#![allow(clippy::needless_range_loop)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson, StandardNormal};

use crate::cities::City;
use crate::ifr;
use crate::truth::Truth;
use crate::SynthError;

/// Yearbook raw fields in file order (canonical names; headers in `lib.rs`): the fields the
/// ingest adapter reads, shared so the twin and the reader cannot drift apart.
pub use robocarb_ingest::YEARBOOK_FIELDS;
/// Decimals written for each yearbook field (same order).
pub const YEARBOOK_DECIMALS: [usize; 21] = [
    4, 4, 4, 4, 4, 4, 1, 1, 1, 1, 4, 2, 1, 2, 4, 1, 1, 0, 1, 4, 0,
];
/// Environment raw fields in file order and their decimals.
pub const ENV_FIELDS: [&str; 4] = ["so2", "dust", "wastewater", "electricity"];
pub const ENV_DECIMALS: [usize; 4] = [1, 1, 2, 2];

/// Round to `dp` decimals exactly as a reader parses the written text.
pub fn quantize(x: f64, dp: usize) -> f64 {
    format!("{x:.dp$}").parse::<f64>().unwrap_or(x)
}

/// A random stream: ChaCha8 seeded from the seed, one stream number per component, so that
/// changing one component never shifts the draws of another.
pub fn stream(seed: u64, id: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(id);
    r
}

fn normal(r: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(r)
}

/// China's annual average RMB per USD (official central parity), 2006-2019; outside that range
/// the nearest year's value.
pub fn exchange_rate(year: i32) -> f64 {
    const RATES: [f64; 14] = [
        7.9718, 7.6040, 6.9451, 6.8310, 6.7695, 6.4588, 6.3125, 6.1932, 6.1428, 6.2284, 6.6423,
        6.7518, 6.6174, 6.8985,
    ];
    RATES[(year.clamp(2006, 2019) - 2006) as usize]
}

/// Everything generated, in memory, before writing. Panels are city-major: index i * T + t.
pub struct Generated {
    pub cities: Vec<City>,
    pub years: Vec<i32>,
    pub provinces: Vec<(String, String)>,
    /// raw yearbook fields as written (NaN = missing cell)
    pub yearbook: Vec<Vec<f64>>,
    pub env: Vec<Vec<f64>>,
    /// CO2 in million tonnes (complete)
    pub co2_mt: Vec<f64>,
    pub blh: Vec<f64>,
    pub wind: Vec<f64>,
    pub dn_sum: Vec<f64>,
    /// province x year energy, 10k t ce, index p * T + t
    pub province_energy: Vec<f64>,
    /// province x year x group employment (persons): (province index, year index, group, persons)
    pub province_employment: Vec<(usize, usize, &'static str, i64)>,
    pub robot_firms: Vec<i64>,
    /// city x 2017..=2019 gov-business closeness index
    pub gov_index: Vec<[f64; 3]>,
    pub gov_high: Vec<bool>,
    /// constructed ROBOT (thousand units) before and after winsorizing
    pub robot: Vec<f64>,
    pub robot_w: Vec<f64>,
    /// TP = TC / TE measured by the super-SBM Malmquist-Luenberger DEA on the written data
    /// (base year 1), as entered in the CO2 equation.
    pub tp: Vec<f64>,
    pub truth: Truth,
}

fn idx(i: usize, t: usize, nt: usize) -> usize {
    i * nt + t
}

/// Linear interpolation inside each city's observed span, as the pipeline's cleaning does.
fn interpolate(col: &[f64], n: usize, nt: usize) -> Vec<f64> {
    let mut v = col.to_vec();
    for i in 0..n {
        let obs: Vec<usize> = (0..nt).filter(|&t| !col[idx(i, t, nt)].is_nan()).collect();
        for w in obs.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (x0, x1) = (col[idx(i, a, nt)], col[idx(i, b, nt)]);
            for t in a + 1..b {
                v[idx(i, t, nt)] = x0 + (x1 - x0) * (t - a) as f64 / (b - a) as f64;
            }
        }
    }
    v
}

/// Stata `_pctile` percentile (Hyndman-Fan type 2), as `winsor2` uses.
pub fn stata_pctile(values: &[f64], p: f64) -> f64 {
    let mut x: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if x.is_empty() {
        return f64::NAN;
    }
    x.sort_by(f64::total_cmp);
    let n = x.len();
    let np = n as f64 * p;
    let j = np.floor();
    let (j, g) = if np - j > 1.0 - 1e-9 {
        (j + 1.0, 0.0)
    } else {
        (j, np - j)
    };
    let j = j as usize;
    let at = |k: usize| x[k.clamp(1, n) - 1];
    if g > 1e-9 {
        at(j + 1)
    } else {
        (at(j) + at(j + 1)) / 2.0
    }
}

/// Pooled winsorizing at the 1st and 99th percentiles.
pub fn winsorize(values: &[f64]) -> Vec<f64> {
    let lo = stata_pctile(values, 0.01);
    let hi = stata_pctile(values, 0.99);
    values
        .iter()
        .map(|&v| if v.is_finite() { v.clamp(lo, hi) } else { v })
        .collect()
}

/// Two-way demeaned values of a balanced panel (city-major).
fn two_way_demean(x: &[f64], n: usize, nt: usize) -> Vec<f64> {
    let grand = x.iter().sum::<f64>() / x.len() as f64;
    let ci: Vec<f64> = (0..n)
        .map(|i| (0..nt).map(|t| x[idx(i, t, nt)]).sum::<f64>() / nt as f64)
        .collect();
    let ct: Vec<f64> = (0..nt)
        .map(|t| (0..n).map(|i| x[idx(i, t, nt)]).sum::<f64>() / n as f64)
        .collect();
    (0..n * nt)
        .map(|k| x[k] - ci[k / nt] - ct[k % nt] + grand)
        .collect()
}

/// Slope of `y` on `x` after two-way demeaning (the FE slope without controls).
fn within_slope(y: &[f64], x: &[f64], n: usize, nt: usize) -> f64 {
    let (yd, xd) = (two_way_demean(y, n, nt), two_way_demean(x, n, nt));
    let sxy: f64 = yd.iter().zip(&xd).map(|(a, b)| a * b).sum();
    let sxx: f64 = xd.iter().map(|b| b * b).sum();
    sxy / sxx.max(f64::MIN_POSITIVE)
}

/// Largest number of units for which the generator runs the DEA to measure TP.
pub const MAX_DEA_UNITS: usize = 600;

/// TP = TC / TE of the contemporaneous-frontier, VRS super-SBM Malmquist-Luenberger index, from
/// the interpolated yearbook (`sv`) and environment (`env_seen`) columns exactly as the pipeline's
/// DEA inputs are built (labour = employees, capital = PIM of real fixed investment, energy =
/// electricity; good output real GDP; bad outputs SO2, dust, wastewater). Base year: TP = 1.
/// Returns TP and the number of cells the index leaves undefined (set to 1).
fn technical_progress(
    sv: &[Vec<f64>],
    env_seen: &[Vec<f64>],
    n: usize,
    nt: usize,
) -> Result<(Vec<f64>, usize), SynthError> {
    let col = |name: &str| -> &Vec<f64> {
        &sv[YEARBOOK_FIELDS.iter().position(|x| *x == name).unwrap_or(0)]
    };
    let mut capital = vec![0.0; n * nt];
    for i in 0..n {
        let real: Vec<f64> = (0..nt)
            .map(|t| {
                let k = idx(i, t, nt);
                col("fixed_investment")[k] / (col("investment_deflator")[k] / 100.0)
            })
            .collect();
        for (t, kap) in robocarb_ingest::capital_stock_pim(&real)
            .into_iter()
            .enumerate()
        {
            capital[idx(i, t, nt)] = kap;
        }
    }
    let periods: Vec<robocarb_dea::DeaData> = (0..nt)
        .map(|t| {
            let ks: Vec<usize> = (0..n).map(|i| idx(i, t, nt)).collect();
            robocarb_dea::DeaData {
                inputs: ks
                    .iter()
                    .map(|&k| vec![col("employees")[k], capital[k], env_seen[3][k]])
                    .collect(),
                good: ks
                    .iter()
                    .map(|&k| vec![col("gdp_nominal")[k] / (col("gdp_deflator")[k] / 100.0)])
                    .collect(),
                bad: ks
                    .iter()
                    .map(|&k| vec![env_seen[0][k], env_seen[1][k], env_seen[2][k]])
                    .collect(),
            }
        })
        .collect();
    let dea_err = |e: robocarb_dea::DeaError| SynthError::Config(format!("DEA of the twin: {e}"));
    let (periods, _) = robocarb_dea::replace_zeros(&periods).map_err(dea_err)?;
    let ml = robocarb_dea::malmquist_luenberger_against(
        &periods,
        robocarb_dea::Returns::Vrs,
        robocarb_dea::Frontier::Contemporaneous,
        // All units, not the frame: the stored twin's bytes are pinned to this path's last bits.
        robocarb_dea::Reference::AllUnits,
        None,
    )
    .map_err(dea_err)?;
    // A cross-period VRS program can be infeasible (the unit lies outside the other period's
    // technology); the pipeline then leaves that TP missing. The CO2 equation needs a value:
    // such a cell takes the index's "no change", 1, and is counted.
    let mut tp = vec![1.0; n * nt];
    let mut undefined = 0;
    for (t, rows) in ml.yearly().iter().enumerate() {
        for (i, row) in rows.iter().enumerate() {
            match row.tp {
                Some(v) => tp[idx(i, t, nt)] = v,
                None => undefined += 1,
            }
        }
    }
    Ok((tp, undefined))
}

/// Share of a city's cells missing in each yearbook / environment column (interior years only).
pub const MISSING_RATE: f64 = 0.025;

/// Run the data-generating process.
pub fn generate(
    cities: Vec<City>,
    years: Vec<i32>,
    seed: u64,
    process: &crate::TwinProcess,
) -> Result<Generated, SynthError> {
    let mut truth = Truth::default_truth(seed);
    truth.rho_eps = process.rho_eps;
    truth.h_resource *= process.slope_heterogeneity;
    truth.h_pilot *= process.slope_heterogeneity;
    truth.h_gov_low *= process.slope_heterogeneity;
    truth.scale_robot_effect(process.robot_effect);
    let n = cities.len();
    let nt = years.len();
    let t0 = years[0];
    let mut provinces: Vec<(String, String)> = Vec::new();
    for c in &cities {
        if !provinces.iter().any(|(p, _)| *p == c.province_code) {
            provinces.push((c.province_code.clone(), c.province_name.clone()));
        }
    }
    provinces.sort();
    let prov_of: Vec<usize> = cities
        .iter()
        .map(|c| {
            provinces
                .iter()
                .position(|(p, _)| *p == c.province_code)
                .unwrap_or(0)
        })
        .collect();
    let np = provinces.len();
    let tt = |t: usize| f64::from(years[t] - t0);

    // ---- city-level parameters (stream 1) ----
    struct Base {
        pop0: f64,
        pop_g: f64,
        land: f64,
        dev: f64,
        growth: f64,
        emp_rate: f64,
        prim: f64,
        sec: f64,
        mfg: f64,
        mfg_trend: f64,
        di: f64,
        s1: f64,
        s2: f64,
        fdi: f64,
        fp: f64,
        rev: f64,
        hc: f64,
        inv: f64,
        firms: f64,
        so2: f64,
        dust: f64,
        ww: f64,
        elec: f64,
        energy: f64,
        blh: f64,
        wind: f64,
        dn: f64,
        gov: f64,
        co2: f64,
        yfe: f64,
    }
    let mut r = stream(seed, 1);
    let mut base = Vec::with_capacity(n);
    for c in &cities {
        let muni = c.plan_kind == Some("municipality");
        let cap = c.is_capital();
        let plan = c.plan_kind.is_some();
        let mut z = || normal(&mut r);
        let dev = 0.45 * z() + if cap { 0.3 } else { 0.0 } + if plan { 0.35 } else { 0.0 };
        base.push(Base {
            pop0: (420f64.ln() + 0.55 * z()).exp()
                * if muni {
                    3.5
                } else if cap {
                    1.6
                } else {
                    1.0
                },
            pop_g: 0.004 + 0.004 * z(),
            land: (11000f64.ln() + 0.6 * z()).exp() * if muni { 2.0 } else { 1.0 },
            dev,
            growth: (0.105 + 0.015 * z() - 0.01 * dev).max(0.03),
            emp_rate: 0.13 * (0.3 * z() + 0.3 * dev).exp(),
            prim: (0.025 * (0.9 * z()).exp()).min(0.3),
            sec: (0.5 + 0.08 * z()).clamp(0.25, 0.75),
            mfg: (0.62 + 0.1 * z()).clamp(0.3, 0.9),
            mfg_trend: 0.03 * z(),
            di: 0.03 * (0.35 * z()).exp() * if cap { 1.5 } else { 1.0 },
            s1: (0.11 * (0.5 * z() - 0.4 * dev).exp()).clamp(0.005, 0.4),
            s2: (0.52 + 0.07 * z()).clamp(0.3, 0.75),
            fdi: (1.1f64.ln() + 0.85 * z() + 0.4 * dev).exp(),
            fp: 0.09 + 0.06 * z() - 0.04 * dev,
            rev: 0.07 * (0.25 * z()).exp(),
            hc: (0.9f64.ln() + 0.9 * z()).exp() * if cap { 3.0 } else { 1.0 },
            inv: 0.45 * (0.25 * z()).exp(),
            firms: 45.0 * (0.3 * z()).exp(),
            so2: 0.006 * (0.5 * z()).exp(),
            dust: 0.004 * (0.6 * z()).exp(),
            ww: 0.0012 * (0.4 * z()).exp(),
            elec: 0.08 * (0.35 * z()).exp(),
            energy: (0.3 * z()).exp(),
            blh: 700.0 * (0.2 * z()).exp(),
            wind: 2.2 * (0.25 * z()).exp(),
            dn: (0.3 * z()).exp(),
            gov: 50.0 + 8.0 * z() + 6.0 * dev,
            co2: 0.25 * z(),
            yfe: 0.8 * z(),
        });
    }

    // ---- latent raw panel (stream 3): the values as written, before missing cells ----
    let mut r = stream(seed, 3);
    let mut yb = vec![vec![0.0; n * nt]; YEARBOOK_FIELDS.len()];
    let mut env = vec![vec![0.0; n * nt]; ENV_FIELDS.len()];
    let mut gdp_real = vec![0.0; n * nt];
    let mut blh = vec![0.0; n * nt];
    let mut wind = vec![0.0; n * nt];
    let mut dn_sum = vec![0.0; n * nt];
    let mut deflator_growth: Vec<f64> = (0..nt)
        .map(|t| 0.03 + 0.015 * (1.3 * tt(t)).sin())
        .collect();
    for g in deflator_growth.iter_mut() {
        *g += 0.003 * normal(&mut r);
    }
    for (i, b) in base.iter().enumerate() {
        let mut ln_gdppc = 9.75 + b.dev;
        let mut defl = 100.0;
        let mut inv_defl = 100.0;
        for t in 0..nt {
            let k = idx(i, t, nt);
            let s = tt(t);
            if t > 0 {
                ln_gdppc += b.growth * (-0.05 * s).exp() + 0.012 * normal(&mut r);
            }
            defl *= 1.0 + deflator_growth[t] + 0.004 * normal(&mut r);
            inv_defl *= 1.0 + 0.6 * deflator_growth[t] + 0.004 * normal(&mut r);
            let pop = quantize(
                b.pop0 * (b.pop_g * s).exp() * (1.0 + 0.003 * normal(&mut r)),
                2,
            );
            let defl_q = quantize(defl, 4);
            let gdp_nom = quantize(ln_gdppc.exp() * pop * defl_q / 100.0, 1);
            gdp_real[k] = gdp_nom / (defl_q / 100.0);
            let emp = pop * b.emp_rate * (0.01 * s).exp() * (1.0 + 0.005 * normal(&mut r));
            let prim = quantize(emp * b.prim * (1.0 + 0.1 * normal(&mut r)).max(0.2), 4);
            let sec_share = (b.sec - 0.004 * s).clamp(0.2, 0.8);
            let sec = quantize((emp - prim) * sec_share, 4);
            let ter = quantize(emp - prim - sec, 4);
            let mfg_share =
                (b.mfg * (b.mfg_trend * s).exp() * (1.0 + 0.03 * normal(&mut r))).clamp(0.2, 0.95);
            let mfg = quantize(sec * mfg_share, 4);
            let fdi_pct = b.fdi * (0.25 * normal(&mut r)).exp() * (-0.03 * s).exp();
            let rate = quantize(exchange_rate(years[t]), 4);
            let rev = gdp_nom * (b.rev * (1.0 + 0.05 * normal(&mut r))).max(0.03);
            // expenditure stays positive: FP >= -0.02 while revenue >= 3% of GDP
            let fp = (b.fp + 0.01 * normal(&mut r) + 0.002 * s).max(-0.02);
            let hc = b.hc * (0.03 * s).exp() * (1.0 + 0.05 * normal(&mut r));
            let inv_ratio = (b.inv * (0.03 * s).exp() * (1.0 + 0.05 * normal(&mut r))).min(1.3);
            let f = &mut yb;
            f[0][k] = quantize(prim + sec + ter, 4);
            f[1][k] = prim;
            f[2][k] = sec;
            f[3][k] = ter;
            f[5][k] = mfg;
            f[6][k] = gdp_nom;
            f[10][k] = defl_q;
            f[11][k] = pop;
            f[12][k] = quantize(b.land, 1);
            f[13][k] = quantize(fdi_pct / 100.0 * gdp_nom / rate, 2);
            f[14][k] = rate;
            f[15][k] = quantize(rev, 1);
            f[16][k] = quantize(rev + fp * gdp_nom, 1);
            f[17][k] = (hc / 100.0 * pop * 1e4).round();
            f[18][k] = quantize(inv_ratio * gdp_nom, 1);
            f[19][k] = quantize(inv_defl, 4);
            f[20][k] = (mfg * b.firms * (1.0 + 0.1 * normal(&mut r)).max(0.3))
                .round()
                .max(1.0);
            blh[k] = quantize(b.blh * (1.0 + 0.05 * normal(&mut r)), 2);
            wind[k] = quantize(b.wind * (1.0 + 0.05 * normal(&mut r)), 3);
            dn_sum[k] = quantize(
                gdp_real[k].powf(0.8) * b.dn * 0.05 * (1.0 + 0.03 * normal(&mut r)),
                1,
            );
            // placeholders filled after the mediators are drawn
            let _ = &mut env;
        }
    }

    // ---- missing cells (stream 4): interior years only, never the first or last ----
    let mut r = stream(seed, 4);
    let mut yb_missing = vec![vec![false; n * nt]; YEARBOOK_FIELDS.len()];
    let mut env_missing = vec![vec![false; n * nt]; ENV_FIELDS.len()];
    for col in yb_missing.iter_mut().chain(env_missing.iter_mut()) {
        for i in 0..n {
            for t in 1..nt.saturating_sub(1) {
                col[idx(i, t, nt)] = r.random::<f64>() < MISSING_RATE;
            }
        }
    }
    let seen = |col: &[f64], miss: &[bool]| -> Vec<f64> {
        let c: Vec<f64> = col
            .iter()
            .zip(miss)
            .map(|(&v, &m)| if m { f64::NAN } else { v })
            .collect();
        interpolate(&c, n, nt)
    };

    // ---- province employment by group (stream 2) and the shift-share ROBOT ----
    let mfg_seen = seen(&yb[5], &yb_missing[5]);
    let mut r = stream(seed, 2);
    let base_mix: [f64; 14] = [
        0.10, 0.14, 0.03, 0.04, 0.10, 0.04, 0.07, 0.06, 0.05, 0.10, 0.06, 0.03, 0.15, 0.03,
    ];
    let spec: Vec<[(f64, f64); 14]> = (0..np)
        .map(|_| std::array::from_fn(|_| (0.6 * normal(&mut r), 0.03 * normal(&mut r))))
        .collect();
    let mut province_employment = Vec::new();
    let mut robot_prov = vec![0.0; np * nt];
    for t in 0..nt {
        let year = years[t];
        let groups = ifr::groups_of_year(year);
        let stocks = ifr::group_stocks(year);
        // Emp_pjt (persons)
        let mut emp = vec![vec![0i64; groups.len()]; np];
        for (p, row) in emp.iter_mut().enumerate() {
            let total: f64 = (0..n)
                .filter(|&i| prov_of[i] == p)
                .map(|i| mfg_seen[idx(i, t, nt)])
                .sum::<f64>()
                * 1e4
                * 1.25;
            let w: Vec<f64> = (0..14)
                .map(|j| base_mix[j] * (spec[p][j].0 + spec[p][j].1 * tt(t)).exp())
                .collect();
            let wsum: f64 = w.iter().sum();
            let share = |g: &str| -> f64 {
                let pos = |key: &str| {
                    ifr::GBT2011_GROUPS
                        .iter()
                        .position(|x| *x == key)
                        .map(|j| w[j])
                        .unwrap_or(0.0)
                };
                if g == "transport_equipment" {
                    pos("automotive") + pos("other_transport")
                } else {
                    pos(g)
                }
            };
            for (j, g) in groups.iter().enumerate() {
                row[j] = (total * share(g) / wsum * (1.0 + 0.02 * normal(&mut r)))
                    .round()
                    .max(1.0) as i64;
                province_employment.push((p, t, *g, row[j]));
            }
        }
        for (j, stock) in stocks.iter().enumerate() {
            let national: i64 = emp.iter().map(|row| row[j]).sum();
            for p in 0..np {
                robot_prov[p * nt + t] += emp[p][j] as f64 / national as f64 * *stock as f64;
            }
        }
    }
    let mut robot = vec![0.0; n * nt];
    for t in 0..nt {
        for p in 0..np {
            let members: Vec<usize> = (0..n).filter(|&i| prov_of[i] == p).collect();
            let total: f64 = members.iter().map(|&i| mfg_seen[idx(i, t, nt)]).sum();
            for &i in &members {
                robot[idx(i, t, nt)] =
                    mfg_seen[idx(i, t, nt)] / total * robot_prov[p * nt + t] / 1000.0;
            }
        }
    }
    let robot_w = winsorize(&robot);

    // ---- robot-driven investment (the TP channel) ----
    // Fixed investment rises with robot exposure, I = I_0 exp(k ROBOT_w). The extra capital
    // lowers the city's own measured efficiency growth (TE) while the frontier shift at its
    // data (TC) is shared, so TP = TC / TE rises with ROBOT (docs/twin.md, "TP channel").
    for k in 0..n * nt {
        yb[18][k] = quantize(yb[18][k] * (truth.inv_per_robot * robot_w[k]).exp(), 1);
    }

    // ---- mediators (stream 5): m_k = a_k ROBOT_w + u_k for DI and IU; pollution noise for TP ----
    let mut r = stream(seed, 5);
    let mut m_di = vec![0.0; n * nt];
    let mut m_iu = vec![0.0; n * nt];
    let mut m_tp = vec![0.0; n * nt];
    for k in 0..n * nt {
        m_di[k] = truth.a_di * robot_w[k] + truth.sd_u_di * normal(&mut r);
        m_iu[k] = truth.a_iu * robot_w[k] + truth.sd_u_iu * normal(&mut r);
        // TP is not drawn: it is measured from the data by the DEA below. u_TP is only the
        // idiosyncratic noise of the pollution intensities.
        m_tp[k] = truth.sd_u_tp * normal(&mut r);
    }
    let mut r = stream(seed, 6);
    for (i, b) in base.iter().enumerate() {
        for t in 0..nt {
            let k = idx(i, t, nt);
            let s = tt(t);
            // DI = emp_ict / emp_tertiary = di_base + common trend + m_DI (additive, so FE absorb all but m_DI)
            let di = (b.di + 0.001 * s + m_di[k]).max(0.002);
            yb[4][k] = quantize(yb[3][k] * di, 4);
            // value added: primary share falls over time; m_IU moves GDP share toward the
            // sector with the higher share/employment ratio, which raises IU as constructed.
            let gdp = yb[6][k];
            let s1 = (b.s1 * (-0.03 * s).exp()).clamp(0.005, 0.4);
            let mut s2 = (1.0 - s1) * (b.s2 - 0.004 * s).clamp(0.25, 0.8);
            let s3 = 1.0 - s1 - s2;
            // s3 is implied (va_tertiary = gdp - va1 - va2)
            if s2 / yb[2][k] > s3 / yb[3][k] {
                s2 += m_iu[k];
            } else {
                s2 -= m_iu[k];
            }
            let va1 = quantize(gdp * s1, 1);
            let va2 = quantize(gdp * s2.max(0.05), 1);
            yb[7][k] = va1;
            yb[8][k] = va2;
            yb[9][k] = quantize(gdp - va1 - va2, 1);
            // pollution intensities fall with time, with idiosyncratic noise u_TP; robots act on
            // TP through capital (robot-driven investment above), not through pollution
            let green = (-0.05 * s - m_tp[k]).exp();
            let real = gdp_real[k];
            env[0][k] = quantize(
                real * b.so2 * green * (1.0 + 0.08 * normal(&mut r)).max(0.2),
                1,
            );
            env[1][k] = quantize(
                real * b.dust * green * (1.0 + 0.08 * normal(&mut r)).max(0.2),
                1,
            );
            env[2][k] = quantize(
                real * b.ww * green * (1.0 + 0.08 * normal(&mut r)).max(0.2),
                2,
            );
            env[3][k] = quantize(
                real * b.elec * (-0.02 * s).exp() * (1.0 + 0.04 * normal(&mut r)),
                2,
            );
        }
    }

    // ---- province energy (stream 7, 10k t ce) ----
    let mut r = stream(seed, 7);
    let mut province_energy = vec![0.0; np * nt];
    for p in 0..np {
        for t in 0..nt {
            let tce: f64 = (0..n)
                .filter(|&i| prov_of[i] == p)
                .map(|i| gdp_real[idx(i, t, nt)] * base[i].energy * (-0.035 * tt(t)).exp())
                .sum();
            province_energy[p * nt + t] =
                quantize(tce * 1.2 / 1e4 * (1.0 + 0.02 * normal(&mut r)), 2);
        }
    }

    // ---- controls as the pipeline constructs them (interpolated, then winsorized) ----
    let sv: Vec<Vec<f64>> = (0..YEARBOOK_FIELDS.len())
        .map(|c| seen(&yb[c], &yb_missing[c]))
        .collect();
    let f = |name: &str| -> &Vec<f64> {
        &sv[YEARBOOK_FIELDS.iter().position(|x| *x == name).unwrap_or(0)]
    };
    let mut dn_prov = vec![0.0; np * nt];
    for i in 0..n {
        for t in 0..nt {
            dn_prov[prov_of[i] * nt + t] += dn_sum[idx(i, t, nt)];
        }
    }
    let mut controls: Vec<Vec<f64>> = (0..8).map(|_| Vec::with_capacity(n * nt)).collect();
    for i in 0..n {
        for t in 0..nt {
            let k = idx(i, t, nt);
            let (gdp, defl, pop) = (
                f("gdp_nominal")[k],
                f("gdp_deflator")[k],
                f("population")[k],
            );
            controls[0].push((gdp / (defl / 100.0) / pop).ln());
            controls[1].push((pop * 1e4 / f("land_area")[k]).ln());
            controls[2].push(100.0 * f("fdi_usd")[k] * f("exchange_rate")[k] / gdp);
            controls[3].push((f("budget_expenditure")[k] - f("budget_revenue")[k]) / gdp);
            let (e1, e2, e3) = (
                f("emp_primary")[k],
                f("emp_secondary")[k],
                f("emp_tertiary")[k],
            );
            controls[4].push((e2 + e3) / (e1 + e2 + e3));
            let pe = province_energy[prov_of[i] * nt + t];
            controls[5].push((pe * 1e4 * dn_sum[k] / dn_prov[prov_of[i] * nt + t]).ln());
            controls[6].push(100.0 * f("students")[k] / (pop * 1e4));
            controls[7].push((blh[k] * wind[k]).ln());
        }
    }
    let controls: Vec<Vec<f64>> = controls.iter().map(|c| winsorize(c)).collect();
    // The controls' part of ln CO2. Its within-city movements are correlated with ROBOT's (the
    // controls do not depend on robots, but share drivers with manufacturing employment), so a
    // specification that leaves a control out picks some of it up. `robot_effect` scales that
    // two-way demeaned part too (docs/twin.md, "No effect of robots"); at 1 it is untouched.
    let mut x_part: Vec<f64> = (0..n * nt)
        .map(|k| (0..8).map(|c| truth.delta[c] * controls[c][k]).sum())
        .collect();
    if truth.robot_effect != 1.0 {
        let within = two_way_demean(&x_part, n, nt);
        for (x, w) in x_part.iter_mut().zip(within) {
            *x -= (1.0 - truth.robot_effect) * w;
        }
    }

    // ---- TP as the pipeline measures it: super-SBM Malmquist-Luenberger on the written data ----
    let env_seen: Vec<Vec<f64>> = (0..ENV_FIELDS.len())
        .map(|c| seen(&env[c], &env_missing[c]))
        .collect();
    // The DEA is quadratic-ish in the number of units: past MAX_DEA_UNITS (and when it cannot
    // run, e.g. one city) the TP channel is off: TP = 1, a_TP = 0, `tp_measured = false`.
    let measured = if (2..=MAX_DEA_UNITS).contains(&n) {
        technical_progress(&sv, &env_seen, n, nt).ok()
    } else {
        None
    };
    truth.tp_measured = measured.is_some();
    let (tp, undefined) = measured.unwrap_or_else(|| (vec![1.0; n * nt], 0));
    truth.tp_undefined_cells = undefined;
    truth.a_tp = if truth.tp_measured {
        within_slope(&tp, &robot_w, n, nt)
    } else {
        0.0
    };

    // ---- gov-business closeness (stream 8) and the heterogeneous ROBOT effect ----
    let mut r = stream(seed, 8);
    let gov_index: Vec<[f64; 3]> = base
        .iter()
        .map(|b| {
            std::array::from_fn(|k| quantize(b.gov + 1.5 * k as f64 + 3.0 * normal(&mut r), 2))
        })
        .collect();
    let means: Vec<f64> = gov_index
        .iter()
        .map(|g| g.iter().sum::<f64>() / 3.0)
        .collect();
    let mut sorted = means.clone();
    sorted.sort_by(f64::total_cmp);
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    let gov_high: Vec<bool> = means.iter().map(|&m| m > median).collect();

    let rd = two_way_demean(&robot_w, n, nt);
    let weight: Vec<f64> = (0..n)
        .map(|i| (0..nt).map(|t| rd[idx(i, t, nt)].powi(2)).sum())
        .collect();
    let (h_res, h_pilot, h_gov) = (truth.h_resource, truth.h_pilot, truth.h_gov_low);
    let shift_of = |i: usize| -> f64 {
        let c = &cities[i];
        h_res * f64::from(u8::from(c.resource_based))
            + h_pilot * f64::from(u8::from(c.pilot))
            + h_gov * f64::from(u8::from(!gov_high[i]))
    };
    let wsum: f64 = weight.iter().sum();
    let wshift: f64 =
        (0..n).map(|i| weight[i] * shift_of(i)).sum::<f64>() / wsum.max(f64::MIN_POSITIVE);
    let indirect = truth.a_di * truth.b_di + truth.a_iu * truth.b_iu + truth.a_tp * truth.b_tp;
    truth.beta_direct_base = truth.beta_total - indirect - wshift;
    let beta_i: Vec<f64> = (0..n)
        .map(|i| truth.beta_direct_base + shift_of(i))
        .collect();
    let group_effect = |sel: &dyn Fn(usize) -> bool| -> f64 {
        let (num, den) = (0..n).filter(|&i| sel(i)).fold((0.0, 0.0), |(a, b), i| {
            (a + weight[i] * (beta_i[i] + indirect), b + weight[i])
        });
        if den > 0.0 {
            num / den
        } else {
            f64::NAN
        }
    };
    truth.group_effects = vec![
        ("resource", group_effect(&|i| cities[i].resource_based)),
        ("non_resource", group_effect(&|i| !cities[i].resource_based)),
        ("pilot", group_effect(&|i| cities[i].pilot)),
        ("non_pilot", group_effect(&|i| !cities[i].pilot)),
        ("gov_business_high", group_effect(&|i| gov_high[i])),
        ("gov_business_low", group_effect(&|i| !gov_high[i])),
    ];

    // ---- CO2 (stream 9) ----
    let mut r = stream(seed, 9);
    let mut ln_co2 = vec![0.0; n * nt];
    for i in 0..n {
        let mut eps = 0.0;
        let mut rest = vec![0.0; nt];
        for t in 0..nt {
            let k = idx(i, t, nt);
            let s = tt(t);
            let innovation = truth.sd_eps_innovation * normal(&mut r);
            eps = if t == 0 {
                innovation / (1.0 - truth.rho_eps.powi(2)).sqrt()
            } else {
                truth.rho_eps * eps + innovation
            };
            let x = x_part[k];
            rest[t] = truth.gamma_linear * s
                + truth.gamma_quadratic * s * s
                + beta_i[i] * robot_w[k]
                + truth.b_tp * tp[k]
                + truth.b_iu * m_iu[k]
                + truth.b_di * m_di[k]
                + x
                + eps;
        }
        let mean_rest = rest.iter().sum::<f64>() / nt as f64;
        let mean_gdp = (0..nt).map(|t| gdp_real[idx(i, t, nt)]).sum::<f64>() / nt as f64;
        // city effect: level ~ 2 t CO2 per 10k yuan of real GDP, scattered
        let alpha = (truth.co2_per_gdp * mean_gdp).ln() + base[i].co2 - mean_rest;
        for t in 0..nt {
            ln_co2[idx(i, t, nt)] = alpha + rest[t];
        }
    }
    let co2_mt: Vec<f64> = ln_co2.iter().map(|v| v.exp() / 1e6).collect();

    // ---- the instrument (stream 10): cumulative robot R&D / service firms ----
    let mut r = stream(seed, 10);
    let mut robot_firms = vec![0i64; n * nt];
    for i in 0..n {
        let mut last = 0i64;
        for t in 0..nt {
            let k = idx(i, t, nt);
            let lambda = truth.yfe_per_thousand_robots * robot[k] + 0.3 * base[i].yfe.exp();
            let draw = Poisson::new(lambda.max(1e-6))
                .map(|p| p.sample(&mut r))
                .unwrap_or(0.0) as i64;
            last = last.max(draw);
            robot_firms[k] = last;
        }
    }

    // apply missing cells to what is written
    for (col, miss) in yb.iter_mut().zip(&yb_missing) {
        for (v, &m) in col.iter_mut().zip(miss) {
            if m {
                *v = f64::NAN;
            }
        }
    }
    for (col, miss) in env.iter_mut().zip(&env_missing) {
        for (v, &m) in col.iter_mut().zip(miss) {
            if m {
                *v = f64::NAN;
            }
        }
    }
    Ok(Generated {
        cities,
        years,
        provinces,
        yearbook: yb,
        env,
        co2_mt,
        blh,
        wind,
        dn_sum,
        province_energy,
        province_employment,
        robot_firms,
        gov_index,
        gov_high,
        robot,
        robot_w,
        tp,
        truth,
    })
}
