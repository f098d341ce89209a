"""Writes never lose data, on every master: a query may overwrite the path it reads, and a
write killed midway leaves the previous data as it was, with no partial file in the target.

Issue 10: `spark.read.parquet(p).filter(...).write.mode("overwrite").parquet(p)` left
nothing at p (the target was deleted before the query that reads it ran). Flint now takes
Spark's dynamic-overwrite view: the new files are staged beside the target and swapped in
once the job has finished. Every body runs on a local folder and on an S3 bucket (issue 12:
object stores have no rename, so there the finished attempts' objects are copied in).

What these writes leave, read back, is checked against real Spark on local folders in
tests/spark-oracle/cases_writes.py; overwriting the path a query reads is where Flint
differs on purpose (Spark refuses it: cases_writes_differences.py)."""

import os
import subprocess
import sys
import threading
import time

import pytest
from pyspark.sql import SparkSession

from conftest import connect_server
from storage import KINDS, s3_conf_args, storage

MASTERS = ["local[2]", "local-cluster[2,1,512]"]

# A write long enough to be killed midway: argv[1] is the server, argv[2] the target.
LONG_OVERWRITE = """
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.remote(sys.argv[1]).create()
big = spark.range(0, 40_000_000, 1, 8).selectExpr("id", "id * 2 AS twice", "cast(id AS string) AS s")
big.write.mode("overwrite").parquet(sys.argv[2])
"""


@pytest.fixture(params=MASTERS)
def server(request, tmp_path):
    """A server process of its own (these tests kill it) and its URL."""
    with open(tmp_path / "server.log", "w") as log:
        args = ["--master", request.param, "--conf", "spark.sql.shuffle.partitions=4", *s3_conf_args()]
        with connect_server(log, *args) as started:
            yield started


@pytest.fixture(params=KINDS)
def store(request, tmp_path):
    """Where the test writes: a local folder, or a prefix of the S3 bucket."""
    return storage(request.param, tmp_path)


@pytest.fixture()
def spark(server):
    """A session on the test's own server, stopped before the server is."""
    session = SparkSession.builder.remote(server[1]).create()
    yield session
    session.stop()


def test_overwriting_the_path_a_query_reads_keeps_the_data(spark, store):
    target = store.path("numbers")
    spark.range(0, 1000).write.parquet(target)

    spark.read.parquet(target).filter("id % 3 = 0").write.mode("overwrite").parquet(target)

    assert sorted(r.id for r in spark.read.parquet(target).collect()) == list(range(0, 1000, 3))
    assert "_SUCCESS" in store.entries("numbers")
    assert store.leftovers() == []


def test_appending_to_the_path_a_query_reads_doubles_it(spark, store):
    target = store.path("numbers")
    spark.range(0, 10).write.parquet(target)

    spark.read.parquet(target).write.mode("append").parquet(target)

    assert sorted(r.id for r in spark.read.parquet(target).collect()) == sorted(list(range(10)) * 2)
    assert store.leftovers() == []


def test_every_save_mode(spark, store):
    """Spark's save modes: error (the default) refuses an existing target naming it,
    ignore leaves it, append adds to it, overwrite replaces it."""
    target = store.path("modes")
    spark.range(0, 5).write.mode("error").parquet(target)
    with pytest.raises(Exception, match=r"PATH_ALREADY_EXISTS.*modes"):
        spark.range(0, 5).write.parquet(target)
    spark.range(100, 200).write.mode("ignore").parquet(target)
    assert sorted(r.id for r in spark.read.parquet(target).collect()) == list(range(5))
    spark.range(5, 8).write.mode("append").parquet(target)
    assert sorted(r.id for r in spark.read.parquet(target).collect()) == list(range(8))
    spark.range(42, 43).write.mode("overwrite").parquet(target)
    assert [r.id for r in spark.read.parquet(target).collect()] == [42]
    spark.range(0, 3).write.mode("ignore").parquet(store.path("new"))
    assert sorted(r.id for r in spark.read.parquet(store.path("new")).collect()) == [0, 1, 2]
    assert store.leftovers() == []


def test_csv_and_json_round_trip(spark, store):
    people = spark.createDataFrame([(1, "Ann", 3.5), (2, "Bo", None)], "id INT, name STRING, score DOUBLE")
    people.write.option("header", True).csv(store.path("people.csv"))
    people.write.json(store.path("people.json"))
    csv = spark.read.option("header", True).option("inferSchema", True).csv(store.path("people.csv"))
    assert sorted(tuple(r) for r in csv.collect()) == [(1, "Ann", 3.5), (2, "Bo", None)]
    back = spark.read.json(store.path("people.json")).select("id", "name", "score")
    assert sorted(tuple(r) for r in back.collect()) == [(1, "Ann", 3.5), (2, "Bo", None)]
    assert store.leftovers() == []


