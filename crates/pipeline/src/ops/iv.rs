//! Table 7: 2SLS with YFE (robot R&D and service firms) instrumenting ROBOT, city and year effects
//! absorbed, city-clustered errors; the first stage with its weak-instrument statistics.

use super::op_err;
use super::tables::{fit, ols_column, PanelData, Spec, CONTROLS};
use robocarb_dag::OpError;
use robocarb_estimate::iv::{iv_fe, IvDesign};
use robocarb_estimate::Vce;
use robocarb_report::{CoefDoc, ColumnDoc};
use std::collections::BTreeMap;

pub fn iv_columns(data: &PanelData) -> Result<Vec<ColumnDoc>, OpError> {
    // First stage as its own regression, to report every coefficient as the paper does.
    let fs_spec = Spec::new("First stage", "ROBOT", &["YFE"]);
    let fs = fit(data, &fs_spec)?;
    let mut first = ols_column(&fs_spec, &fs);
    first.estimator = "iv_first".into();

    let used: Vec<&str> = ["CARBON", "ROBOT", "YFE"]
        .into_iter()
        .chain(CONTROLS)
        .collect();
    let data = &*data.complete_cases(&used)?;
    let y = data.col("CARBON")?;
    let robot = data.col("ROBOT")?;
    let yfe = data.col("YFE")?;
    let controls: Vec<&[f64]> = CONTROLS
        .iter()
        .map(|c| data.col(c))
        .collect::<Result<_, _>>()?;
    let mut d = IvDesign::new(y)
        .endogenous("ROBOT", robot)
        .instrument("YFE", yfe);
    for (name, col) in CONTROLS.iter().zip(&controls) {
        d = d.exogenous(name, col);
    }
    d = d.absorb(&data.city).absorb(&data.year);
    let r = iv_fe(&d, Vce::Cluster(&data.city))
        .map_err(op_err("2SLS (CARBON on ROBOT instrumented by YFE)"))?;

    let mut coefs = BTreeMap::new();
    for (i, name) in r.names.iter().enumerate() {
        let key = if name == "_cons" {
            "const".to_string()
        } else {
            name.clone()
        };
        coefs.insert(
            key,
            CoefDoc {
                b: r.b[i],
                se: r.se[i],
                stat: r.t[i],
                p: r.p[i],
            },
        );
    }
    let mut extra = BTreeMap::new();
    extra.insert("cragg_donald_f".to_string(), r.cragg_donald_f);
    if let Some(kp) = r.kleibergen_paap_f {
        extra.insert("kleibergen_paap_f".to_string(), kp);
    }
    if let Some(fs) = r.first_stages.first() {
        extra.insert("first_stage_partial_f".to_string(), fs.partial_f);
        first.extra.insert("partial_f".to_string(), fs.partial_f);
        first.extra.insert("partial_r2".to_string(), fs.partial_r2);
    }
    first
        .extra
        .insert("cragg_donald_f".to_string(), r.cragg_donald_f);
    if let Some(sy) = &r.stock_yogo {
        if let Ok(v) = serde_json::to_value(sy) {
            if let Some(obj) = v.as_object() {
                for (k, val) in obj {
                    if let Some(x) = val.as_f64() {
                        extra.insert(format!("stock_yogo_{k}"), x);
                    }
                }
            }
        }
    }
    extra.insert("anderson_rubin_f".to_string(), r.anderson_rubin.f);
    extra.insert("anderson_rubin_p".to_string(), r.anderson_rubin.f_p);
    let second = ColumnDoc {
        label: "Second stage".into(),
        dep: "CARBON".into(),
        estimator: "iv_2sls".into(),
        sample: "all".into(),
        n: r.n as u64,
        clusters: r.n_clusters.first().map(|&g| g as u64),
        r2_within: Some(r.r2_within),
        r2_overall: Some(r.r2_overall),
        stat_kind: "z".into(),
        coefs,
        extra,
        fe: vec!["city".into(), "year".into()],
        controls: true,
    };
    Ok(vec![first, second])
}
