"""Writes where Flint answers otherwise than Spark, on purpose (see
tests/spark-oracle/README.md): recorded, not compared.

`overwrite_the_path_read`: Spark refuses a query that overwrites the path it reads
(UNSUPPORTED_OVERWRITE.PATH, an AnalysisException). Flint stages the new files beside
the target and swaps them in when the job has finished (issue 10 lost every row here),
so the query succeeds and the path holds its answer: ids 0, 3, …, 999
(tests/python/test_write_commit.py checks it on local folders and S3)."""

from frames import scratch


def _overwrite_the_path_read(spark):
    path = scratch()
    spark.range(0, 1000).write.parquet(path)
    spark.read.parquet(path).filter("id % 3 = 0").write.mode("overwrite").parquet(path)
    return spark.read.parquet(path).orderBy("id")


CASES = {"overwrite_the_path_read": _overwrite_the_path_read}
