//! One test per bad-input case: each error names the file, the row (header = 1) and the column,
//! and says what was expected.

use std::path::{Path, PathBuf};

use robocarb_ingest::*;
use robocarb_panel::{Column, Frame};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn loc(e: &IngestError) -> (usize, String) {
    let l = e.location().unwrap_or_else(|| panic!("no location: {e}"));
    (l.row.unwrap_or(0), l.column.clone().unwrap_or_default())
}

fn index() -> CityIndex {
    let list = Frame::from_columns([
        (
            "city_code",
            Column::Str(vec!["130100".into(), "340100".into()]),
        ),
        (
            "city_name",
            Column::Str(vec!["石家庄市".into(), "合肥市".into()]),
        ),
        (
            "short_name",
            Column::Str(vec!["石家庄".into(), "合肥".into()]),
        ),
        ("province_code", Column::Str(vec!["13".into(), "34".into()])),
        (
            "province_name",
            Column::Str(vec!["河北省".into(), "安徽省".into()]),
        ),
    ])
    .unwrap();
    CityIndex::new(&list, None).unwrap()
}

#[test]
fn wrong_path() {
    let e = read_ventilation(
        Path::new("/no/such/ventilation.csv"),
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e.problem(), Some(Problem::Unreadable(_))));
    assert!(
        e.to_string()
            .starts_with("/no/such/ventilation.csv: cannot read the file"),
        "{e}"
    );
}

#[test]
fn missing_column() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "v.csv",
        b"city_code,year,boundary_layer_height_m\n130100,2006,600\n",
    );
    let e = read_ventilation(&p, &ReadOptions::default()).unwrap_err();
    assert_eq!(loc(&e), (1, "wind_speed_10m_ms".into()));
    assert!(
        e.to_string().contains(
            "required column missing; header has: city_code, year, boundary_layer_height_m"
        ),
        "{e}"
    );
}

#[test]
fn missing_column_names_the_chinese_header() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "env.csv",
        "城市代码,年份,工业二氧化硫排放量(吨)\n130100,2006,1\n".as_bytes(),
    );
    let e = read_city_environment(&p, &ReadOptions::default()).unwrap_err();
    let (row, col) = loc(&e);
    assert_eq!(row, 1);
    assert!(
        col.contains("工业烟(粉)尘排放量(吨)") && col.contains("dust"),
        "{col}"
    );
}

#[test]
fn duplicate_city_year() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "n.csv",
        b"city_code,year,dn_sum\n130100,2006,1\n130100,2007,2\n130100,2006,3\n",
    );
    let e = read_night_lights(&p, &ReadOptions::default()).unwrap_err();
    assert_eq!(
        e.problem(),
        Some(&Problem::Duplicate {
            key: "130100".into(),
            year: Some(2006),
            first_row: 2
        })
    );
    assert_eq!(e.location().unwrap().row, Some(4));
    assert!(
        e.to_string()
            .contains("duplicate (130100, 2006); first seen at row 2"),
        "{e}"
    );
}

#[test]
fn non_numeric_cell() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "f.csv",
        b"city_code,year,robot_rd_service_firms\n130100,2006,1\n130100,2007,n/a\n",
    );
    let e = read_robot_firms(&p, &ReadOptions::default()).unwrap_err();
    assert_eq!(loc(&e), (3, "robot_rd_service_firms".into()));
    assert_eq!(e.problem(), Some(&Problem::NotNumeric("n/a".into())));
}

#[test]
fn nan_or_inf_cell() {
    let d = tempfile::tempdir().unwrap();
    for (i, bad) in ["NaN", "inf", "-Infinity"].iter().enumerate() {
        let text = format!("province_code,year,energy_10k_tce\n13,2006,{bad}\n");
        let p = write(d.path(), &format!("e{i}.csv"), text.as_bytes());
        let e = read_province_energy(&p, &ReadOptions::default()).unwrap_err();
        assert_eq!(loc(&e), (2, "energy_10k_tce".into()));
        assert_eq!(e.problem(), Some(&Problem::NonFinite(bad.to_string())));
    }
}

#[test]
fn bad_year_and_bad_code() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "y.csv",
        b"city_code,year,dn_sum\n130100,2006.5,1\n",
    );
    let e = read_night_lights(&p, &ReadOptions::default()).unwrap_err();
    assert_eq!(loc(&e), (2, "year".into()));
    let p = write(d.path(), "c.csv", b"city_code,year,dn_sum\n1301,2006,1\n");
    let e = read_night_lights(&p, &ReadOptions::default()).unwrap_err();
    assert_eq!(loc(&e), (2, "city_code".into()));
    assert!(matches!(e.problem(), Some(Problem::BadCode(_))));
}

