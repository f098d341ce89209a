"""groupBy / agg, rollup, cube, pivot and aggregate naming."""

from pyspark.sql import functions as F
from helpers import rows, schema_of, sorted_rows


def test_count(people):
    assert people.count() == 5


def test_group_by_count(people):
    out = people.groupBy("dept").count().orderBy("dept")
    assert out.columns == ["dept", "count"]
    assert rows(out) == [(None, 1), ("eng", 2), ("ops", 2)]


def test_agg_names(people):
    out = people.agg(F.sum("age"), F.min("age"), F.max("age"), F.count("age"))
    assert out.columns == ["sum(age)", "min(age)", "max(age)", "count(age)"]
    assert rows(out) == [(160, 29, 52, 4)]


def test_sum_type_is_bigint(people):
    assert schema_of(people.agg(F.sum("age"))) == [("sum(age)", "bigint")]


def test_avg(people):
    out = people.groupBy("dept").agg(F.avg("age").alias("a")).orderBy("dept")
    assert rows(out) == [(None, 52.0), ("eng", 31.5), ("ops", 45.0)]


def test_avg_name(people):
    assert people.agg(F.avg("age")).columns == ["avg(age)"]


def test_mean_is_avg(people):
    assert rows(people.agg(F.mean("age"))) == [(40.0,)]


def test_count_star(people):
    out = people.agg(F.count("*"))
    assert out.columns == ["count(1)"]
    assert rows(out) == [(5,)]


def test_count_distinct(people):
    out = people.agg(F.countDistinct("dept"))
    assert rows(out) == [(2,)]


def test_count_distinct_name(people):
    assert people.agg(F.count_distinct("dept")).columns == ["count(DISTINCT dept)"]


def test_group_by_multiple_keys(spark):
    df = spark.createDataFrame([("a", 1, 10), ("a", 1, 5), ("a", 2, 1), ("b", 1, 7)], "k STRING, j INT, v INT")
    out = df.groupBy("k", "j").agg(F.sum("v").alias("s")).orderBy("k", "j")
    assert rows(out) == [("a", 1, 15), ("a", 2, 1), ("b", 1, 7)]


def test_group_by_dict_agg(people):
    out = people.groupBy("dept").agg({"age": "max"}).orderBy("dept")
    assert out.columns == ["dept", "max(age)"]
    assert rows(out) == [(None, 52), ("eng", 34), ("ops", 45)]


def test_grouped_shortcuts(people):
    assert rows(people.groupBy("dept").max("age").orderBy("dept")) == [(None, 52), ("eng", 34), ("ops", 45)]
    assert rows(people.groupBy("dept").sum("age").orderBy("dept")) == [(None, 52), ("eng", 63), ("ops", 45)]


def test_group_by_expression(spark):
    df = spark.range(10)
    out = df.groupBy((F.col("id") % 2).alias("parity")).agg(F.count("*").alias("n")).orderBy("parity")
    assert rows(out) == [(0, 5), (1, 5)]


def test_having_via_filter(people):
    out = people.groupBy("dept").agg(F.count("*").alias("n")).where("n > 1").orderBy("dept")
    assert rows(out) == [("eng", 2), ("ops", 2)]


def test_collect_list_and_set(spark):
    df = spark.createDataFrame([("a", 1), ("a", 1), ("a", 2)], "k STRING, v INT")
    out = df.groupBy("k").agg(F.sort_array(F.collect_list("v")).alias("l"), F.sort_array(F.collect_set("v")).alias("s"))
    assert rows(out) == [("a", [1, 1, 2], [1, 2])]


def test_first_last(spark):
    df = spark.createDataFrame([(1,)], "v INT")
    assert rows(df.agg(F.first("v").alias("f"), F.last("v").alias("l"))) == [(1, 1)]


def test_stddev_variance(spark):
    df = spark.createDataFrame([(1.0,), (2.0,), (3.0,), (4.0,)], "v DOUBLE")
    out = df.agg(F.round(F.stddev("v"), 4).alias("s"), F.round(F.variance("v"), 4).alias("v"))
    assert rows(out) == [(1.291, 1.6667)]


def test_rollup(spark):
    df = spark.createDataFrame([("a", "x", 1), ("a", "y", 2), ("b", "x", 3)], "k STRING, j STRING, v INT")
    out = df.rollup("k").agg(F.sum("v").alias("s"))
    assert sorted_rows(out) == [(None, 6), ("a", 3), ("b", 3)]


def test_cube(spark):
    df = spark.createDataFrame([("a", "x", 1), ("b", "y", 2)], "k STRING, j STRING, v INT")
    out = df.cube("k", "j").agg(F.sum("v").alias("s"))
    assert sorted_rows(out) == [
        (None, None, 3), (None, "x", 1), (None, "y", 2), ("a", None, 1), ("a", "x", 1), ("b", None, 2), ("b", "y", 2)
    ]


def test_pivot_with_values(spark):
    df = spark.createDataFrame([("a", "x", 1), ("a", "y", 2), ("b", "x", 3)], "k STRING, j STRING, v INT")
    out = df.groupBy("k").pivot("j", ["x", "y"]).agg(F.sum("v")).orderBy("k")
    assert out.columns == ["k", "x", "y"]
    assert rows(out) == [("a", 1, 2), ("b", 3, None)]


def test_pivot_discovers_values(spark):
    df = spark.createDataFrame([("a", "x", 1), ("a", "y", 2), ("b", "x", 3)], "k STRING, j STRING, v INT")
    out = df.groupBy("k").pivot("j").sum("v").orderBy("k")
    assert out.columns == ["k", "x", "y"]
    assert rows(out) == [("a", 1, 2), ("b", 3, None)]


def test_empty_group_by(spark):
    df = spark.createDataFrame([], "k STRING, v INT")
    assert rows(df.groupBy("k").count()) == []
