//! Parquet export. This is the only place that links polars: the store's own artifacts use the
//! `panel` crate's canonical encoding, which is simpler to keep byte-deterministic.

use anyhow::Result;
use robocarb_panel::{Column, Frame};

#[cfg(feature = "parquet")]
pub fn parquet(frame: &Frame) -> Result<Vec<u8>> {
    use polars::prelude::{Column as PlColumn, DataFrame, ParquetWriter};
    let mut cols = Vec::with_capacity(frame.ncols());
    for name in frame.names() {
        let col = match frame.column(name) {
            Some(Column::F64(v)) => {
                // NaN marks a missing cell in a Frame; parquet gets a proper null.
                let vals: Vec<Option<f64>> = v
                    .iter()
                    .map(|x| if x.is_nan() { None } else { Some(*x) })
                    .collect();
                PlColumn::new(name.as_str().into(), vals)
            }
            Some(Column::I64(v)) => PlColumn::new(name.as_str().into(), v.clone()),
            Some(Column::Str(v)) => PlColumn::new(name.as_str().into(), v.clone()),
            None => continue,
        };
        cols.push(col);
    }
    let mut df = DataFrame::new(frame.nrows(), cols)?;
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(&mut df)?;
    Ok(buf)
}

#[cfg(not(feature = "parquet"))]
pub fn parquet(_frame: &Frame) -> Result<Vec<u8>> {
    anyhow::bail!("this robocarb was built without the `parquet` feature; use --format csv or json")
}
