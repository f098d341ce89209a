"""union, unionByName, intersect, except (distinct and all)."""

from helpers import rows, sorted_rows


def test_union_keeps_duplicates(spark):
    a = spark.createDataFrame([(1,), (2,)], "v INT")
    assert sorted_rows(a.union(a)) == [(1,), (1,), (2,), (2,)]


def test_union_all_alias(spark):
    a = spark.createDataFrame([(1,)], "v INT")
    assert a.unionAll(a).count() == 2


def test_union_then_distinct(spark):
    a = spark.createDataFrame([(1,), (2,)], "v INT")
    assert sorted_rows(a.union(a).distinct()) == [(1,), (2,)]


def test_union_by_name(spark):
    a = spark.createDataFrame([(1, "x")], "n INT, s STRING")
    b = spark.createDataFrame([("y", 2)], "s STRING, n INT")
    out = a.unionByName(b)
    assert out.columns == ["n", "s"]
    assert sorted_rows(out) == [(1, "x"), (2, "y")]


def test_intersect(spark):
    a = spark.createDataFrame([(1,), (2,), (2,), (3,)], "v INT")
    b = spark.createDataFrame([(2,), (2,), (3,), (4,)], "v INT")
    assert sorted_rows(a.intersect(b)) == [(2,), (3,)]


def test_intersect_all(spark):
    a = spark.createDataFrame([(1,), (2,), (2,), (3,)], "v INT")
    b = spark.createDataFrame([(2,), (2,), (3,), (4,)], "v INT")
    assert sorted_rows(a.intersectAll(b)) == [(2,), (2,), (3,)]


def test_subtract(spark):
    a = spark.createDataFrame([(1,), (1,), (2,)], "v INT")
    b = spark.createDataFrame([(2,)], "v INT")
    assert rows(a.subtract(b)) == [(1,)]


def test_except_all(spark):
    a = spark.createDataFrame([(1,), (1,), (2,)], "v INT")
    b = spark.createDataFrame([(1,)], "v INT")
    assert sorted_rows(a.exceptAll(b)) == [(1,), (2,)]
