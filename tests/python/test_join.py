"""Joins: every type, on expressions and on column names."""

import pytest
from pyspark.sql import functions as F
from helpers import rows, sorted_rows


@pytest.fixture()
def left(spark):
    return spark.createDataFrame([(1, "a"), (2, "b"), (3, "c")], "id INT, l STRING")


@pytest.fixture()
def right(spark):
    return spark.createDataFrame([(2, "x"), (3, "y"), (4, "z")], "id INT, r STRING")


def test_inner_using(left, right):
    out = left.join(right, "id")
    assert out.columns == ["id", "l", "r"]
    assert sorted_rows(out) == [(2, "b", "x"), (3, "c", "y")]


def test_left_using(left, right):
    assert sorted_rows(left.join(right, "id", "left")) == [(1, "a", None), (2, "b", "x"), (3, "c", "y")]


def test_right_using(left, right):
    assert sorted_rows(left.join(right, "id", "right")) == [(2, "b", "x"), (3, "c", "y"), (4, None, "z")]


def test_full_using(left, right):
    out = left.join(right, ["id"], "full")
    assert sorted_rows(out) == [(1, "a", None), (2, "b", "x"), (3, "c", "y"), (4, None, "z")]


def test_semi(left, right):
    out = left.join(right, "id", "left_semi")
    assert out.columns == ["id", "l"]
    assert sorted_rows(out) == [(2, "b"), (3, "c")]


def test_anti(left, right):
    assert sorted_rows(left.join(right, "id", "left_anti")) == [(1, "a")]


def test_inner_on_expression(left, right):
    out = left.join(right, left.id == right.id).select(left.id, "l", "r")
    assert sorted_rows(out) == [(2, "b", "x"), (3, "c", "y")]


def test_on_expression_keeps_both_keys(left, right):
    out = left.join(right, left.id == right.id, "inner")
    assert out.columns == ["id", "l", "id", "r"]


def test_left_on_expression(left, right):
    out = left.join(right, left.id == right.id, "left").select(left.id, right.r)
    assert sorted_rows(out) == [(1, None), (2, "x"), (3, "y")]


def test_full_on_expression(left, right):
    out = left.join(right, left.id == right.id, "outer").select(left.l, right.r)
    assert sorted_rows(out) == [(None, "z"), ("a", None), ("b", "x"), ("c", "y")]


def test_non_equi_join(left, right):
    out = left.join(right, left.id < right.id).select(left.id.alias("a"), right.id.alias("b"))
    assert sorted_rows(out) == [(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)]


def test_cross_join(left, right):
    assert left.crossJoin(right).count() == 9


def test_join_with_aliases(left, right):
    a, b = left.alias("a"), right.alias("b")
    out = a.join(b, F.col("a.id") == F.col("b.id")).select("a.l", "b.r")
    assert sorted_rows(out) == [("b", "x"), ("c", "y")]


def test_join_then_aggregate(left, right):
    out = left.join(right, "id", "full").groupBy().agg(F.count("*").alias("n"))
    assert rows(out) == [(4,)]


def test_join_multiple_keys(spark):
    a = spark.createDataFrame([(1, 1, "a"), (1, 2, "b")], "x INT, y INT, v STRING")
    b = spark.createDataFrame([(1, 2, "c")], "x INT, y INT, w STRING")
    assert rows(a.join(b, ["x", "y"])) == [(1, 2, "b", "c")]
