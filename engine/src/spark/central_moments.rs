//! Spark's `skewness` and `kurtosis` (`CentralMomentAgg`): the third and fourth central
//! moments of a column read as DOUBLE, updated and merged with Spark's own formulas so
//! that results agree with Spark's to the last digit. No rows, or all values equal, give
//! NULL (Spark's default `spark.sql.legacy.statisticalAggregate=false`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};

/// `skewness` and `kurtosis`, ready to register.
pub fn all() -> Vec<AggregateUDF> {
    [Moment::Skewness, Moment::Kurtosis]
        .into_iter()
        .map(|moment| AggregateUDF::new_from_impl(CentralMoment { moment, signature: Signature::numeric(1, Volatility::Immutable) }))
        .collect()
}

/// Which statistic of the moments an aggregate returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Moment {
    /// `sqrt(n) * m3 / m2^1.5`.
    Skewness,
    /// `n * m4 / m2^2 - 3`.
    Kurtosis,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CentralMoment {
    moment: Moment,
    signature: Signature,
}

impl AggregateUDFImpl for CentralMoment {
    fn name(&self) -> &str {
        match self.moment {
            Moment::Skewness => "skewness",
            Moment::Kurtosis => "kurtosis",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(["n", "avg", "m2", "m3", "m4"]
            .into_iter()
            .map(|part| Arc::new(Field::new(format!("{}[{part}]", args.name), DataType::Float64, false)))
            .collect())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(Moments { moment: self.moment, ..Moments::default() }))
    }
}

/// The count, mean and second to fourth central moment sums of the values so far.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Moments {
    moment: Moment,
    n: f64,
    avg: f64,
    m2: f64,
    m3: f64,
    m4: f64,
}

impl Default for Moments {
    fn default() -> Self {
        Self { moment: Moment::Skewness, n: 0.0, avg: 0.0, m2: 0.0, m3: 0.0, m4: 0.0 }
    }
}

impl Moments {
    /// Spark's `updateExpressions` for one value.
    fn add(&mut self, value: f64) {
        let n = self.n + 1.0;
        let delta = value - self.avg;
        let delta_n = delta / n;
        let m2 = self.m2 + delta * (delta - delta_n);
        let (delta2, delta_n2) = (delta * delta, delta_n * delta_n);
        let m3 = self.m3 - 3.0 * delta_n * m2 + delta * (delta2 - delta_n2);
        let m4 = self.m4 - 4.0 * delta_n * m3 - 6.0 * delta_n2 * m2 + delta * (delta * delta2 - delta_n * delta_n2);
        *self = Self { n, avg: self.avg + delta_n, m2, m3, m4, ..*self };
    }

    /// Spark's `mergeExpressions`: these moments and `other`'s, of disjoint rows.
    fn merge(&mut self, other: &Self) {
        let (n1, n2) = (self.n, other.n);
        let n = n1 + n2;
        let delta = other.avg - self.avg;
        let delta_n = if n == 0.0 { 0.0 } else { delta / n };
        let m2 = self.m2 + other.m2 + delta * delta_n * n1 * n2;
        let m3 = self.m3
            + other.m3
            + delta_n * delta_n * delta * n1 * n2 * (n1 - n2)
            + 3.0 * delta_n * (n1 * other.m2 - n2 * self.m2);
        let m4 = self.m4
            + other.m4
            + delta_n * delta_n * delta_n * delta * n1 * n2 * (n1 * n1 - n1 * n2 + n2 * n2)
            + 6.0 * delta_n * delta_n * (n1 * n1 * other.m2 + n2 * n2 * self.m2)
            + 4.0 * delta_n * (n1 * other.m3 - n2 * self.m3);
        *self = Self { n, avg: self.avg + delta_n * n2, m2, m3, m4, ..*self };
    }

    /// The statistic, NULL without rows or without spread.
    fn result(&self) -> Option<f64> {
        if self.n == 0.0 || self.m2 == 0.0 {
            return None;
        }
        Some(match self.moment {
            Moment::Skewness => self.n.sqrt() * self.m3 / (self.m2 * self.m2 * self.m2).sqrt(),
            Moment::Kurtosis => self.n * self.m4 / (self.m2 * self.m2) - 3.0,
        })
    }
}

impl Accumulator for Moments {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let values = arrow::compute::cast(&values[0], &DataType::Float64)?;
        values.as_primitive::<Float64Type>().iter().flatten().for_each(|value| self.add(value));
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [n, avg, m2, m3, m4] = states else {
            return exec_err!("central moments merge five state columns, not {}", states.len());
        };
        let parts = [n, avg, m2, m3, m4].map(|part| part.as_primitive::<Float64Type>());
        for row in 0..n.len() {
            let [n, avg, m2, m3, m4] = parts.map(|part| part.value(row));
            self.merge(&Self { moment: self.moment, n, avg, m2, m3, m4 });
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok([self.n, self.avg, self.m2, self.m3, self.m4].map(|v| ScalarValue::Float64(Some(v))).to_vec())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(self.result()))
    }

    fn size(&self) -> usize {
        size_of_val(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(moment: Moment, values: &[f64]) -> Moments {
        let mut moments = Moments { moment, ..Moments::default() };
        values.iter().for_each(|v| moments.add(*v));
        moments
    }

    #[test]
    fn statistics_match_spark_doctests() {
        let skewness = of(Moment::Skewness, &[1.0, 1.0, 2.0]).result().unwrap_or_default();
        assert!((skewness - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12, "{skewness}");
        let kurtosis = of(Moment::Kurtosis, &[1.0, 1.0, 2.0]).result().unwrap_or_default();
        assert!((kurtosis + 1.5).abs() < 1e-12, "{kurtosis}");
        assert_eq!(of(Moment::Kurtosis, &[3.0, 3.0]).result(), None);
        assert_eq!(of(Moment::Skewness, &[]).result(), None);
    }

    #[test]
    fn merged_moments_are_the_moments_of_all_rows() {
        let mut left = of(Moment::Kurtosis, &[1.0, 4.0]);
        left.merge(&of(Moment::Kurtosis, &[2.0, 8.0, 3.0]));
        let all = of(Moment::Kurtosis, &[1.0, 4.0, 2.0, 8.0, 3.0]);
        let (merged, direct) = (left.result().unwrap_or_default(), all.result().unwrap_or_default());
        assert!((merged - direct).abs() < 1e-9, "{merged} vs {direct}");
    }
}
