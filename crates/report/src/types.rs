//! The result values a report is made of: regression tables (Tables 4-9), the
//! descriptive statistics (Table 3) and the robot stocks by industry (Table 1).
//! Their JSON is the `export` format of the table nodes (BRIEF.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One regression table: one column per specification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDoc {
    /// Node name, e.g. `"table4"`.
    pub table: String,
    pub title: String,
    pub columns: Vec<ColumnDoc>,
    /// Row order of the coefficient names; a name no column has is skipped. Empty
    /// (or absent in JSON): every coefficient, in order of first appearance, constant last.
    #[serde(default)]
    pub rows: Vec<String>,
    #[serde(default)]
    pub notes: Vec<String>,
}

/// One specification (a column of a regression table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDoc {
    /// Column label, e.g. `"(1)"`.
    pub label: String,
    /// Dependent variable, a Table 2 symbol.
    pub dep: String,
    /// `"ols_fe"`, `"iv_2sls"`, `"iv_first"`, `"fgls"`, `"pcse"`, ...
    pub estimator: String,
    /// `"all"` or the name of a subsample.
    pub sample: String,
    pub n: u64,
    pub clusters: Option<u64>,
    pub r2_within: Option<f64>,
    pub r2_overall: Option<f64>,
    /// `"t"` or `"z"`: which statistic `CoefDoc::stat` is.
    pub stat_kind: String,
    pub coefs: BTreeMap<String, CoefDoc>,
    /// Further statistics by name (`wald_chi2`, `diff_p`, `sobel_z`, ...).
    #[serde(default)]
    pub extra: BTreeMap<String, f64>,
    /// Absorbed fixed effects, e.g. `["city", "year"]`.
    #[serde(default)]
    pub fe: Vec<String>,
    /// Whether the control variables are included.
    pub controls: bool,
}

/// A coefficient: estimate, standard error, test statistic (t or z), p value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CoefDoc {
    pub b: f64,
    pub se: f64,
    pub stat: f64,
    pub p: f64,
}

/// Table 3: descriptive statistics after winsorizing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DescriptiveTable {
    /// `"table3"`.
    pub table: String,
    pub title: String,
    pub rows: Vec<DescriptiveRow>,
    pub notes: Vec<String>,
}

/// One variable of Table 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DescriptiveRow {
    pub variable: String,
    pub n: u64,
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

/// Table 1: national robot stock (units) by industry group and year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobotTable {
    /// `"table1"`.
    pub table: String,
    pub title: String,
    /// Row order of the industry groups (union over both classifications).
    pub industries: Vec<String>,
    /// One column per year, e.g. 2006 and 2011 (gbt2002), 2012 and 2019 (gbt2011).
    pub years: Vec<RobotYear>,
    pub notes: Vec<String>,
}

/// One year column of Table 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobotYear {
    pub year: i32,
    /// `"gbt2002"` or `"gbt2011"`.
    pub classification: String,
    /// Group name -> stock in robots; groups absent from the classification are absent.
    pub stocks: BTreeMap<String, f64>,
}

/// The paper's Table 1 row order: the 13 + 14 groups of both classifications,
/// `transport_equipment` (to 2011) beside `automotive` and `other_transport` (from 2012).
pub const TABLE1_INDUSTRIES: [&str; 15] = [
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
    "automotive",
    "other_transport",
    "electrical_electronics",
    "other_manufacturing",
];

/// Names a run may give the constant (shown last when rows are not given).
pub const CONSTANT_NAMES: [&str; 4] = ["const", "_cons", "cons", "constant"];

impl TableDoc {
    /// The coefficient rows to show: `rows` when given, else every coefficient in
    /// order of first appearance across the columns (BTreeMap order within a
    /// column), with the constant last.
    pub fn coefficient_rows(&self) -> Vec<String> {
        if !self.rows.is_empty() {
            return self.rows.clone();
        }
        let mut names: Vec<String> = Vec::new();
        for c in &self.columns {
            for k in c.coefs.keys() {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
        let (mut cons, mut rest): (Vec<String>, Vec<String>) = names
            .into_iter()
            .partition(|n| CONSTANT_NAMES.contains(&n.as_str()));
        rest.append(&mut cons);
        rest
    }
}
