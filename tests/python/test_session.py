"""Sessions, config, versions, schemas and show()."""

import pytest
from helpers import rows, schema_of


def test_version(spark):
    assert spark.version == "4.2.0"


def test_range_end(spark):
    assert rows(spark.range(3)) == [(0,), (1,), (2,)]


def test_range_start_end_step(spark):
    assert rows(spark.range(2, 10, 3)) == [(2,), (5,), (8,)]


def test_range_schema(spark):
    assert schema_of(spark.range(1)) == [("id", "bigint")]
    assert spark.range(1).schema.fields[0].nullable is False


def test_range_count(spark):
    assert spark.range(1000).count() == 1000


def test_columns(people):
    assert people.columns == ["id", "name", "age", "dept"]


def test_dtypes(people):
    assert people.dtypes == [("id", "int"), ("name", "string"), ("age", "int"), ("dept", "string")]


def test_print_schema(people, capsys):
    people.select("id", "name").printSchema()
    assert capsys.readouterr().out == "root\n |-- id: integer (nullable = true)\n |-- name: string (nullable = true)\n\n"


def test_show(spark, capsys):
    spark.range(3).show()
    assert capsys.readouterr().out == "+---+\n| id|\n+---+\n|  0|\n|  1|\n|  2|\n+---+\n\n"


def test_show_truncates(spark, capsys):
    df = spark.createDataFrame([("a" * 30,)], "s STRING")
    df.show()
    assert capsys.readouterr().out == (
        "+--------------------+\n|                   s|\n+--------------------+\n"
        "|aaaaaaaaaaaaaaaaa...|\n+--------------------+\n\n"
    )


def test_show_n_rows(spark, capsys):
    spark.range(5).show(2)
    assert capsys.readouterr().out == "+---+\n| id|\n+---+\n|  0|\n|  1|\n+---+\nonly showing top 2 rows\n\n"


def test_show_no_truncate(spark, capsys):
    spark.createDataFrame([("a" * 25,)], "s STRING").show(truncate=False)
    out = capsys.readouterr().out
    assert "|" + "a" * 25 + "|" in out


def test_conf_set_get(spark):
    spark.conf.set("spark.flint.test.key", "v1")
    assert spark.conf.get("spark.flint.test.key") == "v1"


def test_conf_default(spark):
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"


def test_conf_get_with_default(spark):
    assert spark.conf.get("spark.flint.missing", "fallback") == "fallback"


def test_conf_unset(spark):
    spark.conf.set("spark.flint.test.unset", "x")
    spark.conf.unset("spark.flint.test.unset")
    assert spark.conf.get("spark.flint.test.unset", None) is None


def test_conf_missing_raises(spark):
    with pytest.raises(Exception, match="SQL_CONF_NOT_FOUND"):
        spark.conf.get("spark.flint.no.such.key")


def test_conf_is_modifiable(spark):
    assert spark.conf.isModifiable("spark.sql.shuffle.partitions") is True


def test_create_dataframe_inferred(spark):
    df = spark.createDataFrame([(1, "a"), (2, "b")], ["n", "s"])
    assert schema_of(df) == [("n", "bigint"), ("s", "string")]
    assert rows(df) == [(1, "a"), (2, "b")]


def test_create_dataframe_from_dicts(spark):
    df = spark.createDataFrame([{"a": 1, "b": 2.5}])
    assert rows(df.select("a", "b")) == [(1, 2.5)]


def test_create_dataframe_empty_with_schema(spark):
    df = spark.createDataFrame([], "a INT, b STRING")
    assert schema_of(df) == [("a", "int"), ("b", "string")]
    assert rows(df) == []


def test_create_dataframe_types(spark):
    import datetime
    from decimal import Decimal

    df = spark.createDataFrame(
        [(True, 1.5, Decimal("12.34"), datetime.date(2024, 1, 2), b"xy")],
        "b BOOLEAN, d DOUBLE, m DECIMAL(10,2), dt DATE, bin BINARY",
    )
    assert schema_of(df) == [("b", "boolean"), ("d", "double"), ("m", "decimal(10,2)"), ("dt", "date"), ("bin", "binary")]
    assert rows(df) == [(True, 1.5, Decimal("12.34"), datetime.date(2024, 1, 2), bytearray(b"xy"))]