def _ids_by_partition(spark, store, name):
    """{partition folder: sorted ids} (read folder by folder: partition discovery is not
    what this tests)."""
    target = store.path(name)
    return {
        folder: sorted(r.id for r in spark.read.parquet(f"{target}/{folder}").collect())
        for folder in store.entries(name)
        if folder.startswith("k=")
    }


def test_partitioned_overwrite_and_append(spark, store):
    target = store.path("parts")
    spark.range(0, 20).selectExpr("id", "id % 2 AS k").write.partitionBy("k").parquet(target)
    spark.range(100, 104).selectExpr("id", "id % 2 AS k").write.mode("append").partitionBy("k").parquet(target)
    assert store.entries("parts") == ["_SUCCESS", "k=0", "k=1"]
    assert _ids_by_partition(spark, store, "parts") == {
        "k=0": [*range(0, 20, 2), 100, 102],
        "k=1": [*range(1, 20, 2), 101, 103],
    }

    spark.range(7, 9).selectExpr("id", "id % 2 AS k").write.mode("overwrite").partitionBy("k").parquet(target)
    assert _ids_by_partition(spark, store, "parts") == {"k=0": [8], "k=1": [7]}
    assert store.leftovers() == []


def test_a_write_killed_midway_leaves_the_previous_data(server, store, tmp_path):
    process, url = server
    target = store.path("numbers")
    first = SparkSession.builder.remote(url).create()
    first.range(0, 100).write.parquet(target)
    first.stop()
    before = store.data_files("numbers")

    # The write runs in a client process of its own: a client whose server dies under it
    # keeps retrying, and is simply killed afterwards.
    script = tmp_path / "long_overwrite.py"
    script.write_text(LONG_OVERWRITE)
    writer = subprocess.Popen([sys.executable, str(script), url, target])
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            if store.attempt_dirs():
                break
            assert writer.poll() is None, "the write ended before it was killed"
            time.sleep(0.05)
        else:
            pytest.fail("the write never staged a file")
        process.kill()
        process.wait()
    finally:
        writer.kill()
        writer.wait()

    assert store.data_files("numbers") == before, "the target holds exactly the files it held before"
    with open(tmp_path / "reader.log", "w") as log:
        with connect_server(log, "--master", "local[2]", *s3_conf_args()) as (_, reader_url):
            reader = SparkSession.builder.remote(reader_url).create()
            assert sorted(r.id for r in reader.read.parquet(target).collect()) == list(range(100))
            reader.stop()


def test_an_executor_killed_mid_write_leaves_no_partial_files_and_no_row_twice(store, tmp_path):
    """The write's tasks run on the executors, each attempt into a folder of its own: the
    attempt on the killed executor is run again on the other one, and only the attempts
    that finished are committed."""
    from test_cluster import executor_pids

    log_path = tmp_path / "server.log"
    rows = 6_000_000
    with open(log_path, "w") as log:
        with connect_server(log, "--master", "local-cluster[2,1,512]", *s3_conf_args()) as (_, url):
            pids = executor_pids(log_path)
            spark = SparkSession.builder.remote(url).create()
            target = store.path("numbers")
            big = spark.range(0, rows).selectExpr("id", "cast(id AS string) AS s")
            # The write runs in a thread of its own, so the test can watch it and kill an executor.
            outcome = {}
            writer = threading.Thread(target=lambda: outcome.update(done=big.write.parquet(target)))
            writer.start()
            deadline = time.time() + 240
            while len(store.attempt_dirs()) < 2:
                assert time.time() < deadline, "two write tasks never started writing on the executors"
                assert writer.is_alive(), "the write ended before an executor was killed"
                time.sleep(0.05)
            os.kill(pids[0], 9)
            seen = set()
            while writer.is_alive() and time.time() < deadline + 300:
                seen.update(store.attempt_dirs())
                time.sleep(0.05)
            writer.join(timeout=10)
            partitions = [attempt.split("-")[0] for attempt in seen]
            assert len(partitions) > len(set(partitions)), f"the killed executor's task ran again: {sorted(seen)}"
            assert not writer.is_alive() and "done" in outcome, "the write finished on the executor left"

            back = spark.read.parquet(target)
            assert back.count() == rows
            assert back.select("id").distinct().count() == rows, "no row written twice"
            assert store.leftovers() == [], "no staging left beside the target"
            assert not any(name.startswith("_temporary") for name in store.entries("numbers"))
            spark.stop()
