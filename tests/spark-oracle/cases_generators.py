"""Generators and DataFrame stat functions (issue 13): explode, posexplode, inline,
stack and their `_outer` forms in a select and as table-valued functions, with Spark's
column names and its treatment of null and empty collections; crosstab and freqItems.
`record` runs them on real Spark, tests/python/test_spark_oracle.py on Flint."""

from pyspark.sql import functions as F


def _arrays(spark):
    return spark.sql("SELECT * FROM VALUES (1, ARRAY(1, 2, 3, NULL)), (2, ARRAY()), (3, NULL) AS t(i, a)")


def _maps(spark):
    return spark.sql("SELECT * FROM VALUES (1, MAP('x', 2, 'y', NULL)), (2, MAP()), (3, NULL) AS t(i, m)")


def _structs(spark):
    return spark.sql(
        "SELECT * FROM VALUES (1, ARRAY(NAMED_STRUCT('a', 1, 'b', 'p'), NULL, NAMED_STRUCT('a', 3, 'b', 'q'))),"
        " (2, ARRAY()), (3, NULL) AS t(i, s)"
    )


def _pairs(spark):
    return spark.createDataFrame([(1, 11), (1, 11), (3, 10), (4, 8), (4, 8), (None, 8)], "c1 int, c2 int")


CASES = {
    "explode_array_drops_null_and_empty": lambda spark: _arrays(spark).select("i", F.explode("a")),
    "explode_outer_array_keeps_null_and_empty": lambda spark: _arrays(spark).select("i", F.explode_outer("a")),
    "explode_alias": lambda spark: _arrays(spark).select(F.explode("a").alias("v"), "i"),
    "explode_map": lambda spark: _maps(spark).select("i", F.explode("m")),
    "explode_outer_map": lambda spark: _maps(spark).select("i", F.explode_outer("m")),
    "explode_map_aliases": lambda spark: _maps(spark).select(F.explode("m").alias("k", "v")),
    "posexplode_array": lambda spark: _arrays(spark).select("i", F.posexplode("a")),
    "posexplode_outer_array": lambda spark: _arrays(spark).select("i", F.posexplode_outer("a")),
    "posexplode_map": lambda spark: _maps(spark).select("i", F.posexplode("m")),
    "posexplode_outer_map": lambda spark: _maps(spark).select(F.posexplode_outer("m"), "i"),
    "inline_with_null_struct": lambda spark: _structs(spark).select("i", F.inline("s")),
    "inline_outer": lambda spark: _structs(spark).select("i", F.inline_outer("s")),
    "inline_aliases": lambda spark: _structs(spark).select(F.inline("s").alias("x", "y")),
    "stack_pads_with_nulls": lambda spark: spark.createDataFrame([(1, 2, 3)], "a int, b int, c int").select(
        "a", F.stack(F.lit(2), "a", "b", "c")
    ),
    "stack_aliases": lambda spark: spark.createDataFrame([(1, "x", 2, "y")], "a int, b string, c int, d string").select(
        F.stack(F.lit(2), "a", "b", "c", "d").alias("n", "s")
    ),
    "explode_then_explode": lambda spark: spark.sql("SELECT ARRAY(1, 2) AS a1, ARRAY(3, 4, 5) AS a2")
    .select("*", F.explode("a1").alias("v1"))
    .select("v1", F.explode("a2").alias("v2")),
    "explode_after_filter": lambda spark: _arrays(spark).where("i < 3").select(F.explode_outer("a")),
    "two_generators_fail": lambda spark: _arrays(spark).select(F.explode("a"), F.posexplode("a")),
    "explode_of_int_fails": lambda spark: _arrays(spark).select(F.explode("i")),
    "alias_count_mismatch_fails": lambda spark: _maps(spark).select(F.explode("m").alias("only_one")),
    "tvf_explode": lambda spark: spark.tvf.explode(F.array(F.lit(1), F.lit(2), F.lit(3))),
    "tvf_explode_outer_empty": lambda spark: spark.tvf.explode_outer(F.array().cast("array<int>")),
    "tvf_posexplode_map": lambda spark: spark.tvf.posexplode(F.create_map(F.lit("a"), F.lit("b"))),
    "tvf_inline": lambda spark: spark.tvf.inline(
        F.array(F.struct(F.lit(1).alias("a"), F.lit("x").alias("b")), F.struct(F.lit(2), F.lit("y")))
    ),
    "tvf_stack": lambda spark: spark.tvf.stack(F.lit(2), F.lit(1), F.lit(2), F.lit(3)),
    "crosstab": lambda spark: _pairs(spark).crosstab("c1", "c2").orderBy("c1_c2"),
    "freq_items_all_distinct": lambda spark: _pairs(spark)
    .freqItems(["c1", "c2"])
    .select(F.sort_array("c1_freqItems").alias("c1"), F.sort_array("c2_freqItems").alias("c2")),
}
