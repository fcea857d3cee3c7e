use proptest::prelude::*;
use robocarb_panel::{variable, Column, DType, Frame, PanelError, FLAGS, VARIABLES};

fn sample() -> Frame {
    Frame::from_columns([
        (
            "city_code",
            Column::Str(vec!["130200".into(), "130100".into(), "130100".into()]),
        ),
        ("year", Column::I64(vec![2006, 2007, 2006])),
        ("x", Column::F64(vec![1.5, f64::NAN, -0.25])),
    ])
    .unwrap()
}

#[test]
fn push_checks_length_duplicates_and_infinities() {
    let mut f = sample();
    assert_eq!(
        f.push("y", Column::F64(vec![1.0])),
        Err(PanelError::LengthMismatch {
            name: "y".into(),
            expected: 3,
            found: 1
        })
    );
    assert_eq!(
        f.push("x", Column::I64(vec![1, 2, 3])),
        Err(PanelError::DuplicateName("x".into()))
    );
    assert!(matches!(
        f.push("z", Column::F64(vec![1.0, f64::INFINITY, 0.0])),
        Err(PanelError::NonFinite { row: 1, .. })
    ));
    assert_eq!(
        f.push("", Column::I64(vec![1, 2, 3])),
        Err(PanelError::EmptyName)
    );
    assert_eq!(f.ncols(), 3);
    assert_eq!(f.nrows(), 3);
}

#[test]
fn typed_accessors_report_missing_and_wrong_type() {
    let f = sample();
    assert_eq!(f.i64("year").unwrap(), &[2006, 2007, 2006]);
    assert_eq!(f.str("city_code").unwrap()[0], "130200");
    assert!(matches!(
        f.f64("nope"),
        Err(PanelError::MissingColumn { .. })
    ));
    assert_eq!(
        f.f64("year"),
        Err(PanelError::WrongType {
            name: "year".into(),
            expected: DType::F64,
            found: DType::I64
        })
    );
    let msg = f.f64("nope").unwrap_err().to_string();
    assert!(msg.contains("city_code, year, x"), "{msg}");
}

#[test]
fn filter_select_sort_head() {
    let f = sample();
    let g = f.filter(&[true, false, true]).unwrap();
    assert_eq!(g.i64("year").unwrap(), &[2006, 2006]);
    assert!(f.filter(&[true]).is_err());

    let s = f.select(&["x", "year"]).unwrap();
    assert_eq!(s.names(), &["x".to_string(), "year".to_string()]);
    assert!(f.select(&["q"]).is_err());

    let sorted = f.sort_by(&["city_code", "year"]).unwrap();
    assert_eq!(
        sorted.str("city_code").unwrap(),
        &["130100", "130100", "130200"]
    );
    assert_eq!(sorted.i64("year").unwrap(), &[2006, 2007, 2006]);
    // NaN sorts last.
    let by_x = f.sort_by(&["x"]).unwrap();
    assert_eq!(by_x.f64("x").unwrap()[0], -0.25);
    assert!(by_x.f64("x").unwrap()[2].is_nan());
    // Stability: equal keys keep input order.
    let by_code = f.sort_by(&["city_code"]).unwrap();
    assert_eq!(by_code.i64("year").unwrap(), &[2007, 2006, 2006]);

    assert_eq!(f.head(2).nrows(), 2);
    assert_eq!(f.head(10), f);
}

#[test]
fn canonical_encoding_is_exact_text() {
    let mut f = sample();
    f.push(
        "name",
        Column::Str(vec![
            "a,b".into(),
            "say \"hi\"".into(),
            "line\nbreak".into(),
        ]),
    )
    .unwrap();
    let text = String::from_utf8(f.encode()).unwrap();
    assert_eq!(
        text,
        "#robocarb-frame v1\ncity_code:str,year:i64,x:f64,name:str\n\
         130200,2006,1.5,\"a,b\"\n\
         130100,2007,,\"say \"\"hi\"\"\"\n\
         130100,2006,-0.25,\"line\nbreak\"\n"
    );
    assert_eq!(Frame::decode(text.as_bytes()).unwrap(), f);
    assert_eq!(f.to_csv().lines().next(), Some("city_code,year,x,name"));
    let json = f.to_json();
    assert!(
        json.starts_with("[\n{\"city_code\":\"130200\",\"year\":2006,\"x\":1.5,\"name\":\"a,b\"}"),
        "{json}"
    );
    assert!(json.contains("\"x\":null"));
    assert!(json.contains("\"line\\nbreak\""));
}

