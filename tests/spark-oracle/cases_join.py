"""Joins of every type, on expressions and on column names (formerly in
tests/python/test_join.py); `_columns` cases record the names and types."""

from pyspark.sql import functions as F

from frames import columns


def _left(spark):
    return spark.createDataFrame([(1, "a"), (2, "b"), (3, "c")], "id INT, l STRING")


def _right(spark):
    return spark.createDataFrame([(2, "x"), (3, "y"), (4, "z")], "id INT, r STRING")


def _using(how):
    """A case: left joined with right on `id` (`how`), in id order."""
    return lambda spark: _left(spark).join(_right(spark), "id", how).orderBy("id")


def _on_id(how, *select):
    """A case: left joined with right on left.id == right.id (`how`), `select`ed and sorted."""

    def case(spark):
        left, right = _left(spark), _right(spark)
        cols = [getattr(left if side == "left" else right, name) for side, name in select]
        return left.join(right, left.id == right.id, how).select(*cols).orderBy(*cols)

    return case


def _on_expression_columns(spark):
    left, right = _left(spark), _right(spark)
    return columns(left.join(right, left.id == right.id, "inner"))


def _non_equi(spark):
    left, right = _left(spark), _right(spark)
    return left.join(right, left.id < right.id).select(left.id.alias("a"), right.id.alias("b")).orderBy("a", "b")


def _with_aliases(spark):
    a, b = _left(spark).alias("a"), _right(spark).alias("b")
    return a.join(b, F.col("a.id") == F.col("b.id")).select("a.l", "b.r").orderBy("l")


CASES = {
    "inner_using": _using("inner"),
    "inner_using_columns": lambda spark: columns(_left(spark).join(_right(spark), "id")),
    "left_using": _using("left"),
    "right_using": _using("right"),
    "full_using": lambda spark: _left(spark).join(_right(spark), ["id"], "full").orderBy("id"),
    "full_using_columns": lambda spark: columns(_left(spark).join(_right(spark), ["id"], "full")),
    "semi": _using("left_semi"),
    "semi_columns": lambda spark: columns(_left(spark).join(_right(spark), "id", "left_semi")),
    "anti": _using("left_anti"),
    "inner_on_expression": _on_id("inner", ("left", "id"), ("left", "l"), ("right", "r")),
    "on_expression_keeps_both_keys_columns": _on_expression_columns,
    "left_on_expression": _on_id("left", ("left", "id"), ("right", "r")),
    "full_on_expression": _on_id("outer", ("left", "l"), ("right", "r")),
    "non_equi_join": _non_equi,
    "cross_join_count": lambda spark: _left(spark).crossJoin(_right(spark)).groupBy().count(),
    "join_with_aliases": _with_aliases,
    "join_then_aggregate": lambda spark: _left(spark)
    .join(_right(spark), "id", "full")
    .groupBy()
    .agg(F.count("*").alias("n")),
    "join_multiple_keys": lambda spark: spark.createDataFrame([(1, 1, "a"), (1, 2, "b")], "x INT, y INT, v STRING").join(
        spark.createDataFrame([(1, 2, "c")], "x INT, y INT, w STRING"), ["x", "y"]
    ),
    "join_multiple_keys_columns": lambda spark: columns(
        spark.createDataFrame([(1, 1, "a")], "x INT, y INT, v STRING").join(
            spark.createDataFrame([(1, 2, "c")], "x INT, y INT, w STRING"), ["x", "y"]
        )
    ),
}
