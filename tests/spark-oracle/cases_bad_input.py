"""Inputs where Flint once answered differently from Spark (issue 10): unsupported
function options, regex `split`, aggregates in `select`, decimal literals wider than 38
digits. Each case builds a DataFrame on a session; `record` runs them on real Spark and
commits the answers, tests/python/test_spark_oracle.py runs them on Flint."""

from pyspark.sql import functions as F
from pyspark.sql.window import Window


def _nullable_strings(spark):
    return spark.createDataFrame([(None,), ("b",), ("c",)], "x string")


def _split_input(spark):
    return spark.createDataFrame([("a1b22c333d",), ("a,b,,c,,",), ("",), (None,)], "s string")


CASES = {
    "first_ignorenulls": lambda spark: _nullable_strings(spark).select(F.first("x", ignorenulls=True)),
    "first_respects_nulls": lambda spark: _nullable_strings(spark).select(F.first("x")),
    "last_ignorenulls": lambda spark: _nullable_strings(spark).select(F.last("x", ignorenulls=True)),
    "first_ignorenulls_by_group": lambda spark: spark.createDataFrame(
        [(1, None), (1, "a"), (2, None), (2, None)], "k int, x string"
    )
    .groupBy("k")
    .agg(F.first("x", ignorenulls=True).alias("f"), F.last("x", ignorenulls=True).alias("l"))
    .orderBy("k"),
    "first_over_window": lambda spark: spark.range(5).select(
        "id", F.first("id").over(Window.orderBy("id")).alias("f")
    ),
    "split_regex": lambda spark: _split_input(spark).select(F.split("s", "[0-9]+").alias("parts")),
    "split_regex_limit_2": lambda spark: _split_input(spark).select(F.split("s", "[0-9]+", 2).alias("parts")),
    "split_comma_keeps_trailing_empties": lambda spark: _split_input(spark).select(F.split("s", ",").alias("parts")),
    "split_comma_limit_0": lambda spark: _split_input(spark).select(F.split("s", ",", 0).alias("parts")),
    "split_comma_limit_1": lambda spark: _split_input(spark).select(F.split("s", ",", 1).alias("parts")),
    "split_whitespace": lambda spark: spark.createDataFrame([("a  b\tc",)], "s string").select(
        F.split("s", "\\s+").alias("parts")
    ),
    "split_sql_dot_is_a_regex": lambda spark: spark.sql("SELECT split('a.b.c', '.') AS parts"),
    "split_sql_escaped_dot": lambda spark: spark.sql("SELECT split('a.b.c', '\\\\.') AS parts"),
    "split_sql_empty_pattern": lambda spark: spark.sql("SELECT split('abc', '') AS parts, split('abc', '', 2) AS two"),
    "select_sum_is_an_aggregate": lambda spark: spark.range(10).selectExpr("sum(id) AS s", "count(*) + 1 AS c"),
    "select_aggregate_expression": lambda spark: spark.range(10).select((F.max("id") - F.min("id")).alias("spread")),
    "decimal_literal_39_digits": lambda spark: spark.sql("SELECT 123456789012345678901234567890123456789 AS d"),
    "decimal_literal_40_digits_with_scale": lambda spark: spark.sql(
        "SELECT 123456789012345678901234567890123456789.0 AS d"
    ),
    "decimal_literal_39_fraction_digits": lambda spark: spark.sql(
        "SELECT 0.000000000000000000000000000000000000001 AS d"
    ),
    "decimal_literal_38_digits": lambda spark: spark.sql("SELECT 12345678901234567890123456789012345678 AS d"),
}

CASES.update(
    {
        "sql_string_backslash_escapes": lambda spark: spark.sql(
            "SELECT 'a\\tb' AS tab, 'it\\'s' AS quote, 'back\\\\slash' AS backslash, length('\\n') AS newline"
        ),
        "sql_regex_with_escaped_class": lambda spark: spark.sql(
            "SELECT regexp_replace('a1b22', '\\\\d+', '#') AS replaced, split('a1b', '\\\\d') AS parts"
        ),
    }
)
