"""cache(), persist() and unpersist() (formerly the values of tests/python/test_cache.py):
what a cached DataFrame counts before and after the files under it are overwritten, and
after it is unpersisted. Each case returns one row of the counts it saw, in order."""

from frames import scratch


def _counts(spark, names, values):
    schema = ", ".join(f"{name} BIGINT" for name in names)
    return spark.createDataFrame([tuple(values)], schema)


def _cache_then_overwrite(spark):
    path = scratch()
    spark.range(50).write.parquet(path)
    df = spark.read.parquet(path)
    df.cache()
    before = df.count()
    spark.range(7).write.mode("overwrite").parquet(path)
    after = df.count()
    filtered = df.filter("id < 10").count()
    df.unpersist()
    uncached = df.count()
    return _counts(spark, ["before", "after", "filtered", "uncached"], [before, after, filtered, uncached])


def _cache_then_append(spark):
    path = scratch()
    spark.range(5).write.parquet(path)
    df = spark.read.parquet(path)
    df.cache()
    before = df.count()
    spark.range(3).write.mode("append").parquet(path)
    after = df.count()
    df.unpersist()
    return _counts(spark, ["before", "after", "uncached"], [before, after, df.count()])


def _persisted_rows(spark):
    df = spark.range(5).selectExpr("id * 2 AS doubled")
    df.persist()
    try:
        return spark.createDataFrame(df.collect()).orderBy("doubled")
    finally:
        df.unpersist()


def _storage_levels(spark):
    df = spark.range(3)
    none = df.storageLevel
    df.persist()
    persisted = df.storageLevel
    df.unpersist()
    return spark.createDataFrame(
        [(str(none), persisted.useMemory, persisted.useDisk, df.is_cached)],
        "before STRING, uses_memory BOOLEAN, uses_disk BOOLEAN, cached_after_unpersist BOOLEAN",
    )


CASES = {
    "cache_then_overwrite": _cache_then_overwrite,
    "cache_then_append": _cache_then_append,
    "persisted_rows": _persisted_rows,
    "storage_levels": _storage_levels,
}
