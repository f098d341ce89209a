"""Types over the wire: pandas input, timestamps, nulls, decimals, nested values (formerly
in tests/python/test_types.py); `_columns` cases record the names and types."""

import datetime
from decimal import Decimal

import pandas as pd
from pyspark.sql import Row
from pyspark.sql import functions as F

from frames import columns


def _from_pandas(spark):
    return spark.createDataFrame(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}))


def _timestamp(spark):
    return spark.createDataFrame([(datetime.datetime(2024, 5, 6, 7, 8, 9),)], "t TIMESTAMP")


def _decimal_sum(spark):
    df = spark.createDataFrame([(Decimal("1.25"), Decimal("2.50"))], "a DECIMAL(5,2), b DECIMAL(5,2)")
    return df.select((df.a + df.b).alias("s"))


def _long_times_two(spark):
    df = spark.createDataFrame([(2**40,)], "v BIGINT")
    return df.select(df.v * 2)


def _to_pandas_dtypes(spark):
    pdf = spark.createDataFrame([(1, 2.5, "x")], "a INT, b DOUBLE, c STRING").toPandas()
    return spark.createDataFrame([(str(t),) for t in pdf.dtypes], "dtype STRING")


CASES = {
    "create_from_pandas": lambda spark: _from_pandas(spark).orderBy("a"),
    "create_from_pandas_columns": lambda spark: columns(_from_pandas(spark)),
    "create_from_rows": lambda spark: spark.createDataFrame([Row(name="a", n=1), Row(name="b", n=2)])
    .orderBy("n")
    .select("name"),
    "timestamp_round_trip": _timestamp,
    "timestamp_columns": lambda spark: columns(_timestamp(spark)),
    "nulls_in_every_type": lambda spark: spark.createDataFrame(
        [(None, None, None, None)], "a INT, b STRING, c DOUBLE, d DATE"
    ),
    "decimal_arithmetic": _decimal_sum,
    "decimal_arithmetic_columns": lambda spark: columns(_decimal_sum(spark)),
    "long_values": _long_times_two,
    "long_values_columns": lambda spark: columns(_long_times_two(spark)),
    "boolean_filter_column": lambda spark: spark.createDataFrame([(True,), (False,), (None,)], "b BOOLEAN").where("b"),
    "array_column": lambda spark: spark.createDataFrame([([1, 2, 3],)], "a ARRAY<INT>"),
    "string_with_unicode": lambda spark: spark.createDataFrame([("héllo wörld ✓",)], "s STRING").select(F.upper("s")),
    "double_special_values": lambda spark: spark.createDataFrame(
        [(float("inf"),), (-0.5,), (float("-inf"),), (0.0,)], "d DOUBLE"
    ).orderBy("d"),
    "lit_date": lambda spark: spark.range(1).select(F.lit(datetime.date(2020, 2, 29)).alias("d")),
    "lit_timestamp": lambda spark: spark.range(1).select(F.lit(datetime.datetime(2020, 2, 29, 23, 59, 1)).alias("t")),
    "to_pandas_dtypes": _to_pandas_dtypes,
}
