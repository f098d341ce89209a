"""Sessions: the configured time zone, conf errors, caching, explain, large results, tags,
interrupts and isolation. What a session answers about DataFrames (ranges, schemas,
createDataFrame, show(), actions, spark.version, spark.conf) is Spark-oracle cases
(tests/spark-oracle/cases_session.py)."""

import pytest
from helpers import rows


def test_conf_default(spark):
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"


def test_conf_missing_raises(spark):
    with pytest.raises(Exception, match="SQL_CONF_NOT_FOUND"):
        spark.conf.get("spark.flint.no.such.key")


def test_explain_runs(spark, capsys):
    spark.range(3).filter("id > 1").explain()
    assert "Filter" in capsys.readouterr().out


def test_persist_and_storage_level(spark):
    df = spark.range(3).cache()
    assert rows(df) == rows(spark.range(3))
    assert df.storageLevel.useMemory is True
    df.unpersist()


def test_semantic_hash(spark):
    assert spark.range(3).semanticHash() == spark.range(3).semanticHash()


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
