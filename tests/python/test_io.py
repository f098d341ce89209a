"""Writing files: the files and folders a write leaves, save-mode and missing-path errors,
saveAsTable. What reading files back answers is Spark-oracle cases
(tests/spark-oracle/cases_io.py)."""

import os

import pytest
from helpers import rows


@pytest.fixture()
def out_dir(tmp_path):
    return str(tmp_path / "out")


def test_write_creates_success_marker(spark, out_dir):
    spark.range(3).write.parquet(out_dir)
    assert os.path.exists(os.path.join(out_dir, "_SUCCESS"))


def test_mode_error_raises(spark, out_dir):
    spark.range(1).write.parquet(out_dir)
    with pytest.raises(Exception, match="PATH_ALREADY_EXISTS"):
        spark.range(1).write.parquet(out_dir)


def test_partition_by(spark, out_dir):
    df = spark.createDataFrame([(1, "a"), (2, "b"), (3, "a")], "n INT, k STRING")
    df.write.partitionBy("k").parquet(out_dir)
    assert sorted(os.listdir(out_dir)) == ["_SUCCESS", "k=a", "k=b"]


def test_read_missing_path(spark, tmp_path):
    with pytest.raises(Exception, match="PATH_NOT_FOUND"):
        spark.read.parquet(str(tmp_path / "nope")).count()


def test_save_as_table(spark):
    spark.range(3).write.mode("overwrite").saveAsTable("saved_t")
    assert rows(spark.table("saved_t").orderBy("id")) == [(0,), (1,), (2,)]
