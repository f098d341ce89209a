"""Cases of tests/python/test_session.py where Flint does not answer as Spark 4.2 does:
bugs for the engine. Recorded (`record session_differences`) but not in
tests/python/test_spark_oracle.py's CASE_FILES; add the file there when Flint is fixed.
Real Spark Connect (pyspark `remote("local")`) answers as classic Spark does for each."""

from frames import shown

CASES = {
    # Flint ends the text with "only showing top 2 rows\n": Spark's show string has no
    # newline after that line (so show() prints one newline, not two).
    "show_n_rows": lambda spark: shown(spark.range(5), 2),
    # The same with vertical=True: Flint ends with "only showing top 1 row\n".
    "show_vertical_more_rows": lambda spark: shown(spark.range(3), 1, vertical=True),
}
