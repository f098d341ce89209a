"""Window functions with partitionBy / orderBy / frames."""

import pytest
from pyspark.sql import Window
from pyspark.sql import functions as F
from helpers import rows


@pytest.fixture()
def sales(spark):
    return spark.createDataFrame(
        [("a", 1, 10), ("a", 2, 20), ("a", 3, 30), ("b", 1, 5), ("b", 2, 15)], "k STRING, t INT, v INT"
    )


def test_row_number(sales):
    w = Window.partitionBy("k").orderBy("t")
    out = sales.select("k", "t", F.row_number().over(w).alias("rn")).orderBy("k", "t")
    assert rows(out) == [("a", 1, 1), ("a", 2, 2), ("a", 3, 3), ("b", 1, 1), ("b", 2, 2)]


def test_rank_dense_rank(spark):
    df = spark.createDataFrame([(1,), (1,), (2,)], "v INT")
    w = Window.orderBy("v")
    out = df.select("v", F.rank().over(w).alias("r"), F.dense_rank().over(w).alias("d")).orderBy("v", "r")
    assert rows(out) == [(1, 1, 1), (1, 1, 1), (2, 3, 2)]


def test_running_sum(sales):
    w = Window.partitionBy("k").orderBy("t")
    out = sales.select("k", "t", F.sum("v").over(w).alias("s")).orderBy("k", "t")
    assert rows(out) == [("a", 1, 10), ("a", 2, 30), ("a", 3, 60), ("b", 1, 5), ("b", 2, 20)]


def test_partition_total(sales):
    w = Window.partitionBy("k")
    out = sales.select("k", "t", F.sum("v").over(w).alias("s")).orderBy("k", "t")
    assert rows(out) == [("a", 1, 60), ("a", 2, 60), ("a", 3, 60), ("b", 1, 20), ("b", 2, 20)]


def test_lag_lead(sales):
    w = Window.partitionBy("k").orderBy("t")
    out = sales.select("k", "t", F.lag("v").over(w).alias("p"), F.lead("v").over(w).alias("n")).orderBy("k", "t")
    assert rows(out) == [("a", 1, None, 20), ("a", 2, 10, 30), ("a", 3, 20, None), ("b", 1, None, 15), ("b", 2, 5, None)]


def test_rows_between(sales):
    w = Window.partitionBy("k").orderBy("t").rowsBetween(-1, 0)
    out = sales.select("k", "t", F.sum("v").over(w).alias("s")).orderBy("k", "t")
    assert rows(out) == [("a", 1, 10), ("a", 2, 30), ("a", 3, 50), ("b", 1, 5), ("b", 2, 20)]


def test_unbounded_frame(sales):
    w = Window.partitionBy("k").orderBy("t").rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    out = sales.select("k", "t", F.max("v").over(w).alias("m")).orderBy("k", "t")
    assert rows(out) == [("a", 1, 30), ("a", 2, 30), ("a", 3, 30), ("b", 1, 15), ("b", 2, 15)]


def test_with_column_window(sales):
    w = Window.partitionBy("k").orderBy(F.desc("v"))
    out = sales.withColumn("rn", F.row_number().over(w)).where("rn = 1").select("k", "v").orderBy("k")
    assert rows(out) == [("a", 30), ("b", 15)]
