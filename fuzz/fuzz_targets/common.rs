// Shared by the fuzz targets: a two-city index and a driver over every source.
use robocarb_ingest::{read_source_bytes, CityIndex, Encoding, Format, ReadOptions, Source};
use robocarb_panel::{Column, Frame};

pub fn index() -> CityIndex {
    let list = Frame::from_columns([
        ("city_code", Column::Str(vec!["130100".into(), "340100".into()])),
        ("city_name", Column::Str(vec!["石家庄市".into(), "合肥市".into()])),
        ("short_name", Column::Str(vec!["石家庄".into(), "合肥".into()])),
        ("province_code", Column::Str(vec!["13".into(), "34".into()])),
        ("province_name", Column::Str(vec!["河北省".into(), "安徽省".into()])),
    ])
    .expect("static frame");
    CityIndex::new(&list, None).expect("static index")
}

pub fn run_all(bytes: &[u8], format: Format) {
    let idx = index();
    for encoding in [Encoding::Utf8, Encoding::Gbk] {
        let o = ReadOptions { cities: Some(&idx), encoding, ..ReadOptions::default() };
        for source in Source::ALL {
            if let Ok(a) = read_source_bytes(source, bytes, "fuzz", format, &o) {
                let back = Frame::decode(&a.frame.encode()).expect("encoded frames decode");
                assert_eq!(back, a.frame);
            }
        }
    }
}
