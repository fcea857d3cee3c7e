//! The variable catalogue of the study (paper Table 2, METHODS.md section 1): symbols, meaning,
//! unit and construction, plus the panel's key columns and flag names.
//!
//! The units here are the ones `robocarb-ingest::construct_variables` produces; where the paper's
//! text and its Table 3 magnitudes disagree, the choice and the reason are stated in `note`.

/// Key column: 6-digit administrative code of a prefecture-level city, stored as a string.
pub const CITY_CODE: &str = "city_code";
/// Key column: calendar year, stored as i64.
pub const YEAR: &str = "year";
/// Both key columns, in sort order.
pub const KEYS: [&str; 2] = [CITY_CODE, YEAR];

/// Flag: city on the 2013 national list of resource-based cities (国发〔2013〕45号).
pub const RESOURCE_BASED: &str = "resource_based";
/// Flag: city in the first national smart-city pilot batch (2012).
pub const SMART_CITY_PILOT: &str = "smart_city_pilot";
/// Flag: 2017-2019 mean government-business closeness index above the sample median.
pub const GOV_BUSINESS_HIGH: &str = "gov_business_high";
/// Flag: municipality directly under the central government or separately planned city.
pub const MUNICIPALITY_OR_PLAN: &str = "municipality_or_plan";
/// The four 0/1 (i64) flags of the panel, in column order.
pub const FLAGS: [&str; 4] = [
    RESOURCE_BASED,
    SMART_CITY_PILOT,
    GOV_BUSINESS_HIGH,
    MUNICIPALITY_OR_PLAN,
];

/// Who produces a variable in the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Producer {
    /// `robocarb-ingest::construct_variables`.
    Ingest,
    /// `robocarb-exposure` (shift-share).
    Exposure,
    /// `robocarb-dea` (Malmquist-Luenberger decomposition).
    Dea,
}

/// One Table 2 variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    /// Column name in the panel, e.g. `CARBON`.
    pub symbol: &'static str,
    /// What it measures.
    pub meaning: &'static str,
    /// Unit of the stored value.
    pub unit: &'static str,
    /// How it is constructed from raw sources (canonical raw column names, see
    /// docs/data-formats.md).
    pub construction: &'static str,
    /// Role in the study.
    pub role: Role,
    /// Which crate computes it.
    pub producer: Producer,
    /// Unit choices and deviations from the paper's text, if any.
    pub note: &'static str,
}

/// Role of a variable in the regressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Outcome.
    Outcome,
    /// Explanatory variable of interest.
    Treatment,
    /// Mechanism (mediator).
    Mechanism,
    /// Control.
    Control,
    /// Instrument.
    Instrument,
}

