"""What reading files back answers, for Spark's formats, options and save modes (formerly
the values of tests/python/test_io.py): each case writes into a scratch folder and reads it."""

from frames import columns, people, scratch


def _parquet_round_trip(spark):
    path = scratch()
    people(spark).write.parquet(path)
    return spark.read.parquet(path)


def _csv_with_header(spark):
    path = scratch()
    spark.createDataFrame([(1, "a"), (2, "b")], "n INT, s STRING").write.option("header", True).csv(path)
    return spark.read.option("header", True).option("inferSchema", True).csv(path)


def _csv_with_schema(spark):
    path = scratch()
    spark.createDataFrame([(1, "a")], "n INT, s STRING").write.csv(path)
    return spark.read.schema("n INT, s STRING").csv(path)


def _json_round_trip(spark):
    path = scratch()
    spark.createDataFrame([(1, "a")], "n BIGINT, s STRING").write.json(path)
    return spark.read.json(path)


def _format_load_save(spark):
    path = scratch()
    spark.range(4).write.format("parquet").save(path)
    return spark.read.format("parquet").load(path).orderBy("id")


def _second_write(mode):
    """A case: range(5) written as parquet, then range(2) with save mode `mode`; read back."""

    def case(spark):
        path = scratch()
        spark.range(5).write.parquet(path)
        spark.range(2).write.mode(mode).parquet(path)
        return spark.read.parquet(path).orderBy("id")

    return case


def _partition_by(spark):
    path = scratch()
    spark.createDataFrame([(1, "a"), (2, "b"), (3, "a")], "n INT, k STRING").write.partitionBy("k").parquet(path)
    return spark.read.parquet(path)


def _partition_discovery(spark):
    """Partition folders become columns after the files' own, their types inferred
    (numeric, date, else string): sql-data-sources-parquet, "Partition Discovery"."""
    path = scratch()
    spark.createDataFrame(
        [(1, "a", 10, "2024-01-31"), (2, "b", 20, "2024-02-01"), (3, "a", 10, "2024-01-31")],
        "n INT, k STRING, year INT, day STRING",
    ).write.partitionBy("year", "day").parquet(path)
    return spark.read.parquet(path)


def _text_lines_as_csv(spark):
    path = scratch()
    with open(path, "w") as out:
        out.write("a,b\n1,x\n2,y\n")
    return spark.read.csv(path, header=True)


def _csv_infers_int(spark):
    path = scratch()
    spark.createDataFrame([(1, "a"), (2, "b")], "n INT, s STRING").write.option("header", True).csv(path)
    return columns(spark.read.option("header", True).option("inferSchema", True).csv(path))


CASES = {
    "parquet_round_trip": lambda spark: _parquet_round_trip(spark).orderBy("id"),
    "parquet_round_trip_columns": lambda spark: columns(_parquet_round_trip(spark)),
    "csv_round_trip_with_header": lambda spark: _csv_with_header(spark).orderBy("n"),
    "csv_with_schema": _csv_with_schema,
    "csv_with_schema_columns": lambda spark: columns(_csv_with_schema(spark)),
    "json_round_trip": lambda spark: _json_round_trip(spark).orderBy("n"),
    "json_round_trip_columns": lambda spark: columns(_json_round_trip(spark)),
    "format_load_save": _format_load_save,
    "mode_overwrite": _second_write("overwrite"),
    "mode_append": _second_write("append"),
    "mode_ignore": _second_write("ignore"),
    "partition_by": lambda spark: _partition_by(spark).orderBy("n"),
    "partition_by_columns": lambda spark: columns(_partition_by(spark)),
    "partition_discovery": lambda spark: _partition_discovery(spark).orderBy("n"),
    "partition_discovery_columns": lambda spark: columns(_partition_discovery(spark)),
    "partition_discovery_filter": lambda spark: _partition_discovery(spark).filter("year = 20").select("n"),
    "read_text_lines_as_csv": lambda spark: _text_lines_as_csv(spark).orderBy("a"),
    "read_text_lines_as_csv_columns": lambda spark: columns(_text_lines_as_csv(spark)),
    "csv_infer_schema_small_integers_columns": _csv_infers_int,
}
