"""Flint against answers recorded from real Spark (tests/spark-oracle/recorded/*.json,
written by tests/spark-oracle/record): each case's values, or Spark's error condition,
on local[2] and on local-cluster."""

import json
import os
import sys

import pytest
from pyspark.sql import SparkSession

from conftest import connect_server

ORACLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spark-oracle")
sys.path.insert(0, ORACLE)
from oracle import load_cases, outcome  # noqa: E402

CASE_FILES = [
    "bad_input", "udf", "select", "aggregate", "functions", "filter_sort", "session", "na", "setops", "window", "types",
    "join", "sql", "stats", "io", "catalog", "errors", "misc_functions", "function_fixes", "datetime", "generators",
    "stat_functions", "json_csv", "relations", "conf_defaults", "non_ansi", "literals", "user_errors", "cache", "writes", "insert_into",
]
MASTERS = ["local[2]", "local-cluster[2,1,512]"]


def _recorded(name):
    with open(os.path.join(ORACLE, "recorded", f"{name}.json")) as recording:
        return json.load(recording)["cases"]


PARAMS = [(name, key) for name in CASE_FILES for key in sorted(_recorded(name))]


@pytest.fixture(scope="module", params=MASTERS)
def flint(request, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("oracle-logs") / "server.log"
    with open(log_path, "w") as log:
        with connect_server(log, "--master", request.param, "--conf", "spark.sql.session.timeZone=UTC") as (_, url):
            session = SparkSession.builder.remote(url).create()
            yield session
            session.stop()


@pytest.mark.parametrize("name,key", PARAMS, ids=[f"{n}-{k}" for n, k in PARAMS])
def test_flint_answers_as_spark_did(flint, name, key):
    expected = _recorded(name)[key]
    case = load_cases(name)[key]
    got = outcome(flint, case)
    if "error" in expected:
        assert "error" in got, f"Spark failed with {expected['error']}; Flint answered {got}"
        if expected["error"]["condition"]:
            assert got["error"]["condition"] == expected["error"]["condition"], got
        assert got["error"]["type"] == expected["error"]["type"], got
    else:
        assert "error" not in got, f"Spark answered {expected}; Flint failed with {got}"
        assert got["rows"] == expected["rows"]
