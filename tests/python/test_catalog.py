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
    assert listed.isTemporary is True and listed.namespace == ["default"]


def test_database_exists(spark):
    assert spark.catalog.databaseExists("default") is True
    assert spark.catalog.databaseExists("nope_db") is False
