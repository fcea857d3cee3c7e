//! The synthetic twin in data/default (written by `robocarb synth`): every adapter reads its
//! file and the panel is balanced, 274 cities x 14 years. Skipped, saying so, until the twin
//! exists.

use std::path::PathBuf;

use robocarb_ingest::*;

#[test]
fn default_twin_builds_a_balanced_panel() {
    let root = PathBuf::from(format!(
        "{}/../../data/default",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())
    ));
    if !root.join("admin/cities.csv").is_file() {
        println!("skipped: data/default not present (run `robocarb synth` first)");
        return;
    }
    let p = |rel: &str| root.join(rel);
    let d = ReadOptions::default();
    let list = read_city_list(&p("admin/cities.csv"), &d).unwrap();
    let cw = read_crosswalk(&p("admin/crosswalk.csv"), &d).unwrap();
    let idx = CityIndex::new(&list.frame, Some(&cw.frame)).unwrap();
    let o = ReadOptions {
        cities: Some(&idx),
        ..d
    };
    let map = ColumnMap::from_path(&p("yearbook/column_map.toml")).unwrap();
    let yb_opts = ReadOptions {
        encoding: Encoding::Gbk,
        column_map: Some(&map),
        ..o
    };
    let env_opts = ReadOptions {
        column_map: Some(&map),
        ..o
    };
    read_ifr_stocks(&p("ifr/ifr_operational_stock_china.csv"), &d).unwrap();
    read_concordance(&p("ifr/ifr_gbt_concordance.csv"), &d).unwrap();
    read_province_employment(&p("yearbook/province_industry_employment.csv"), &d).unwrap();
    let ceads = read_ceads_city(&p("ceads/City_CO2_Emission_Inventories.xlsx"), &o).unwrap();
    print!("{}", ceads.report);
    // Every twin city is found (extra CEADs cities outside the study are listed, not fatal).
    assert_eq!(ceads.frame.nrows(), 274 * 14);
    let parts = PanelParts {
        city_list: list.frame.clone(),
        yearbook: Some(
            read_city_yearbook(&p("yearbook/city_yearbook.csv"), &yb_opts)
                .unwrap()
                .frame,
        ),
        environment: Some(
            read_city_environment(&p("yearbook/city_environment.xlsx"), &env_opts)
                .unwrap()
                .frame,
        ),
        emissions: Some(
            read_ceads_city(&p("ceads/City_CO2_Emission_Inventories.xlsx"), &o)
                .unwrap()
                .frame,
        ),
        ventilation: Some(
            read_ventilation(&p("climate/ventilation.csv"), &o)
                .unwrap()
                .frame,
        ),
        night_lights: Some(
            read_night_lights(&p("energy/night_lights.csv"), &o)
                .unwrap()
                .frame,
        ),
        province_energy: Some(
            read_province_energy(&p("energy/province_energy.csv"), &d)
                .unwrap()
                .frame,
        ),
        robot_firms: Some(
            read_robot_firms(&p("firms/robot_firms.csv"), &o)
                .unwrap()
                .frame,
        ),
        resource_cities: Some(
            read_resource_cities(&p("attributes/resource_based_cities_2013.csv"), &o)
                .unwrap()
                .frame,
        ),
        smart_city_pilots: Some(
            read_smart_city_pilots(&p("attributes/smart_city_pilots_2012.csv"), &o)
                .unwrap()
                .frame,
        ),
        gov_business: Some(
            read_gov_business(&p("attributes/gov_business_closeness.csv"), &o)
                .unwrap()
                .frame,
        ),
        plan_cities: Some(
            read_plan_cities(&p("attributes/municipalities_plan_cities.csv"), &o)
                .unwrap()
                .frame,
        ),
        ..PanelParts::default()
    };
    let panel = build_panel(&parts).unwrap();
    print!("{}", panel.report);
    assert_eq!(list.frame.nrows(), 274);
    assert_eq!(panel.frame.nrows(), 274 * 14);
    assert!(panel.report.coverage_by_year.values().all(|&n| n == 274));
    let dea = dea_inputs(&parts).unwrap();
    assert_eq!(dea.frame.nrows(), 274 * 14);
}
