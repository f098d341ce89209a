"""Spark functions where Flint once gave a silent wrong answer (issue 13): trims with a
trim string, json_tuple's columns, logarithms of zero and negatives, concat of arrays,
the null order of array sorts, null semantics of array functions, first/last names,
element_at out of range, aggregates in selectExpr. Each case
builds a DataFrame on a session; `record` runs them on real Spark and commits the
answers, tests/python/test_spark_oracle.py runs them on Flint."""

from pyspark.sql import functions as F


def _names(spark, *dfs):
    """The column names of `dfs`, as rows (the oracle compares rows, not names). Columns
    Spark names alike (`ln(x)` for both `ln` and `log`) come from separate selects: Flint
    cannot yet select two columns of one name."""
    return spark.createDataFrame([(name,) for df in dfs for name in df.columns], "name string")


def _strings(spark):
    return spark.createDataFrame([("xxabcxx",), ("  a  ",), (None,)], "s string")


def _trims(spark):
    return _strings(spark).select(
        F.ltrim("s", F.lit("x")), F.rtrim("s", F.lit("x")), F.trim("s", F.lit("x")), F.ltrim("s"), F.trim("s")
    )


def _json(spark):
    return spark.createDataFrame([('{"a":1,"b":"x"}',), (None,), ('{"a":2}',)], "j string")


def _doubles(spark):
    return spark.createDataFrame([(0.0,), (-1.0,), (1.0,), (100.0,), (None,)], "x double")


def _logs(spark):
    return _doubles(spark).select(F.ln("x"), F.log10("x"), F.log2("x"), F.log(2.0, "x"), F.log1p("x"))


def _natural_log(spark):
    return _doubles(spark).select(F.log("x"))


def _arrays(spark):
    return spark.createDataFrame([([1, 2], [3, None]), ([1], None), (None, [2])], "a array<int>, b array<int>")


def _unsorted(spark):
    return spark.createDataFrame([([3, None, 1, 2],), ([],), (None,)], "a array<int>")


def _overlapping(spark):
    return spark.createDataFrame(
        [([1, 2], [2, 3]), ([1, None], [3]), ([1], [3]), ([1, None], [1]), ([], [None]), (None, [1]), ([None], [None])],
        "a array<int>, b array<int>",
    )


def _nested(spark):
    return spark.createDataFrame([([[1, 2], [3]],), ([[1], None],), (None,), ([[None]],)], "a array<array<int>>")


def _nullable_ints(spark):
    return spark.createDataFrame([(None,), (1,), (2,), (None,)], "x int").coalesce(1)


def _pair(spark):
    return spark.createDataFrame([([1, 2],)], "a array<int>")


