"""Scalar and aggregate built-ins of issue 13: bround, equal_null, nullifzero, zeroifnull,
positive, locate, current_catalog / current_database / current_schema, mask, skewness,
kurtosis and try_avg: each answer's rows, and with `_columns` Spark's names and types."""

import datetime
from decimal import Decimal

from pyspark.sql import functions as F

from frames import columns


def _doubles(spark):
    return spark.createDataFrame(
        [(2.5,), (3.5,), (-2.5,), (0.125,), (2.1267,), (-0.0,), (None,)], "d DOUBLE"
    )


def _ints(spark):
    return spark.createDataFrame([(25, 25), (35, 35), (-35, -35), (14, 14), (None, None)], "i INT, l BIGINT")


def _bround_doubles(spark):
    df = _doubles(spark)
    return df.select("d", F.bround("d"), F.bround("d", 2), F.bround("d", -1))


def _bround_ints(spark):
    return _ints(spark).select(F.bround("i", -1), F.bround("l", -1), F.bround("i", 1))


def _bround_decimals(spark):
    df = spark.createDataFrame([(Decimal("2.25"),), (Decimal("2.35"),), (Decimal("-9.95"),)], "x DECIMAL(3,2)")
    return df.select(F.bround("x", 1), F.bround("x"), F.bround("x", 3), F.bround("x", -1))


def _pairs(spark):
    return spark.createDataFrame([(None, None), (1, None), (None, 2), (1, 1), (1, 9)], "a INT, b BIGINT")


def _zeros(spark):
    return spark.createDataFrame([(0, 0.0), (1, 1.5), (None, None)], "a INT, d DOUBLE")


def _strings(spark):
    return spark.createDataFrame(
        [("abcdb", "b"), ("abcd", ""), (None, "a"), ("abc", None), ("héllo wörld", "ö")], "s STRING, sub STRING"
    )


def _locate(spark):
    df = _strings(spark)
    return df.select(
        "s",
        F.locate("b", "s"),
        F.locate("b", "s", 3),
        F.locate("b", "s", 0),
        F.locate("b", "s", -1),
        F.locate("", "s", 2),
        F.locate("ö", "s", 2),
        F.locate("z", "s", 1),
    )


def _locate_sql(spark):
    return spark.createDataFrame([("a", None)], "s STRING, p INT").selectExpr(
        "locate('a', s, p)", "locate(NULL, s, 1)", "locate('a', s, 1)"
    )


def _mask(spark):
    df = spark.createDataFrame([("AbCD123-@$#",), ("abcd-EFGH-8765-4321",), (None,), ("Ünï 9",)], "data STRING")
    return df.select(
        F.mask("data"),
        F.mask("data", F.lit("Y")),
        F.mask("data", F.lit("Y"), F.lit("y"), F.lit("d"), F.lit("*")),
        F.mask("data", F.lit(None), F.lit(None), F.lit(None), F.lit(None)),
    )


def _moments(spark):
    return spark.createDataFrame(
        [("a", 1.0), ("a", 1.0), ("a", 2.0), ("b", 3.0), ("b", 3.0), ("c", None), ("d", 1.0), ("d", 4.0),
         ("d", 2.0), ("d", 8.0), ("d", 3.0)],
        "k STRING, v DOUBLE",
    )


def _moments_by_key(spark):
    return _moments(spark).groupBy("k").agg(
        F.round(F.skewness("v"), 12).alias("s"), F.round(F.kurtosis("v"), 12).alias("k4")
    ).orderBy("k")


def _moments_of_ints(spark):
    df = spark.createDataFrame([(1,), (1,), (2,), (7,)], "c INT")
    return df.select(F.round(F.skewness("c"), 12), F.round(F.kurtosis("c"), 12))


