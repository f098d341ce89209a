"""Writes never lose data, on every master: a query may overwrite the path it reads, and a
write killed midway leaves the previous data as it was, with no partial file in the target.

Issue 10: `spark.read.parquet(p).filter(...).write.mode("overwrite").parquet(p)` left
nothing at p (the target was deleted before the query that reads it ran). Flint now takes
Spark's dynamic-overwrite view: the new files are staged beside the target and swapped in
once the job has finished."""

import os
import subprocess
import sys
import threading
import time

import pytest
from pyspark.sql import SparkSession

from conftest import connect_server

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
        with connect_server(log, "--master", request.param, "--conf", "spark.sql.shuffle.partitions=4") as started:
            yield started


@pytest.fixture()
def spark(server):
    """A session on the test's own server, stopped before the server is."""
    session = SparkSession.builder.remote(server[1]).create()
    yield session
    session.stop()


def _leftovers(folder):
    """Staging or set-aside directories a write left beside its target."""
    return sorted(name for name in os.listdir(folder) if name.startswith(".flint-"))


def _data_files(path):
    return sorted(
        os.path.relpath(os.path.join(d, f), path)
        for d, _, files in os.walk(path)
        for f in files
        if not f.startswith(("_", "."))
    )


def test_overwriting_the_path_a_query_reads_keeps_the_data(spark, tmp_path):
    target = str(tmp_path / "numbers")
    spark.range(0, 1000).write.parquet(target)

    spark.read.parquet(target).filter("id % 3 = 0").write.mode("overwrite").parquet(target)

    assert sorted(r.id for r in spark.read.parquet(target).collect()) == list(range(0, 1000, 3))
    assert os.path.exists(os.path.join(target, "_SUCCESS"))
    assert _leftovers(tmp_path) == []


def test_appending_to_the_path_a_query_reads_doubles_it(spark, tmp_path):
    target = str(tmp_path / "numbers")
    spark.range(0, 10).write.parquet(target)

    spark.read.parquet(target).write.mode("append").parquet(target)

    assert sorted(r.id for r in spark.read.parquet(target).collect()) == sorted(list(range(10)) * 2)
    assert _leftovers(tmp_path) == []


def _ids_by_partition(spark, target):
    """{partition folder: sorted ids} (read folder by folder: partition discovery is not
    what this tests)."""
    return {
        folder: sorted(r.id for r in spark.read.parquet(os.path.join(target, folder)).collect())
        for folder in sorted(os.listdir(target))
        if folder.startswith("k=")
    }


def test_partitioned_overwrite_and_append(spark, tmp_path):
    target = str(tmp_path / "parts")
    spark.range(0, 20).selectExpr("id", "id % 2 AS k").write.partitionBy("k").parquet(target)
    spark.range(100, 104).selectExpr("id", "id % 2 AS k").write.mode("append").partitionBy("k").parquet(target)
    assert sorted(os.listdir(target)) == ["_SUCCESS", "k=0", "k=1"]
    assert _ids_by_partition(spark, target) == {
        "k=0": [*range(0, 20, 2), 100, 102],
        "k=1": [*range(1, 20, 2), 101, 103],
    }

    spark.range(7, 9).selectExpr("id", "id % 2 AS k").write.mode("overwrite").partitionBy("k").parquet(target)
    assert _ids_by_partition(spark, target) == {"k=0": [8], "k=1": [7]}
    assert _leftovers(tmp_path) == []


def test_a_write_killed_midway_leaves_the_previous_data(server, tmp_path):
    process, url = server
    target = str(tmp_path / "numbers")
    first = SparkSession.builder.remote(url).create()
    first.range(0, 100).write.parquet(target)
    first.stop()
    before = _data_files(target)

    # The write runs in a client process of its own: a client whose server dies under it
    # keeps retrying, and is simply killed afterwards.
    script = tmp_path / "long_overwrite.py"
    script.write_text(LONG_OVERWRITE)
    writer = subprocess.Popen([sys.executable, str(script), url, target])
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            staging = [os.path.join(tmp_path, d) for d in _leftovers(tmp_path)]
            if any(_data_files(d) for d in staging):
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

    assert _data_files(target) == before, "the target holds exactly the files it held before"
    with open(tmp_path / "reader.log", "w") as log:
        with connect_server(log, "--master", "local[2]") as (_, reader_url):
            reader = SparkSession.builder.remote(reader_url).create()
            assert sorted(r.id for r in reader.read.parquet(target).collect()) == list(range(100))
            reader.stop()


def _attempt_dirs(folder):
    """The task attempts' folders (`_temporary/<partition>-<attempt>`) of the writes staged
    beside their targets in `folder` that hold a file already."""
    found = []
    for staging in _leftovers(folder):
        attempts = os.path.join(folder, staging, "_temporary")
        if os.path.isdir(attempts):
            found += [d for d in os.listdir(attempts) if os.listdir(os.path.join(attempts, d))]
    return found


def test_an_executor_killed_mid_write_leaves_no_partial_files_and_no_row_twice(tmp_path):
    """The write's tasks run on the executors, each attempt into a folder of its own: the
    attempt on the killed executor is run again on the other one, and only the attempts
    that finished are committed."""
    from test_cluster import executor_pids

    log_path = tmp_path / "server.log"
    rows = 6_000_000
    with open(log_path, "w") as log:
        with connect_server(log, "--master", "local-cluster[2,1,512]") as (_, url):
            pids = executor_pids(log_path)
            spark = SparkSession.builder.remote(url).create()
            target = str(tmp_path / "numbers")
            big = spark.range(0, rows).selectExpr("id", "cast(id AS string) AS s")
            # The write runs in a thread of its own, so the test can watch it and kill an executor.
            outcome = {}
            writer = threading.Thread(target=lambda: outcome.update(done=big.write.parquet(target)))
            writer.start()
            deadline = time.time() + 240
            while len(_attempt_dirs(tmp_path)) < 2:
                assert time.time() < deadline, "two write tasks never started writing on the executors"
                assert writer.is_alive(), "the write ended before an executor was killed"
                time.sleep(0.05)
            os.kill(pids[0], 9)
            seen = set()
            while writer.is_alive() and time.time() < deadline + 300:
                seen.update(_attempt_dirs(tmp_path))
                time.sleep(0.05)
            writer.join(timeout=10)
            partitions = [attempt.split("-")[0] for attempt in seen]
            assert len(partitions) > len(set(partitions)), f"the killed executor's task ran again: {sorted(seen)}"
            assert not writer.is_alive() and "done" in outcome, "the write finished on the executor left"

            back = spark.read.parquet(target)
            assert back.count() == rows
            assert back.select("id").distinct().count() == rows, "no row written twice"
            assert _leftovers(tmp_path) == [], "no staging left beside the target"
            assert not any(name.startswith("_temporary") for name in os.listdir(target))
            spark.stop()
