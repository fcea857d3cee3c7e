//! The twin's units: the 274 real prefecture-level cities chosen by `scripts/select_cities.py`
//! (embedded as `assets/sample_cities.csv`), their attributes, and invented extra units.

use crate::SynthError;

const SAMPLE_CITIES: &str = include_str!("../assets/sample_cities.csv");
/// The 2013 national plan's resource-based city list, verbatim (国发〔2013〕45号 appendix).
pub const RESOURCE_CITIES_CSV: &str = include_str!("../assets/resource_based_cities_2013.csv");

/// First national smart-city pilot batch (2012) as used by the twin: 32 sample cities. The real
/// batch is not in a public machine-readable source; this list is plausible, not authoritative.
pub const SMART_CITY_PILOTS: [&str; 32] = [
    "石家庄市",
    "秦皇岛市",
    "廊坊市",
    "邯郸市",
    "太原市",
    "长治市",
    "乌海市",
    "辽源市",
    "南京市",
    "无锡市",
    "常州市",
    "镇江市",
    "泰州市",
    "温州市",
    "金华市",
    "芜湖市",
    "铜陵市",
    "蚌埠市",
    "淮南市",
    "南平市",
    "萍乡市",
    "东营市",
    "威海市",
    "德州市",
    "郑州市",
    "鹤壁市",
    "漯河市",
    "武汉市",
    "株洲市",
    "韶关市",
    "珠海市",
    "柳州市",
];

/// The 4 municipalities and 5 separately planned cities (code, kind).
pub const PLAN_CITIES: [(&str, &str); 9] = [
    ("110100", "municipality"),
    ("120100", "municipality"),
    ("310100", "municipality"),
    ("500100", "municipality"),
    ("210200", "separately_planned"),
    ("330200", "separately_planned"),
    ("350200", "separately_planned"),
    ("370200", "separately_planned"),
    ("440300", "separately_planned"),
];

/// Name used in early years: (city_code, old full name, old short name, last year of the old name).
pub const OLD_NAMES: [(&str, &str, &str, i32); 1] = [("420600", "襄樊市", "襄樊", 2009)];

/// CEADs cities outside the sample written into the CO2 workbook (unmatched on purpose).
pub const EXTRA_CEADS_CITIES: [&str; 3] = ["儋州", "哈密", "吐鲁番"];

/// One unit of the twin.
#[derive(Debug, Clone)]
pub struct City {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub province_code: String,
    pub province_name: String,
    pub resource_based: bool,
    pub pilot: bool,
    pub plan_kind: Option<&'static str>,
    /// true for units invented beyond the real sample (codes pp9001.., names 合成..).
    pub synthetic: bool,
}

impl City {
    /// Full name valid in `year` (old name before a rename).
    pub fn name_in(&self, year: i32) -> &str {
        OLD_NAMES
            .iter()
            .find(|(c, _, _, last)| *c == self.code && year <= *last)
            .map(|(_, n, _, _)| *n)
            .unwrap_or(&self.name)
    }
    /// Short (CEADs) name valid in `year`.
    pub fn short_in(&self, year: i32) -> &str {
        OLD_NAMES
            .iter()
            .find(|(c, _, _, last)| *c == self.code && year <= *last)
            .map(|(_, _, s, _)| *s)
            .unwrap_or(&self.short_name)
    }
    /// Provincial capital or municipality (code ends in 0100).
    pub fn is_capital(&self) -> bool {
        self.code.ends_with("0100")
    }
}

/// The embedded 274 real sample cities in code order.
pub fn real_sample() -> Result<Vec<City>, SynthError> {
    let mut out = Vec::new();
    for (k, line) in SAMPLE_CITIES.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 6 {
            return Err(SynthError::Asset(format!(
                "sample_cities.csv line {}: {line}",
                k + 1
            )));
        }
        out.push(City {
            code: f[0].to_string(),
            name: f[1].to_string(),
            short_name: f[2].to_string(),
            province_code: f[3].to_string(),
            province_name: f[4].to_string(),
            resource_based: f[5] == "1",
            pilot: SMART_CITY_PILOTS.contains(&f[1]),
            plan_kind: PLAN_CITIES
                .iter()
                .find(|(c, _)| *c == f[0])
                .map(|(_, k)| *k),
            synthetic: false,
        });
    }
    Ok(out)
}

/// `n` units: the first `n` real cities in code order when n <= 274; otherwise all 274 plus
/// n - 274 invented units assigned round-robin to the 30 provinces (in province-code order),
/// coded `pp` + `9001`, `9002`, ... within a province and named `合成pp-kkk市` / `合成pp-kkk`.
/// Invented units are never resource-based, pilots or plan cities.
pub fn units(n: usize) -> Result<Vec<City>, SynthError> {
    let real = real_sample()?;
    if n == 0 {
        return Err(SynthError::Config("cities must be at least 1".into()));
    }
    if n <= real.len() {
        return Ok(real.into_iter().take(n).collect());
    }
    let mut provinces: Vec<(String, String)> = Vec::new();
    for c in &real {
        if !provinces.iter().any(|(p, _)| *p == c.province_code) {
            provinces.push((c.province_code.clone(), c.province_name.clone()));
        }
    }
    let extra = n - real.len();
    if extra > provinces.len() * 999 {
        return Err(SynthError::Config(format!(
            "cities = {n} exceeds the {} units the code scheme allows",
            real.len() + provinces.len() * 999
        )));
    }
    let mut out = real;
    for k in 0..extra {
        let (pc, pn) = &provinces[k % provinces.len()];
        let serial = k / provinces.len() + 1;
        let short = format!("合成{pc}-{serial:03}");
        out.push(City {
            code: format!("{pc}{:04}", 9000 + serial),
            name: format!("{short}市"),
            short_name: short,
            province_code: pc.clone(),
            province_name: pn.clone(),
            resource_based: false,
            pilot: false,
            plan_kind: None,
            synthetic: true,
        });
    }
    Ok(out)
}
