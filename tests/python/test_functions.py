"""Spark built-in functions people use."""

import datetime

from pyspark.sql import functions as F
from helpers import rows


def one(spark, *cols):
    return rows(spark.range(1).select(*cols))[0]


def test_string_functions(spark):
    s = F.lit("Hello")
    assert one(spark, F.upper(s), F.lower(s), F.length(s)) == ("HELLO", "hello", 5)


def test_concat_and_concat_ws(spark):
    assert one(spark, F.concat(F.lit("a"), F.lit("b")), F.concat_ws("-", F.lit("a"), F.lit("b"))) == ("ab", "a-b")


def test_substring(spark):
    assert one(spark, F.substring(F.lit("abcdef"), 2, 3)) == ("bcd",)


def test_trim(spark):
    assert one(spark, F.trim(F.lit("  x  ")), F.ltrim(F.lit(" x")), F.rtrim(F.lit("x "))) == ("x", "x", "x")


def test_regexp_replace(spark):
    assert one(spark, F.regexp_replace(F.lit("a1b22"), r"\d+", "#")) == ("a#b#",)



def test_split(spark):
    assert one(spark, F.split(F.lit("a,b,c"), ",")) == (["a", "b", "c"],)


def test_lpad_rpad(spark):
    assert one(spark, F.lpad(F.lit("7"), 3, "0"), F.rpad(F.lit("7"), 3, "x")) == ("007", "7xx")


def test_initcap_reverse(spark):
    assert one(spark, F.initcap(F.lit("hello world")), F.reverse(F.lit("abc"))) == ("Hello World", "cba")


def test_math(spark):
    assert one(spark, F.abs(F.lit(-3)), F.sqrt(F.lit(16.0)), F.pow(F.lit(2.0), F.lit(3.0))) == (3, 4.0, 8.0)


def test_round_floor_ceil(spark):
    assert one(spark, F.round(F.lit(2.567), 2), F.floor(F.lit(2.5)), F.ceil(F.lit(2.1))) == (2.57, 2, 3)


def test_greatest_least(spark):
    assert one(spark, F.greatest(F.lit(1), F.lit(5), F.lit(3)), F.least(F.lit(4), F.lit(2))) == (5, 2)


def test_coalesce(spark):
    assert one(spark, F.coalesce(F.lit(None), F.lit(7))) == (7,)


def test_nvl_isnull(people):
    out = people.orderBy("id").select(F.coalesce("age", F.lit(0)).alias("a"), F.isnull("age").alias("n"))
    assert rows(out) == [(34, False), (45, False), (29, False), (0, True), (52, False)]


def test_date_functions(spark):
    d = F.lit(datetime.date(2024, 3, 15))
    assert one(spark, F.year(d), F.month(d), F.dayofmonth(d)) == (2024, 3, 15)


def test_date_add_sub(spark):
    d = F.lit(datetime.date(2024, 3, 15))
    assert one(spark, F.date_add(d, 1), F.date_sub(d, 15)) == (datetime.date(2024, 3, 16), datetime.date(2024, 2, 29))


def test_datediff(spark):
    assert one(spark, F.datediff(F.lit(datetime.date(2024, 3, 15)), F.lit(datetime.date(2024, 3, 1)))) == (14,)


def test_to_date(spark):
    assert one(spark, F.to_date(F.lit("2024-01-31"))) == (datetime.date(2024, 1, 31),)



def test_current_date_type(spark):
    assert isinstance(one(spark, F.current_date())[0], datetime.date)


def test_array_functions(spark):
    arr = F.array(F.lit(3), F.lit(1), F.lit(2))
    assert one(spark, F.size(arr), F.array_contains(arr, 2), F.sort_array(arr)) == (3, True, [1, 2, 3])



def test_md5_sha(spark):
    assert one(spark, F.md5(F.lit("a"))) == ("0cc175b9c0f1b6a831c399e269772661",)



def test_string_column_functions(people):
    out = people.where("id = 1").select(F.upper("name").alias("u"), F.length("name").alias("n"))
    assert rows(out) == [("ALICE", 5)]


def test_expr_with_sql_functions(people):
    out = people.where("id = 2").select(F.expr("concat(name, '!')").alias("x"))
    assert rows(out) == [("Bob!",)]


def test_function_names(spark):
    df = spark.createDataFrame([("a",)], "s STRING")
    assert df.select(F.upper("s"), F.concat("s", F.lit("x"))).columns == ["upper(s)", "concat(s, x)"]


def test_explode(spark):
    out = spark.range(1).select(F.explode(F.array(F.lit(1), F.lit(2))))
    assert out.columns == ["col"]
    assert rows(out) == [(1,), (2,)]


def test_explode_with_other_columns(spark):
    df = spark.createDataFrame([("a", [1, 2]), ("b", [3])], "k STRING, vs ARRAY<INT>")
    out = df.select("k", F.explode("vs").alias("v")).orderBy("k", "v")
    assert rows(out) == [("a", 1), ("a", 2), ("b", 3)]
