//! Table 6 columns 3 and 4: FGLS (Stata `xtgls, panels(hetero) corr(ar1)`) and PCSE (Stata
//! `xtpcse`), both with city and year dummies, as the paper runs them: the city effects absorbed
//! (`UnitEffects::Absorbed`, the same numbers as the dummy columns), the year dummies explicit.
//!
//! Node parameters: `fgls_force` (Stata `xtgls, force`: AR(1) across gaps in a city's years) and
//! `pcse_pairwise` (Stata `xtpcse, pairwise`: Sigma from the years each pair of cities shares),
//! both needed on an unbalanced panel and without effect on a balanced one.

use super::tables::{PanelData, CONTROLS};
use super::{op_err, param_bool};
use robocarb_dag::{OpError, TaskContext};
use robocarb_estimate::fgls::{xtgls, GlsOptions, PanelRegression, UnitEffects};
use robocarb_estimate::pcse::{xtpcse, PcseOptions};
use robocarb_report::{CoefDoc, ColumnDoc};
use std::collections::BTreeMap;

/// Regressors ROBOT + controls, year dummies (first year omitted) and the constant,
/// column-major. The city effects are the estimators' (`UnitEffects`): absorbed, with the
/// numbers of city dummies placed before the year dummies.
struct Design {
    names: Vec<String>,
    x: faer::Mat<f64>,
    time: Vec<i32>,
    /// Index of the first year dummy: where the dummy form has its city dummies.
    city_effects_at: usize,
}

/// CARBON, ROBOT and the controls: the variables whose missing values drop a row.
fn used_variables() -> Vec<&'static str> {
    ["CARBON", "ROBOT"].into_iter().chain(CONTROLS).collect()
}

fn design(data: &PanelData) -> Result<Design, OpError> {
    let n = data.n();
    let mut names: Vec<String> = vec!["ROBOT".into()];
    names.extend(CONTROLS.iter().map(|s| s.to_string()));
    let dense: Vec<&[f64]> = names
        .iter()
        .map(|n| data.col(n))
        .collect::<Result<_, _>>()?;
    let n_dense = dense.len();
    let n_year = data.year.iter().max().map(|m| *m as usize + 1).unwrap_or(0);
    names.extend((1..n_year).map(|t| format!("year_{t}")));
    names.push("_cons".into());
    let x = faer::Mat::from_fn(n, names.len(), |i, j| {
        if j < n_dense {
            dense[j][i]
        } else if j < n_dense + n_year - 1 {
            f64::from(u8::from(data.year[i] as usize + n_dense == j + 1))
        } else {
            1.0
        }
    });
    let time = data.years.iter().map(|&y| y as i32).collect();
    Ok(Design {
        names,
        x,
        time,
        city_effects_at: n_dense,
    })
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
        if name.starts_with("panel_") || name.starts_with("year_") {
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

/// The estimator options of Table 6, from the node's parameters.
pub struct GlsParams {
    pub fgls: GlsOptions,
    pub pcse: PcseOptions,
}

impl GlsParams {
    pub fn from_ctx(ctx: &TaskContext<'_>) -> Result<Self, OpError> {
        Ok(Self {
            fgls: GlsOptions {
                force: param_bool(ctx, "fgls_force")?,
                ..GlsOptions::hetero_ar1()
            },
            pcse: PcseOptions {
                pairwise: param_bool(ctx, "pcse_pairwise")?,
                ..PcseOptions::default()
            },
        })
    }
}

pub fn fgls_column(data: &PanelData, label: &str, opts: &GlsOptions) -> Result<ColumnDoc, OpError> {
    let data = &*data.complete_cases(&used_variables())?;
    let d = design(data)?;
    let y = data.col("CARBON")?;
    let reg = PanelRegression {
        y,
        x: d.x.as_ref(),
        names: &d.names,
        panel: &data.city,
        time: &d.time,
    };
    let opts = GlsOptions {
        unit_effects: UnitEffects::Absorbed {
            at: d.city_effects_at,
        },
        ..*opts
    };
    let r = xtgls(&reg, &opts).map_err(op_err("FGLS (xtgls panels(hetero) corr(ar1))"))?;
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

pub fn pcse_column(
    data: &PanelData,
    label: &str,
    opts: &PcseOptions,
) -> Result<ColumnDoc, OpError> {
    let data = &*data.complete_cases(&used_variables())?;
    let d = design(data)?;
    let y = data.col("CARBON")?;
    let reg = PanelRegression {
        y,
        x: d.x.as_ref(),
        names: &d.names,
        panel: &data.city,
        time: &d.time,
    };
    let opts = PcseOptions {
        unit_effects: UnitEffects::Absorbed {
            at: d.city_effects_at,
        },
        ..*opts
    };
    let r = xtpcse(&reg, &opts).map_err(op_err("PCSE (xtpcse)"))?;
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
