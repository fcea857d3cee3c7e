//! IFR-style robot stocks by IFR industry code x year, anchored exactly on the paper's Table 1.

/// One IFR industry code and its group under each Chinese classification.
pub struct IfrIndustry {
    pub code: &'static str,
    pub name: &'static str,
    pub gbt2002: &'static str,
    pub gbt2011: &'static str,
}

/// The 14 IFR manufacturing codes used for China and their Table 1 groups.
pub const IFR_INDUSTRIES: [IfrIndustry; 14] = [
    IfrIndustry {
        code: "10-12",
        name: "Food and beverages",
        gbt2002: "food_beverage",
        gbt2011: "food_beverage",
    },
    IfrIndustry {
        code: "13-15",
        name: "Textiles",
        gbt2002: "textile_apparel",
        gbt2011: "textile_apparel",
    },
    IfrIndustry {
        code: "16",
        name: "Wood and furniture",
        gbt2002: "wood_furniture",
        gbt2011: "wood_furniture",
    },
    IfrIndustry {
        code: "17-18",
        name: "Paper",
        gbt2002: "paper_printing",
        gbt2011: "paper_printing",
    },
    IfrIndustry {
        code: "19-21",
        name: "Pharmaceuticals and chemical products",
        gbt2002: "chemicals",
        gbt2011: "chemicals",
    },
    IfrIndustry {
        code: "22",
        name: "Rubber and plastic products",
        gbt2002: "rubber_plastics",
        gbt2011: "rubber_plastics",
    },
    IfrIndustry {
        code: "23",
        name: "Glass, ceramics, stone, mineral products",
        gbt2002: "nonmetallic_minerals",
        gbt2011: "nonmetallic_minerals",
    },
    IfrIndustry {
        code: "24",
        name: "Basic metals",
        gbt2002: "basic_metals",
        gbt2011: "basic_metals",
    },
    IfrIndustry {
        code: "25",
        name: "Metal products",
        gbt2002: "metal_products",
        gbt2011: "metal_products",
    },
    IfrIndustry {
        code: "28",
        name: "Industrial machinery",
        gbt2002: "general_special_machinery",
        gbt2011: "general_special_machinery",
    },
    IfrIndustry {
        code: "29",
        name: "Automotive",
        gbt2002: "transport_equipment",
        gbt2011: "automotive",
    },
    IfrIndustry {
        code: "30",
        name: "Other vehicles",
        gbt2002: "transport_equipment",
        gbt2011: "other_transport",
    },
    IfrIndustry {
        code: "26-27",
        name: "Electrical/electronics",
        gbt2002: "electrical_electronics",
        gbt2011: "electrical_electronics",
    },
    IfrIndustry {
        code: "91",
        name: "All other manufacturing branches",
        gbt2002: "other_manufacturing",
        gbt2011: "other_manufacturing",
    },
];

/// Table 1 groups in the paper's order (2002 regime 2006-2011, 2011 regime 2012-2019): the
/// names the exposure step maps IFR codes to, shared so the twin and the pipeline cannot drift.
pub use robocarb_exposure::{GBT2002_GROUPS, GBT2011_GROUPS};
/// Paper Table 1 (units), GB/T 4754-2002 groups.
pub const TABLE1_2006: [i64; 13] = [24, 0, 0, 0, 3, 2575, 0, 0, 236, 0, 410, 442, 0];
pub const TABLE1_2011: [i64; 13] = [
    753, 11, 1, 58, 288, 10157, 300, 336, 2089, 580, 21076, 7165, 588,
];
/// Paper Table 1 (units), GB/T 4754-2011 groups.
pub const TABLE1_2012: [i64; 14] = [
    1236, 12, 2, 66, 349, 11487, 315, 518, 2641, 710, 32247, 371, 10454, 1266,
];
pub const TABLE1_2019: [i64; 14] = [
    15115, 1017, 1666, 880, 7503, 36157, 5597, 4346, 29363, 32967, 230520, 3716, 215608, 21241,
];

/// Share of the GB/T 4754-2002 transport-equipment stock assigned to IFR code 29 (automotive) in
/// the years classified under GB/T 4754-2002; code 30 gets the rest (integer remainder).
pub const AUTOMOTIVE_SHARE_OF_TRANSPORT: f64 = 0.95;

