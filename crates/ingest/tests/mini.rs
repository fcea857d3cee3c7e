//! Adapters on the small fixture set tests/fixtures/mini (docs/data-formats.md layouts) and the
//! panel/DEA-input build against tests/golden/mini_panel.json (computed with pandas by
//! tests/golden/gen_golden.py from the same raw values).

use std::path::PathBuf;

use robocarb_ingest::*;
use robocarb_panel::{Column, Frame};
use serde_json::Value;

fn mini(rel: &str) -> PathBuf {
    PathBuf::from(format!(
        "{}/tests/fixtures/mini",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())
    ))
    .join(rel)
}

fn index() -> CityIndex {
    let cities = read_city_list(&mini("admin/cities.csv"), &ReadOptions::default()).unwrap();
    let cw = read_crosswalk(&mini("admin/crosswalk.csv"), &ReadOptions::default()).unwrap();
    CityIndex::new(&cities.frame, Some(&cw.frame)).unwrap()
}

fn parts(idx: &CityIndex) -> PanelParts {
    let o = ReadOptions {
        cities: Some(idx),
        ..ReadOptions::default()
    };
    let gbk = ReadOptions {
        encoding: Encoding::Gbk,
        ..o
    };
    PanelParts {
        city_list: read_city_list(&mini("admin/cities.csv"), &o).unwrap().frame,
        first_year: 2006,
        last_year: 2010,
        yearbook: Some(
            read_city_yearbook(&mini("yearbook/city_yearbook.csv"), &gbk)
                .unwrap()
                .frame,
        ),
        environment: Some(
            read_city_environment(&mini("yearbook/city_environment.xlsx"), &o)
                .unwrap()
                .frame,
        ),
        emissions: Some(
            read_ceads_city(&mini("ceads/City_CO2_Emission_Inventories.xlsx"), &o)
                .unwrap()
                .frame,
        ),
        ventilation: Some(
            read_ventilation(&mini("climate/ventilation.csv"), &o)
                .unwrap()
                .frame,
        ),
        night_lights: Some(
            read_night_lights(&mini("energy/night_lights.csv"), &o)
                .unwrap()
                .frame,
        ),
        province_energy: Some(
            read_province_energy(&mini("energy/province_energy.csv"), &o)
                .unwrap()
                .frame,
        ),
        robot_firms: Some(
            read_robot_firms(&mini("firms/robot_firms.csv"), &o)
                .unwrap()
                .frame,
        ),
        resource_cities: Some(
            read_resource_cities(&mini("attributes/resource_based_cities_2013.csv"), &o)
                .unwrap()
                .frame,
        ),
        smart_city_pilots: Some(
            read_smart_city_pilots(&mini("attributes/smart_city_pilots_2012.csv"), &o)
                .unwrap()
                .frame,
        ),
        gov_business: Some(
            read_gov_business(&mini("attributes/gov_business_closeness.csv"), &o)
                .unwrap()
                .frame,
        ),
        plan_cities: Some(
            read_plan_cities(&mini("attributes/municipalities_plan_cities.csv"), &o)
                .unwrap()
                .frame,
        ),
        exposure: None,
        tfp: None,
        options: PanelOptions::default(),
    }
}

fn golden() -> Value {
    serde_json::from_str(include_str!("golden/mini_panel.json")).unwrap()
}

