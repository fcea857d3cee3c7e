//! Fixed sample values shared by the report tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

use robocarb_report::*;

fn coef(b: f64, se: f64, p: f64) -> CoefDoc {
    CoefDoc {
        b,
        se,
        stat: b / se,
        p,
    }
}

fn column(
    label: &str,
    dep: &str,
    estimator: &str,
    stat_kind: &str,
    controls: bool,
    fe: &[&str],
) -> ColumnDoc {
    ColumnDoc {
        label: label.into(),
        dep: dep.into(),
        estimator: estimator.into(),
        sample: "all".into(),
        n: 3836,
        clusters: None,
        r2_within: None,
        r2_overall: None,
        stat_kind: stat_kind.into(),
        coefs: BTreeMap::new(),
        extra: BTreeMap::new(),
        fe: fe.iter().map(|s| s.to_string()).collect(),
        controls,
    }
}

/// A Table 4/6-like table: FE columns with t, FGLS and PCSE columns with z, a
/// missing coefficient, an extra statistic, and text needing escapes.
pub fn sample_table() -> TableDoc {
    let mut c1 = column("(1)", "CARBON", "ols_fe", "t", false, &["city"]);
    c1.coefs
        .insert("ROBOT".into(), coef(0.04512, 0.008987, 0.0000004));
    c1.coefs
        .insert("const".into(), coef(12.3504, 0.005102, 0.0));
    c1.clusters = Some(274);
    c1.r2_within = Some(0.02911);
    c1.r2_overall = Some(0.8123);
    let mut c2 = column("(2)", "CARBON", "ols_fe", "t", true, &["city", "year"]);
    c2.coefs
        .insert("ROBOT".into(), coef(-0.02504, 0.009372, 0.0080));
    c2.coefs
        .insert("GDP".into(), coef(0.16612, 0.14832, 0.2637));
    c2.coefs
        .insert("FDI".into(), coef(-0.01903, 0.006873, 0.00601));
    c2.coefs
        .insert("const".into(), coef(5.7391, 1.54521, 0.00024));
    c2.clusters = Some(274);
    c2.r2_within = Some(0.3471);
    c2.r2_overall = Some(0.9102);
    let mut c3 = column("(3)", "CARBON_I", "fgls", "z", true, &["city", "year"]);
    c3.coefs
        .insert("ROBOT".into(), coef(-0.00802, 0.00448, 0.0734));
    c3.coefs.insert("GDP".into(), coef(0.2004, 0.0311, 1e-9));
    c3.coefs.insert("const".into(), coef(4.2331, 0.21951, 0.0));
    c3.extra.insert("wald_chi2".into(), 6187.6301);
    let mut c4 = column("(4)", "CARBON", "pcse", "z", true, &["city", "year"]);
    c4.coefs
        .insert("ROBOT".into(), coef(-0.02095, 0.006776, 0.00199));
    c4.coefs.insert("FDI".into(), coef(-0.0004, 0.0031, 0.897));
    c4.coefs.insert("const".into(), coef(3.5322, 0.34217, 0.0));
    c4.extra.insert("wald_chi2".into(), 2690.8);
    TableDoc {
        table: "table6".into(),
        title: "Robustness: FGLS & PCSE (5% sample_check)".into(),
        columns: vec![c1, c2, c3, c4],
        rows: vec!["ROBOT".into(), "GDP".into(), "FDI".into(), "const".into()],
        notes: vec!["Standard errors clustered by city; 100% of cities_kept & years.".into()],
    }
}

pub fn sample_descriptive() -> DescriptiveTable {
    let row = |v: &str, m: [f64; 5]| DescriptiveRow {
        variable: v.into(),
        n: 3836,
        mean: m[0],
        sd: m[1],
        min: m[2],
        median: m[3],
        max: m[4],
    };
    DescriptiveTable {
        table: "table3".into(),
        title: "Descriptive statistics".into(),
        rows: vec![
            row("CARBON", [12.3712, 0.91698, 10.0701, 12.4198, 14.4803]),
            row("ROBOT", [0.56412, 1.33604, 0.00098, 0.10712, 9.30213]),
            row("FP", [0.10104, 0.07899, -0.00312, 0.08203, 0.37611]),
        ],
        notes: vec!["Winsorized at the 1st and 99th percentiles.".into()],
    }
}