/// Last year classified under GB/T 4754-2002; later years use GB/T 4754-2011.
pub const LAST_GBT2002_YEAR: i32 = 2011;

/// Classification name of a year, as in the concordance file.
pub fn classification(year: i32) -> &'static str {
    if year <= LAST_GBT2002_YEAR {
        "gbt2002"
    } else {
        "gbt2011"
    }
}

/// Group keys of a year's classification.
pub fn groups_of_year(year: i32) -> &'static [&'static str] {
    if year <= LAST_GBT2002_YEAR {
        &GBT2002_GROUPS
    } else {
        &GBT2011_GROUPS
    }
}

/// Interpolation rule between two anchors (t0, a) and (t1, b), also used to extrapolate:
/// geometric x_t = a (b/a)^((t - t0)/(t1 - t0)) when a > 0 and b > 0, otherwise linear
/// x_t = a + (b - a)(t - t0)/(t1 - t0) clipped at 0; rounded to the nearest unit.
/// At t0 and t1 it returns a and b exactly.
pub fn anchored_value(t: i32, (t0, a): (i32, i64), (t1, b): (i32, i64)) -> i64 {
    if t == t0 {
        return a;
    }
    if t == t1 {
        return b;
    }
    let s = f64::from(t - t0) / f64::from(t1 - t0);
    let v = if a > 0 && b > 0 {
        a as f64 * (b as f64 / a as f64).powf(s)
    } else {
        (a as f64 + (b - a) as f64 * s).max(0.0)
    };
    v.round() as i64
}

/// Stock of every group of the year's classification (same order as [`groups_of_year`]).
pub fn group_stocks(year: i32) -> Vec<i64> {
    if year <= LAST_GBT2002_YEAR {
        (0..13)
            .map(|j| anchored_value(year, (2006, TABLE1_2006[j]), (2011, TABLE1_2011[j])))
            .collect()
    } else {
        (0..14)
            .map(|j| anchored_value(year, (2012, TABLE1_2012[j]), (2019, TABLE1_2019[j])))
            .collect()
    }
}

/// Stock of every IFR code (order of [`IFR_INDUSTRIES`]) in a year: each code takes its group's
/// stock; under GB/T 4754-2002 transport equipment is split 95/5 between codes 29 and 30.
pub fn ifr_code_stocks(year: i32) -> Vec<i64> {
    let groups = groups_of_year(year);
    let stocks = group_stocks(year);
    let of = |g: &str| {
        groups
            .iter()
            .position(|x| *x == g)
            .map(|k| stocks[k])
            .unwrap_or(0)
    };
    IFR_INDUSTRIES
        .iter()
        .map(|ind| {
            if year <= LAST_GBT2002_YEAR {
                let total = of(ind.gbt2002);
                let auto = (total as f64 * AUTOMOTIVE_SHARE_OF_TRANSPORT).round() as i64;
                match ind.code {
                    "29" => auto,
                    "30" => total - auto,
                    _ => total,
                }
            } else {
                of(ind.gbt2011)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchored_value_rule() {
        // geometric between positive anchors: 100 -> 1600 over 4 years doubles each year
        assert_eq!(anchored_value(2008, (2006, 100), (2010, 1600)), 400);
        assert_eq!(anchored_value(2005, (2006, 100), (2010, 1600)), 50);
        // a zero anchor: linear, clipped at 0
        assert_eq!(anchored_value(2008, (2006, 0), (2010, 8)), 4);
        assert_eq!(anchored_value(2004, (2006, 0), (2010, 8)), 0);
        assert_eq!(anchored_value(2006, (2006, 7), (2010, 0)), 7);
    }

    #[test]
    fn transport_split_keeps_the_group_total() {
        for year in 2006..=2011 {
            let codes = ifr_code_stocks(year);
            let total = group_stocks(year)[10];
            assert_eq!(codes[10] + codes[11], total);
        }
        assert_eq!(
            ifr_code_stocks(2011)[10],
            (21076.0_f64 * 0.95).round() as i64
        );
    }
}
