"""Cases of tests/python/test_io.py's topic where Flint does not answer as Spark 4.2 does:
bugs for the engine. Recorded (`record io_differences`) but not in
tests/python/test_spark_oracle.py's CASE_FILES; add the file there when Flint is fixed."""

from frames import columns, scratch


def _csv_infers_int(spark):
    path = scratch()
    spark.createDataFrame([(1, "a"), (2, "b")], "n INT, s STRING").write.option("header", True).csv(path)
    return columns(spark.read.option("header", True).option("inferSchema", True).csv(path))


CASES = {
    # Flint's CSV inferSchema types the column of 1 and 2 bigint: Spark's tries int first.
    "csv_infer_schema_small_integers_columns": _csv_infers_int,
}
