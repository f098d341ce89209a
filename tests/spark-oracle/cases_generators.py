"""Generators (issue 13): explode, posexplode, inline, stack and their `_outer` forms in a
select, several in one select, and as table-valued functions, with Spark's column names and
its treatment of null and empty collections. `record` runs them on real Spark,
tests/python/test_spark_oracle.py on Flint."""

from frames import columns
from pyspark.sql import functions as F


def _arrays(spark):
    return spark.createDataFrame([(1, [1, 2, 3, None]), (2, []), (3, None)], "i int, a array<int>")


def _maps(spark):
    return spark.createDataFrame([(1, {"x": 2, "y": None}), (2, {}), (3, None)], "i int, m map<string,int>")


def _structs(spark):
    return spark.createDataFrame(
        [(1, [(1, "p"), None, (3, "q")]), (2, []), (3, None)], "i int, s array<struct<a:int,b:string>>"
    )


def _json(spark):
    return spark.createDataFrame(
        [("1", '{"f1": "value1", "f2": "value2"}'), ("2", '{"f1": "value12"}'), ("3", None), ("4", "not json")],
        "key string, j string",
    )


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
    "two_generators_nest": lambda spark: _arrays(spark).select(
        "i", F.explode("a").alias("x"), F.posexplode("a").alias("p", "y")
    ),
    "explode_outer_then_stack": lambda spark: _arrays(spark).select(
        F.explode_outer("a").alias("x"), F.stack(F.lit(2), "i", F.col("i") + 10), "i"
    ),
    "stack_more_rows_than_values": lambda spark: spark.createDataFrame([(1, 2, 3)], "a int, b int, c int").select(
        "*", F.stack(F.lit(4), "a", "b", "c")
    ),
    "explode_struct_then_star": lambda spark: spark.sql(
        "SELECT ARRAY(NAMED_STRUCT('a', 1, 'b', 2), NAMED_STRUCT('a', 3, 'b', 4)) AS a"
    )
    .select(F.explode("a").alias("s"))
    .select("s.*"),
    "explode_of_int_fails": lambda spark: _arrays(spark).select(F.explode("i")),
    "alias_count_mismatch_fails": lambda spark: _maps(spark).select(F.explode("m").alias("only_one")),
    "tvf_explode": lambda spark: spark.tvf.explode(F.array(F.lit(1), F.lit(2), F.lit(3))),
    "tvf_explode_outer_empty": lambda spark: spark.tvf.explode_outer(F.array().cast("array<int>")),
    "tvf_posexplode_map": lambda spark: spark.tvf.posexplode(F.create_map(F.lit("a"), F.lit("b"))),
    "tvf_inline": lambda spark: spark.tvf.inline(
        F.array(
            F.struct(F.lit(1).alias("a"), F.lit("x").alias("b")), F.struct(F.lit(2).alias("a"), F.lit("y").alias("b"))
        )
    ),
    "tvf_inline_outer_empty": lambda spark: spark.tvf.inline_outer(
        F.array().cast("array<struct<a:int,b:string>>")
    ),
    "tvf_posexplode_outer_null": lambda spark: spark.tvf.posexplode_outer(F.lit(None).cast("array<int>")),
    "tvf_stack": lambda spark: spark.tvf.stack(F.lit(2), F.lit(1), F.lit(2), F.lit(3)),
    "explode_map_columns": lambda spark: columns(_maps(spark).select("i", F.explode("m"))),
    "posexplode_outer_array_columns": lambda spark: columns(_arrays(spark).select("i", F.posexplode_outer("a"))),
    "inline_columns": lambda spark: columns(_structs(spark).select("*", F.inline("s"))),
    "stack_columns": lambda spark: columns(
        spark.createDataFrame([(1, "x", 2, "y")], "a int, b string, c int, d string").select(
            F.stack(F.lit(2), "a", "b", "c", "d")
        )
    ),
    "two_generators_columns": lambda spark: columns(
        _arrays(spark).select("i", F.explode("a").alias("x"), F.posexplode("a").alias("p", "y"))
    ),
    "tvf_posexplode_map_columns": lambda spark: columns(spark.tvf.posexplode(F.create_map(F.lit("a"), F.lit("b")))),
    "json_tuple": lambda spark: _json(spark).select("key", F.json_tuple("j", "f1", "f2")),
    "json_tuple_columns": lambda spark: columns(_json(spark).select("key", F.json_tuple("j", "f1", "f2"))),
    "tvf_json_tuple": lambda spark: spark.tvf.json_tuple(
        F.lit('{"f1": "value1", "f2": "value2"}'), F.lit("f1"), F.lit("f2")
    ),
}