pub fn sample_robot_table() -> RobotTable {
    let published = published().unwrap();
    let mut years = Vec::new();
    for (class, stocks) in [
        ("gbt2002", &published.table1.gbt2002),
        ("gbt2011", &published.table1.gbt2011),
    ] {
        for (key, values) in &stocks.years {
            let year: i32 = key[1..].parse().unwrap();
            let stocks: BTreeMap<String, f64> = stocks
                .industries
                .iter()
                .cloned()
                .zip(values.iter().map(|v| v * 1.01))
                .collect();
            years.push(RobotYear {
                year,
                classification: class.into(),
                stocks,
            });
        }
    }
    RobotTable {
        table: "table1".into(),
        title: "Industrial robot stock by industry".into(),
        industries: TABLE1_INDUSTRIES.iter().map(|s| s.to_string()).collect(),
        years,
        notes: vec!["Units. 2006-2011: GB/T 4754-2002; 2012-2019: GB/T 4754-2011.".into()],
    }
}

pub fn sample_input() -> ReportInput {
    let mut t4 = sample_table();
    t4.table = "table4".into();
    t4.title = "Baseline".into();
    let node = |name: &str, op: &str, state: &str, d: Option<u64>| NodeInfo {
        name: name.into(),
        op: op.into(),
        state: state.into(),
        duration_ms: d,
        key: format!("{:0>64}", name.len()),
    };
    ReportInput {
        title: "robocarb: robots and CO2 <sample>".into(),
        robot_table: Some(sample_robot_table()),
        descriptive: Some(sample_descriptive()),
        tables: vec![t4, sample_table()],
        compare_with_paper: true,
        nodes: vec![
            node("raw_ceads", "read_ceads", "fresh", Some(120)),
            node("exposure", "robot_exposure", "stale", Some(35)),
            node("panel", "build_panel", "fresh", Some(900)),
            node("table4", "table4", "never_built", None),
        ],
        edges: vec![
            ("raw_ceads".into(), "panel".into()),
            ("exposure".into(), "panel".into()),
            ("panel".into(), "table4".into()),
        ],
        robot_by_year: (2006..=2009)
            .map(|y| {
                let v: Vec<f64> = (0..40)
                    .map(|i| f64::from(i * (y - 2004)) / 50.0 + if i == 39 { 9.0 } else { 0.0 })
                    .collect();
                (y, v)
            })
            .collect(),
        tfp_by_year: (2006..=2012)
            .map(|y| {
                let t = f64::from(y - 2006);
                TfpYearMeans {
                    year: y,
                    te: 1.0 + 0.01 * t,
                    tc: 1.02 - 0.005 * t,
                    tp: (1.02 - 0.005 * t) / (1.0 + 0.01 * t),
                }
            })
            .collect(),
        province_robots: Some(ProvinceRobots {
            year: 2019,
            stocks: vec![
                ("Guangdong".into(), 150000.0),
                ("Jiangsu".into(), 120500.0),
                ("Tibet".into(), 0.0),
            ],
        }),
        provenance: Provenance {
            git_commit: "0123456789abcdef0123456789abcdef01234567".into(),
            git_dirty: true,
            generated_at: None,
            node_keys: vec![("panel".into(), "ab".repeat(32))],
            input_hashes: vec![("https://ceads.net/city_2019.xlsx".into(), "cd".repeat(32))],
            seeds: vec![("bootstrap".into(), 20240601)],
            tool_versions: vec![("rustc".into(), "1.95.0".into())],
        },
        failed_tables: vec![],
        multiverse: None,
    }
}
