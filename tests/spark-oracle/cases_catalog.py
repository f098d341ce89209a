"""What spark.catalog answers (formerly the values of tests/python/test_catalog.py), as
one-row DataFrames of the calls' results; each case drops what it creates."""

from frames import values


def _current(spark):
    return values(spark, (spark.catalog.currentDatabase(), "STRING"), (spark.catalog.currentCatalog(), "STRING"))


def _table_exists_and_drop_temp_view(spark):
    spark.range(1).createOrReplaceTempView("cat_view")
    answers = [spark.catalog.tableExists("cat_view"), spark.catalog.dropTempView("cat_view")]
    answers += [spark.catalog.tableExists("cat_view"), spark.catalog.dropTempView("cat_view")]
    return values(spark, *[(a, "BOOLEAN") for a in answers])


def _list_temp_view(spark):
    spark.range(1).createOrReplaceTempView("cat_listed")
    listed = [t for t in spark.catalog.listTables() if t.name == "cat_listed"]
    spark.catalog.dropTempView("cat_listed")
    return values(
        spark,
        (len(listed), "INT"),
        (listed[0].catalog, "STRING"),
        (list(listed[0].namespace), "ARRAY<STRING>"),
        (listed[0].tableType, "STRING"),
        (listed[0].isTemporary, "BOOLEAN"),
    )


def _database_exists(spark):
    return values(
        spark, (spark.catalog.databaseExists("default"), "BOOLEAN"), (spark.catalog.databaseExists("nope_db"), "BOOLEAN")
    )


def _managed_table_lifecycle(spark):
    """CREATE TABLE ... USING parquet, INSERT, the catalog calls on it and DROP TABLE."""
    spark.sql("DROP TABLE IF EXISTS cat_managed")
    spark.sql("CREATE TABLE cat_managed (name STRING, age INT) USING parquet")
    spark.sql("INSERT INTO cat_managed VALUES ('a', 1), ('b', 2)")
    inserted = spark.table("cat_managed").count()
    table = spark.catalog.getTable("spark_catalog.default.cat_managed")
    listed = [f"{c.name} {c.dataType} {c.nullable} {c.isPartition}" for c in spark.catalog.listColumns("cat_managed")]
    exists = spark.catalog.tableExists("cat_managed", "default")
    spark.catalog.cacheTable("cat_managed")
    cached = spark.catalog.isCached("spark_catalog.default.cat_managed")
    spark.catalog.uncacheTable("cat_managed")
    uncached = spark.catalog.isCached("cat_managed")
    spark.catalog.truncateTable("cat_managed")
    truncated = spark.table("cat_managed").count()
    spark.catalog.dropTable("cat_managed")
    return values(
        spark,
        (inserted, "BIGINT"),
        (table.name, "STRING"),
        (table.catalog, "STRING"),
        (list(table.namespace), "ARRAY<STRING>"),
        (table.tableType, "STRING"),
        (table.isTemporary, "BOOLEAN"),
        (listed, "ARRAY<STRING>"),
        (exists, "BOOLEAN"),
        (cached, "BOOLEAN"),
        (uncached, "BOOLEAN"),
        (truncated, "BIGINT"),
        (spark.catalog.tableExists("cat_managed"), "BOOLEAN"),
    )


def _databases(spark):
    spark.catalog.dropDatabase("cat_db", ifExists=True, cascade=True)
    spark.catalog.createDatabase("cat_db")
    created = spark.catalog.databaseExists("spark_catalog.cat_db")
    names = [d.name for d in spark.catalog.listDatabases("cat_d*")]
    descriptions = [d.description for d in spark.catalog.listDatabases("def*")]
    spark.catalog.dropDatabase("cat_db", cascade=True)
    return values(
        spark,
        (created, "BOOLEAN"),
        (names, "ARRAY<STRING>"),
        (descriptions, "ARRAY<STRING>"),
        (spark.catalog.databaseExists("cat_db"), "BOOLEAN"),
    )


def _functions(spark):
    return values(
        spark,
        (spark.catalog.functionExists("count"), "BOOLEAN"),
        (spark.catalog.functionExists("default.unexisting_function"), "BOOLEAN"),
        ([f.name for f in spark.catalog.listFunctions(pattern="*not_existing_func*")], "ARRAY<STRING>"),
        ("to_date" in [f.name for f in spark.catalog.listFunctions(pattern="to_*")], "BOOLEAN"),
    )


CASES = {
    "current_database_and_catalog": _current,
    "table_exists_and_drop_temp_view": _table_exists_and_drop_temp_view,
    "list_temp_view": _list_temp_view,
    "database_exists": _database_exists,
    "managed_table_lifecycle": _managed_table_lifecycle,
    "databases": _databases,
    "functions": _functions,
}
