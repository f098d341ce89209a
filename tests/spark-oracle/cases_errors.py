"""Errors: Spark's condition and exception type for unknown columns, tables and functions
and for a parse error (formerly the condition checks of tests/python/test_errors.py)."""

from pyspark.sql import functions as F

from frames import columns, people

CASES = {
    "unknown_column": lambda spark: people(spark).select("nmae"),
    "unknown_column_in_sql_expression": lambda spark: people(spark).selectExpr("nope + 1"),
    "unknown_column_on_analyze": lambda spark: columns(people(spark).select("nope")),
    "parse_error": lambda spark: spark.sql("SELEC 1"),
    "unknown_table_in_sql": lambda spark: spark.sql("SELECT * FROM no_such_table_xyz"),
    "unknown_table": lambda spark: spark.table("no_such_table_abc"),
    "unknown_function": lambda spark: spark.range(1).select(F.call_function("no_such_fn", F.col("id"))),
}
