"""Starts `flint connect-server` as a real process on a free port for the whole test
session and gives tests a stock PySpark (pyspark-client) session connected to it."""

import contextlib
import os
import socket
import subprocess
import sys
import time

import pytest
from pyspark.sql import SparkSession


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port, process, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"flint connect-server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"flint connect-server did not listen on {port} within {timeout}s")


@contextlib.contextmanager
def connect_server(log, *args, env=None):
    """A `flint connect-server` process with `args` (and environment variables `env`) on
    a free port, its output to `log`: yields the process and its URL, and stops it at the
    end."""
    flint = os.environ.get("FLINT_BIN", "flint")
    port = _free_port()
    # Python UDF workers (on the server and its executors) run this interpreter, which
    # has pyspark-client, pandas and pyarrow.
    python = {"PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable)}
    process = subprocess.Popen(
        [flint, "connect-server", "--host", "127.0.0.1", "--port", str(port), *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **python, **(env or {})},
    )
    try:
        _wait_for_port(port, process)
        yield process, f"sc://127.0.0.1:{port}"
    finally:
        stop(process)


def stop(process):
    """Terminates `process`, killing it when it has not exited within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def server():
    with open(os.environ.get("FLINT_SERVER_LOG", os.devnull), "w") as log:
        with connect_server(log, "--master", "local[2]", "--conf", "spark.sql.shuffle.partitions=4") as (_, url):
            yield url


@pytest.fixture(scope="session")
def spark(server):
    session = SparkSession.builder.remote(server).getOrCreate()
    yield session
    session.stop()


@pytest.fixture()
def people(spark):
    return spark.createDataFrame(
        [(1, "Alice", 34, "eng"), (2, "Bob", 45, "ops"), (3, "Carol", 29, "eng"), (4, "Dan", None, "ops"),
         (5, "Eve", 52, None)],
        "id INT, name STRING, age INT, dept STRING",
    )
