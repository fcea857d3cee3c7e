//! Table 9: split samples by resource-based status, first-batch smart-city pilots, and
//! government-business closeness, with the bdiff permutation test and the Chow test of the
//! ROBOT coefficient difference.

use super::op_err;
use super::tables::{fit, ols_column, PanelData, Spec, CONTROLS};
use robocarb_dag::OpError;
use robocarb_estimate::{group_difference, Draws, GroupDiffInput, GroupDiffOptions};
use robocarb_report::ColumnDoc;

/// (flag, sample name when 1, sample name when 0)
pub const SPLITS: [(&str, &str, &str); 3] = [
    ("resource_based", "resource", "non_resource"),
    ("smart_city_pilot", "pilot", "non_pilot"),
    ("gov_business_high", "gov_business_high", "gov_business_low"),
];

pub fn split_columns(data: &PanelData, reps: usize, seed: u64) -> Result<Vec<ColumnDoc>, OpError> {
    let mut columns = Vec::new();
    let labels = ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"];
    let used: Vec<&str> = ["CARBON", "ROBOT"].into_iter().chain(CONTROLS).collect();
    let data = &*data.complete_cases(&used)?;
    let controls: Vec<&[f64]> = CONTROLS
        .iter()
        .map(|c| data.col(c))
        .collect::<Result<_, _>>()?;
    for (k, (flag, yes, no)) in SPLITS.iter().enumerate() {
        let group = data.flag(flag)?;
        let mut pair = Vec::new();
        for (in_group, sample, label) in
            [(true, *yes, labels[2 * k]), (false, *no, labels[2 * k + 1])]
        {
            let mask: Vec<bool> = group.iter().map(|g| *g == in_group).collect();
            let sub = data.subset(&mask)?;
            let spec = Spec::new(label, "CARBON", &["ROBOT"]).on(sample);
            pair.push(ols_column(&spec, &fit(&sub, &spec)?));
        }
        let mut x: Vec<(&str, &[f64])> = vec![("ROBOT", data.col("ROBOT")?)];
        x.extend(CONTROLS.iter().copied().zip(controls.iter().copied()));
        let input = GroupDiffInput {
            y: data.col("CARBON")?,
            x,
            coef: "ROBOT",
            fe: vec![&data.city, &data.year],
            cluster: &data.city,
            group: &group,
        };
        let opts = GroupDiffOptions {
            permutations: Draws::Seeded { reps, seed },
            ..Default::default()
        };
        let r = group_difference(&input, &opts)
            .map_err(op_err(&format!("group difference by {flag}")))?;
        let extra = &mut pair[0].extra;
        if let Some(perm) = &r.permutation {
            extra.insert("diff_p".into(), perm.p);
            extra.insert("permutations".into(), perm.reps as f64);
        }
        extra.insert("chow_p".into(), r.chow.p);
        extra.insert("seed".into(), seed as f64);
        columns.extend(pair);
    }
    Ok(columns)
}
