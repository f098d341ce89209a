"""groupBy / agg, rollup, cube, pivot and aggregate naming (formerly in
tests/python/test_aggregate.py): each answer's rows, and with `_columns` the names and
types Spark gives the columns."""

from pyspark.sql import functions as F

from frames import columns, people


def _kjv(spark):
    return spark.createDataFrame([("a", "x", 1), ("a", "y", 2), ("b", "x", 3)], "k STRING, j STRING, v INT")


def _agg_names(spark):
    return people(spark).agg(F.sum("age"), F.min("age"), F.max("age"), F.count("age"))


def _pivot_with_values(spark):
    return _kjv(spark).groupBy("k").pivot("j", ["x", "y"]).agg(F.sum("v")).orderBy("k")


def _pivot_discovers_values(spark):
    return _kjv(spark).groupBy("k").pivot("j").sum("v").orderBy("k")


CASES = {
    "count": lambda spark: people(spark).groupBy().count(),
    "group_by_count": lambda spark: people(spark).groupBy("dept").count().orderBy("dept"),
    "group_by_count_columns": lambda spark: columns(people(spark).groupBy("dept").count()),
    "agg_names": _agg_names,
    "agg_names_columns": lambda spark: columns(_agg_names(spark)),
    "avg": lambda spark: people(spark).groupBy("dept").agg(F.avg("age").alias("a")).orderBy("dept"),
    "avg_columns": lambda spark: columns(people(spark).agg(F.avg("age"))),
    "mean_is_avg": lambda spark: people(spark).agg(F.mean("age")),
    "count_star": lambda spark: people(spark).agg(F.count("*")),
    "count_star_columns": lambda spark: columns(people(spark).agg(F.count("*"))),
    "count_distinct": lambda spark: people(spark).agg(F.countDistinct("dept")),
    "count_distinct_columns": lambda spark: columns(people(spark).agg(F.count_distinct("dept"))),
    "group_by_multiple_keys": lambda spark: spark.createDataFrame(
        [("a", 1, 10), ("a", 1, 5), ("a", 2, 1), ("b", 1, 7)], "k STRING, j INT, v INT"
    )
    .groupBy("k", "j")
    .agg(F.sum("v").alias("s"))
    .orderBy("k", "j"),
    "group_by_dict_agg": lambda spark: people(spark).groupBy("dept").agg({"age": "max"}).orderBy("dept"),
    "group_by_dict_agg_columns": lambda spark: columns(people(spark).groupBy("dept").agg({"age": "max"})),
    "grouped_max": lambda spark: people(spark).groupBy("dept").max("age").orderBy("dept"),
    "grouped_sum": lambda spark: people(spark).groupBy("dept").sum("age").orderBy("dept"),
    "grouped_shortcuts_columns": lambda spark: columns(people(spark).groupBy("dept").sum("age")),
    "group_by_expression": lambda spark: spark.range(10)
    .groupBy((F.col("id") % 2).alias("parity"))
    .agg(F.count("*").alias("n"))
    .orderBy("parity"),
    "having_via_filter": lambda spark: people(spark)
    .groupBy("dept")
    .agg(F.count("*").alias("n"))
    .where("n > 1")
    .orderBy("dept"),
    "collect_list_and_set": lambda spark: spark.createDataFrame([("a", 1), ("a", 1), ("a", 2)], "k STRING, v INT")
    .groupBy("k")
    .agg(F.sort_array(F.collect_list("v")).alias("l"), F.sort_array(F.collect_set("v")).alias("s")),
    "first_last_of_one_row": lambda spark: spark.createDataFrame([(1,)], "v INT").agg(
        F.first("v").alias("f"), F.last("v").alias("l")
    ),
    "stddev_variance": lambda spark: spark.createDataFrame([(1.0,), (2.0,), (3.0,), (4.0,)], "v DOUBLE").agg(
        F.round(F.stddev("v"), 4).alias("s"), F.round(F.variance("v"), 4).alias("v")
    ),
    "rollup": lambda spark: _kjv(spark).rollup("k").agg(F.sum("v").alias("s")).orderBy("k"),
    "cube": lambda spark: spark.createDataFrame([("a", "x", 1), ("b", "y", 2)], "k STRING, j STRING, v INT")
    .cube("k", "j")
    .agg(F.sum("v").alias("s"))
    .orderBy("k", "j"),
    "pivot_with_values": _pivot_with_values,
    "pivot_with_values_columns": lambda spark: columns(_pivot_with_values(spark)),
    "pivot_discovers_values": _pivot_discovers_values,
    "pivot_discovers_values_columns": lambda spark: columns(_pivot_discovers_values(spark)),
    "empty_group_by": lambda spark: spark.createDataFrame([], "k STRING, v INT").groupBy("k").count(),
}
