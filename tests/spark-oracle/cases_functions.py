"""Spark built-in functions people use (formerly in tests/python/test_functions.py): each
answer's rows, and with `_columns` the names and types Spark gives the columns."""

import datetime

from pyspark.sql import functions as F

from frames import columns, people



def _day():
    return F.lit(datetime.date(2024, 3, 15))


def _array():
    return F.array(F.lit(3), F.lit(1), F.lit(2))


def _one(cols):
    """A case selecting the columns `cols()` gives over one row (built in the case, once a
    session exists)."""
    return lambda spark: spark.range(1).select(*cols())


def _named(spark):
    return spark.createDataFrame([("a",)], "s STRING").select(F.upper("s"), F.concat("s", F.lit("x")))


CASES = {
    "upper_lower_length": _one(lambda: [F.upper(F.lit("Hello")), F.lower(F.lit("Hello")), F.length(F.lit("Hello"))]),
    "concat_and_concat_ws": _one(lambda: [F.concat(F.lit("a"), F.lit("b")), F.concat_ws("-", F.lit("a"), F.lit("b"))]),
    "substring": _one(lambda: [F.substring(F.lit("abcdef"), 2, 3)]),
    "trim": _one(lambda: [F.trim(F.lit("  x  ")), F.ltrim(F.lit(" x")), F.rtrim(F.lit("x "))]),
    "regexp_replace": _one(lambda: [F.regexp_replace(F.lit("a1b22"), r"\d+", "#")]),
    "split": _one(lambda: [F.split(F.lit("a,b,c"), ",")]),
    "lpad_rpad": _one(lambda: [F.lpad(F.lit("7"), 3, "0"), F.rpad(F.lit("7"), 3, "x")]),
    "initcap_reverse": _one(lambda: [F.initcap(F.lit("hello world")), F.reverse(F.lit("abc"))]),
    "math": _one(lambda: [F.abs(F.lit(-3)), F.sqrt(F.lit(16.0)), F.pow(F.lit(2.0), F.lit(3.0))]),
    "math_columns": lambda spark: columns(
        spark.range(1).select(F.abs(F.lit(-3)), F.sqrt(F.lit(16.0)), F.pow(F.lit(2.0), F.lit(3.0)))
    ),
    "round_floor_ceil": _one(lambda: [F.round(F.lit(2.567), 2), F.floor(F.lit(2.5)), F.ceil(F.lit(2.1))]),
    "round_floor_ceil_columns": lambda spark: columns(
        spark.range(1).select(F.round(F.lit(2.567), 2), F.floor(F.lit(2.5)), F.ceil(F.lit(2.1)))
    ),
    "greatest_least": _one(lambda: [F.greatest(F.lit(1), F.lit(5), F.lit(3)), F.least(F.lit(4), F.lit(2))]),
    "coalesce": _one(lambda: [F.coalesce(F.lit(None), F.lit(7))]),
    "nvl_isnull": lambda spark: people(spark)
    .orderBy("id")
    .select(F.coalesce("age", F.lit(0)).alias("a"), F.isnull("age").alias("n")),
    "year_month_dayofmonth": _one(lambda: [F.year(_day()), F.month(_day()), F.dayofmonth(_day())]),
    "date_add_sub": _one(lambda: [F.date_add(_day(), 1), F.date_sub(_day(), 15)]),
    "datediff": _one(lambda: [F.datediff(_day(), F.lit(datetime.date(2024, 3, 1)))]),
    "to_date": _one(lambda: [F.to_date(F.lit("2024-01-31"))]),
    "current_date_columns": lambda spark: columns(spark.range(1).select(F.current_date())),
    "array_functions": _one(lambda: [F.size(_array()), F.array_contains(_array(), 2), F.sort_array(_array())]),
    "md5": _one(lambda: [F.md5(F.lit("a"))]),
    "string_column_functions": lambda spark: people(spark)
    .where("id = 1")
    .select(F.upper("name").alias("u"), F.length("name").alias("n")),
    "expr_with_sql_functions": lambda spark: people(spark).where("id = 2").select(F.expr("concat(name, '!')").alias("x")),
    "function_names_columns": lambda spark: columns(_named(spark)),
    "explode": _one(lambda: [F.explode(F.array(F.lit(1), F.lit(2)))]),
    "explode_columns": lambda spark: columns(spark.range(1).select(F.explode(F.array(F.lit(1), F.lit(2))))),
    "explode_with_other_columns": lambda spark: spark.createDataFrame([("a", [1, 2]), ("b", [3])], "k STRING, vs ARRAY<INT>")
    .select("k", F.explode("vs").alias("v"))
    .orderBy("k", "v"),
}
