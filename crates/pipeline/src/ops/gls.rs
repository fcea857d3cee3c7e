//! Table 6 columns 3 and 4: FGLS (Stata `xtgls, panels(hetero) corr(ar1)`) and PCSE (Stata
//! `xtpcse`), both with city and year dummies, as the paper runs them.

use super::op_err;
use super::tables::{PanelData, CONTROLS};
use robocarb_dag::OpError;
use robocarb_estimate::fgls::{xtgls, GlsOptions, PanelRegression};
use robocarb_estimate::pcse::{xtpcse, PcseOptions};
use robocarb_report::{CoefDoc, ColumnDoc};
use std::collections::BTreeMap;

/// Regressors ROBOT + controls, city dummies (first city omitted), year dummies (first year
/// omitted), and the constant, column-major.
struct DummyDesign {
    names: Vec<String>,
    x: faer::Mat<f64>,
    time: Vec<i32>,
}

/// CARBON, ROBOT and the controls: the variables whose missing values drop a row.
fn used_variables() -> Vec<&'static str> {
    ["CARBON", "ROBOT"].into_iter().chain(CONTROLS).collect()
}

fn dummy_design(data: &PanelData) -> Result<DummyDesign, OpError> {
    let n = data.n();
    let mut names: Vec<String> = vec!["ROBOT".into()];
    names.extend(CONTROLS.iter().map(|s| s.to_string()));
    let dense: Vec<&[f64]> = names
        .iter()
        .map(|n| data.col(n))
        .collect::<Result<_, _>>()?;
    let n_dense = dense.len();
    let n_city = data.city.iter().max().map(|m| *m as usize + 1).unwrap_or(0);
    let n_year = data.year.iter().max().map(|m| *m as usize + 1).unwrap_or(0);
    names.extend((1..n_city).map(|c| format!("city_{c}")));
    names.extend((1..n_year).map(|t| format!("year_{t}")));
    names.push("_cons".into());
    // Filled in place (no column copies: at county scale this matrix is ~1 GB).
    let x = faer::Mat::from_fn(n, names.len(), |i, j| {
        if j < n_dense {
            dense[j][i]
        } else if j < n_dense + n_city - 1 {
            f64::from(u8::from(data.city[i] as usize + n_dense == j + 1))
        } else if j < n_dense + n_city + n_year - 2 {
            f64::from(u8::from(data.year[i] as usize + n_dense + n_city == j + 2))
        } else {
            1.0
        }
    });
    let time = data.years.iter().map(|&y| y as i32).collect();
    Ok(DummyDesign { names, x, time })
}

/// Coefficients (names, b, se, z, p) of a GLS-type fit.
struct Fit<'a> {
    names: &'a [String],
    b: &'a [f64],
    se: &'a [f64],
    z: &'a [f64],
    p: &'a [f64],
    n: usize,
}

fn column(label: &str, estimator: &str, f: Fit<'_>) -> ColumnDoc {
    let mut coefs = BTreeMap::new();
    let Fit {
        names,
        b,
        se,
        z,
        p,
        n,
    } = f;
    for (i, name) in names.iter().enumerate() {
        if name.starts_with("city_") || name.starts_with("year_") {
            continue;
        }
        let key = if name == "_cons" {
            "const".to_string()
        } else {
            name.clone()
        };
        coefs.insert(
            key,
            CoefDoc {
                b: b[i],
                se: se[i],
                stat: z[i],
                p: p[i],
            },
        );
    }
    ColumnDoc {
        label: label.into(),
        dep: "CARBON".into(),
        estimator: estimator.into(),
        sample: "all".into(),
        n: n as u64,
        clusters: None,
        r2_within: None,
        r2_overall: None,
        stat_kind: "z".into(),
        coefs,
        extra: BTreeMap::new(),
        fe: vec!["city".into(), "year".into()],
        controls: true,
    }
}

pub fn fgls_column(data: &PanelData, label: &str) -> Result<ColumnDoc, OpError> {
    let data = &*data.complete_cases(&used_variables())?;
    let d = dummy_design(data)?;
    let y = data.col("CARBON")?;
    let reg = PanelRegression {
        y,
        x: d.x.as_ref(),
        names: &d.names,
        panel: &data.city,
        time: &d.time,
    };
    let r = xtgls(&reg, &GlsOptions::hetero_ar1())
        .map_err(op_err("FGLS (xtgls panels(hetero) corr(ar1))"))?;
    let mut col = column(
        label,
        "fgls",
        Fit {
            names: &r.names,
            b: &r.b,
            se: &r.se,
            z: &r.z,
            p: &r.p,
            n: r.n,
        },
    );
    col.extra.insert("wald_chi2".into(), r.wald_chi2);
    col.extra.insert("wald_df".into(), r.wald_df as f64);
    if let Some(rho) = r.rho.first() {
        col.extra.insert("rho".into(), *rho);
    }
    Ok(col)
}

pub fn pcse_column(data: &PanelData, label: &str) -> Result<ColumnDoc, OpError> {
    let data = &*data.complete_cases(&used_variables())?;
    let d = dummy_design(data)?;
    let y = data.col("CARBON")?;
    let reg = PanelRegression {
        y,
        x: d.x.as_ref(),
        names: &d.names,
        panel: &data.city,
        time: &d.time,
    };
    let r = xtpcse(&reg, &PcseOptions::default()).map_err(op_err("PCSE (xtpcse)"))?;
    let mut col = column(
        label,
        "pcse",
        Fit {
            names: &r.names,
            b: &r.b,
            se: &r.se,
            z: &r.z,
            p: &r.p,
            n: r.n,
        },
    );
    col.extra.insert("wald_chi2".into(), r.wald_chi2);
    col.r2_overall = Some(r.r2);
    Ok(col)
}