fn assert_frame_matches(frame: &Frame, expected: &Value, rel: f64) {
    let obj = expected.as_object().unwrap();
    for (name, col) in frame.iter() {
        let exp = obj
            .get(name)
            .unwrap_or_else(|| panic!("golden lacks {name}"));
        let exp = exp.as_array().unwrap();
        assert_eq!(exp.len(), frame.nrows(), "{name}");
        match col {
            Column::Str(v) => {
                for (a, b) in v.iter().zip(exp) {
                    assert_eq!(a, b.as_str().unwrap(), "{name}");
                }
            }
            Column::I64(v) => {
                for (a, b) in v.iter().zip(exp) {
                    assert_eq!(*a, b.as_i64().unwrap(), "{name}");
                }
            }
            Column::F64(v) => {
                for (i, (a, b)) in v.iter().zip(exp).enumerate() {
                    let b = b.as_f64().unwrap_or(f64::NAN);
                    let ok =
                        (a.is_nan() && b.is_nan()) || (a - b).abs() <= rel * a.abs().max(b.abs());
                    assert!(ok, "{name} row {i}: {a} vs {b}");
                }
            }
        }
    }
    let cols: Vec<&String> = obj.keys().collect();
    assert_eq!(
        frame.ncols(),
        cols.len(),
        "columns {:?} vs {cols:?}",
        frame.names()
    );
}

#[test]
fn city_list_and_crosswalk() {
    let a = read_city_list(&mini("admin/cities.csv"), &ReadOptions::default()).unwrap();
    assert_eq!(a.frame.nrows(), 4);
    assert_eq!(a.frame.str("short_name").unwrap()[0], "石家庄");
    let cw = read_crosswalk(&mini("admin/crosswalk.csv"), &ReadOptions::default()).unwrap();
    assert_eq!(cw.frame.nrows(), 3);
    let idx = index();
    assert_eq!(
        idx.resolve_name("河北石家庄", Some(2008)).code(),
        Some("130100")
    );
    assert_eq!(
        idx.resolve_name("唐山", Some(2008)),
        Resolution::Direct("130200".into())
    );
    assert!(matches!(
        idx.resolve_name("安徽巢湖", Some(2009)),
        Resolution::Crosswalk { ref code, merge: true, .. } if code == "340100"
    ));
    // Outside the crosswalk's validity the old name is unknown.
    assert_eq!(
        idx.resolve_name("安徽巢湖", Some(2013)),
        Resolution::Unknown
    );
    assert_eq!(
        idx.resolve_name("湖北襄樊", Some(2008)).code(),
        Some("420600")
    );
    assert_eq!(
        idx.resolve_code("341400", Some(2010)).code(),
        Some("340100")
    );
    assert_eq!(
        idx.resolve_name("新疆石河子", Some(2008)),
        Resolution::Unknown
    );
}

#[test]
fn ceads_matches_names_merges_and_lists_unmatched() {
    let idx = index();
    let o = ReadOptions {
        cities: Some(&idx),
        ..ReadOptions::default()
    };
    let a = read_ceads_city(&mini("ceads/City_CO2_Emission_Inventories.xlsx"), &o).unwrap();
    assert_eq!(a.frame.nrows(), 20);
    assert_eq!(a.report.unmatched.len(), 1);
    assert_eq!(a.report.unmatched[0].name, "新疆石河子");
    // 合肥 2006 = 30 + 巢湖 4.0.
    let codes = a.frame.str("city_code").unwrap();
    let years = a.frame.i64("year").unwrap();
    let v = a.frame.f64("co2_mt").unwrap();
    let i = (0..20)
        .find(|&i| codes[i] == "340100" && years[i] == 2006)
        .unwrap();
    assert!((v[i] - 34.0).abs() < 1e-12, "{}", v[i]);
    assert!(a
        .report
        .replacements
        .iter()
        .any(|r| r.from == "湖北襄樊" && r.to == "420600" && r.rows == 4));
    let text = a.report.to_string();
    assert!(text.contains("新疆石河子 (1 rows dropped)"), "{text}");
    assert!(a.report.to_json().contains("\"unmatched\""));
    assert_eq!(a.report.coverage_by_year[&2006], 4);
}

