//! The IFR-industry to Chinese-industry-group concordance: the classification
//! regimes, the canonical group names, and the default concordance as CSV text.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ExposureError;

/// First year classified under GB/T 4754-2011; earlier years use GB/T 4754-2002
/// (the paper, note 4: automotive leaves transport equipment from 2012 on).
pub const GBT2011_FIRST_YEAR: i32 = 2012;

/// Group name marking an IFR code that is deliberately left out (aggregates whose
/// parts are listed separately, and non-manufacturing branches). A code mapped
/// here is known, so it is skipped rather than reported as missing.
pub const EXCLUDED_GROUP: &str = "excluded";

/// The 13 manufacturing groups of GB/T 4754-2002 used for 2006-2011, in the
/// paper's Table 1 order (automotive is inside `transport_equipment`).
pub const GBT2002_GROUPS: [&str; 13] = [
    "food_beverage",
    "textile_apparel",
    "wood_furniture",
    "paper_printing",
    "chemicals",
    "rubber_plastics",
    "nonmetallic_minerals",
    "basic_metals",
    "metal_products",
    "general_special_machinery",
    "transport_equipment",
    "electrical_electronics",
    "other_manufacturing",
];

/// The 14 manufacturing groups of GB/T 4754-2011 used for 2012-2019, in the
/// paper's Table 1 order (`automotive` and `other_transport` split).
pub const GBT2011_GROUPS: [&str; 14] = [
    "food_beverage",
    "textile_apparel",
    "wood_furniture",
    "paper_printing",
    "chemicals",
    "rubber_plastics",
    "nonmetallic_minerals",
    "basic_metals",
    "metal_products",
    "general_special_machinery",
    "automotive",
    "other_transport",
    "electrical_electronics",
    "other_manufacturing",
];

/// Chinese national industry classification regime of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Classification {
    /// GB/T 4754-2002 (2006-2011 in the paper).
    #[serde(rename = "gbt2002")]
    Gbt2002,
    /// GB/T 4754-2011 (2012-2019 in the paper).
    #[serde(rename = "gbt2011")]
    Gbt2011,
}

impl Classification {
    /// The regime in force in `year`: GB/T 4754-2011 from [`GBT2011_FIRST_YEAR`] on.
    pub fn for_year(year: i32) -> Self {
        if year >= GBT2011_FIRST_YEAR {
            Classification::Gbt2011
        } else {
            Classification::Gbt2002
        }
    }

    /// The spelling used in data files: `"gbt2002"` or `"gbt2011"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Gbt2002 => "gbt2002",
            Classification::Gbt2011 => "gbt2011",
        }
    }

    /// Canonical group names of this regime, in Table 1 order.
    pub fn groups(self) -> &'static [&'static str] {
        match self {
            Classification::Gbt2002 => &GBT2002_GROUPS,
            Classification::Gbt2011 => &GBT2011_GROUPS,
        }
    }

    /// Position of `group` in [`Classification::groups`], if it belongs to this regime.
    pub fn group_index(self, group: &str) -> Option<usize> {
        self.groups().iter().position(|g| *g == group)
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Classification {
    type Err = ExposureError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "gbt2002" => Ok(Classification::Gbt2002),
            "gbt2011" => Ok(Classification::Gbt2011),
            other => Err(ExposureError::UnknownClassification(other.to_string())),
        }
    }
}

/// One concordance row: IFR industry `ifr_code` belongs to `group` under `classification`.
/// `group` is a name of [`Classification::groups`] or [`EXCLUDED_GROUP`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcordanceRow {
    pub ifr_code: String,
    pub classification: Classification,
    pub group: String,
}

