"""spark.catalog basics."""


def test_current_database_and_catalog(spark):
    assert spark.catalog.currentDatabase() == "default"
    assert spark.catalog.currentCatalog() == "spark_catalog"


def test_table_exists_and_drop_temp_view(spark):
    spark.range(1).createOrReplaceTempView("cat_view")
    assert spark.catalog.tableExists("cat_view") is True
    assert spark.catalog.dropTempView("cat_view") is True
    assert spark.catalog.tableExists("cat_view") is False
    assert spark.catalog.dropTempView("cat_view") is False


def test_list_tables(spark):
    spark.range(1).createOrReplaceTempView("cat_listed")
    names = [t.name for t in spark.catalog.listTables()]
    assert "cat_listed" in names
    listed = [t for t in spark.catalog.listTables() if t.name == "cat_listed"][0]
    # Spark lists a temporary view in no catalog and no namespace (listTables' docs).
    assert (listed.catalog, listed.namespace, listed.tableType, listed.isTemporary) == (None, [], "TEMPORARY", True)


def test_database_exists(spark):
    assert spark.catalog.databaseExists("default") is True
    assert spark.catalog.databaseExists("nope_db") is False


def test_managed_table_lifecycle(spark):
    """CREATE TABLE ... USING parquet, INSERT, the catalog calls on it and DROP TABLE, with
    the answers of the spark.catalog docs (getTable, listColumns, isCached, truncateTable)."""
    spark.sql("DROP TABLE IF EXISTS cat_managed")
    spark.sql("CREATE TABLE cat_managed (name STRING, age INT) USING parquet")
    spark.sql("INSERT INTO cat_managed VALUES ('a', 1), ('b', 2)")
    assert spark.table("cat_managed").count() == 2
    table = spark.catalog.getTable("spark_catalog.default.cat_managed")
    assert (table.name, table.catalog, table.namespace, table.tableType, table.isTemporary) == (
        "cat_managed", "spark_catalog", ["default"], "MANAGED", False)
    columns = [(c.name, c.dataType, c.nullable, c.isPartition) for c in spark.catalog.listColumns("cat_managed")]
    assert columns == [("name", "string", True, False), ("age", "int", True, False)]
    assert spark.catalog.tableExists("cat_managed", "default") is True
    spark.catalog.cacheTable("cat_managed")
    assert spark.catalog.isCached("spark_catalog.default.cat_managed") is True
    spark.catalog.uncacheTable("cat_managed")
    assert spark.catalog.isCached("cat_managed") is False
    spark.catalog.truncateTable("cat_managed")
    assert spark.table("cat_managed").count() == 0
    spark.catalog.dropTable("cat_managed")
    assert spark.catalog.tableExists("cat_managed") is False


def test_missing_tables_and_databases_raise_analysis_errors(spark):
    from pyspark.errors import AnalysisException
    import pytest

    for call in (lambda: spark.catalog.getTable("cat_nope"), lambda: spark.catalog.isCached("cat_nope"),
                 lambda: spark.catalog.getDatabase("cat_nope_db")):
        with pytest.raises(AnalysisException):
            call()


def test_databases(spark):
    spark.catalog.dropDatabase("cat_db", ifExists=True, cascade=True)
    spark.catalog.createDatabase("cat_db")
    assert spark.catalog.databaseExists("spark_catalog.cat_db") is True
    assert [d.name for d in spark.catalog.listDatabases("cat_d*")] == ["cat_db"]
    assert [d.description for d in spark.catalog.listDatabases("def*")] == ["default database"]
    spark.catalog.dropDatabase("cat_db", cascade=True)
    assert spark.catalog.databaseExists("cat_db") is False


def test_functions(spark):
    assert spark.catalog.functionExists("count") is True
    assert spark.catalog.functionExists("default.unexisting_function") is False
    assert spark.catalog.listFunctions(pattern="*not_existing_func*") == []
    assert "to_date" in [f.name for f in spark.catalog.listFunctions(pattern="to_*")]
