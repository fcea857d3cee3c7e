//! robocarb-ingest: source adapters (one per source of `docs/data-formats.md`), validation
//! reports, city-code harmonisation (city list + crosswalk + name matching), interpolation,
//! winsorizing, the construction of the Table 2 variables, the panel build and the DEA inputs.
//!
//! It must not estimate anything, and it does not use polars: frames are
//! [`robocarb_panel::Frame`]. File I/O happens only in the `read_*` adapters; every adapter has a
//! bytes-level core ([`read_source_bytes`]) and all cleaning/construction functions are pure.
//! Errors name the file, the 1-based row (header = 1) and the column, and what was expected.
//!
//! ```
//! use robocarb_ingest::{read_source_bytes, Format, ReadOptions, Source};
//!
//! let csv = b"city_code,year,dn_sum\n130100,2006,12.5\n130100,2007,\n130100,2008,13.5\n";
//! let adapted = read_source_bytes(Source::NightLights, csv, "lights.csv", Format::Csv,
//!                                 &ReadOptions::default())?;
//! assert_eq!(adapted.frame.nrows(), 3);
//! let (filled, counts) = robocarb_ingest::interpolate_within_city(&adapted.frame, &["dn_sum"])?;
//! assert_eq!(filled.f64("dn_sum")?[1], 13.0);
//! assert_eq!(counts["dn_sum"], 1);
//!
//! let bad = b"city_code,year,dn_sum\n130100,2006,abc\n";
//! let err = read_source_bytes(Source::NightLights, bad, "lights.csv", Format::Csv,
//!                             &ReadOptions::default()).unwrap_err();
//! assert_eq!(err.to_string(), "lights.csv, row 2, column `dn_sum`: expected a number, found `abc`");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cities;
mod clean;
mod construct;
mod error;
mod report;
mod sources;
mod table;

pub use cities::{
    city_short_name, province_short_name, City, CityIndex, CrosswalkEntry, Resolution,
};
pub use clean::{
    capital_stock_pim, interpolate_within_city, stata_pctile, winsorize, WinsorCut, DEPRECIATION,
};
pub use construct::{
    build_panel, construct_variables, dea_inputs, gov_business_high, PanelOptions, PanelParts,
    EXPOSURE_COLUMNS, RAW_COLUMNS, TFP_COLUMNS,
};
pub use error::{IngestError, Location, Problem};
pub use report::{OutOfRange, Replacement, Unmatched, ValidationReport};
pub use sources::{
    balanced_count, city_list_from_admin_divisions, prefecture_of_county, read_ceads_city,
    read_city_environment, read_city_list, read_city_yearbook, read_concordance, read_county_co2,
    read_crosswalk, read_gov_business, read_ifr_stocks, read_night_lights, read_plan_cities,
    read_province_employment, read_province_energy, read_resource_cities, read_robot_firms,
    read_smart_city_pilots, read_source, read_source_bytes, read_ventilation, Adapted, ColumnMap,
    Format, ReadOptions, Source, UnknownCity, DEFAULT_YEARBOOK_COLUMNS, YEARBOOK_FIELDS,
};
pub use table::Encoding;
