"""Errors: messages that name the problem, a server that goes on after errors, unsupported
relations. Spark's condition and exception type for each kind of error are Spark-oracle
cases (tests/spark-oracle/cases_errors.py)."""

import pytest
from pyspark.errors import AnalysisException


def test_unknown_column_is_analysis_exception(people):
    with pytest.raises(AnalysisException) as info:
        people.select("nmae").collect()
    assert "UNRESOLVED_COLUMN" in str(info.value)
    assert "`name`" in str(info.value)


def test_server_survives_errors(spark):
    for _ in range(3):
        with pytest.raises(AnalysisException):
            spark.range(1).select("missing").collect()
    assert spark.range(2).count() == 2


def test_unsupported_relation_is_clear(spark):
    with pytest.raises(Exception, match="not supported"):
        spark.range(3).withWatermark("id", "10 minutes").collect()


def test_error_message_names_the_problem(people):
    with pytest.raises(AnalysisException) as info:
        people.select("agee").collect()
    assert "`agee`" in str(info.value) and "`age`" in str(info.value)
