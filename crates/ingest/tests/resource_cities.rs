//! Resource-city matching follows only `rename` crosswalk entries (docs/data-formats.md,
//! resource_cities): a listed city later merged into another does not pass its attribute on.

use robocarb_ingest::*;

const CITY_LIST: &str = "city_code,city_name,short_name,province_code,province_name\n\
370100,济南市,济南,37,山东省\n\
370300,淄博市,淄博,37,山东省\n\
420600,襄阳市,襄阳,42,湖北省\n\
340100,合肥市,合肥,34,安徽省\n";

const CROSSWALK: &str = "old_code,old_name,new_code,new_name,from_year,to_year,change\n\
371200,莱芜市,370100,济南市,2006,2018,merge\n\
420600,襄樊市,420600,襄阳市,2006,2013,rename\n\
341400,巢湖市,340100,合肥市,2006,2013,abolish_merge\n";

const RESOURCE: &str = "name,admin_level,type\n\
莱芜市,prefecture,mature\n\
淄博市,prefecture,regenerating\n\
襄樊市,prefecture,mature\n\
巢湖市,prefecture,mature\n";

fn index() -> CityIndex {
    let d = ReadOptions::default();
    let list = read_source_bytes(
        Source::CityList,
        CITY_LIST.as_bytes(),
        "cities.csv",
        Format::Csv,
        &d,
    )
    .unwrap();
    let cw = read_source_bytes(
        Source::Crosswalk,
        CROSSWALK.as_bytes(),
        "crosswalk.csv",
        Format::Csv,
        &d,
    )
    .unwrap();
    CityIndex::new(&list.frame, Some(&cw.frame)).unwrap()
}

#[test]
fn merged_cities_do_not_pass_the_attribute_on_renames_do() {
    let idx = index();
    // The crosswalk itself does resolve 莱芜 to 济南 (as a merge) for additive data.
    assert_eq!(
        idx.resolve_name("莱芜市", Some(2013)).code(),
        Some("370100")
    );
    let o = ReadOptions {
        cities: Some(&idx),
        ..ReadOptions::default()
    };
    let r = read_source_bytes(
        Source::ResourceCities,
        RESOURCE.as_bytes(),
        "resource_based_cities_2013.csv",
        Format::Csv,
        &o,
    )
    .unwrap();
    // 淄博 direct, 襄樊 -> 襄阳 by rename; 莱芜 (merge) and 巢湖 (abolish_merge) left out.
    assert_eq!(r.frame.str("city_code").unwrap(), &["370300", "420600"]);
    assert_eq!(r.frame.str("type").unwrap(), &["regenerating", "mature"]);
    let merged: Vec<&String> = r
        .report
        .notes
        .iter()
        .filter(|n| n.contains("attribute not carried over"))
        .collect();
    assert_eq!(merged.len(), 2, "{:?}", r.report.notes);
    assert!(merged[0].contains("莱芜市") && merged[0].contains("370100"));
    assert!(merged[1].contains("巢湖市") && merged[1].contains("abolish_merge"));
    // Left-out merged names are explained, not reported as unknown cities.
    assert!(r.report.unmatched.is_empty());
}
