"""Reading and writing files with Spark's formats, options and save modes."""

import os

import pytest
from helpers import rows, schema_of, sorted_rows


@pytest.fixture()
def out_dir(tmp_path):
    return str(tmp_path / "out")


def test_parquet_round_trip(people, spark, out_dir):
    people.write.parquet(out_dir)
    back = spark.read.parquet(out_dir)
    assert schema_of(back) == [("id", "int"), ("name", "string"), ("age", "int"), ("dept", "string")]
    assert sorted_rows(back.select("id", "name")) == [(1, "Alice"), (2, "Bob"), (3, "Carol"), (4, "Dan"), (5, "Eve")]


def test_write_creates_success_marker(spark, out_dir):
    spark.range(3).write.parquet(out_dir)
    assert os.path.exists(os.path.join(out_dir, "_SUCCESS"))


def test_csv_round_trip_with_header(spark, out_dir):
    spark.createDataFrame([(1, "a"), (2, "b")], "n INT, s STRING").write.option("header", True).csv(out_dir)
    back = spark.read.option("header", True).option("inferSchema", True).csv(out_dir)
    assert back.columns == ["n", "s"]
    assert sorted_rows(back) == [(1, "a"), (2, "b")]


def test_csv_with_schema(spark, out_dir):
    spark.createDataFrame([(1, "a")], "n INT, s STRING").write.csv(out_dir)
    back = spark.read.schema("n INT, s STRING").csv(out_dir)
    assert schema_of(back) == [("n", "int"), ("s", "string")]
    assert rows(back) == [(1, "a")]


def test_json_round_trip(spark, out_dir):
    spark.createDataFrame([(1, "a")], "n BIGINT, s STRING").write.json(out_dir)
    back = spark.read.json(out_dir)
    assert sorted(back.columns) == ["n", "s"]
    assert rows(back.select("n", "s")) == [(1, "a")]


def test_format_load_save(spark, out_dir):
    spark.range(4).write.format("parquet").save(out_dir)
    assert spark.read.format("parquet").load(out_dir).count() == 4


def test_mode_error_raises(spark, out_dir):
    spark.range(1).write.parquet(out_dir)
    with pytest.raises(Exception, match="PATH_ALREADY_EXISTS"):
        spark.range(1).write.parquet(out_dir)


def test_mode_overwrite(spark, out_dir):
    spark.range(5).write.parquet(out_dir)
    spark.range(2).write.mode("overwrite").parquet(out_dir)
    assert spark.read.parquet(out_dir).count() == 2


def test_mode_append(spark, out_dir):
    spark.range(5).write.parquet(out_dir)
    spark.range(2).write.mode("append").parquet(out_dir)
    assert spark.read.parquet(out_dir).count() == 7


def test_mode_ignore(spark, out_dir):
    spark.range(5).write.parquet(out_dir)
    spark.range(2).write.mode("ignore").parquet(out_dir)
    assert spark.read.parquet(out_dir).count() == 5


def test_partition_by(spark, out_dir):
    df = spark.createDataFrame([(1, "a"), (2, "b"), (3, "a")], "n INT, k STRING")
    df.write.partitionBy("k").parquet(out_dir)
    assert sorted(os.listdir(out_dir)) == ["_SUCCESS", "k=a", "k=b"]
    assert spark.read.parquet(out_dir).count() == 3


def test_partition_discovery(spark, out_dir):
    """Spark's partition discovery (docs: sql-data-sources-parquet, "Partition Discovery"):
    the `col=value` folders become columns after the files' own, their types inferred
    (numeric, date, else string)."""
    df = spark.createDataFrame([(1, "a", 10, "2024-01-31"), (2, "b", 20, "2024-02-01"), (3, "a", 10, "2024-01-31")],
                               "n INT, k STRING, year INT, day STRING")
    df.write.partitionBy("year", "day").parquet(out_dir)
    back = spark.read.parquet(out_dir)
    assert [(f.name, f.dataType.simpleString()) for f in back.schema.fields] == [
        ("n", "int"), ("k", "string"), ("year", "int"), ("day", "date")]
    assert sorted((r.n, r.k, r.year, str(r.day)) for r in back.collect()) == [
        (1, "a", 10, "2024-01-31"), (2, "b", 20, "2024-02-01"), (3, "a", 10, "2024-01-31")]
    assert [r.n for r in back.filter("year = 20").collect()] == [2]


def test_read_missing_path(spark, tmp_path):
    with pytest.raises(Exception, match="PATH_NOT_FOUND"):
        spark.read.parquet(str(tmp_path / "nope")).count()


def test_save_as_table(spark):
    spark.range(3).write.mode("overwrite").saveAsTable("saved_t")
    assert rows(spark.table("saved_t").orderBy("id")) == [(0,), (1,), (2,)]


def test_read_text_lines_as_csv(spark, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    back = spark.read.csv(str(path), header=True)
    assert rows(back.orderBy("a")) == [("1", "x"), ("2", "y")]
