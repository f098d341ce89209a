//! `DataFrame.stat` over Spark Connect (`StatCov`, `StatCorr`, `StatApproxQuantile`,
//! `StatCrosstab`, `StatFreqItems`, `StatSampleBy`): each runs its job and answers with
//! a one-row (or, for `crosstab`, one-row-per-value) relation shaped as Spark's.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Float64Builder, Int64Array, ListArray, ListBuilder, RecordBatch,
    StringArray,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::functions::expr_fn::random;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::expr::Case;
use datafusion::functions::expr_fn::coalesce;
use datafusion::logical_expr::{Expr, cast, lit};
use flint_engine::DataFrame;
use flint_engine::spark::quantile_summaries::QuantileSummaries;
use futures::StreamExt;
use spark_connect_proto::{StatApproxQuantile, StatCrosstab, StatFreqItems, StatSampleBy};

use crate::errors::{ConnectError, Result};
use crate::plan::relations::RelationPlanner;

/// `df.stat.cov(col1, col2)`: the sample covariance, as Spark computes it.
pub async fn cov(planner: &RelationPlanner, input: &DataFrame, col1: &str, col2: &str) -> Result<DataFrame> {
    let moments = co_moments(input, [col1, col2], "covariance").await?;
    single_double(planner, "cov", moments.ck / (moments.count as f64 - 1.0))
}

/// `df.stat.corr(col1, col2, "pearson")`: the Pearson correlation coefficient.
pub async fn corr(
    planner: &RelationPlanner,
    input: &DataFrame,
    col1: &str,
    col2: &str,
    method: Option<&str>,
) -> Result<DataFrame> {
    if let Some(method) = method.filter(|m| !m.eq_ignore_ascii_case("pearson")) {
        return Err(ConnectError::IllegalArgument {
            reason: format!("Currently only the calculation of the Pearson Correlation coefficient is supported, not {method}."),
        });
    }
    let moments = co_moments(input, [col1, col2], "correlation").await?;
    single_double(planner, "corr", moments.ck / (moments.mk_x * moments.mk_y).sqrt())
}

/// `df.stat.approxQuantile(cols, probabilities, relativeError)`: one row, one column of
/// per-column quantile lists (an empty list for a column with no non-null value).
pub async fn approx_quantile(planner: &RelationPlanner, input: &DataFrame, stat: &StatApproxQuantile) -> Result<DataFrame> {
    if stat.relative_error < 0.0 {
        return Err(ConnectError::IllegalArgument {
            reason: format!("Relative Error must be non-negative but got {}", stat.relative_error),
        });
    }
    if let Some(p) = stat.probabilities.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(ConnectError::IllegalArgument {
            reason: format!("percentile should be in the range [0.0, 1.0], got {p}"),
        });
    }
    let columns = stat
        .cols
        .iter()
        .map(|name| {
            let unsupported = |type_name: &str| {
                format!("Quantile calculation for column {name} with data type {type_name} is not supported.")
            };
            numeric_column(input, name, unsupported).map(|c| cast(c, DataType::Float64))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut summaries: Vec<QuantileSummaries> =
        stat.cols.iter().map(|_| QuantileSummaries::new(stat.relative_error)).collect();
    let mut batches = input.select(columns)?.execute_stream().await?;
    while let Some(batch) = batches.next().await {
        let batch = batch?;
        for (summary, column) in summaries.iter_mut().zip(batch.columns()) {
            let values = doubles(column)?;
            values.iter().flatten().filter(|v| !v.is_nan()).for_each(|v| summary.insert(v));
        }
    }
    let mut builder = ListBuilder::new(ListBuilder::new(Float64Builder::new()));
    for summary in &mut summaries {
        let quantiles = summary.query(&stat.probabilities).unwrap_or_default();
        builder.values().append_value(quantiles.into_iter().map(Some));
    }
    builder.append(true);
    let list = builder.finish();
    let schema = Arc::new(Schema::new(vec![Field::new("approx_quantile", list.data_type().clone(), false)]));
    let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(list)])?;
    planner.memory(schema, vec![batch])
}

