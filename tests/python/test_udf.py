"""Python UDFs beyond the answers tests/spark-oracle/cases_udf.py checks against Spark:
how failures reach the client (a Python exception as PythonException with its
traceback, a worker that dies as a clear error, not a hang) and that workers are reused
across tasks. One body on local[2] and local-cluster."""

import os

import pytest
from pyspark.errors import PythonException
from pyspark.sql import SparkSession
from pyspark.sql.functions import udf

from conftest import connect_server

MASTERS = ["local[2]", "local-cluster[2,1,512]"]


@pytest.fixture(scope="module", params=MASTERS)
def spark(request, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("udf-logs") / "server.log"
    with open(log_path, "w") as log:
        with connect_server(log, "--master", request.param) as (_, url):
            session = SparkSession.builder.remote(url).create()
            yield session
            session.stop()


def test_python_exception_carries_the_traceback(spark):
    def reciprocal(x):
        return 1 // (x - 1)

    with pytest.raises(PythonException) as error:
        spark.range(3).select(udf(reciprocal, "long")("id")).collect()
    message = str(error.value)
    assert "ZeroDivisionError" in message, message
    assert "in reciprocal" in message, message
    # PySpark's Connect client adds the "exception was thrown" line itself, once.
    assert message.count("An exception was thrown from the Python worker") == 1, message


def test_exception_in_map_in_pandas(spark):
    def broken(batches):
        for _ in batches:
            raise ValueError("no batches today")
        yield from ()

    with pytest.raises(PythonException, match="no batches today"):
        spark.range(4).mapInPandas(broken, "id long").collect()


def test_crashed_worker_is_a_clear_error(spark):
    with pytest.raises(Exception, match="Python worker exited unexpectedly") as error:
        spark.range(3).select(udf(lambda x: os._exit(3), "long")("id")).collect()
    assert "exit status: 3" in str(error.value)
    # The session goes on: the next UDF gets a fresh worker.
    assert spark.range(3).select(udf(lambda x: x + 1, "long")("id").alias("y")).collect()[2].y == 3


def test_workers_are_reused_across_tasks(spark):
    pid = udf(lambda _: os.getpid(), "long")
    pids = set()
    for _ in range(4):
        pids.update(r.p for r in spark.range(1, numPartitions=1).select(pid("id").alias("p")).collect())
    # One pool per process that runs tasks (two executors at most); without reuse
    # every run would start a new worker.
    assert 1 <= len(pids) <= 2, pids


def test_udf_of_an_interpreter_without_pyspark_says_what_to_set(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("udf-logs") / "server.log"
    with open(log_path, "w") as log:
        with connect_server(log, "--master", "local[1]", "--conf", "spark.pyspark.python=/nonexistent/python3") as (_, url):
            session = SparkSession.builder.remote(url).create()
            try:
                with pytest.raises(Exception, match="spark.pyspark.python"):
                    session.range(1).select(udf(lambda x: x, "long")("id")).collect()
            finally:
                session.stop()
