"""Filter, sort, limit, offset, tail, distinct."""

from pyspark.sql import functions as F
from helpers import rows


def test_filter_column(people):
    assert rows(people.filter(people.age > 40).select("id").orderBy("id")) == [(2,), (5,)]


def test_filter_string(people):
    assert rows(people.filter("dept = 'eng'").select("id").orderBy("id")) == [(1,), (3,)]


def test_where_and(people):
    assert rows(people.where((people.dept == "ops") & (people.age > 40)).select("id")) == [(2,)]


def test_where_or(people):
    assert rows(people.where((people.id == 1) | (people.id == 5)).select("id").orderBy("id")) == [(1,), (5,)]


def test_not_equal(people):
    assert rows(people.where(people.dept != "eng").select("id").orderBy("id")) == [(2,), (4,)]


def test_order_by_desc(people):
    assert rows(people.orderBy(F.desc("id")).select("id").limit(2)) == [(5,), (4,)]


def test_order_by_multiple(people):
    out = people.orderBy(F.asc("dept"), F.desc("age")).select("id")
    assert rows(out) == [(5,), (1,), (3,), (2,), (4,)]


def test_sort_nulls_first_by_default(people):
    assert rows(people.orderBy("age").select("id")) == [(4,), (3,), (1,), (2,), (5,)]


def test_sort_desc_nulls_last(people):
    assert rows(people.orderBy(people.age.desc()).select("id")) == [(5,), (2,), (1,), (3,), (4,)]


def test_sort_asc_nulls_last(people):
    assert rows(people.orderBy(people.age.asc_nulls_last()).select("id")) == [(3,), (1,), (2,), (5,), (4,)]


def test_sort_desc_nulls_first(people):
    assert rows(people.orderBy(people.age.desc_nulls_first()).select("id")) == [(4,), (5,), (2,), (1,), (3,)]


def test_limit(spark):
    assert rows(spark.range(10).limit(3)) == [(0,), (1,), (2,)]


def test_limit_zero(spark):
    assert rows(spark.range(10).limit(0)) == []


def test_offset(spark):
    assert rows(spark.range(5).orderBy("id").offset(3)) == [(3,), (4,)]


def test_tail(spark):
    assert [r.id for r in spark.range(10).tail(2)] == [8, 9]


def test_distinct(spark):
    df = spark.createDataFrame([(1,), (1,), (2,)], "a INT")
    assert rows(df.distinct().orderBy("a")) == [(1,), (2,)]


def test_drop_duplicates_subset(people):
    out = people.dropDuplicates(["dept"]).select("dept").orderBy("dept")
    assert rows(out) == [(None,), ("eng",), ("ops",)]


def test_drop_duplicates_all(spark):
    df = spark.createDataFrame([(1, "a"), (1, "a"), (1, "b")], "n INT, s STRING")
    assert df.dropDuplicates().count() == 2


def test_sample_fraction_bounds(spark):
    n = spark.range(1000).sample(fraction=0.5).count()
    assert 300 < n < 700


def test_repartition_keeps_rows(spark):
    assert spark.range(100).repartition(4).count() == 100
    assert spark.range(100).repartition(3, "id").count() == 100
    assert spark.range(100).coalesce(1).count() == 100


def test_hint_is_accepted(people):
    assert people.hint("broadcast").count() == 5


def test_filter_on_dropped_column(people):
    assert rows(people.select("name").where(people.age > 40).orderBy("name")) == [("Bob",), ("Eve",)]


def test_sort_by_dropped_column(people):
    assert rows(people.select("name").orderBy("id")) == [("Alice",), ("Bob",), ("Carol",), ("Dan",), ("Eve",)]
