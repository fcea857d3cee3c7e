//! Conformance with the real published files shipped in `data/real/` (origin, terms and citation
//! beside each file): they are part of the repository, so these tests run on a fresh clone.

use std::path::{Path, PathBuf};

use robocarb_ingest::*;

/// The project's copy of the real files.
fn real() -> PathBuf {
    Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("../../data/real")
}

fn index(real: &Path) -> CityIndex {
    let list = city_list_from_admin_divisions(
        &real.join("admin-divisions/cities.csv"),
        &real.join("admin-divisions/provinces.csv"),
    )
    .unwrap();
    let cw = read_crosswalk(&real.join("crosswalk.csv"), &ReadOptions::default()).unwrap();
    CityIndex::new(&list.frame, Some(&cw.frame)).unwrap()
}

#[test]
fn admin_divisions_city_list() {
    let real = real();
    let list = city_list_from_admin_divisions(
        &real.join("admin-divisions/cities.csv"),
        &real.join("admin-divisions/provinces.csv"),
    )
    .unwrap();
    let codes = list.frame.str("city_code").unwrap();
    println!(
        "{} prefecture-level units from admin-divisions",
        codes.len()
    );
    assert!(codes.contains(&"110100".to_string()) && codes.contains(&"130100".to_string()));
    assert!(codes.iter().all(|c| robocarb_panel::is_city_code(c)));
    assert!(!codes.iter().any(|c| &c[2..4] == "90"));
}

#[test]
fn ceads_all_290_cities() {
    let real = real();
    let idx = index(&real);
    let path = real.join(
        "ceads-cities/The_Emission_Inventories_for_290_Chinese_Cities_from_1997_to_2019.xlsx",
    );
    // All years: every one of the 290 names is matched (directly or by a rule) or listed.
    let o = ReadOptions {
        cities: Some(&idx),
        ..ReadOptions::default()
    };
    let all = read_ceads_city(&path, &o).unwrap();
    assert_eq!(all.report.rows_read, 3929);
    let mut names: std::collections::BTreeSet<&str> = ["北京", "天津", "上海", "重庆"].into();
    names.extend(all.report.replacements.iter().map(|r| r.from.as_str()));
    names.extend(all.report.unmatched.iter().map(|u| u.name.as_str()));
    assert_eq!(names.len(), 290);
    // The study's years.
    let o = ReadOptions {
        years: Some((2006, 2019)),
        ..o
    };
    let a = read_ceads_city(&path, &o).unwrap();
    print!("{}", a.report);
    let matched: std::collections::BTreeSet<&str> = a
        .report
        .replacements
        .iter()
        .map(|r| r.from.as_str())
        .collect();
    let listed = a.report.unmatched.len();
    println!(
        "2006-2019: matched {} names by rule, 4 direct, unmatched {listed}",
        matched.len()
    );
    let unmatched: Vec<&str> = a.report.unmatched.iter().map(|u| u.name.as_str()).collect();
    // County-level units administered by provinces have no prefecture code.
    for name in ["湖北仙桃", "湖北潜江", "河南济源", "新疆石河子"] {
        assert!(
            unmatched.contains(&name),
            "{name} should be unmatched: {unmatched:?}"
        );
    }
    assert!(listed <= 8, "too many unmatched: {unmatched:?}");
    assert!(a
        .report
        .unmatched
        .iter()
        .all(|u| !matched.contains(u.name.as_str())));
    // 84 cities cover every year 2006-2019 (SOURCES.md); merges/renames cannot lower that.
    let full = balanced_count(&a.frame, "co2_mt", 2006, 2019).unwrap();
    println!("CEADs cities with all of 2006-2019: {full}");
    assert!(full >= 84, "{full}");
    // Renamed/merged units were reconciled.
    assert!(a
        .report
        .replacements
        .iter()
        .any(|r| r.from == "安徽巢湖" && r.to == "340100"));
    assert!(a
        .report
        .replacements
        .iter()
        .any(|r| r.from == "山东莱芜" && r.to == "370100"));
    assert!(a.report.coverage_by_year.get(&2006).copied().unwrap_or(0) > 150);
}

