"""Filter, sort (null ordering), limit, offset, tail, distinct (moved from
tests/python/test_filter_sort.py). The sort cases keep Spark's order: it is their point."""

from pyspark.sql import functions as F

from frames import people


def _ids(where):
    """A case: the ids of the people `where` selects, in id order."""

    def case(spark):
        df = people(spark)
        return df.where(where(df)).select("id").orderBy("id")

    return case


def _ids_ordered_by(order):
    """A case: every person's id, ordered by `order` (of the people DataFrame)."""

    def case(spark):
        df = people(spark)
        return df.orderBy(*order(df)).select("id")

    return case


def _filter_on_dropped_column(spark):
    df = people(spark)
    return df.select("name").where(df.age > 40).orderBy("name")


CASES = {
    "filter_column": _ids(lambda df: df.age > 40),
    "filter_string": lambda spark: people(spark).filter("dept = 'eng'").select("id").orderBy("id"),
    "where_and": _ids(lambda df: (df.dept == "ops") & (df.age > 40)),
    "where_or": _ids(lambda df: (df.id == 1) | (df.id == 5)),
    "not_equal_drops_nulls": _ids(lambda df: df.dept != "eng"),
    "order_by_desc_limit": lambda spark: people(spark).orderBy(F.desc("id")).select("id").limit(2),
    "order_by_multiple": _ids_ordered_by(lambda df: [F.asc("dept"), F.desc("age")]),
    "sort_nulls_first_by_default": _ids_ordered_by(lambda df: ["age"]),
    "sort_desc_nulls_last": _ids_ordered_by(lambda df: [df.age.desc()]),
    "sort_asc_nulls_last": _ids_ordered_by(lambda df: [df.age.asc_nulls_last()]),
    "sort_desc_nulls_first": _ids_ordered_by(lambda df: [df.age.desc_nulls_first()]),
    "limit": lambda spark: spark.range(10).limit(3),
    "limit_zero": lambda spark: spark.range(10).limit(0),
    "offset": lambda spark: spark.range(5).orderBy("id").offset(3),
    "tail": lambda spark: spark.createDataFrame(spark.range(10).tail(2), "id BIGINT"),
    "distinct": lambda spark: spark.createDataFrame([(1,), (1,), (2,)], "a INT").distinct().orderBy("a"),
    "drop_duplicates_subset": lambda spark: people(spark).dropDuplicates(["dept"]).select("dept").orderBy("dept"),
    "drop_duplicates_all": lambda spark: spark.createDataFrame([(1, "a"), (1, "a"), (1, "b")], "n INT, s STRING")
    .dropDuplicates()
    .orderBy("n", "s"),
    "repartition_keeps_rows": lambda spark: spark.range(100).repartition(4).groupBy().count(),
    "repartition_by_column_keeps_rows": lambda spark: spark.range(100).repartition(3, "id").groupBy().count(),
    "coalesce_keeps_rows": lambda spark: spark.range(100).coalesce(1).groupBy().count(),
    "hint_is_accepted": lambda spark: people(spark).hint("broadcast").groupBy().count(),
    "filter_on_dropped_column": _filter_on_dropped_column,
    "sort_by_dropped_column": lambda spark: people(spark).select("name").orderBy("id"),
}
