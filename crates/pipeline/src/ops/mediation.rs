//! Table 8: stepwise mediation (Baron-Kenny) through TP, IU and DI, each with the Sobel, Aroian
//! and Goodman tests and a city-cluster bootstrap of the indirect effect.

use super::op_err;
use super::tables::{fit, ols_column, PanelData, Spec, CONTROLS};
use robocarb_dag::OpError;
use robocarb_estimate::{mediation, Draws, MediationInput, MediationOptions};
use robocarb_report::ColumnDoc;

pub const MEDIATORS: [&str; 3] = ["TP", "IU", "DI"];

pub fn mediation_columns(
    data: &PanelData,
    reps: usize,
    seed: u64,
) -> Result<Vec<ColumnDoc>, OpError> {
    let base = Spec::new("(1)", "CARBON", &["ROBOT"]);
    let mut columns = vec![ols_column(&base, &fit(data, &base)?)];
    let labels = ["(2)", "(3)", "(4)", "(5)", "(6)", "(7)"];
    for (k, m) in MEDIATORS.iter().enumerate() {
        let a_spec = Spec::new(labels[2 * k], m, &["ROBOT"]);
        let b_spec = Spec::new(labels[2 * k + 1], "CARBON", &["ROBOT", m]);
        columns.push(ols_column(&a_spec, &fit(data, &a_spec)?));
        let mut outcome = ols_column(&b_spec, &fit(data, &b_spec)?);
        // Stepwise mediation needs one sample for the a and b paths: rows complete in all.
        let used: Vec<&str> = ["CARBON", "ROBOT", *m]
            .into_iter()
            .chain(CONTROLS)
            .collect();
        let data = &*data.complete_cases(&used)?;
        let controls: Vec<&[f64]> = CONTROLS
            .iter()
            .map(|c| data.col(c))
            .collect::<Result<_, _>>()?;
        let input = MediationInput {
            y: data.col("CARBON")?,
            x: ("ROBOT", data.col("ROBOT")?),
            m: (m, data.col(m)?),
            controls: CONTROLS
                .iter()
                .copied()
                .zip(controls.iter().copied())
                .collect(),
            fe: vec![&data.city, &data.year],
            cluster: &data.city,
        };
        let opts = MediationOptions {
            draws: Draws::Seeded { reps, seed },
            ..Default::default()
        };
        let r = mediation(&input, &opts).map_err(op_err(&format!("mediation through {m}")))?;
        let x = &mut outcome.extra;
        x.insert("indirect_ab".into(), r.indirect);
        x.insert("sobel_z".into(), r.sobel.z);
        x.insert("sobel_p".into(), r.sobel.p);
        x.insert("aroian_z".into(), r.aroian.z);
        x.insert("aroian_p".into(), r.aroian.p);
        if let Some(g) = r.goodman {
            x.insert("goodman_z".into(), g.z);
            x.insert("goodman_p".into(), g.p);
        }
        if let Some(pm) = r.proportion_mediated {
            x.insert("proportion_mediated".into(), pm);
        }
        if let Some(bs) = &r.bootstrap {
            x.insert("boot_reps".into(), bs.reps as f64);
            x.insert("boot_pct_lo".into(), bs.percentile.0);
            x.insert("boot_pct_hi".into(), bs.percentile.1);
            if let Some((lo, hi)) = bs.bias_corrected {
                x.insert("boot_bc_lo".into(), lo);
                x.insert("boot_bc_hi".into(), hi);
            }
            x.insert("seed".into(), seed as f64);
        }
        columns.push(outcome);
    }
    Ok(columns)
}