/// The default concordance, columns `ifr_code,ifr_name,classification,group`.
///
/// IFR codes are those of the World Robotics industry breakdown (ISIC rev. 4 based).
/// Rules:
/// - every manufacturing leaf code maps to one group in each regime; the two regimes
///   differ only for `29` (automotive) and `30` (other vehicles), both inside
///   `transport_equipment` under GB/T 4754-2002 and separate under GB/T 4754-2011;
/// - `19` (pharmaceuticals, cosmetics), `20-21` (other chemical products) and `229`
///   (chemical products unspecified) go to `chemicals`; `22` (rubber and plastic
///   products) to `rubber_plastics`; `289` (metal unspecified) to `metal_products`;
/// - aggregates whose parts are listed (`D` manufacturing, `19-22`, `24-28`) and
///   non-manufacturing branches (`A-B`, `C`, `E`, `F`, `P`, `90`, `99`) are
///   [`EXCLUDED_GROUP`], so that a full IFR extract passes through without double counting.
pub const DEFAULT_CONCORDANCE_CSV: &str = "\
ifr_code,ifr_name,classification,group
10-12,Food and beverages,gbt2002,food_beverage
10-12,Food and beverages,gbt2011,food_beverage
13-15,Textiles leather and wearing apparel,gbt2002,textile_apparel
13-15,Textiles leather and wearing apparel,gbt2011,textile_apparel
16,Wood and wood products including furniture,gbt2002,wood_furniture
16,Wood and wood products including furniture,gbt2011,wood_furniture
17-18,Paper and paper products publishing and printing,gbt2002,paper_printing
17-18,Paper and paper products publishing and printing,gbt2011,paper_printing
19,Pharmaceuticals and cosmetics,gbt2002,chemicals
19,Pharmaceuticals and cosmetics,gbt2011,chemicals
20-21,Other chemical products n.e.c.,gbt2002,chemicals
20-21,Other chemical products n.e.c.,gbt2011,chemicals
22,Rubber and plastic products (non-automotive),gbt2002,rubber_plastics
22,Rubber and plastic products (non-automotive),gbt2011,rubber_plastics
229,Chemical products unspecified,gbt2002,chemicals
229,Chemical products unspecified,gbt2011,chemicals
23,Glass ceramics stone and mineral products (non-automotive),gbt2002,nonmetallic_minerals
23,Glass ceramics stone and mineral products (non-automotive),gbt2011,nonmetallic_minerals
24,Basic metals,gbt2002,basic_metals
24,Basic metals,gbt2011,basic_metals
25,Metal products (non-automotive),gbt2002,metal_products
25,Metal products (non-automotive),gbt2011,metal_products
28,Industrial machinery,gbt2002,general_special_machinery
28,Industrial machinery,gbt2011,general_special_machinery
289,Metal unspecified,gbt2002,metal_products
289,Metal unspecified,gbt2011,metal_products
26-27,Electrical and electronics,gbt2002,electrical_electronics
26-27,Electrical and electronics,gbt2011,electrical_electronics
29,Automotive,gbt2002,transport_equipment
29,Automotive,gbt2011,automotive
30,Other vehicles,gbt2002,transport_equipment
30,Other vehicles,gbt2011,other_transport
91,All other manufacturing branches,gbt2002,other_manufacturing
91,All other manufacturing branches,gbt2011,other_manufacturing
D,Manufacturing (aggregate of the codes above),gbt2002,excluded
D,Manufacturing (aggregate of the codes above),gbt2011,excluded
19-22,Plastic and chemical products (aggregate of 19 20-21 22 229),gbt2002,excluded
19-22,Plastic and chemical products (aggregate of 19 20-21 22 229),gbt2011,excluded
24-28,Metal (aggregate of 24 25 28 289),gbt2002,excluded
24-28,Metal (aggregate of 24 25 28 289),gbt2011,excluded
A-B,Agriculture forestry fishing,gbt2002,excluded
A-B,Agriculture forestry fishing,gbt2011,excluded
C,Mining and quarrying,gbt2002,excluded
C,Mining and quarrying,gbt2011,excluded
E,Electricity gas water supply,gbt2002,excluded
E,Electricity gas water supply,gbt2011,excluded
F,Construction,gbt2002,excluded
F,Construction,gbt2011,excluded
P,Education research and development,gbt2002,excluded
P,Education research and development,gbt2011,excluded
90,All other non-manufacturing branches,gbt2002,excluded
90,All other non-manufacturing branches,gbt2011,excluded
99,Unspecified,gbt2002,excluded
99,Unspecified,gbt2011,excluded
";

