"""What a session answers about DataFrames (moved from tests/python/test_session.py):
ranges, schemas, createDataFrame, show() and printSchema() output, and the values of
actions (head, take, first, isEmpty, ...) and of spark.version and spark.conf recorded as
one-row DataFrames."""

import datetime
from decimal import Decimal

from frames import columns, people, shown, values


def _typed(spark):
    return spark.createDataFrame(
        [(True, 1.5, Decimal("12.34"), datetime.date(2024, 1, 2), b"xy")],
        "b BOOLEAN, d DOUBLE, m DECIMAL(10,2), dt DATE, bin BINARY",
    )


def _nullability(df):
    return df.sparkSession.createDataFrame([(f.name, f.nullable) for f in df.schema.fields], "name STRING, nullable BOOLEAN")


def _actions(spark):
    df = spark.range(5)
    return values(
        spark,
        (df.first().id, "BIGINT"),
        ([r.id for r in df.head(2)], "ARRAY<BIGINT>"),
        ([r.id for r in df.take(3)], "ARRAY<BIGINT>"),
        (spark.range(0).isEmpty(), "BOOLEAN"),
        (spark.range(1).isEmpty(), "BOOLEAN"),
    )


def _plan_answers(spark):
    df = spark.range(1)
    return values(
        spark,
        (spark.range(3).sameSemantics(spark.range(3)), "BOOLEAN"),
        (spark.range(3).sameSemantics(spark.range(4)), "BOOLEAN"),
        (df.isLocal(), "BOOLEAN"),
        (df.isStreaming, "BOOLEAN"),
        (list(df.inputFiles()), "ARRAY<STRING>"),
    )


def _conf_answers(spark):
    spark.conf.set("spark.flint.test.key", "v1")
    spark.conf.set("spark.flint.test.unset", "x")
    spark.conf.unset("spark.flint.test.unset")
    return values(
        spark,
        (spark.version, "STRING"),
        (spark.conf.get("spark.flint.test.key"), "STRING"),
        (spark.conf.get("spark.flint.missing", "fallback"), "STRING"),
        (spark.conf.get("spark.flint.test.unset", None), "STRING"),
        (spark.conf.isModifiable("spark.sql.shuffle.partitions"), "BOOLEAN"),
    )


CASES = {
    "range_end": lambda spark: spark.range(3),
    "range_start_end_step": lambda spark: spark.range(2, 10, 3),
    "range_negative_step": lambda spark: spark.range(10, 2, -3),
    "range_columns": lambda spark: columns(spark.range(1)),
    "range_nullability": lambda spark: _nullability(spark.range(1)),
    "range_count": lambda spark: spark.range(1000).groupBy().count(),
    "people_columns": lambda spark: columns(people(spark)),
    "print_schema": lambda spark: values(spark, (people(spark).select("id", "name").schema.treeString(), "STRING")),
    "show": lambda spark: shown(spark.range(3)),
    "show_truncates": lambda spark: shown(spark.createDataFrame([("a" * 30,)], "s STRING")),
    "show_no_truncate": lambda spark: shown(spark.createDataFrame([("a" * 25,)], "s STRING"), truncate=False),
    "show_vertical": lambda spark: shown(
        spark.createDataFrame([(1, "Alice"), (2, None)], "id INT, name STRING"), vertical=True
    ),
    "create_dataframe_inferred": lambda spark: spark.createDataFrame([(1, "a"), (2, "b")], ["n", "s"]).orderBy("n"),
    "create_dataframe_inferred_columns": lambda spark: columns(spark.createDataFrame([(1, "a"), (2, "b")], ["n", "s"])),
    "create_dataframe_from_dicts": lambda spark: spark.createDataFrame([{"a": 1, "b": 2.5}]).select("a", "b"),
    "create_dataframe_empty_with_schema": lambda spark: spark.createDataFrame([], "a INT, b STRING"),
    "create_dataframe_empty_with_schema_columns": lambda spark: columns(spark.createDataFrame([], "a INT, b STRING")),
    "create_dataframe_types": _typed,
    "create_dataframe_types_columns": lambda spark: columns(_typed(spark)),
    "create_dataframe_many_rows": lambda spark: spark.createDataFrame(
        [(i, f"name-{i}") for i in range(20000)], "n INT, s STRING"
    ).where("n = 19999 OR n = 0").orderBy("n"),
    "to_pandas": lambda spark: spark.createDataFrame(people(spark).select("id", "name").orderBy("id").toPandas()),
    "actions": _actions,
    "plan_answers": _plan_answers,
    "conf_answers": _conf_answers,
    "show_n_rows": lambda spark: shown(spark.range(5), 2),
    "show_vertical_more_rows": lambda spark: shown(spark.range(3), 1, vertical=True),
}
