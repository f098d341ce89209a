"""What writes leave behind, read back (formerly the values of
tests/python/test_write_commit.py, which runs the same writes on S3 and with processes
killed): a query appending to the path it reads, a partitioned append then overwrite
(Spark's static partition overwrite), and CSV and JSON round trips with a NULL."""

import os

from frames import scratch


def _append_to_the_path_read(spark):
    path = scratch()
    spark.range(0, 10).write.parquet(path)
    spark.read.parquet(path).write.mode("append").parquet(path)
    return spark.read.parquet(path).orderBy("id")


def _partitions(spark, path):
    """(folder, id) for every row, read folder by folder, and the folder's entries."""
    entries = sorted(e for e in os.listdir(path) if not e.startswith("."))
    frames = [
        spark.read.parquet(os.path.join(path, folder)).selectExpr(f"'{folder}' AS folder", "id")
        for folder in entries
        if folder.startswith("k=")
    ]
    listing = spark.createDataFrame([(e, None) for e in entries], "folder STRING, id BIGINT")
    result = listing
    for frame in frames:
        result = result.unionByName(frame)
    return result.orderBy("folder", "id")


def _partitioned_write(first, second, mode):
    """A case: ids in range `first` written partitioned by `id % 2`, then those in range
    `second` with `mode`; every folder's rows."""

    def case(spark):
        path = scratch()
        spark.range(*first).selectExpr("id", "id % 2 AS k").write.partitionBy("k").parquet(path)
        spark.range(*second).selectExpr("id", "id % 2 AS k").write.mode(mode).partitionBy("k").parquet(path)
        return _partitions(spark, path)

    return case


def _people(spark):
    return spark.createDataFrame([(1, "Ann", 3.5), (2, "Bo", None)], "id INT, name STRING, score DOUBLE")


def _csv_round_trip_with_null(spark):
    path = scratch()
    _people(spark).write.option("header", True).csv(path)
    return spark.read.option("header", True).option("inferSchema", True).csv(path).orderBy("id")


def _json_round_trip_with_null(spark):
    path = scratch()
    _people(spark).write.json(path)
    return spark.read.json(path).select("id", "name", "score").orderBy("id")


CASES = {
    "append_to_the_path_read": _append_to_the_path_read,
    "partitioned_append": _partitioned_write((0, 20), (100, 104), "append"),
    "partitioned_overwrite": _partitioned_write((0, 20), (7, 9), "overwrite"),
    "partitioned_overwrite_of_one_partition": _partitioned_write((0, 4), (10, 11), "overwrite"),
    "csv_round_trip_with_null": _csv_round_trip_with_null,
    "json_round_trip_with_null": _json_round_trip_with_null,
}
