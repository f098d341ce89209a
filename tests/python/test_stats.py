"""describe(), summary() and na.replace()."""

from helpers import rows


def test_describe_numeric(spark):
    df = spark.createDataFrame([(1,), (2,), (3,)], "v INT")
    out = df.describe()
    assert out.columns == ["summary", "v"]
    assert rows(out) == [("count", "3"), ("mean", "2.0"), ("stddev", "1.0"), ("min", "1"), ("max", "3")]


def test_describe_string_column(people):
    out = people.describe("name")
    assert rows(out) == [("count", "5"), ("mean", None), ("stddev", None), ("min", "Alice"), ("max", "Eve")]


def test_summary_selected_statistics(spark):
    df = spark.createDataFrame([(1,), (2,), (3,)], "v INT")
    assert rows(df.summary("count", "min", "max")) == [("count", "3"), ("min", "1"), ("max", "3")]


def test_replace_numbers(spark):
    df = spark.createDataFrame([(1, "a"), (2, "b")], "n INT, s STRING")
    assert rows(df.replace(1, 10)) == [(10, "a"), (2, "b")]


def test_replace_strings_subset(spark):
    df = spark.createDataFrame([("a", "a")], "x STRING, y STRING")
    assert rows(df.na.replace("a", "z", subset=["y"])) == [("a", "z")]


def test_replace_dict(spark):
    df = spark.createDataFrame([("a",), ("b",), ("c",)], "s STRING")
    assert rows(df.replace({"a": "x", "b": "y"})) == [("x",), ("y",), ("c",)]
