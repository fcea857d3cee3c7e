//! The embedded published tables parse into typed values and the comparison maps
//! the paper's columns onto the run's.

mod common;

use std::collections::BTreeMap;

use robocarb_report::*;

#[test]
fn published_tables_parse() {
    let p = published().unwrap();
    assert_eq!(p.sample.observations, 3836);
    assert_eq!(p.sample.years, [2006, 2019]);
    assert_eq!(p.table1.gbt2002.industries.len(), 13);
    assert_eq!(p.table1.gbt2011.industries.len(), 14);
    for s in [&p.table1.gbt2002, &p.table1.gbt2011] {
        assert_eq!(s.years.len(), 2);
        assert!(s.years.values().all(|v| v.len() == s.industries.len()));
    }
    assert_eq!(p.table1.gbt2011.years["y2019"][10], 230520.0);
    assert_eq!(p.table3["ROBOT"], [0.564, 1.336, 0.001, 0.107, 9.302]);
    assert_eq!(p.table4.len(), 4);
    assert_eq!(p.table4["col4"].coefs["ROBOT"], [-0.025, -2.672]);
    assert_eq!(p.table4["col4"].coefs.len(), 10);
    assert_eq!(
        p.table4["col1"].fe.as_deref(),
        Some(&["city".to_string()][..])
    );
    assert_eq!(p.table6["col3"].wald_chi2, Some(6187.63));
    assert_eq!(p.table7["first_stage"].min_eigenvalue_stat, Some(4095.08));
    assert_eq!(p.table7["first_stage"].coefs["YFE"], [1.891, 63.982]);
    assert_eq!(p.table8.len(), 7);
    assert_eq!(p.table9.len(), 6);
    assert_eq!(p.table9["gov_business_high"].diff_p, Some(0.035));
    // Every key of the TOML reached a typed field (nothing silently dropped).
    let raw: toml::Table = toml::from_str(PUBLISHED_TOML).unwrap();
    for t in ["table4", "table5", "table6", "table7", "table8", "table9"] {
        let cols = raw[t].as_table().unwrap();
        let typed = p.regression(t).unwrap();
        assert_eq!(cols.len(), typed.len(), "{t}");
        for (k, v) in cols {
            let n_arrays = v
                .as_table()
                .unwrap()
                .values()
                .filter(|x| {
                    x.is_array()
                        && x.as_array()
                            .unwrap()
                            .iter()
                            .all(|e| e.is_float() || e.is_integer())
                })
                .count();
            assert_eq!(typed[k].coefs.len(), n_arrays, "{t}.{k}");
        }
    }
}

/// A run table holding exactly the published numbers compares with zero differences.
fn table_from_paper(
    table: &str,
    p: &Published,
    label_of: impl Fn(&str) -> (String, String, String),
) -> TableDoc {
    let mut columns = Vec::new();
    for (key, pc) in p.regression(table).unwrap() {
        let (label, sample, estimator) = label_of(key);
        let coefs: BTreeMap<String, CoefDoc> = pc
            .coefs
            .iter()
            .map(|(k, [b, t])| {
                (
                    if k == "const" {
                        "_cons".to_string()
                    } else {
                        k.clone()
                    },
                    CoefDoc {
                        b: *b,
                        se: b / t,
                        stat: *t,
                        p: 0.5,
                    },
                )
            })
            .collect();
        let mut extra = BTreeMap::new();
        for (name, v) in [
            ("wald_chi2", pc.wald_chi2),
            ("min_eigenvalue_stat", pc.min_eigenvalue_stat),
            ("diff_p", pc.diff_p),
        ] {
            if let Some(v) = v {
                extra.insert(name.to_string(), v);
            }
        }
        columns.push(ColumnDoc {
            label,
            dep: pc.dep.clone().unwrap_or_else(|| "CARBON".into()),
            estimator,
            sample,
            n: pc.n,
            clusters: Some(274),
            r2_within: pc.r2,
            r2_overall: None,
            stat_kind: "t".into(),
            coefs,
            extra,
            fe: vec!["city".into(), "year".into()],
            controls: true,
        });
    }
    // Present the columns in reverse so that matching cannot rely on position in the Vec.
    columns.reverse();
    TableDoc {
        table: table.into(),
        title: table.into(),
        columns,
        rows: vec!["ROBOT".into()],
        notes: vec![],
    }
}

