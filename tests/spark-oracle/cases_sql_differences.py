"""Cases of tests/python/test_sql.py where Flint does not answer as Spark 4.2 does: bugs
for the engine. Recorded (`record sql_differences`) but not in
tests/python/test_spark_oracle.py's CASE_FILES; add the file there when Flint is fixed.
Real Spark Connect (pyspark `remote("local")`) answers as classic Spark does for each."""

from frames import columns

CASES = {
    # Flint types the integer literal 1 as bigint: Spark types it int.
    "sql_select_columns": lambda spark: columns(spark.sql("SELECT 1 AS a, 'x' AS b")),
}