/// Parses concordance CSV text (columns `ifr_code,ifr_name,classification,group`,
/// header required, no quoted fields) into rows. Pure text parsing: the caller reads the file.
pub fn parse_concordance_csv(text: &str) -> Result<Vec<ConcordanceRow>, ExposureError> {
    let mut lines = text.lines().enumerate();
    let expected = ["ifr_code", "ifr_name", "classification", "group"];
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) => h.split(',').map(str::trim).collect(),
        None => {
            return Err(ExposureError::ConcordanceParse {
                line: 1,
                message: "empty text, expected header ifr_code,ifr_name,classification,group"
                    .into(),
            })
        }
    };
    if header != expected {
        return Err(ExposureError::ConcordanceParse {
            line: 1,
            message: format!(
                "header {:?}, expected ifr_code,ifr_name,classification,group",
                header.join(",")
            ),
        });
    }
    let mut rows = Vec::new();
    for (idx, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != 4 {
            return Err(ExposureError::ConcordanceParse {
                line: idx + 1,
                message: format!(
                    "{} fields, expected 4 (no commas inside names)",
                    fields.len()
                ),
            });
        }
        let classification =
            fields[2]
                .parse::<Classification>()
                .map_err(|e| ExposureError::ConcordanceParse {
                    line: idx + 1,
                    message: e.to_string(),
                })?;
        if fields[0].is_empty() || fields[3].is_empty() {
            return Err(ExposureError::ConcordanceParse {
                line: idx + 1,
                message: "empty ifr_code or group".into(),
            });
        }
        rows.push(ConcordanceRow {
            ifr_code: fields[0].to_string(),
            classification,
            group: fields[3].to_string(),
        });
    }
    Ok(rows)
}

/// The default concordance ([`DEFAULT_CONCORDANCE_CSV`]) as rows.
pub fn default_concordance() -> Vec<ConcordanceRow> {
    // The constant is fixed text checked by the tests, so parsing cannot fail at run
    // time; an empty fallback would surface as "industry missing from concordance".
    parse_concordance_csv(DEFAULT_CONCORDANCE_CSV).unwrap_or_default()
}

/// Validated lookup: (classification, ifr_code) -> group index, or `None` when excluded.
#[derive(Debug, Clone)]
pub(crate) struct ConcordanceMap {
    map: BTreeMap<(Classification, String), Option<usize>>,
}

impl ConcordanceMap {
    pub(crate) fn new(rows: &[ConcordanceRow]) -> Result<Self, ExposureError> {
        let mut map = BTreeMap::new();
        for row in rows {
            let target = if row.group == EXCLUDED_GROUP {
                None
            } else {
                match row.classification.group_index(&row.group) {
                    Some(i) => Some(i),
                    None => {
                        return Err(ExposureError::UnknownGroup {
                            group: row.group.clone(),
                            classification: row.classification,
                            context: format!("concordance row for IFR code {:?}", row.ifr_code),
                        })
                    }
                }
            };
            let key = (row.classification, row.ifr_code.clone());
            if map.insert(key, target).is_some() {
                return Err(ExposureError::DuplicateKey {
                    what: "concordance (ifr_code, classification)",
                    key: format!("({}, {})", row.ifr_code, row.classification),
                });
            }
        }
        Ok(Self { map })
    }

    /// `Ok(Some(i))`: group index; `Ok(None)`: excluded; `Err`: code unknown.
    pub(crate) fn lookup(
        &self,
        classification: Classification,
        ifr_code: &str,
        year: i32,
    ) -> Result<Option<usize>, ExposureError> {
        match self.map.get(&(classification, ifr_code.to_string())) {
            Some(t) => Ok(*t),
            None => Err(ExposureError::IfrIndustryNotInConcordance {
                ifr_code: ifr_code.to_string(),
                classification,
                year,
            }),
        }
    }
}
