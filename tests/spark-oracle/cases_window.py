"""Window functions with partitionBy / orderBy / frames (formerly in
tests/python/test_window.py)."""

from pyspark.sql import Window
from pyspark.sql import functions as F


def _sales(spark):
    return spark.createDataFrame(
        [("a", 1, 10), ("a", 2, 20), ("a", 3, 30), ("b", 1, 5), ("b", 2, 15)], "k STRING, t INT, v INT"
    )


def _over_sales(spark, *cols):
    """k, t and `cols` for every sale, in (k, t) order."""
    return _sales(spark).select("k", "t", *cols).orderBy("k", "t")


def _by_k_t():
    return Window.partitionBy("k").orderBy("t")


def _rank_dense_rank(spark):
    w = Window.orderBy("v")
    return (
        spark.createDataFrame([(1,), (1,), (2,)], "v INT")
        .select("v", F.rank().over(w).alias("r"), F.dense_rank().over(w).alias("d"))
        .orderBy("v", "r")
    )


CASES = {
    "row_number": lambda spark: _over_sales(spark, F.row_number().over(_by_k_t()).alias("rn")),
    "rank_dense_rank": _rank_dense_rank,
    "running_sum": lambda spark: _over_sales(spark, F.sum("v").over(_by_k_t()).alias("s")),
    "partition_total": lambda spark: _over_sales(spark, F.sum("v").over(Window.partitionBy("k")).alias("s")),
    "lag_lead": lambda spark: _over_sales(
        spark, F.lag("v").over(_by_k_t()).alias("p"), F.lead("v").over(_by_k_t()).alias("n")
    ),
    "rows_between": lambda spark: _over_sales(spark, F.sum("v").over(_by_k_t().rowsBetween(-1, 0)).alias("s")),
    "unbounded_frame": lambda spark: _over_sales(
        spark, F.max("v").over(_by_k_t().rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)).alias("m"),
    ),
    "with_column_window": lambda spark: _sales(spark)
    .withColumn("rn", F.row_number().over(Window.partitionBy("k").orderBy(F.desc("v"))))
    .where("rn = 1")
    .select("k", "v")
    .orderBy("k"),
}
