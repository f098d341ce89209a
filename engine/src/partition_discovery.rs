//! Spark's partition discovery: the `col=value/` folders under a table's path become
//! columns after the files' own, typed as Spark infers them (int, then bigint, then
//! double, then date, else string; `spark.sql.sources.partitionColumnTypeInference.enabled`).

use std::collections::BTreeMap;

use arrow::datatypes::DataType;
use datafusion::datasource::listing::{ListingOptions, ListingTableUrl};
use datafusion::execution::context::SessionState;
use futures::TryStreamExt;

use crate::error::Result;

/// The partition columns under `table` (names in folder order) with their types; empty
/// when its files are not in `col=value` folders, or not all at the same depth.
pub async fn discover(state: &SessionState, listing: &ListingOptions, table: &ListingTableUrl) -> Result<Vec<(String, DataType)>> {
    let store = state.runtime_env().object_store(table)?;
    let files: Vec<_> = table.list_all_files(state, store.as_ref(), &listing.file_extension).await?.try_collect().await?;
    let mut layout: Option<Vec<String>> = None;
    let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        let Some(parts) = table.strip_prefix(&file.location) else { continue };
        let mut folders: Vec<&str> = parts.collect();
        folders.pop();
        let mut names = Vec::new();
        for folder in folders {
            let Some((name, value)) = folder.split_once('=') else { return Ok(Vec::new()) };
            names.push(name.to_string());
            values.entry(name.to_string()).or_default().push(value.to_string());
        }
        match &layout {
            Some(known) if *known != names => return Ok(Vec::new()),
            Some(_) => {}
            None => layout = Some(names),
        }
    }
    let names = layout.unwrap_or_default();
    Ok(names.into_iter().map(|name| {
        let data_type = infer_type(values.get(&name).map(Vec::as_slice).unwrap_or_default());
        (name, data_type)
    }).collect())
}

/// The type Spark gives a partition column whose folders hold `values`.
fn infer_type(values: &[String]) -> DataType {
    if values.iter().all(|v| v.parse::<i32>().is_ok()) {
        DataType::Int32
    } else if values.iter().all(|v| v.parse::<i64>().is_ok()) {
        DataType::Int64
    } else if values.iter().all(|v| v.parse::<f64>().is_ok_and(f64::is_finite)) {
        DataType::Float64
    } else if values.iter().all(|v| is_date(v)) {
        DataType::Date32
    } else {
        DataType::Utf8
    }
}

/// Whether `value` is a `yyyy-MM-dd` date.
fn is_date(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
            let (Ok(_), Ok(m), Ok(d)) = (y.parse::<u16>(), m.parse::<u8>(), d.parse::<u8>()) else { return false };
            (1..=12).contains(&m) && (1..=31).contains(&d)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn types_are_inferred_as_spark_does() {
        assert_eq!(infer_type(&strings(&["1", "-2"])), DataType::Int32);
        assert_eq!(infer_type(&strings(&["1", "3000000000"])), DataType::Int64);
        assert_eq!(infer_type(&strings(&["1", "2.5"])), DataType::Float64);
        assert_eq!(infer_type(&strings(&["1", "x"])), DataType::Utf8);
        assert_eq!(infer_type(&strings(&["2024-01-01", "1999-12-31"])), DataType::Date32);
        assert_eq!(infer_type(&strings(&["2024-13-01"])), DataType::Utf8);
    }
}