CASES = {
    "bround_doubles": _bround_doubles,
    "bround_doubles_columns": lambda spark: columns(_bround_doubles(spark)),
    "bround_ints": _bround_ints,
    "bround_ints_columns": lambda spark: columns(_bround_ints(spark)),
    "bround_decimals": _bround_decimals,
    "bround_decimals_columns": lambda spark: columns(_bround_decimals(spark)),
    "equal_null": lambda spark: _pairs(spark).select("a", "b", F.equal_null("a", "b")),
    "equal_null_columns": lambda spark: columns(_pairs(spark).select(F.equal_null("a", "b"))),
    "nullifzero": lambda spark: _zeros(spark).select(F.nullifzero("a"), F.nullifzero("d")),
    "nullifzero_columns": lambda spark: columns(_zeros(spark).select(F.nullifzero("a"), F.nullifzero("d"))),
    "zeroifnull": lambda spark: _zeros(spark).select(F.zeroifnull("a"), F.zeroifnull("d")),
    "zeroifnull_columns": lambda spark: columns(_zeros(spark).select(F.zeroifnull("a"), F.zeroifnull("d"))),
    "positive": lambda spark: _zeros(spark).select("a", F.positive("a"), F.positive("d")),
    "positive_columns": lambda spark: columns(_zeros(spark).select(F.positive("a"), F.positive("d"))),
    "locate": _locate,
    "locate_columns": lambda spark: columns(_locate(spark)),
    "locate_sql": _locate_sql,
    "current_catalog": lambda spark: spark.range(1).select(F.current_catalog(), F.current_schema()),
    "current_catalog_columns": lambda spark: columns(spark.range(1).select(F.current_catalog(), F.current_schema())),
    "current_database": lambda spark: spark.range(1).select(F.current_database()),
    "current_database_columns": lambda spark: columns(spark.range(1).select(F.current_database())),
    "current_database_sql": lambda spark: spark.sql(
        "SELECT current_catalog() AS c, current_database() AS d, current_schema() AS s"
    ),
    "mask": _mask,
    "mask_columns": lambda spark: columns(_mask(spark)),
    "moments_by_key": _moments_by_key,
    "moments_columns": lambda spark: columns(_moments(spark).groupBy("k").agg(F.skewness("v"), F.kurtosis("v"))),
    "moments_of_ints": _moments_of_ints,
    "moments_of_nothing": lambda spark: _moments(spark).where("k = 'z'").select(F.skewness("v"), F.kurtosis("v")),
    "try_avg": lambda spark: _ints(spark).select(F.try_avg("i"), F.try_avg("l")),
    "try_avg_columns": lambda spark: columns(_ints(spark).select(F.try_avg("i"))),
}


def _hash_inputs(spark):
    return spark.createDataFrame(
        [
            (1, 1, 1.5, -0.0, 2.5, "ABC", bytearray(b"\x01\x02"), Decimal("12.34"),
             Decimal("123456789012345678901.5"), datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4, 5),
             True, 7, None),
            (-5, -1, 0.0, 0.0, -0.0, "", bytearray(b""), Decimal("-0.01"), Decimal("-1"),
             datetime.date(1970, 1, 1), datetime.datetime(1960, 1, 1), False, -7, 3),
        ],
        "i INT, l BIGINT, d DOUBLE, z DOUBLE, f FLOAT, s STRING, b BINARY, m DECIMAL(4,2), w DECIMAL(30,1), "
        "dt DATE, ts TIMESTAMP, bo BOOLEAN, ti TINYINT, n INT",
    )


def _hashes(spark):
    df = _hash_inputs(spark)
    return df.select(*[F.hash(c).alias(c) for c in df.columns], F.hash("i", "s", "n", "d").alias("chained"))


CASES.update({
    "hashes": _hashes,
    "hash_columns": lambda spark: columns(_hash_inputs(spark).select(F.hash("i", "s"), F.hash("l"))),
    "hash_of_nulls": lambda spark: spark.range(1).select(F.hash(F.lit(None)), F.hash(F.lit(None).cast("string"), F.lit(1))),
})


def _positions(spark):
    df = spark.createDataFrame([("bar", "foobarbar", 5), ("x", None, 1), ("ö", "aöböc", 3)], "a STRING, b STRING, c INT")
    return df.select(F.position("a", "b", "c"), F.position("a", "b"))


CASES.update({
    "position": _positions,
    "position_columns": lambda spark: columns(_positions(spark)),
    "bitwise_not": lambda spark: spark.createDataFrame([(0,), (3,), (None,)], "v INT").select(F.bitwise_not("v")),
    "bitwise_not_columns": lambda spark: columns(
        spark.createDataFrame([(0,)], "v BIGINT").select(F.bitwise_not("v"))
    ),
    "star_arguments": lambda spark: spark.createDataFrame([("ABC", "DEF")], ["c1", "c2"]).select(
        F.hash("*"), F.xxhash64("*")
    ),
})
