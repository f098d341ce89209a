"""Errors reach the client as the right PySpark exceptions."""

import pytest
from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import functions as F


def test_unknown_column_is_analysis_exception(people):
    with pytest.raises(AnalysisException) as info:
        people.select("nmae").collect()
    assert "UNRESOLVED_COLUMN" in str(info.value)
    assert "`name`" in str(info.value)


def test_unknown_column_error_class(people):
    with pytest.raises(AnalysisException) as info:
        people.select("nmae").collect()
    assert info.value.getCondition() == "UNRESOLVED_COLUMN.WITH_SUGGESTION"


def test_parse_error(spark):
    with pytest.raises(ParseException):
        spark.sql("SELEC 1").collect()


def test_unknown_table(spark):
    with pytest.raises(AnalysisException):
        spark.sql("SELECT * FROM no_such_table_xyz").collect()


def test_unknown_function(spark):
    with pytest.raises(AnalysisException, match="UNRESOLVED_ROUTINE"):
        spark.range(1).select(F.call_function("no_such_fn", F.col("id"))).collect()


def test_server_survives_errors(spark):
    for _ in range(3):
        with pytest.raises(AnalysisException):
            spark.range(1).select("missing").collect()
    assert spark.range(2).count() == 2


def test_unsupported_relation_is_clear(spark):
    with pytest.raises(Exception, match="not supported"):
        spark.range(3).stat.crosstab("id", "id").collect()


def test_schema_error_on_analyze(people):
    with pytest.raises(AnalysisException):
        people.select("nope").schema


def test_unknown_table_error_class(spark):
    with pytest.raises(AnalysisException) as info:
        spark.table("no_such_table_abc").collect()
    assert info.value.getCondition() == "TABLE_OR_VIEW_NOT_FOUND"


def test_unknown_column_in_sql_expression(people):
    with pytest.raises(AnalysisException) as info:
        people.selectExpr("nope + 1").collect()
    assert info.value.getCondition() == "UNRESOLVED_COLUMN.WITH_SUGGESTION"


def test_error_message_names_the_problem(people):
    with pytest.raises(AnalysisException) as info:
        people.select("agee").collect()
    assert "`agee`" in str(info.value) and "`age`" in str(info.value)
