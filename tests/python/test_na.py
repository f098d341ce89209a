"""fillna / dropna."""

from helpers import rows


def test_fillna_numeric(people):
    assert rows(people.fillna(0).orderBy("id").select("age")) == [(34,), (45,), (29,), (0,), (52,)]


def test_fillna_string(people):
    assert rows(people.fillna("none").orderBy("id").select("dept")) == [("eng",), ("ops",), ("eng",), ("ops",), ("none",)]


def test_fillna_subset(people):
    out = people.fillna({"age": 1}).orderBy("id").select("age", "dept")
    assert rows(out)[3] == (1, "ops") and rows(out)[4] == (52, None)


def test_dropna_any(people):
    assert rows(people.dropna().select("id").orderBy("id")) == [(1,), (2,), (3,)]


def test_dropna_subset(people):
    assert rows(people.dropna(subset=["age"]).select("id").orderBy("id")) == [(1,), (2,), (3,), (5,)]


def test_dropna_all(spark):
    df = spark.createDataFrame([(None, None), (1, None)], "a INT, b INT")
    assert rows(df.dropna(how="all")) == [(1, None)]


def test_dropna_thresh(spark):
    df = spark.createDataFrame([(None, None, 1), (1, None, 1), (1, 1, 1)], "a INT, b INT, c INT")
    assert df.dropna(thresh=2).count() == 2


def test_na_fill_alias(people):
    assert people.na.fill(0).where("id = 4").select("age").collect()[0].age == 0
