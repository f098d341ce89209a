//! Spark's approximate quantile summary (`QuantileSummaries`, the Greenwald-Khanna
//! variant `approxQuantile` uses): values are buffered, inserted in sorted runs, and the
//! summary compressed to within `relative_error`; a query answers with a sampled value
//! whose rank is within `relative_error * count` of the requested rank. With a relative
//! error of 0 the answer is exact.

/// Values buffered before they are inserted into the summary (Spark's `defaultHeadSize`).
const HEAD_SIZE: usize = 50_000;
/// Samples kept before the summary is compressed (Spark's `defaultCompressThreshold`).
const COMPRESS_THRESHOLD: usize = 10_000;

/// One sample: its value, the rank gap from the previous sample (`g`) and the span of its
/// rank (`delta`), as in the Greenwald-Khanna paper.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sample {
    value: f64,
    g: u64,
    delta: u64,
}

/// A quantile summary of a stream of doubles.
#[derive(Debug, Clone)]
pub struct QuantileSummaries {
    relative_error: f64,
    samples: Vec<Sample>,
    /// Values inserted into `samples` (the head buffer excluded).
    count: u64,
    head: Vec<f64>,
}

impl QuantileSummaries {
    /// An empty summary with the given target relative error.
    pub fn new(relative_error: f64) -> Self {
        Self { relative_error, samples: Vec::new(), count: 0, head: Vec::new() }
    }

    /// Adds `value` (the caller leaves out nulls and NaNs, as Spark does).
    pub fn insert(&mut self, value: f64) {
        self.head.push(value);
        if self.head.len() >= HEAD_SIZE {
            self.insert_head();
            if self.samples.len() >= COMPRESS_THRESHOLD {
                self.compress_samples();
            }
        }
    }

    /// The approximate quantiles at `probabilities` (each in [0, 1]), in their order;
    /// `None` when no value was inserted.
    pub fn query(&mut self, probabilities: &[f64]) -> Option<Vec<f64>> {
        self.insert_head();
        self.compress_samples();
        let (first, last) = (self.samples.first()?.value, self.samples.last()?.value);
        let target_error = (self.samples.iter().map(|s| s.g + s.delta).max().unwrap_or(0) / 2) as f64;
        Some(
            probabilities
                .iter()
                .map(|&p| {
                    if p <= self.relative_error {
                        return first;
                    }
                    if p >= 1.0 - self.relative_error {
                        return last;
                    }
                    let rank = (p * self.count as f64).ceil();
                    let mut min_rank = 0u64;
                    for sample in &self.samples[..self.samples.len() - 1] {
                        min_rank += sample.g;
                        let max_rank = (min_rank + sample.delta) as f64;
                        if max_rank - target_error <= rank && rank <= min_rank as f64 + target_error {
                            return sample.value;
                        }
                    }
                    last
                })
                .collect(),
        )
    }

    /// Merges the sorted head buffer into the samples.
    fn insert_head(&mut self) {
        if self.head.is_empty() {
            return;
        }
        let mut head = std::mem::take(&mut self.head);
        head.sort_by(f64::total_cmp);
        let old = std::mem::take(&mut self.samples);
        let mut merged = Vec::with_capacity(old.len() + head.len());
        let mut next_old = 0;
        for (i, &value) in head.iter().enumerate() {
            while next_old < old.len() && old[next_old].value <= value {
                merged.push(old[next_old]);
                next_old += 1;
            }
            self.count += 1;
            let at_end = next_old == old.len() && i == head.len() - 1;
            let delta = if merged.is_empty() || at_end {
                0
            } else {
                (2.0 * self.relative_error * self.count as f64).floor() as u64
            };
            merged.push(Sample { value, g: 1, delta });
        }
        merged.extend_from_slice(&old[next_old..]);
        self.samples = merged;
    }

    /// Merges neighbouring samples whose combined rank span stays under the error bound;
    /// the first and last samples are always kept.
    fn compress_samples(&mut self) {
        let threshold = 2.0 * self.relative_error * self.count as f64;
        let samples = &self.samples;
        let (Some(&first), Some(&last)) = (samples.first(), samples.last()) else { return };
        if samples.len() == 1 {
            return;
        }
        let mut kept = Vec::new();
        let mut head = last;
        for &sample in samples[1..samples.len() - 1].iter().rev() {
            if ((sample.g + head.g + head.delta) as f64) < threshold {
                head.g += sample.g;
            } else {
                kept.push(head);
                head = sample;
            }
        }
        kept.push(head);
        if first.value <= head.value {
            kept.push(first);
        }
        kept.reverse();
        self.samples = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quantiles(values: &[f64], probabilities: &[f64], relative_error: f64) -> Option<Vec<f64>> {
        let mut summary = QuantileSummaries::new(relative_error);
        values.iter().for_each(|v| summary.insert(*v));
        summary.query(probabilities)
    }

    #[test]
    fn small_inputs_answer_as_spark_documents() {
        // pyspark's DataFrame.approxQuantile doctests.
        let five = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantiles(&five, &[0.0, 0.5, 1.0], 0.05), Some(vec![1.0, 3.0, 5.0]));
        assert_eq!(quantiles(&[1.0, 3.0, 4.0], &[0.0, 0.5, 1.0], 0.05), Some(vec![1.0, 3.0, 4.0]));
        assert_eq!(quantiles(&five, &[0.0, 0.2, 1.0], 0.1), Some(vec![1.0, 1.0, 5.0]));
        assert_eq!(quantiles(&[], &[0.5], 0.1), None);
    }

    #[test]
    fn relative_error_zero_is_exact() {
        let values: Vec<f64> = (1..=200_000).rev().map(f64::from).collect();
        assert_eq!(quantiles(&values, &[0.25, 0.5, 0.75], 0.0), Some(vec![50_000.0, 100_000.0, 150_000.0]));
    }

    #[test]
    fn answers_stay_within_the_error_bound() {
        let values: Vec<f64> = (0..120_000).map(|i| f64::from((i * 7919) % 120_000)).collect();
        let answers = quantiles(&values, &[0.1, 0.5, 0.9], 0.01).unwrap_or_default();
        for (answer, p) in answers.iter().zip([0.1, 0.5, 0.9]) {
            // value v has rank v + 1; the bound is floor((p - e) n) <= rank <= ceil((p + e) n).
            assert!((answer + 1.0 - p * 120_000.0).abs() <= 0.01 * 120_000.0 + 1.0, "{p}: {answer}");
        }
    }
}