#[test]
fn decode_rejects_malformed_input_with_line_numbers() {
    let cases: &[(&str, usize)] = &[
        ("nope\n", 1),
        ("#robocarb-frame v1\na:f32\n", 2),
        ("#robocarb-frame v1\na:f64\nxyz\n", 3),
        ("#robocarb-frame v1\na:f64\ninf\n", 3),
        ("#robocarb-frame v1\na:i64,b:i64\n1\n", 3),
        ("#robocarb-frame v1\na:i64\n1", 3),
        ("#robocarb-frame v1\na:str\n\"open\n", 3),
    ];
    for (text, line) in cases {
        match Frame::decode(text.as_bytes()) {
            Err(PanelError::Decode { line: l, .. }) => assert_eq!(l, *line, "{text:?}"),
            other => panic!("{text:?} gave {other:?}"),
        }
    }
    assert!(Frame::decode(&[0xff, 0xfe]).is_err());
}

#[test]
fn empty_frames_round_trip() {
    let empty = Frame::new();
    assert_eq!(Frame::decode(&empty.encode()).unwrap(), empty);
    let no_rows =
        Frame::from_columns([("a", Column::F64(vec![])), ("b", Column::Str(vec![]))]).unwrap();
    assert_eq!(Frame::decode(&no_rows.encode()).unwrap(), no_rows);
    let one_empty_string =
        Frame::from_columns([("s", Column::Str(vec![String::new(), String::new()]))]).unwrap();
    assert_eq!(
        Frame::decode(&one_empty_string.encode()).unwrap(),
        one_empty_string
    );
}

#[test]
fn catalogue_lists_table2_symbols() {
    let symbols: Vec<&str> = VARIABLES.iter().map(|v| v.symbol).collect();
    assert_eq!(
        symbols,
        [
            "CARBON", "CARBON_I", "ROBOT", "ROBOT_R", "TP", "IU", "DI", "GDP", "PS", "FDI", "FP",
            "URB", "EC", "HC", "VC", "YFE"
        ]
    );
    assert!(VARIABLES
        .iter()
        .all(|v| !v.unit.is_empty() && !v.construction.is_empty()));
    assert_eq!(
        variable("HC").map(|v| v.unit),
        Some("university students per 100 residents")
    );
    assert_eq!(FLAGS.len(), 4);
}

fn arb_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_map(|x| if x.is_infinite() { 0.0 } else { x }),
        Just(f64::NAN),
        Just(-0.0),
        Just(5e-324),
        Just(f64::MAX),
    ]
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z,\"\r\n :]{0,6}"]
}

fn arb_frame() -> impl Strategy<Value = Frame> {
    (0usize..6, 0usize..8).prop_flat_map(|(ncols, nrows)| {
        let col = prop_oneof![
            proptest::collection::vec(arb_f64(), nrows).prop_map(Column::F64),
            proptest::collection::vec(any::<i64>(), nrows).prop_map(Column::I64),
            proptest::collection::vec(arb_string(), nrows).prop_map(Column::Str),
        ];
        proptest::collection::vec((arb_string(), col), ncols).prop_map(|cols| {
            let mut f = Frame::new();
            for (j, (name, c)) in cols.into_iter().enumerate() {
                // Make names non-empty and unique.
                f.push(format!("{name}#{j}"), c).unwrap();
            }
            f
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn decode_encode_round_trips_bit_for_bit(f in arb_frame()) {
        let bytes = f.encode();
        let back = Frame::decode(&bytes).unwrap();
        prop_assert_eq!(&back, &f);
        // Bitwise float identity, independently of Column's PartialEq.
        for (name, col) in f.iter() {
            if let Column::F64(v) = col {
                let w = back.f64(name).unwrap();
                for (a, b) in v.iter().zip(w) {
                    prop_assert_eq!(a.to_bits(), b.to_bits());
                }
            }
        }
        prop_assert_eq!(back.encode(), bytes);
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Frame::decode(&bytes);
        let mut with_magic = b"#robocarb-frame v1\n".to_vec();
        with_magic.extend_from_slice(&bytes);
        let _ = Frame::decode(&with_magic);
    }
}

#[test]
fn set_remove_rename() {
    let mut f = sample();
    f.set("x", Column::F64(vec![0.0, 1.0, 2.0])).unwrap();
    assert_eq!(f.names()[2], "x");
    assert_eq!(f.f64("x").unwrap(), &[0.0, 1.0, 2.0]);
    assert!(f.set("x", Column::F64(vec![0.0])).is_err());
    f.set("new", Column::I64(vec![1, 2, 3])).unwrap();
    assert_eq!(f.ncols(), 4);
    assert!(f.remove("new").is_some());
    assert!(f.remove("new").is_none());
    f.rename("x", "y").unwrap();
    assert!(f.has("y") && !f.has("x"));
    assert_eq!(
        f.rename("y", "year"),
        Err(PanelError::DuplicateName("year".into()))
    );
    let nan_payload = f64::from_bits(0x7ff8_0000_0000_0001);
    f.set("y", Column::F64(vec![nan_payload, 1.0, 2.0]))
        .unwrap();
    // NaNs are stored canonically, so the encoding is exact.
    assert_eq!(f.f64("y").unwrap()[0].to_bits(), f64::NAN.to_bits());
}