#[test]
fn yearbook_gbk_and_environment_xlsx() {
    let idx = index();
    let o = ReadOptions {
        cities: Some(&idx),
        encoding: Encoding::Gbk,
        ..ReadOptions::default()
    };
    let y = read_city_yearbook(&mini("yearbook/city_yearbook.csv"), &o).unwrap();
    assert_eq!(y.frame.nrows(), 20);
    assert!(y.frame.f64("gdp_nominal").unwrap()[6].is_nan());
    assert_eq!(y.report.cells_missing["gdp_nominal"], 2);
    // The user-edited column map file gives the same result as the built-in default.
    let map = ColumnMap::from_path(&mini("yearbook/column_map.toml")).unwrap();
    let o2 = ReadOptions {
        column_map: Some(&map),
        ..o
    };
    let y2 = read_city_yearbook(&mini("yearbook/city_yearbook.csv"), &o2).unwrap();
    assert_eq!(y.frame, y2.frame);
    let e = read_city_environment(&mini("yearbook/city_environment.xlsx"), &o).unwrap();
    assert_eq!(e.frame.nrows(), 20);
    assert!(e.frame.f64("so2").unwrap()[3].is_nan());
}

#[test]
fn resource_cities_by_name_with_crosswalk() {
    let idx = index();
    let o = ReadOptions {
        cities: Some(&idx),
        ..ReadOptions::default()
    };
    let r = read_resource_cities(&mini("attributes/resource_based_cities_2013.csv"), &o).unwrap();
    // 唐山市 direct; county-level rows (巢湖市 in 2013, 迁安市) ignored; 邯郸市 not in the list.
    assert_eq!(r.frame.str("city_code").unwrap(), &["130200"]);
    assert!(r
        .report
        .notes
        .iter()
        .any(|n| n.starts_with("2 non-prefecture")));
    assert!(r.report.unmatched.iter().any(|u| u.name == "邯郸市"));
}

#[test]
fn panel_matches_pandas_reference() {
    let idx = index();
    let p = parts(&idx);
    let built = build_panel(&p).unwrap();
    let g = golden();
    assert_frame_matches(&built.frame, &g["panel"], 1e-12);
    for (col, n) in g["filled"].as_object().unwrap() {
        assert_eq!(
            built.report.cells_filled.get(col).copied(),
            Some(n.as_u64().unwrap() as usize),
            "{col}"
        );
    }
    // Students of 340100 in 2006 is a leading gap: HC stays missing, never extrapolated.
    assert_eq!(built.report.cells_missing.get("HC"), Some(&1));

    let mut raw = p.clone();
    raw.options.winsor = None;
    let unw = build_panel(&raw).unwrap();
    let mut expect = g["unwinsorized"].clone();
    for f in robocarb_panel::FLAGS.into_iter().chain(["province_code"]) {
        expect
            .as_object_mut()
            .unwrap()
            .insert(f.into(), g["panel"][f].clone());
    }
    assert_frame_matches(&unw.frame, &expect, 1e-12);

    let dea = dea_inputs(&p).unwrap();
    assert_frame_matches(&dea.frame, &g["dea_inputs"], 1e-12);
}

#[test]
fn absent_inputs_give_absent_columns_and_optional_robot_tp_join() {
    let idx = index();
    let mut p = parts(&idx);
    p.ventilation = None;
    p.gov_business = None;
    let n = 20;
    let codes: Vec<String> = ["130100", "130200", "340100", "420600"]
        .iter()
        .flat_map(|c| std::iter::repeat_n(c.to_string(), 5))
        .collect();
    let years: Vec<i64> = (0..n).map(|i| 2006 + (i % 5) as i64).collect();
    p.exposure = Some(
        Frame::from_columns([
            ("city_code", Column::Str(codes.clone())),
            ("year", Column::I64(years.clone())),
            (
                "ROBOT",
                Column::F64((0..n).map(|i| i as f64 / 10.0).collect()),
            ),
        ])
        .unwrap(),
    );
    p.tfp = Some(
        Frame::from_columns([
            ("city_code", Column::Str(codes)),
            ("year", Column::I64(years)),
            ("TP", Column::F64(vec![1.0; n])),
        ])
        .unwrap(),
    );
    p.options.winsor = None;
    let built = build_panel(&p).unwrap();
    let names = built.frame.names();
    assert!(!names
        .iter()
        .any(|c| c == "VC" || c == "ROBOT_R" || c == "gov_business_high"));
    assert_eq!(&names[..4], &["city_code", "year", "CARBON", "CARBON_I"]);
    assert_eq!(names[4], "ROBOT");
    assert!(names.iter().any(|c| c == "TP"));
    assert_eq!(built.frame.f64("ROBOT").unwrap()[3], 0.3);
    // Canonical encoding round-trips the built panel.
    assert_eq!(Frame::decode(&built.frame.encode()).unwrap(), built.frame);

    let mut strict = p.clone();
    strict.options.require_complete = true;
    assert!(matches!(build_panel(&strict), Err(IngestError::Panel(m)) if m.contains("HC")));
}

