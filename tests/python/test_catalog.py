"""spark.catalog errors. What the catalog calls answer is Spark-oracle cases
(tests/spark-oracle/cases_catalog.py)."""


def test_missing_tables_and_databases_raise_analysis_errors(spark):
    from pyspark.errors import AnalysisException
    import pytest

    for call in (lambda: spark.catalog.getTable("cat_nope"), lambda: spark.catalog.isCached("cat_nope"),
                 lambda: spark.catalog.getDatabase("cat_nope_db")):
        with pytest.raises(AnalysisException):
            call()