#[test]
fn county_co2_balanced_prefecture_panel() {
    let real = real();
    let path = real.join("county-co2/county_co2_1997_2017.xlsx");
    let a = read_county_co2(&path, &ReadOptions::default()).unwrap();
    print!("{}", a.report);
    let n = balanced_count(&a.frame, "co2_mt", 2006, 2017).unwrap();
    println!("balanced prefecture panel 2006-2017: {n} cities");
    assert!(a
        .report
        .notes
        .iter()
        .any(|s| s == &format!("balanced prefecture panel 2006-2017: {n} cities")));
    assert!(n >= 300, "{n}");
    let years = a.frame.i64("year").unwrap();
    assert_eq!(years.iter().min(), Some(&1997));
    assert_eq!(years.iter().max(), Some(&2017));
    // Harmonised to the admin-divisions list through the crosswalk (2010 boundaries -> today).
    let idx = index(&real);
    let o = ReadOptions {
        cities: Some(&idx),
        years: Some((2006, 2017)),
        ..ReadOptions::default()
    };
    let h = read_county_co2(&path, &o).unwrap();
    print!("{}", h.report);
    let nh = balanced_count(&h.frame, "co2_mt", 2006, 2017).unwrap();
    println!("harmonised balanced prefecture panel 2006-2017: {nh} cities");
    assert!(nh >= 280, "{nh}");
    let unmatched: Vec<&str> = h.report.unmatched.iter().map(|u| u.name.as_str()).collect();
    println!("county codes not in the 2023 list nor the crosswalk: {unmatched:?}");
    // 巢湖 (341400) and 莱芜 (371200) are added to 合肥 and 济南; 毕节/铜仁/海东 and the
    // Tibet and Xinjiang prefectures that became cities after 2010 are mapped to their new codes.
    for gone in [
        "341400", "371200", "522200", "522400", "632100", "542100", "542200", "542300", "542400",
        "542600", "652100", "652200",
    ] {
        assert!(!unmatched.contains(&gone), "{gone}");
    }
}

#[test]
fn resource_cities_real_list() {
    let real = real();
    let idx = index(&real);
    let o = ReadOptions {
        cities: Some(&idx),
        ..ReadOptions::default()
    };
    let a = read_resource_cities(
        &real.join("resource-cities/resource_based_cities_2013.csv"),
        &o,
    )
    .unwrap();
    print!("{}", a.report);
    // 126 prefecture-level units; 莱芜 merged into 济南 (2019) and attributes follow renames
    // only, so 莱芜 is noted and 济南 is not flagged; every row is matched, noted or listed.
    let total = a.frame.nrows()
        + a.report.unmatched.iter().map(|u| u.rows).sum::<usize>()
        + a.report
            .notes
            .iter()
            .filter(|n| n.contains("again") || n.contains("not carried over"))
            .count();
    assert_eq!(total, 126);
    assert!(!a
        .frame
        .str("city_code")
        .unwrap()
        .contains(&"370100".to_string()));
    assert!(a.report.unmatched.is_empty(), "{:?}", a.report.unmatched);
}

/// `data/real/admin-divisions/city_list.csv` (the city list `data/real/sources.toml` uses) is
/// exactly the derivation of the shipped admin-divisions files.
#[test]
fn derived_city_list_is_the_admin_divisions() {
    let real = real();
    let derived = city_list_from_admin_divisions(
        &real.join("admin-divisions/cities.csv"),
        &real.join("admin-divisions/provinces.csv"),
    )
    .unwrap();
    let shipped = read_city_list(
        &real.join("admin-divisions/city_list.csv"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(shipped.frame, derived.frame);
    assert_eq!(derived.frame.nrows(), 337);
}

/// The county inventories summed to 2023 cities through the crosswalk: the merged-away units'
/// emissions are added to the city they joined, so the city totals equal the county totals of
/// every county kept.
#[test]
fn county_co2_city_totals_keep_every_matched_county() {
    let real = real();
    let path = real.join("county-co2/county_co2_1997_2017.xlsx");
    let raw = read_county_co2(&path, &ReadOptions::default()).unwrap();
    let idx = index(&real);
    let o = ReadOptions {
        cities: Some(&idx),
        ..ReadOptions::default()
    };
    let h = read_county_co2(&path, &o).unwrap();
    let total = |f: &robocarb_panel::Frame, year: i64| -> f64 {
        let years = f.i64("year").unwrap();
        let v = f.f64("co2_mt").unwrap();
        (0..f.nrows())
            .filter(|&i| years[i] == year)
            .map(|i| v[i])
            .sum()
    };
    // What was dropped is exactly the unmatched prefectures' emissions.
    let codes = raw.frame.str("city_code").unwrap();
    let years = raw.frame.i64("year").unwrap();
    let v = raw.frame.f64("co2_mt").unwrap();
    let dropped: Vec<&str> = h.report.unmatched.iter().map(|u| u.name.as_str()).collect();
    for year in [2006, 2012, 2017] {
        let lost: f64 = (0..raw.frame.nrows())
            .filter(|&i| years[i] == year && dropped.contains(&codes[i].as_str()))
            .map(|i| v[i])
            .sum();
        let (a, b) = (total(&raw.frame, year), total(&h.frame, year) + lost);
        assert!((a - b).abs() <= 1e-9 * a, "{year}: {a} vs {b}");
    }
    // 莱芜 is added to 济南 in every year (fixed 2010 boundaries).
    assert!(h
        .report
        .replacements
        .iter()
        .any(|r| r.from == "371200" && r.to == "370100"));
}
