"""DataFrame.stat over Spark Connect (issue 13): cov, corr, approxQuantile (Spark's
Greenwald-Khanna summary), crosstab, freqItems and sampleBy. The calls that answer a
value are recorded as one row of it (`values`). `record` runs them on real Spark,
tests/python/test_spark_oracle.py on Flint."""

from frames import columns, values
from pyspark.sql import functions as F


def _pairs(spark):
    return spark.createDataFrame([(1, 11), (1, 11), (3, 10), (4, 8), (4, 8), (None, 8)], "c1 int, c2 int")


def _xy(spark):
    return spark.createDataFrame([(1, 12.0), (10, 1.0), (19, 8.0), (7, 3.5)], "x int, y double")


def _hundred(spark):
    """0..99 shuffled by a multiplier prime to 100, and a column that is null for every third row."""
    return spark.range(100).select(
        ((F.col("id") * 37) % 100).alias("v"), F.when(F.col("id") % 3 == 0, None).otherwise(F.col("id")).alias("w")
    )


CASES = {
    "cov": lambda spark: values(spark, (_xy(spark).cov("x", "y"), "double")),
    "corr": lambda spark: values(spark, (_xy(spark).corr("x", "y"), "double")),
    "cov_with_nulls": lambda spark: values(
        spark,
        (spark.createDataFrame([(2, 4.0), (None, 4.0), (2, None), (4, 0.0)], "x int, y double").cov("x", "y"), "double"),
    ),
    "corr_of_a_line": lambda spark: values(
        spark, (spark.createDataFrame([(11, 12), (10, 11), (9, 10)], "a int, b int").corr("a", "b"), "double")
    ),
    "corr_other_method_fails": lambda spark: values(spark, (_xy(spark).corr("x", "y", "spearman"), "double")),
    "cov_of_a_string_fails": lambda spark: values(
        spark, (spark.createDataFrame([("a", 1)], "s string, n int").cov("s", "n"), "double")
    ),
    "approx_quantile_exact": lambda spark: values(
        spark, (_hundred(spark).approxQuantile("v", [0.0, 0.1, 0.25, 0.5, 0.75, 0.99, 1.0], 0.0), "array<double>")
    ),
    "approx_quantile_low_precision": lambda spark: values(
        spark,
        (
            spark.createDataFrame([(v,) for v in [5, 1, 4, 2, 3]], "v int").approxQuantile("v", [0.0, 0.2, 1.0], 0.1),
            "array<double>",
        ),
    ),
    "approx_quantile_columns_and_nulls": lambda spark: values(
        spark, (_hundred(spark).approxQuantile(["v", "w"], [0.0, 0.25, 0.5, 1.0], 0.0), "array<array<double>>")
    ),
    "approx_quantile_all_null": lambda spark: values(
        spark,
        (spark.createDataFrame([(None,), (None,)], "n int").approxQuantile(["n"], [0.5], 0.1), "array<array<double>>"),
    ),
    "approx_quantile_of_a_string_fails": lambda spark: values(
        spark, (spark.createDataFrame([("a",)], "s string").approxQuantile("s", [0.5], 0.1), "array<double>")
    ),
    "crosstab": lambda spark: _pairs(spark).crosstab("c1", "c2").orderBy("c1_c2"),
    "crosstab_columns": lambda spark: columns(_pairs(spark).crosstab("c1", "c2")),
    "freq_items_all_distinct": lambda spark: _pairs(spark)
    .freqItems(["c1", "c2"])
    .select(F.sort_array("c1_freqItems").alias("c1"), F.sort_array("c2_freqItems").alias("c2")),
    "freq_items_columns": lambda spark: columns(_pairs(spark).freqItems(["c1", "c2"])),
    "sample_by_whole_strata": lambda spark: spark.range(0, 100, 1, 5)
    .select((F.col("id") % 3).alias("key"))
    .sampleBy("key", fractions={0: 0.0, 2: 1.0}, seed=0)
    .groupBy("key")
    .count(),
}
