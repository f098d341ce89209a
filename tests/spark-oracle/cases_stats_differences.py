"""Cases of tests/python/test_stats.py's topic where Flint does not answer as Spark 4.2
does: bugs for the engine. Recorded (`record stats_differences`) but not in
tests/python/test_spark_oracle.py's CASE_FILES; add the file there when Flint is fixed."""

CASES = {
    # Flint's summary() interpolates the percentiles of 1, 2, 3 (25% "1.25", 75% "2.75"):
    # Spark's are approximate percentiles, values of the column ("1", "2", "3").
    "summary_default_statistics": lambda spark: spark.createDataFrame([(1,), (2,), (3,)], "v INT").summary(),
}