/// The 16 Table 2 variables in the panel's column order.
pub static VARIABLES: &[Variable] = &[
    Variable {
        symbol: "CARBON",
        meaning: "city CO2 emissions",
        unit: "ln(tonnes CO2)",
        construction:
            "ln(emission_Mt * 1e6), emission from the CEADs city inventory (million tonnes)",
        role: Role::Outcome,
        producer: Producer::Ingest,
        note: "the paper writes 'million t'; its Table 3 mean 12.37 fits neither unit. Tonnes \
               chosen; the unit only shifts the intercept",
    },
    Variable {
        symbol: "CARBON_I",
        meaning: "carbon intensity (robustness outcome)",
        unit: "tonnes CO2 per 10k yuan of real GDP (2005 prices)",
        construction: "emission_Mt * 1e6 / (gdp_nominal / (gdp_deflator / 100))",
        role: Role::Outcome,
        producer: Producer::Ingest,
        note: "",
    },
    Variable {
        symbol: "ROBOT",
        meaning: "industrial robot exposure",
        unit: "thousand robots",
        construction:
            "shift-share: IFR industry stocks -> provinces by employment shares -> cities by \
                       manufacturing employment shares (METHODS.md section 2)",
        role: Role::Treatment,
        producer: Producer::Exposure,
        note: "",
    },
    Variable {
        symbol: "ROBOT_R",
        meaning: "alternative robot exposure",
        unit: "thousand robots",
        construction:
            "as ROBOT, city weight = share of the province's above-scale industrial firms",
        role: Role::Treatment,
        producer: Producer::Exposure,
        note: "",
    },
    Variable {
        symbol: "TP",
        meaning: "technical innovation",
        unit: "ratio",
        construction: "TC / TE of the Malmquist-Luenberger decomposition of super-SBM efficiency \
                       (METHODS.md section 3)",
        role: Role::Mechanism,
        producer: Producer::Dea,
        note: "",
    },
    Variable {
        symbol: "IU",
        meaning: "industrial upgrading (advanced industrial structure index)",
        unit: "10k yuan (2005 prices) per worker",
        construction:
            "sum over k in {primary, secondary, tertiary} of (va_k / (va_primary + \
                       va_secondary + va_tertiary)) * (va_k / (gdp_deflator / 100)) / (emp_k * 1e4)",
        role: Role::Mechanism,
        producer: Producer::Ingest,
        note: "labour productivity weighted by value-added shares (paper ref. [39]); productivity \
               in real terms so the index does not trend with prices",
    },
    Variable {
        symbol: "DI",
        meaning: "digitalisation",
        unit: "ratio",
        construction: "emp_ict / emp_tertiary",
        role: Role::Mechanism,
        producer: Producer::Ingest,
        note: "",
    },
    Variable {
        symbol: "GDP",
        meaning: "economic development",
        unit: "ln(yuan per person, 2005 prices)",
        construction: "ln(gdp_nominal * 1e4 / (gdp_deflator / 100) / (population * 1e4))",
        role: Role::Control,
        producer: Producer::Ingest,
        note: "population = registered (hukou) population at year end",
    },
    Variable {
        symbol: "PS",
        meaning: "population density",
        unit: "ln(persons per km2)",
        construction: "ln(population * 1e4 / land_area)",
        role: Role::Control,
        producer: Producer::Ingest,
        note: "",
    },
    Variable {
        symbol: "FDI",
        meaning: "foreign direct investment",
        unit: "percent of GDP",
        construction: "100 * fdi_usd * exchange_rate / gdp_nominal",
        role: Role::Control,
        producer: Producer::Ingest,
        note: "percent, as the paper's Table 3 mean 1.868 implies",
    },
    Variable {
        symbol: "FP",
        meaning: "fiscal pressure",
        unit: "fraction of GDP",
        construction: "(budget_expenditure - budget_revenue) / gdp_nominal",
        role: Role::Control,
        producer: Producer::Ingest,
        note: "",
    },
    Variable {
        symbol: "URB",
        meaning: "urbanisation",
        unit: "fraction",
        construction:
            "(emp_secondary + emp_tertiary) / (emp_primary + emp_secondary + emp_tertiary)",
        role: Role::Control,
        producer: Producer::Ingest,
        note: "denominator = sum of the three sectors (not `employees`), so URB <= 1; fraction, \
               as the paper's Table 3 (mean 0.981, max 1.000) implies",
    },
    Variable {
        symbol: "EC",
        meaning: "energy consumption",
        unit: "ln(tonnes of coal equivalent)",
        construction:
            "ln(energy_10k_tce * 1e4 * dn_sum_city / sum of dn_sum over the study's cities \
                       of the province in that year)",
        role: Role::Control,
        producer: Producer::Ingest,
        note: "",
    },
    Variable {
        symbol: "HC",
        meaning: "human capital",
        unit: "university students per 100 residents",
        construction: "100 * students / (population * 1e4)",
        role: Role::Control,
        producer: Producer::Ingest,
        note: "the paper writes 'per 10,000 residents' but its Table 3 (mean 1.656, max 12.6) \
               matches per 100 residents; per 100 chosen",
    },
    Variable {
        symbol: "VC",
        meaning: "ventilation coefficient",
        unit: "ln(m2/s)",
        construction: "ln(boundary_layer_height_m * wind_speed_10m_ms)",
        role: Role::Control,
        producer: Producer::Ingest,
        note: "",
    },
    Variable {
        symbol: "YFE",
        meaning: "robot R&D and technical-service firms (instrument)",
        unit: "count",
        construction: "robot_rd_service_firms",
        role: Role::Instrument,
        producer: Producer::Ingest,
        note: "",
    },
];

/// The catalogue entry for `symbol`.
pub fn variable(symbol: &str) -> Option<&'static Variable> {
    VARIABLES.iter().find(|v| v.symbol == symbol)
}

/// True when `code` is a 6-digit ASCII city code.
pub fn is_city_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}
