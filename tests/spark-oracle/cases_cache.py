"""cache(), persist() and unpersist() (formerly the values of tests/python/test_cache.py):
what a cached DataFrame counts before and after the files under it are overwritten, and
after it is unpersisted. Each case returns one row of the counts it saw, in order."""

from frames import scratch


def _counts(spark, names, values):
    schema = ", ".join(f"{name} BIGINT" for name in names)
    return spark.createDataFrame([tuple(values)], schema)


def _cache_then_write(mode, first, second, filtered):
    """A case: `first` rows written and cached, then `second` rows written with `mode`;
    the counts before, after (and of `id < 10` after, with `filtered`) and once uncached."""

    def case(spark):
        path = scratch()
        spark.range(first).write.parquet(path)
        df = spark.read.parquet(path)
        df.cache()
        counts = {"before": df.count()}
        spark.range(second).write.mode(mode).parquet(path)
        counts["after"] = df.count()
        if filtered:
            counts["filtered"] = df.filter("id < 10").count()
        df.unpersist()
        counts["uncached"] = df.count()
        return _counts(spark, list(counts), list(counts.values()))

    return case


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
    "cache_then_overwrite": _cache_then_write("overwrite", 50, 7, filtered=True),
    "cache_then_append": _cache_then_write("append", 5, 3, filtered=False),
    "persisted_rows": _persisted_rows,
    "storage_levels": _storage_levels,
}