CASES = {
    "trim_with_trim_string": _trims,
    "trim_with_trim_string_names": lambda spark: _names(spark, _trims(spark)),
    "trim_sql_forms": lambda spark: spark.sql(
        "SELECT trim(LEADING 'x' FROM 'xxaxx') AS l, trim(BOTH 'x' FROM 'xxaxx') AS b, "
        "trim(TRAILING 'x' FROM 'xxaxx') AS t, trim('  a ') AS plain, ltrim(' a ') AS lt, rtrim(' a ') AS rt, "
        "btrim('xyabcyx', 'xy') AS bt"
    ),
    "trim_sql_trim_string_first": lambda spark: spark.sql(
        "SELECT ltrim('xy', 'xyabcyx') AS l, rtrim('xy', 'xyabcyx') AS r, trim('xy', 'xyabcyx') AS b"
    ),
    "json_tuple_columns": lambda spark: _json(spark).select(F.json_tuple("j", "a", "b")),
    "json_tuple_column_names": lambda spark: _names(spark, _json(spark).select(F.json_tuple("j", "a", "b"))),
    "logs_of_zero_and_negatives": _logs,
    "natural_log_of_zero_and_negatives": _natural_log,
    "logs_names": lambda spark: _names(spark, _logs(spark), _natural_log(spark)),
    "logs_sql": lambda spark: spark.sql(
        "SELECT ln(0) AS a, log(0) AS b, log10(-1) AS c, log2(0) AS d, log(10, 0) AS e, log(0, 10) AS f, "
        "log(1, 10) AS g, log(-1, 10) AS h, ln(1) AS i, log(100) AS j, log(10, 100) AS k"
    ),
    "concat_arrays": lambda spark: _arrays(spark).select(F.concat("a", "b")),
    "concat_strings_null": lambda spark: spark.createDataFrame([("a", None), ("a", "b")], "a string, b string").select(
        F.concat("a", "b")
    ),
    "array_sort_nulls_last": lambda spark: _unsorted(spark).select(F.array_sort("a").alias("s")),
    "sort_array_nulls": lambda spark: _unsorted(spark).select(
        F.sort_array("a").alias("asc"), F.sort_array("a", asc=False).alias("desc")
    ),
    "array_sort_sql": lambda spark: spark.sql(
        "SELECT array_sort(array(3, NULL, 1)) AS s, sort_array(array(3, NULL, 1)) AS a, "
        "sort_array(array(3, NULL, 1), false) AS d"
    ),
    "arrays_overlap_nulls": lambda spark: _overlapping(spark).select(F.arrays_overlap("a", "b")),
    "array_append_nulls": lambda spark: spark.createDataFrame(
        [([1, 2], 3), ([1], None), (None, 1)], "a array<int>, b int"
    ).select(F.array_append("a", F.col("b"))),
    "array_prepend_nulls": lambda spark: spark.createDataFrame(
        [([1, 2], 3), ([1], None), (None, 1)], "a array<int>, b int"
    ).select(F.array_prepend("a", F.col("b"))),
    "array_append_prepend_sql": lambda spark: spark.sql(
        "SELECT array_append(array(1, 2), 3) AS a, array_prepend(array(1, 2), 0) AS p, "
        "array_append(CAST(NULL AS ARRAY<INT>), 1) AS na, array_prepend(CAST(NULL AS ARRAY<INT>), 1) AS np"
    ),
    "flatten_nulls": lambda spark: _nested(spark).select(F.flatten("a")),
    "first_last_nulls": lambda spark: _nullable_ints(spark).select(
        F.first("x"), F.last("x"), F.first("x", True).alias("fi"), F.last("x", True).alias("li")
    ),
    "first_last_names": lambda spark: _names(
        spark,
        _nullable_ints(spark).select(F.first("x"), F.last("x")),
        _nullable_ints(spark).select(F.first("x", True), F.last("x", True)),
    ),
    "element_at_out_of_range": lambda spark: _pair(spark).select(F.element_at("a", 5)),
    "element_at_negative_out_of_range": lambda spark: _pair(spark).select(F.element_at("a", -3)),
    "element_at_zero": lambda spark: _pair(spark).select(F.element_at("a", 0)),
    "element_at_in_range": lambda spark: _pair(spark).select(F.element_at("a", 1), F.element_at("a", -1)),
    "try_element_at_out_of_range": lambda spark: _pair(spark).select(
        F.try_element_at("a", F.lit(5)), F.try_element_at("a", F.lit(-3)), F.try_element_at("a", F.lit(2))
    ),
    "try_element_at_zero": lambda spark: _pair(spark).select(F.try_element_at("a", F.lit(0))),
    "element_at_missing_map_key": lambda spark: spark.sql(
        "SELECT element_at(map(1, 'a'), 2) AS e, try_element_at(map(1, 'a'), 2) AS t, element_at(map(1, 'a'), 1) AS f"
    ),
    "try_arithmetic_integers": lambda spark: spark.createDataFrame(
        [(6000, 15), (3, 0), (None, 1)], "a int, b int"
    ).select(
        F.try_add("a", "b"), F.try_subtract("a", "b"), F.try_multiply("a", "b"), F.try_divide("a", "b"),
        F.try_mod("a", "b"),
    ),
    "try_arithmetic_overflow": lambda spark: spark.range(1).select(
        F.try_add(F.lit(9223372036854775807), F.lit(1)).alias("add"),
        F.try_subtract(F.lit(-9223372036854775807), F.lit(2)).alias("sub"),
        F.try_multiply(F.lit(9223372036854775807), F.lit(2)).alias("mul"),
        F.try_add(F.lit(2147483647), F.lit(1)).alias("int_add"),
    ),
    "try_arithmetic_doubles_and_dates": lambda spark: spark.sql(
        "SELECT try_add(CAST(1.5 AS DOUBLE), 2) AS a, try_divide(CAST(1 AS DOUBLE), 0) AS d, "
        "try_mod(CAST(5.5 AS DOUBLE), CAST(0 AS DOUBLE)) AS m, "
        "try_add(DATE'2015-09-30', 1) AS day, try_subtract(DATE'2015-09-30', 1) AS before"
    ),
    "select_expr_count_star_and_sum": lambda spark: spark.range(10).selectExpr("count(*)", "sum(id)"),
    "select_expr_count_star_names": lambda spark: _names(spark, spark.range(10).selectExpr("count(*)", "sum(id)")),
}