fn assert_all_zero(cmp: &Comparison, expected_rows: usize) {
    assert_eq!(cmp.rows.len(), expected_rows);
    for r in &cmp.rows {
        assert_eq!(r.difference, Some(0.0), "{r:?}");
    }
}

fn rows_expected(p: &Published, table: &str) -> usize {
    p.regression(table)
        .unwrap()
        .values()
        .map(|c| {
            2 * c.coefs.len()
                + 1
                + usize::from(c.r2.is_some())
                + usize::from(c.wald_chi2.is_some())
                + usize::from(c.min_eigenvalue_stat.is_some())
                + usize::from(c.diff_p.is_some())
        })
        .sum()
}

#[test]
fn comparison_maps_columns() {
    let p = published().unwrap();
    for table in ["table4", "table5", "table6", "table8"] {
        let run = table_from_paper(table, &p, |k| {
            (format!("({})", &k[3..]), "all".into(), "ols_fe".into())
        });
        assert_all_zero(
            &compare_regression(&run, &p).unwrap(),
            rows_expected(&p, table),
        );
    }
    // Table 7 by estimator, with labels that do not follow the paper's.
    let run = table_from_paper("table7", &p, |k| {
        let est = if k == "first_stage" {
            "iv_first"
        } else {
            "iv_2sls"
        };
        (format!("IV {k}"), "all".into(), est.into())
    });
    assert_all_zero(
        &compare_regression(&run, &p).unwrap(),
        rows_expected(&p, "table7"),
    );
    // Table 9 by sample name ...
    let run = table_from_paper("table9", &p, |k| {
        (format!("[{k}]"), k.to_string(), "ols_fe".into())
    });
    let cmp = compare_regression(&run, &p).unwrap();
    assert_all_zero(&cmp, rows_expected(&p, "table9"));
    let order: Vec<&str> = cmp
        .rows
        .iter()
        .map(|r| r.column.as_str())
        .collect::<Vec<_>>();
    let mut seen = Vec::new();
    for c in order {
        if seen.last() != Some(&c) {
            seen.push(c);
        }
    }
    assert_eq!(seen, TABLE9_GROUPS);
    // ... or by position label in the paper's group order.
    let run = table_from_paper("table9", &p, |k| {
        let i = TABLE9_GROUPS.iter().position(|g| *g == k).unwrap();
        (format!("({})", i + 1), "subsample".into(), "ols_fe".into())
    });
    assert_all_zero(
        &compare_regression(&run, &p).unwrap(),
        rows_expected(&p, "table9"),
    );
}

#[test]
fn comparison_reports_missing_and_unknown() {
    let p = published().unwrap();
    let mut run = common::sample_table();
    run.table = "table4".into();
    run.columns.truncate(1);
    let cmp = compare_regression(&run, &p).unwrap();
    // (2)..(4) exist in the paper but not in the run: empty run cells, no difference.
    assert!(cmp
        .rows
        .iter()
        .filter(|r| r.column != "(1)")
        .all(|r| r.run.is_none() && r.difference.is_none()));
    let robot = cmp
        .rows
        .iter()
        .find(|r| r.column == "(1)" && r.term == "ROBOT" && r.statistic == "coef")
        .unwrap();
    assert_eq!(robot.paper, Some(0.045));
    assert_eq!(robot.run, Some(0.04512));
    assert!((robot.difference.unwrap() - 0.00012).abs() < 1e-12);
    run.table = "table10".into();
    assert_eq!(
        compare_regression(&run, &p).unwrap_err(),
        ReportError::UnknownTable("table10".into())
    );
}

#[test]
fn descriptive_and_robot_comparisons() {
    let p = published().unwrap();
    let cmp = compare_descriptive(&common::sample_descriptive(), &p);
    assert_eq!(cmp.rows.len(), p.table3.len() * 6);
    let mean = cmp
        .rows
        .iter()
        .find(|r| r.column == "ROBOT" && r.statistic == "mean")
        .unwrap();
    assert_eq!((mean.paper, mean.run), (Some(0.564), Some(0.56412)));
    let gdp = cmp
        .rows
        .iter()
        .find(|r| r.column == "GDP" && r.statistic == "mean")
        .unwrap();
    assert_eq!(gdp.run, None);
    let cmp = compare_robots(&common::sample_robot_table(), &p);
    assert_eq!(cmp.rows.len(), 2 * 13 + 2 * 14);
    for r in &cmp.rows {
        let paper = r.paper.unwrap();
        assert!((r.run.unwrap() - 1.01 * paper).abs() < 1e-9, "{r:?}");
    }
}