fn ceads_xlsx(rows: &[(&str, i64, f64)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("emission vector").unwrap();
    for (j, h) in ["ID", "city", "year", "emission"].iter().enumerate() {
        ws.write_string(0, j as u16, *h).unwrap();
    }
    for (i, (name, year, v)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, format!("{name}{year}")).unwrap();
        ws.write_string(r, 1, *name).unwrap();
        ws.write_number(r, 2, *year as f64).unwrap();
        ws.write_number(r, 3, *v).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn negative_emissions() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "ceads.xlsx",
        &ceads_xlsx(&[("石家庄", 2006, 40.0), ("石家庄", 2007, -1.5)]),
    );
    let idx = index();
    let o = ReadOptions {
        cities: Some(&idx),
        ..ReadOptions::default()
    };
    let e = read_ceads_city(&p, &o).unwrap_err();
    assert_eq!(loc(&e), (3, "emission".into()));
    assert_eq!(e.problem(), Some(&Problem::Negative(-1.5)));
    assert!(
        e.to_string()
            .contains("ceads.xlsx [sheet emission vector], row 3, column `emission`"),
        "{e}"
    );
}

#[test]
fn negative_where_impossible_in_yearbook() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "v.csv",
        b"city_code,year,boundary_layer_height_m,wind_speed_10m_ms\n130100,2006,600,-2\n",
    );
    let e = read_ventilation(&p, &ReadOptions::default()).unwrap_err();
    assert_eq!(loc(&e), (2, "wind_speed_10m_ms".into()));
}

#[test]
fn gbk_file_without_encoding_says_set_gbk() {
    let d = tempfile::tempdir().unwrap();
    let text = "城市代码,城市,年份,工业二氧化硫排放量(吨),工业烟(粉)尘排放量(吨),工业废水排放量(万吨),全社会用电量(万千瓦时)\n130100,石家庄市,2006,1,2,3,4\n";
    let (bytes, _, _) = encoding_rs::GBK.encode(text);
    let p = write(d.path(), "env.csv", &bytes);
    let e = read_city_environment(&p, &ReadOptions::default()).unwrap_err();
    assert_eq!(e.problem(), Some(&Problem::NotUtf8));
    assert_eq!(e.location().unwrap().row, Some(1));
    assert!(e.to_string().contains("set encoding = \"gbk\""), "{e}");
    // With the encoding set it reads.
    let o = ReadOptions {
        encoding: Encoding::Gbk,
        ..ReadOptions::default()
    };
    let a = read_city_environment(&p, &o).unwrap();
    assert_eq!(a.frame.str("city_name").unwrap()[0], "石家庄市");
}

#[test]
fn unknown_city_code() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "n.csv",
        b"city_code,year,dn_sum\n130100,2006,1\n999900,2006,2\n",
    );
    let idx = index();
    let o = ReadOptions {
        cities: Some(&idx),
        ..ReadOptions::default()
    };
    let e = read_night_lights(&p, &o).unwrap_err();
    assert_eq!(loc(&e), (3, "city_code".into()));
    assert_eq!(e.problem(), Some(&Problem::UnknownCity("999900".into())));
    // With the drop policy it is listed instead.
    let o = ReadOptions {
        unknown_city: UnknownCity::Drop,
        ..o
    };
    let a = read_night_lights(&p, &o).unwrap();
    assert_eq!(a.frame.nrows(), 1);
    assert_eq!(a.report.unmatched[0].name, "999900");
}

#[test]
fn unknown_city_name() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "ceads.xlsx",
        &ceads_xlsx(&[("石家庄", 2006, 40.0), ("火星", 2006, 1.0)]),
    );
    let idx = index();
    let o = ReadOptions {
        cities: Some(&idx),
        unknown_city: UnknownCity::Error,
        ..ReadOptions::default()
    };
    let e = read_ceads_city(&p, &o).unwrap_err();
    assert_eq!(loc(&e), (3, "city".into()));
    assert_eq!(e.problem(), Some(&Problem::UnknownCity("火星".into())));
}

#[test]
fn missing_sheet_lists_sheets() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "ceads.xlsx",
        &ceads_xlsx(&[("石家庄", 2006, 40.0)]),
    );
    let idx = index();
    let o = ReadOptions {
        cities: Some(&idx),
        sheet: Some("nope"),
        ..ReadOptions::default()
    };
    let e = read_ceads_city(&p, &o).unwrap_err();
    assert!(
        e.to_string()
            .contains("no such sheet; sheets present: emission vector"),
        "{e}"
    );
}

#[test]
fn ragged_row_and_not_a_workbook() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "n.csv", b"city_code,year,dn_sum\n130100,2006\n");
    let e = read_night_lights(&p, &ReadOptions::default()).unwrap_err();
    assert_eq!(e.location().unwrap().row, Some(2));
    let p = write(d.path(), "env.xlsx", b"not a zip");
    let e = read_city_environment(&p, &ReadOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("not a readable .xlsx workbook"),
        "{e}"
    );
}

#[test]
fn column_map_errors() {
    let e = ColumnMap::from_toml_str("columns = 3", "map.toml").unwrap_err();
    assert!(e.to_string().contains("[columns]"), "{e}");
    let e = ColumnMap::from_toml_str("[columns]\n\"年份\" = 1\n", "map.toml").unwrap_err();
    assert!(e.to_string().contains("年份"), "{e}");
}

#[test]
fn crosswalk_bad_change_kind() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "cw.csv",
        "old_code,old_name,new_code,new_name,from_year,to_year,change\n420600,襄樊,420600,襄阳,2006,2009,renamed\n".as_bytes(),
    );
    let e = read_crosswalk(&p, &ReadOptions::default()).unwrap_err();
    assert_eq!(loc(&e), (2, "change".into()));
}
