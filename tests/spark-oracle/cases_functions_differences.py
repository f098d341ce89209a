"""Column names of built-in functions where Flint does not answer as Spark 4.2 does: bugs
for the engine (test_spark_oracle.py compares rows, so the cases of cases_functions.py and
cases_bad_input.py pass on the values while Flint names these columns otherwise). Recorded
(`record functions_differences`) but not in tests/python/test_spark_oracle.py's
CASE_FILES; add the file there when Flint is fixed. Real Spark Connect (pyspark
`remote("local")`) names them as classic Spark does."""

import datetime

from pyspark.sql import functions as F

from frames import columns


def _names(cols):
    """A case: the names and types of the columns `cols()` gives, selected over one row."""
    return lambda spark: columns(spark.range(1).select(*cols()))


def _first_last(spark):
    df = spark.createDataFrame([(None,), ("b",)], "x string")
    return columns(df.select(F.first("x", ignorenulls=True), F.first("x"), F.last("x", ignorenulls=True)))


CASES = {
    # Flint: "first(x, true)", "first(x, false)", "last(x, true)"; Spark: "first(x)",
    # "first(x)", "last(x)".
    "first_last_names_columns": _first_last,
    # Flint: "regexp_replace(a1b22, \d+, #)"; Spark names the position too: "..., #, 1)".
    "regexp_replace_columns": _names(lambda: [F.regexp_replace(F.lit("a1b22"), r"\d+", "#")]),
    # Flint writes a date literal as 2024-03-15: Spark as DATE '2024-03-15' ("year(DATE
    # '2024-03-15')", "date_add(DATE '2024-03-15', 1)").
    "date_literal_names_columns": _names(
        lambda: [F.year(F.lit(datetime.date(2024, 3, 15))), F.date_add(F.lit(datetime.date(2024, 3, 15)), 1)]
    ),
}
