"""Types over the wire: pandas input, timestamps, nulls, decimals, nested values."""

import datetime
from decimal import Decimal

import pandas as pd
from pyspark.sql import Row
from pyspark.sql import functions as F
from helpers import rows, schema_of


def test_create_from_pandas(spark):
    pdf = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    df = spark.createDataFrame(pdf)
    assert schema_of(df) == [("a", "bigint"), ("b", "string")]
    assert rows(df) == [(1, "x"), (2, "y")]


def test_create_from_rows(spark):
    df = spark.createDataFrame([Row(name="a", n=1), Row(name="b", n=2)])
    assert rows(df.orderBy("n").select("name")) == [("a",), ("b",)]


def test_timestamp_round_trip(spark):
    ts = datetime.datetime(2024, 5, 6, 7, 8, 9)
    df = spark.createDataFrame([(ts,)], "t TIMESTAMP")
    assert schema_of(df) == [("t", "timestamp")]
    assert rows(df) == [(ts,)]


def test_nulls_in_every_type(spark):
    df = spark.createDataFrame([(None, None, None, None)], "a INT, b STRING, c DOUBLE, d DATE")
    assert rows(df) == [(None, None, None, None)]


def test_decimal_arithmetic(spark):
    df = spark.createDataFrame([(Decimal("1.25"), Decimal("2.50"))], "a DECIMAL(5,2), b DECIMAL(5,2)")
    assert rows(df.select((df.a + df.b).alias("s"))) == [(Decimal("3.75"),)]


def test_long_values(spark):
    df = spark.createDataFrame([(2**40,)], "v BIGINT")
    assert rows(df.select(df.v * 2)) == [(2**41,)]


def test_boolean_filter_column(spark):
    df = spark.createDataFrame([(True,), (False,), (None,)], "b BOOLEAN")
    assert rows(df.where("b")) == [(True,)]


def test_array_column(spark):
    df = spark.createDataFrame([([1, 2, 3],)], "a ARRAY<INT>")
    assert rows(df) == [([1, 2, 3],)]


def test_string_with_unicode(spark):
    df = spark.createDataFrame([("héllo wörld ✓",)], "s STRING")
    assert rows(df.select(F.upper("s"))) == [("HÉLLO WÖRLD ✓",)]


def test_double_special_values(spark):
    df = spark.createDataFrame([(float("inf"),), (-0.5,)], "d DOUBLE")
    assert rows(df.orderBy("d")) == [(-0.5,), (float("inf"),)]


def test_lit_date_and_timestamp(spark):
    d = datetime.date(2020, 2, 29)
    assert rows(spark.range(1).select(F.lit(d).alias("d"))) == [(d,)]


def test_to_pandas_types(spark):
    pdf = spark.createDataFrame([(1, 2.5, "x")], "a INT, b DOUBLE, c STRING").toPandas()
    assert [str(t) for t in pdf.dtypes] == ["int32", "float64", "object"]
