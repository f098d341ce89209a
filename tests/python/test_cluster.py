"""`flint connect-server --master local-cluster[2,1,512]`: PySpark jobs run on executor
processes; when every executor is killed, jobs fail with a clear error and the server
keeps serving."""

import os
import re
import signal
import tempfile
import time

import pytest
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from conftest import connect_server


@pytest.fixture(scope="module")
def cluster_server():
    """The server process, its URL and the file its output goes to."""
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        with connect_server(log, "--master", "local-cluster[2,1,512]") as (process, url):
            yield process, url, log.name


def executor_pids(log_path, expected=2, timeout=30):
    """The pids of the executors the server registered, once `expected` have."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(log_path) as log:
            pids = re.findall(r"flint: registered executor \S+ \(pid (\d+),", log.read())
        if len(pids) >= expected:
            return [int(pid) for pid in pids]
        time.sleep(0.2)
    raise AssertionError(f"fewer than {expected} executors registered: {open(log_path).read()}")


def test_jobs_run_on_executors_and_losing_them_all_fails_jobs_but_not_the_server(cluster_server):
    process, url, log_path = cluster_server
    spark = SparkSession.builder.remote(url).create()
    try:
        counts = spark.range(0, 100000).groupBy((F.col("id") % 7).alias("k")).count().orderBy("k").collect()
        assert [(r.k, r["count"]) for r in counts] == [(k, len(range(k, 100000, 7))) for k in range(7)]
        with open(log_path) as log:
            assert "flint: registered executor" in log.read()

        for pid in executor_pids(log_path):
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(PySparkException, match="no executor is left"):
            spark.range(0, 1000).groupBy((F.col("id") % 3).alias("k")).count().collect()

        assert process.poll() is None, "the server is still running"
        assert spark.conf.get("spark.master") == "local-cluster[2,1,512]"
        assert spark.range(3).schema.names == ["id"]
        other = SparkSession.builder.remote(url).create()
        try:
            with pytest.raises(PySparkException, match="no executor is left"):
                other.range(0, 10).collect()
        finally:
            other.stop()
    finally:
        spark.stop()
