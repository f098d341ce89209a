//! `describe()` and `summary()`: one row per statistic, one string column per input
//! column, as Spark prints them.

use std::sync::Arc;

use arrow::array::{Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::functions::expr_fn::greatest;
use datafusion::functions::math::expr_fn::ceil;
use datafusion::functions_aggregate::expr_fn::{array_agg, avg, count, max, min, stddev};
use datafusion::functions_nested::expr_fn::{array_element, array_sort};
use datafusion::logical_expr::{Expr, cast, lit};
use datafusion::scalar::ScalarValue;
use flint_engine::DataFrame;

use crate::errors::{ConnectError, Result};

/// The statistics `describe()` computes.
pub const DESCRIBE: &[&str] = &["count", "mean", "stddev", "min", "max"];
/// The statistics `summary()` computes by default.
pub const SUMMARY: &[&str] = &["count", "mean", "stddev", "min", "25%", "50%", "75%", "max"];

/// The statistics table of `columns` (all numeric and string columns when empty).
pub async fn statistics(df: &DataFrame, columns: &[String], stats: &[String]) -> Result<(Arc<Schema>, RecordBatch)> {
    let schema = df.schema();
    let chosen: Vec<&Field> = if columns.is_empty() {
        schema
            .fields()
            .iter()
            .map(|f| f.as_ref())
            .filter(|f| f.data_type().is_numeric() || is_string(f.data_type()))
            .collect()
    } else {
        columns
            .iter()
            .map(|c| {
                schema.fields().iter().find(|f| f.name().eq_ignore_ascii_case(c)).map(|f| f.as_ref()).ok_or_else(|| {
                    ConnectError::UnresolvedColumn { name: c.clone(), suggestions: String::new() }
                })
            })
            .collect::<Result<_>>()?
    };
    let mut aggregates = Vec::new();
    for (i, field) in chosen.iter().enumerate() {
        let column = Expr::Column(datafusion::common::Column::new_unqualified(field.name()));
        let numeric = field.data_type().is_numeric();
        for (j, stat) in stats.iter().enumerate() {
            let value = match stat.as_str() {
                "count" => cast(count(column.clone()), DataType::Utf8),
                "mean" if numeric => cast(avg(cast(column.clone(), DataType::Float64)), DataType::Utf8),
                "stddev" if numeric => cast(stddev(cast(column.clone(), DataType::Float64)), DataType::Utf8),
                "min" => cast(min(column.clone()), DataType::Utf8),
                "max" => cast(max(column.clone()), DataType::Utf8),
                percent if percent.ends_with('%') && numeric => {
                    let fraction = percent.trim_end_matches('%').parse::<f64>().map_err(|_| {
                        ConnectError::IllegalArgument { reason: format!("{percent} is not a valid percentile") }
                    })? / 100.0;
                    cast(percentile_element(column.clone(), fraction), DataType::Utf8)
                }
                "mean" | "stddev" => Expr::Literal(ScalarValue::Utf8(None), None),
                percent if percent.ends_with('%') => Expr::Literal(ScalarValue::Utf8(None), None),
                other => {
                    return Err(ConnectError::IllegalArgument { reason: format!("{other} is not a recognised statistic") });
                }
            };
            aggregates.push(value.alias(format!("s{i}_{j}")));
        }
    }
    let result = df.inner().clone().aggregate(vec![], aggregates)?.collect().await?;
    let row = result.first();
    let mut columns: Vec<Arc<dyn Array>> = vec![Arc::new(StringArray::from(stats.to_vec()))];
    let mut fields = vec![Field::new("summary", DataType::Utf8, true)];
    for (i, field) in chosen.iter().enumerate() {
        let values: Vec<Option<String>> = (0..stats.len())
            .map(|j| {
                let batch = row?;
                let array = batch.column(i * stats.len() + j);
                let strings = array.as_any().downcast_ref::<StringArray>()?;
                (!strings.is_null(0)).then(|| strings.value(0).to_string())
            })
            .collect();
        columns.push(Arc::new(StringArray::from(values)));
        fields.push(Field::new(field.name(), DataType::Utf8, true));
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
    Ok((schema, batch))
}

/// The `fraction` percentile of `column` as Spark's `summary()` computes it with
/// `percentile_approx`: a value of the column, never an interpolation, the one at rank
/// `ceil(fraction * n)` of its `n` non-null values in order (25% of 1, 2, 3 is 1; Spark's
/// `QuantileSummaries.query`). Exact, so it holds the column's values while it runs.
fn percentile_element(column: Expr, fraction: f64) -> Expr {
    let sorted = array_sort(array_agg(column.clone()), lit("ASC"), lit("NULLS LAST"));
    let rank = ceil(lit(fraction) * cast(count(column), DataType::Float64));
    array_element(sorted, greatest(vec![cast(rank, DataType::Int64), lit(1i64)]))
}

fn is_string(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}
