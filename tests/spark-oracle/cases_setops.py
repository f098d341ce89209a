"""union, unionByName, intersect, except, distinct and all (formerly in
tests/python/test_setops.py)."""

from frames import columns


def _ints(spark, *values):
    return spark.createDataFrame([(v,) for v in values], "v INT")


def _union_by_name(spark):
    a = spark.createDataFrame([(1, "x")], "n INT, s STRING")
    b = spark.createDataFrame([("y", 2)], "s STRING, n INT")
    return a.unionByName(b)


CASES = {
    "union_keeps_duplicates": lambda spark: _ints(spark, 1, 2).union(_ints(spark, 1, 2)).orderBy("v"),
    "union_all_alias": lambda spark: _ints(spark, 1).unionAll(_ints(spark, 1)),
    "union_then_distinct": lambda spark: _ints(spark, 1, 2).union(_ints(spark, 1, 2)).distinct().orderBy("v"),
    "union_by_name": lambda spark: _union_by_name(spark).orderBy("n"),
    "union_by_name_columns": lambda spark: columns(_union_by_name(spark)),
    "intersect": lambda spark: _ints(spark, 1, 2, 2, 3).intersect(_ints(spark, 2, 2, 3, 4)).orderBy("v"),
    "intersect_all": lambda spark: _ints(spark, 1, 2, 2, 3).intersectAll(_ints(spark, 2, 2, 3, 4)).orderBy("v"),
    "subtract": lambda spark: _ints(spark, 1, 1, 2).subtract(_ints(spark, 2)),
    "except_all": lambda spark: _ints(spark, 1, 1, 2).exceptAll(_ints(spark, 1)).orderBy("v"),
}