/// `df.stat.crosstab(col1, col2)`: a row per value of `col1` (as a string, in column
/// `col1_col2`), a count column per value of `col2`, named by it and sorted by name.
pub async fn crosstab(planner: &RelationPlanner, input: &DataFrame, stat: &StatCrosstab) -> Result<DataFrame> {
    let as_text = |name: &str| -> Result<Expr> {
        let column = planner.with_exprs(input, |c| c.column(name, None))?;
        Ok(coalesce(vec![cast(Expr::Column(column), DataType::Utf8), lit("null")]))
    };
    let (left, right) = (as_text(&stat.col1)?, as_text(&stat.col2)?);
    let grouped = input.group_by(vec![left.alias("left"), right.alias("right")]).agg(vec![count(lit(1)).alias("n")])?;
    let batches = grouped.collect().await?;
    let mut counts: Vec<(String, HashMap<String, i64>)> = Vec::new();
    let mut names = BTreeSet::new();
    for batch in &batches {
        let (lefts, rights, ns) = (strings(batch.column(0))?, strings(batch.column(1))?, int64s(batch.column(2))?);
        for row in 0..batch.num_rows() {
            let (left, right) = (lefts.value(row).to_string(), rights.value(row).to_string());
            names.insert(right.clone());
            let position = match counts.iter().position(|(l, _)| *l == left) {
                Some(position) => position,
                None => {
                    counts.push((left, HashMap::new()));
                    counts.len() - 1
                }
            };
            counts[position].1.insert(right, ns.value(row));
        }
    }
    if names.len() >= 10_000 {
        return Err(ConnectError::IllegalArgument {
            reason: format!(
                "requirement failed: The number of distinct values for {}, can't exceed 1e4. Currently {}",
                stat.col2,
                names.len()
            ),
        });
    }
    let mut fields = vec![Field::new(format!("{}_{}", stat.col1, stat.col2), DataType::Utf8, true)];
    let mut columns: Vec<ArrayRef> = vec![Arc::new(StringArray::from_iter_values(counts.iter().map(|(l, _)| l)))];
    for name in &names {
        fields.push(Field::new(name.replace('`', ""), DataType::Int64, true));
        columns.push(Arc::new(Int64Array::from_iter_values(
            counts.iter().map(|(_, row)| row.get(name).copied().unwrap_or(0)),
        )));
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
    planner.memory(schema, vec![batch])
}

/// `df.stat.freqItems(cols, support)`: per column `{col}_freqItems`, the values that
/// occur in more than `support` of the rows. Spark's one-pass counter keeps every value
/// while a column has at most `1 / support` distinct values, so then all are returned, as
/// Spark does; otherwise Spark's answer may add false positives to the exactly frequent
/// values returned here.
pub async fn freq_items(planner: &RelationPlanner, input: &DataFrame, stat: &StatFreqItems) -> Result<DataFrame> {
    let support = stat.support.unwrap_or(0.01);
    if !(1e-4..=1.0).contains(&support) {
        return Err(ConnectError::IllegalArgument {
            reason: format!("requirement failed: Support ({support}) must be greater than 1e-4 and at most 1."),
        });
    }
    let capacity = (1.0 / support) as usize;
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for name in &stat.cols {
        let column = planner.with_exprs(input, |c| c.column(name, None))?;
        let grouped = input.group_by(vec![Expr::Column(column).alias("item")]).agg(vec![count(lit(1)).alias("n")])?;
        let batches = grouped.collect().await?;
        let schema = grouped.schema();
        let all = arrow::compute::concat_batches(&schema, &batches)?;
        let counts = int64s(all.column(1))?;
        let total: i64 = counts.iter().flatten().sum();
        let keep: BooleanArray = if all.num_rows() <= capacity {
            counts.iter().map(|_| Some(true)).collect()
        } else {
            counts.iter().map(|n| Some(n.unwrap_or(0) as f64 > support * total as f64)).collect()
        };
        let items = arrow::compute::filter(all.column(0), &keep)?;
        let item_field = Arc::new(Field::new_list_field(items.data_type().clone(), true));
        let list = ListArray::try_new(Arc::clone(&item_field), OffsetBuffer::from_lengths([items.len()]), items, None)?;
        fields.push(Field::new(format!("{name}_freqItems"), DataType::List(item_field), true));
        columns.push(Arc::new(list));
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
    planner.memory(schema, vec![batch])
}

/// `df.stat.sampleBy(col, fractions, seed)`: each row kept with its stratum's fraction
/// (0 for a stratum not listed). The rows kept are a uniform sample, but not the rows
/// Spark's seeded per-partition sampler keeps.
pub async fn sample_by(planner: &RelationPlanner, input: &DataFrame, stat: &StatSampleBy) -> Result<DataFrame> {
    let stratum = stat.col.as_ref().ok_or_else(|| ConnectError::InvalidPlan { reason: "sampleBy without a column".into() })?;
    let stratum = planner.with_exprs(input, |c| c.expr(stratum))?;
    let mut when_then = Vec::new();
    for fraction in &stat.fractions {
        if !(0.0..=1.0).contains(&fraction.fraction) {
            return Err(ConnectError::IllegalArgument {
                reason: format!("requirement failed: Fractions must be in [0, 1], but got {}.", fraction.fraction),
            });
        }
        let value = fraction.stratum.as_ref().ok_or_else(|| ConnectError::InvalidPlan {
            reason: "sampleBy fraction without a stratum".into(),
        })?;
        let value = crate::plan::literals::scalar(value)?;
        when_then.push((Box::new(stratum.clone().eq(Expr::Literal(value, None))), Box::new(lit(fraction.fraction))));
    }
    if when_then.is_empty() {
        return Ok(input.filter(lit(false))?);
    }
    let fraction = Expr::Case(Case::new(None, when_then, Some(Box::new(lit(0.0)))));
    Ok(input.filter(random().lt(fraction))?)
}

/// Spark's co-moment counter over two columns (`StatFunctions.CovarianceCounter`).
#[derive(Debug, Default)]
struct CoMoments {
    x_avg: f64,
    y_avg: f64,
    ck: f64,
    mk_x: f64,
    mk_y: f64,
    count: u64,
}

impl CoMoments {
    fn add(&mut self, x: f64, y: f64) {
        let (delta_x, delta_y) = (x - self.x_avg, y - self.y_avg);
        self.count += 1;
        self.x_avg += delta_x / self.count as f64;
        self.y_avg += delta_y / self.count as f64;
        self.ck += delta_x * (y - self.y_avg);
        self.mk_x += delta_x * (x - self.x_avg);
        self.mk_y += delta_y * (y - self.y_avg);
    }
}

/// The co-moments of two numeric columns over all rows. Spark reads a null as 0 here (it
/// takes `getDouble` of each row), so a null counts as 0 rather than being left out.
async fn co_moments(input: &DataFrame, names: [&str; 2], what: &str) -> Result<CoMoments> {
    let [x, y] = names.map(|name| {
        numeric_column(input, name, |type_name| {
            format!("Currently {what} calculation for columns with dataType {type_name} not supported.")
        })
            .map(|c| coalesce(vec![cast(c, DataType::Float64), lit(0.0)]))
    });
    let pairs = input.select(vec![x?.alias("x"), y?.alias("y")])?;
    let mut moments = CoMoments::default();
    let mut batches = pairs.execute_stream().await?;
    while let Some(batch) = batches.next().await {
        let batch = batch?;
        let (xs, ys) = (doubles(batch.column(0))?, doubles(batch.column(1))?);
        for row in 0..batch.num_rows() {
            moments.add(xs.value(row), ys.value(row));
        }
    }
    Ok(moments)
}

/// Column `name` of `input`, which must be numeric; `unsupported` words the error for
/// another type from its Spark name.
fn numeric_column(input: &DataFrame, name: &str, unsupported: impl Fn(&str) -> String) -> Result<Expr> {
    let schema = input.schema();
    let field = schema.fields().iter().find(|f| f.name() == name).ok_or_else(|| ConnectError::UnresolvedColumn {
        name: name.to_string(),
        suggestions: schema.fields().iter().map(|f| format!("`{}`", f.name())).collect::<Vec<_>>().join(", "),
    })?;
    if !field.data_type().is_numeric() {
        let type_name = flint_engine::spark::type_names::type_name(field.data_type());
        return Err(ConnectError::IllegalArgument { reason: format!("requirement failed: {}", unsupported(&type_name)) });
    }
    Ok(Expr::Column(datafusion::common::Column::new_unqualified(name)))
}

/// A one-row relation of one double column.
fn single_double(planner: &RelationPlanner, name: &str, value: f64) -> Result<DataFrame> {
    let schema = Arc::new(Schema::new(vec![Field::new(name, DataType::Float64, false)]));
    let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(Float64Array::from(vec![value]))])?;
    planner.memory(schema, vec![batch])
}

fn downcast<'a, T: 'static>(array: &'a ArrayRef, what: &str) -> Result<&'a T> {
    array.as_any().downcast_ref::<T>().ok_or_else(|| ConnectError::InvalidPlan {
        reason: format!("expected a {what} column, got {}", array.data_type()),
    })
}

fn doubles(array: &ArrayRef) -> Result<&Float64Array> {
    downcast(array, "double")
}

fn strings(array: &ArrayRef) -> Result<&StringArray> {
    downcast(array, "string")
}

fn int64s(array: &ArrayRef) -> Result<&Int64Array> {
    downcast(array, "bigint")
}
