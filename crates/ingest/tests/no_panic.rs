//! "No panic on arbitrary bytes": every adapter's bytes-level core returns Ok or a typed error
//! for random input (the CI-run counterpart of the cargo-fuzz targets in /fuzz).

use proptest::prelude::*;
use robocarb_ingest::*;
use robocarb_panel::{Column, Frame};

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

fn run_all(bytes: &[u8], format: Format) {
    let idx = index();
    for encoding in [Encoding::Utf8, Encoding::Gbk] {
        let o = ReadOptions {
            cities: Some(&idx),
            encoding,
            ..ReadOptions::default()
        };
        for source in Source::ALL {
            if let Ok(a) = read_source_bytes(source, bytes, "fuzz", format, &o) {
                // Whatever is accepted must also encode and decode.
                assert_eq!(Frame::decode(&a.frame.encode()).unwrap(), a.frame);
                let _ = a.report.to_string();
            }
        }
    }
}

/// CSV-ish text: headers drawn from the real vocabulary, cells from a nasty alphabet.
fn csvish() -> impl Strategy<Value = Vec<u8>> {
    let header = prop::sample::select(vec![
        "city_code",
        "year",
        "dn_sum",
        "index",
        "city",
        "emission",
        "name",
        "admin_level",
        "type",
        "province_code",
        "energy_10k_tce",
        "城市代码",
        "年份",
        "DISTCODE地区代码",
        "C2006",
        "kind",
        "boundary_layer_height_m",
        "wind_speed_10m_ms",
        "robot_rd_service_firms",
        "country",
        "ifr_code",
        "ifr_industry",
        "operational_stock",
        "classification",
        "group",
    ]);
    let cell = prop_oneof![
        Just("130100".to_string()),
        Just("2006".to_string()),
        Just("".to_string()),
        Just("NaN".to_string()),
        Just("-1".to_string()),
        Just("\"a,b\"".to_string()),
        Just("石家庄".to_string()),
        Just("320211（2）".to_string()),
        "[0-9.eE+-]{0,8}",
        any::<String>(),
    ];
    (
        prop::collection::vec(header, 1..6),
        prop::collection::vec(prop::collection::vec(cell, 0..7), 0..6),
    )
        .prop_map(|(h, rows)| {
            let mut s = h.join(",");
            s.push('\n');
            for r in rows {
                s.push_str(&r.join(","));
                s.push('\n');
            }
            s.into_bytes()
        })
}

fn xlsx_seed() -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/mini/yearbook/city_environment.xlsx",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())
    ))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_as_csv(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        run_all(&bytes, Format::Csv);
    }

    #[test]
    fn structured_csv(bytes in csvish()) {
        run_all(&bytes, Format::Csv);
    }

    #[test]
    fn arbitrary_bytes_as_xlsx(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        run_all(&bytes, Format::Xlsx);
    }

    #[test]
    fn corrupted_workbook(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = xlsx_seed();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        run_all(&bytes, Format::Xlsx);
    }
}
