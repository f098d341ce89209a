"""cache(), persist() and unpersist(): a persisted DataFrame is read from its cache."""

from pyspark.storagelevel import StorageLevel


def test_cache_reads_the_cache_until_unpersisted(spark, tmp_path):
    path = str(tmp_path / "src")
    spark.range(50).write.parquet(path)
    df = spark.read.parquet(path)
    assert not df.is_cached
    df.cache()
    assert df.is_cached
    assert df.count() == 50
    spark.range(7).write.mode("overwrite").parquet(path)
    assert df.count() == 50, "the cache, not the rewritten files"
    assert df.filter("id < 10").count() == 10, "a query over a persisted DataFrame reads its cache"
    df.unpersist()
    assert not df.is_cached
    assert df.count() == 7


def test_persist_reports_a_storage_level(spark):
    df = spark.range(5).selectExpr("id * 2 AS doubled")
    assert df.storageLevel == StorageLevel.NONE
    df.persist()
    assert df.storageLevel.useMemory
    assert sorted(r.doubled for r in df.collect()) == [0, 2, 4, 6, 8]
    df.unpersist()