#[test]
fn gov_business_median_rule() {
    let idx = index();
    let p = parts(&idx);
    let high =
        gov_business_high(p.gov_business.as_ref().unwrap(), &p.city_list, (2017, 2019)).unwrap();
    // Means: 52, 41, 61, 47 -> median 49.5 -> 130100 and 340100 high.
    assert_eq!(golden()["gov_median"].as_f64(), Some(49.5));
    assert!(high["130100"] && high["340100"] && !high["130200"] && !high["420600"]);
}

#[test]
fn all_other_adapters_read_their_format() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let o = ReadOptions::default();
    let ifr = write(
        "ifr.csv",
        "country,ifr_code,ifr_industry,year,operational_stock\nChina,29,Automotive,2006,1000\nChina,29,Automotive,2007,1500\nJapan,29,Automotive,2006,9\n",
    );
    let a = read_ifr_stocks(&ifr, &o).unwrap();
    assert_eq!(a.frame.nrows(), 2);
    assert!(a
        .report
        .notes
        .iter()
        .any(|n| n.contains("other than China")));
    let conc = write(
        "conc.csv",
        "ifr_code,ifr_industry,classification,group\n29,Automotive,gbt2002,transport\n29,Automotive,gbt2011,auto\n",
    );
    assert_eq!(read_concordance(&conc, &o).unwrap().frame.nrows(), 2);
    let pe = write(
        "pe.csv",
        "地区代码,年份,行业分类标准,行业,城镇单位就业人员(人)\n13,2006,GB/T 4754-2002,transport,12000\n13,2012,GB/T 4754-2011,auto,5000\n",
    );
    let a = read_province_employment(&pe, &o).unwrap();
    assert_eq!(
        a.frame.names(),
        &[
            "province_code",
            "year",
            "classification",
            "group",
            "employees"
        ]
    );
    let bad = write(
        "pe_bad.csv",
        "地区代码,年份,行业分类标准,行业,城镇单位就业人员(人)\n13,2006,GB/T 4754-1994,transport,12000\n",
    );
    let e = read_province_employment(&bad, &o).unwrap_err();
    assert!(
        e.to_string().contains("row 2, column `行业分类标准`"),
        "{e}"
    );
}

#[test]
fn yearbook_as_workbook() {
    // Same content as the GBK CSV, written as .xlsx (first sheet, Chinese headers).
    let idx = index();
    let o = ReadOptions {
        cities: Some(&idx),
        encoding: Encoding::Gbk,
        ..ReadOptions::default()
    };
    let csv = read_city_yearbook(&mini("yearbook/city_yearbook.csv"), &o).unwrap();
    let bytes = std::fs::read(mini("yearbook/city_yearbook.csv")).unwrap();
    let (text, _, _) = encoding_rs::GBK.decode(&bytes);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in text.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell.parse::<f64>() {
                Ok(x) if r > 0 && c != 0 => ws.write_number(r, c, x).map(|_| ()),
                _ if cell.is_empty() => Ok(()),
                _ => ws.write_string(r, c, cell).map(|_| ()),
            }
            .unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("city_yearbook.xlsx");
    wb.save(&path).unwrap();
    let xlsx = read_city_yearbook(&path, &o).unwrap();
    assert_eq!(xlsx.frame, csv.frame);
}