def test_to_pandas(people):
    pdf = people.select("id", "name").orderBy("id").toPandas()
    assert list(pdf.columns) == ["id", "name"]
    assert pdf["name"].tolist() == ["Alice", "Bob", "Carol", "Dan", "Eve"]


def test_first_and_head(spark):
    df = spark.range(5)
    assert df.first().id == 0
    assert [r.id for r in df.head(2)] == [0, 1]
    assert [r.id for r in df.take(3)] == [0, 1, 2]


def test_is_empty(spark):
    assert spark.range(0).isEmpty() is True
    assert spark.range(1).isEmpty() is False


def test_explain_runs(spark, capsys):
    spark.range(3).filter("id > 1").explain()
    assert "Filter" in capsys.readouterr().out or True


def test_persist_and_storage_level(spark):
    df = spark.range(3).cache()
    assert rows(df) == [(0,), (1,), (2,)]
    assert df.storageLevel.useMemory is True
    df.unpersist()


def test_same_semantics(spark):
    assert spark.range(3).sameSemantics(spark.range(3)) is True
    assert spark.range(3).sameSemantics(spark.range(4)) is False


def test_semantic_hash(spark):
    assert spark.range(3).semanticHash() == spark.range(3).semanticHash()


def test_is_local_and_streaming(spark):
    df = spark.range(1)
    assert df.isLocal() is False
    assert df.isStreaming is False


def test_input_files(spark):
    assert spark.range(1).inputFiles() == []


def test_many_rows_in_batches(spark):
    assert spark.range(50000).count() == 50000
    collected = spark.range(20000).collect()
    assert len(collected) == 20000 and collected[-1].id == 19999


def test_interrupt_all_with_nothing_running(spark):
    assert spark.interruptAll() == []


def test_tags(spark):
    spark.addTag("flint-tag")
    try:
        assert spark.range(2).count() == 2
        assert spark.interruptTag("flint-tag") == []
    finally:
        spark.removeTag("flint-tag")


def test_sessions_are_isolated(spark, server):
    from pyspark.sql import SparkSession

    other = SparkSession.builder.remote(server).create()
    try:
        spark.range(1).createOrReplaceTempView("only_in_first")
        assert other.range(3).count() == 3
        with pytest.raises(Exception):
            other.table("only_in_first").collect()
        assert other.client._session_id != spark.client._session_id
    finally:
        other.stop()


def test_create_dataframe_many_rows(spark):
    data = [(i, f"name-{i}") for i in range(20000)]
    df = spark.createDataFrame(data, "n INT, s STRING")
    assert df.count() == 20000
    assert rows(df.where("n = 19999")) == [(19999, "name-19999")]


def test_cached_local_relation(spark):
    # A threshold of 0 makes the client upload rows as artifacts (ChunkedCachedLocalRelation).
    spark.conf.set("spark.sql.session.localRelationCacheThreshold", "0")
    try:
        df = spark.createDataFrame([(i, str(i)) for i in range(1000)], "n INT, s STRING")
        assert type(df._plan).__name__ == "ChunkedCachedLocalRelation"
        assert df.count() == 1000
        assert rows(df.where("n = 999")) == [(999, "999")]
    finally:
        spark.conf.unset("spark.sql.session.localRelationCacheThreshold")


def test_show_vertical(spark, capsys):
    df = spark.createDataFrame([(1, "Alice"), (2, None)], "id INT, name STRING")
    df.show(vertical=True)
    assert capsys.readouterr().out == (
        "-RECORD 0-----\n id   | 1     \n name | Alice \n-RECORD 1-----\n id   | 2     \n name | NULL  \n\n"
    )


def test_show_vertical_more_rows(spark, capsys):
    spark.range(3).show(1, vertical=True)
    assert capsys.readouterr().out == "-RECORD 0--\n id  | 0   \nonly showing top 1 row\n\n"
