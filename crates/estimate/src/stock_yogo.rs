//! Stock-Yogo (2005, Table 5.2) critical values of the Cragg-Donald Wald F for the
//! maximal size of a nominal 5% Wald test on the 2SLS coefficient, one endogenous
//! regressor. These are the values ivreg2 / `estat firststage` print. Under
//! heteroskedasticity or clustering they are compared with the Kleibergen-Paap rk Wald F
//! only as a rule of thumb (as ivreg2 does).

use serde::Serialize;

/// Critical values for 10%, 15%, 20% and 25% maximal IV size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StockYogoSize {
    pub excluded_instruments: usize,
    pub size_10: f64,
    pub size_15: f64,
    pub size_20: f64,
    pub size_25: f64,
}

/// Rows for one endogenous regressor and K2 = 1..4 excluded instruments.
const SIZE_ONE_ENDOGENOUS: [[f64; 4]; 4] = [
    [16.38, 8.96, 6.66, 5.53],
    [19.93, 11.59, 8.75, 7.25],
    [22.30, 12.83, 9.54, 7.80],
    [24.58, 13.96, 10.26, 8.31],
];

/// Critical values for `endogenous` endogenous regressors and `excluded` excluded
/// instruments; `None` outside the tabulated range (1 endogenous, 1..=4 instruments).
pub fn stock_yogo_size(endogenous: usize, excluded: usize) -> Option<StockYogoSize> {
    if endogenous != 1 || excluded == 0 || excluded > SIZE_ONE_ENDOGENOUS.len() {
        return None;
    }
    let r = SIZE_ONE_ENDOGENOUS[excluded - 1];
    Some(StockYogoSize {
        excluded_instruments: excluded,
        size_10: r[0],
        size_15: r[1],
        size_20: r[2],
        size_25: r[3],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lookup() {
        let r = stock_yogo_size(1, 1).unwrap();
        assert_eq!((r.size_10, r.size_25), (16.38, 5.53));
        assert_eq!(stock_yogo_size(1, 3).unwrap().size_15, 12.83);
        assert!(stock_yogo_size(2, 3).is_none());
        assert!(stock_yogo_size(1, 0).is_none());
    }
}
