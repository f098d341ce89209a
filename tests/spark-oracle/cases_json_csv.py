"""JSON and CSV functions (issue 13): from_json / to_json / schema_of_json,
get_json_object, json_array_length, json_object_keys, from_csv / to_csv / schema_of_csv,
with Spark's result types, column names and formatting."""

import datetime

from pyspark.sql import Row
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, IntegerType, MapType, StringType, StructField, StructType

from frames import columns


def _json(spark):
    rows = [
        (1, '{"a": 1, "b": "x", "c": [1, 2], "d": {"e": 1.5}}'),
        (2, '{"a": "oops", "b": 2, "c": null}'),
        (3, "not json"),
        (4, None),
        (5, "{'a': 5, 'b': 'single'}"),
    ]
    return spark.createDataFrame(rows, "k INT, v STRING")


_STRUCT = "a INT, b STRING, c ARRAY<INT>, d STRUCT<e: DOUBLE>"


def _csv(spark):
    rows = [(1, "1,abc,2.5"), (2, '2,"x,y",'), (3, "x,,1e3"), (4, None)]
    return spark.createDataFrame(rows, "k INT, v STRING")


def _typed(spark):
    return spark.createDataFrame(
        [(1, Row(i=1, s="a\"b", d=1.5, f=None, t=True, day=datetime.date(2022, 2, 22), xs=[1, None], m={"k": 2}))],
        "k INT, v STRUCT<i: INT, s: STRING, d: DOUBLE, f: DOUBLE, t: BOOLEAN, day: DATE, xs: ARRAY<INT>, m: MAP<STRING, INT>>",
    )


CASES = {
    "from_json_ddl": lambda spark: _json(spark).select("k", F.from_json("v", _STRUCT).alias("j")).orderBy("k"),
    "from_json_ddl_columns": lambda spark: columns(_json(spark).select(F.from_json("v", _STRUCT))),
    "from_json_struct_type": lambda spark: _json(spark).select(
        "k", F.from_json("v", StructType([StructField("a", IntegerType()), StructField("b", StringType())]))
    ).orderBy("k"),
    "from_json_map": lambda spark: spark.createDataFrame([('{"z": 1, "a": 2}',), ('{"q": "x"}',)], "v STRING").select(
        F.from_json("v", "MAP<STRING,INT>").alias("m")
    ),
    "from_json_map_type": lambda spark: spark.createDataFrame([('{"z": 1}',)], "v STRING").select(
        F.from_json("v", MapType(StringType(), IntegerType())).alias("m")
    ),
    "from_json_array": lambda spark: spark.createDataFrame([("[1, 2, 3]",), ("[]",), ("{}",)], "v STRING").select(
        F.from_json("v", ArrayType(IntegerType())).alias("xs")
    ),
    "from_json_array_of_structs": lambda spark: spark.createDataFrame([('[{"a": 1}, {"a": 2}]',)], "v STRING").select(
        F.from_json("v", "ARRAY<STRUCT<a: INT>>").alias("xs")
    ),
    "from_json_unquoted_names": lambda spark: spark.createDataFrame([("{a:123}",)], "v STRING").select(
        F.from_json("v", "a INT").alias("strict"),
        F.from_json("v", "a INT", {"allowUnquotedFieldNames": "true"}).alias("unquoted"),
    ),
    "to_json_struct": lambda spark: _typed(spark).select(F.to_json("v")),
    "to_json_array_and_map": lambda spark: spark.createDataFrame(
        [([Row(a=1, b="x"), Row(a=None, b="y")], {"k": 1.5})], "xs ARRAY<STRUCT<a: INT, b: STRING>>, m MAP<STRING, DOUBLE>"
    ).select(F.to_json("xs"), F.to_json("m"), F.to_json(F.struct("xs", "m")).alias("both")),
    "to_json_date_format": lambda spark: _typed(spark).select(F.to_json("v", {"dateFormat": "yyyy/MM/dd"}).alias("j")),
    "schema_of_json": lambda spark: spark.range(1).select(
        F.schema_of_json(F.lit('{"a": 0, "b": [1.5, 2], "c": {"x": null}, "d": true}')),
        F.schema_of_json(F.lit('[{"col": 0}]')),
        F.schema_of_json("{a: 1}", {"allowUnquotedFieldNames": "true"}),
    ),
    "get_json_object": lambda spark: _json(spark).select(
        "k",
        F.get_json_object("v", "$.a").alias("a"),
        F.get_json_object("v", "$.c").alias("c"),
        F.get_json_object("v", "$.c[1]").alias("c1"),
        F.get_json_object("v", "$.d.e").alias("e"),
        F.get_json_object("v", "$.d").alias("d"),
    ).orderBy("k"),
    "get_json_object_wildcards": lambda spark: spark.createDataFrame(
        [('[{"f1": "value1"},{"f1": "value2"}]',), ('[{"f1": "value12"},{"f2": "value13"}]',)], "v STRING"
    ).select(F.get_json_object("v", "$[*].f1").alias("f1"), F.get_json_object("v", "$[*].f2").alias("f2")),
    "json_array_length_and_object_keys": lambda spark: spark.createDataFrame(
        [(None,), ("[1, 2, 3]",), ("[]",), ("{}",), ('{"key1": 1, "b": {"c": 2}}',), ("bad",)], "v STRING"
    ).select(F.json_array_length("v").alias("n"), F.json_object_keys("v").alias("keys")),
    "json_functions_columns": lambda spark: columns(
        spark.createDataFrame([("[1]",)], "v STRING").select(
            F.json_array_length("v"), F.json_object_keys("v"), F.get_json_object("v", "$[0]")
        )
    ),
    "from_csv": lambda spark: _csv(spark).select("k", F.from_csv("v", "a INT, b STRING, c DOUBLE").alias("r")).orderBy("k"),
    "from_csv_columns": lambda spark: columns(_csv(spark).select(F.from_csv("v", "a INT, b STRING, c DOUBLE"))),
    "from_csv_options": lambda spark: spark.createDataFrame([("1;2;3", "   abc")], "v STRING, w STRING").select(
        F.from_csv("v", "a INT, b INT, c INT", {"delimiter": ";"}),
        F.from_csv("w", "s STRING", {"ignoreLeadingWhiteSpace": True}),
    ),
    "from_csv_inferred_schema": lambda spark: spark.createDataFrame([("1,2,3",)], "v STRING").select(
        F.from_csv("v", F.schema_of_csv("1,2,3"))
    ),
    "to_csv": lambda spark: spark.createDataFrame(
        [(Row(age=2, name="Alice", scores=[100, 200], ok=True),), (Row(age=None, name="a,b", scores=[], ok=False),)],
        "v STRUCT<age: INT, name: STRING, scores: ARRAY<INT>, ok: BOOLEAN>",
    ).select(F.to_csv("v")),
    "to_csv_date": lambda spark: spark.createDataFrame(
        [(Row(day=datetime.date(2022, 2, 22), x=1.5),)], "v STRUCT<day: DATE, x: DOUBLE>"
    ).select(F.to_csv("v"), F.to_csv("v", {"sep": "|", "dateFormat": "dd.MM.yyyy"}).alias("custom")),
    "schema_of_csv": lambda spark: spark.range(1).select(
        F.schema_of_csv(F.lit("1|a|true"), {"sep": "|"}),
        F.schema_of_csv(F.lit('"1","a","true"')),
        F.schema_of_csv(F.lit("3000000000,1.5,2022-02-22,,x")),
    ),
}
