"""Projections: errors. The values, column names and types of projections, expressions
and casts are Spark-oracle cases (tests/spark-oracle/cases_select.py)."""

import pytest
from pyspark.errors import AnalysisException
from pyspark.sql import functions as F


def test_star_of_a_non_struct_is_an_error(spark):
    # `col.*` of a struct column is its fields (cases_select.py: struct_star_expands_fields);
    # a name that is neither an alias nor a struct is an AnalysisException with Spark's
    # error class.
    df = spark.range(1).select(F.struct(F.lit(1).alias("a"), F.lit("x").alias("b")).alias("s"), F.lit(2).alias("n"))
    with pytest.raises(AnalysisException, match="CANNOT_RESOLVE_STAR_EXPAND"):
        df.select("n.*").collect()
    with pytest.raises(AnalysisException, match="CANNOT_RESOLVE_STAR_EXPAND"):
        df.select("nothing.*").collect()
