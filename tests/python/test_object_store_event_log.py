"""Event logs in object storage (issue 12 item 2): `spark.eventLog.dir=s3a://bucket/prefix`
on local[2] and local-cluster, the log an object `<app id>` once the application ends (no
`.inprogress` one left), served by `flint history-server` with
`spark.history.fs.logDirectory=s3a://…` as the live UI served it; a missing bucket or a
wrong secret fails the driver and the history server at start, naming the bucket and the
key, never showing the secret. Needs the S3 server of tests/s3/up."""

import json
import os
import subprocess
import urllib.request
import uuid

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from conftest import _free_port, _wait_for_port, connect_server, stop
from storage import S3Storage, s3_available, s3_conf_args

pytestmark = pytest.mark.skipif(not s3_available(), reason="no S3 server: tests/s3/test starts one and runs these")

FLINT = os.environ.get("FLINT_BIN", "flint")


def http_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _history_server(log, directory, *conf):
    """`flint history-server` on a free port serving `directory`: its process and port."""
    port = _free_port()
    command = [FLINT, "history-server", "--host", "127.0.0.1", "--conf", f"spark.history.fs.logDirectory={directory}",
               "--conf", f"spark.history.ui.port={port}", *conf]
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT), port


def _what(api, app):
    """What a UI shows of `app`'s jobs and stages, to compare the live UI with the history."""
    jobs = [(j["jobId"], j["status"], j["numTasks"], j["numCompletedTasks"]) for j in http_json(f"{api}/{app}/jobs")]
    stages = [(s["stageId"], s["status"], s["numTasks"], s["outputRecords"]) for s in http_json(f"{api}/{app}/stages")]
    return sorted(jobs), sorted(stages)


@pytest.mark.parametrize("master", ["local[2]", "local-cluster[2,1,512]"])
def test_an_event_log_in_a_bucket_is_served_by_the_history_server(tmp_path, master):
    store = S3Storage(f"tests/{uuid.uuid4().hex}")
    events = store.path("events")
    ui_port = _free_port()
    args = ["--master", master, "--conf", f"spark.ui.port={ui_port}", "--conf", "spark.driver.bindAddress=127.0.0.1",
            "--conf", "spark.eventLog.enabled=true", "--conf", f"spark.eventLog.dir={events}",
            "--conf", "spark.sql.shuffle.partitions=3", *s3_conf_args()]
    with open(tmp_path / "server.log", "w") as log:
        with connect_server(log, *args) as (_, url):
            api = f"http://127.0.0.1:{ui_port}/api/v1/applications"
            [info] = http_json(api)
            app = info["id"]
            spark = SparkSession.builder.remote(url).create()
            try:
                df = spark.range(0, 10_000, 1, 4).withColumn("k", F.col("id") % 7).groupBy("k").agg(F.count("*").alias("n"))
                got = sorted((r.k, r.n) for r in df.collect())
            finally:
                spark.stop()
            assert got == [(k, len(range(k, 10_000, 7))) for k in range(7)]
            live = _what(api, app)
            assert any(status == "SUCCEEDED" for _, status, _, _ in live[0]), live
        assert store.keys("events") == [app], "the log is the object <app id> once the server stopped, no .inprogress left"

        history, port = _history_server(log, events, *s3_conf_args())
        try:
            _wait_for_port(port, history)
            base = f"http://127.0.0.1:{port}/api/v1/applications"
            [listed] = http_json(base)
            assert listed["id"] == app and listed["attempts"][0]["completed"] is True, listed
            assert _what(base, app) == live, "the history shows what the live UI showed"
        finally:
            stop(history)
    server_log = (tmp_path / "server.log").read_text()
    assert os.environ["FLINT_S3_SECRET_KEY"] not in server_log, "no secret in the logs"


def test_a_missing_bucket_or_a_wrong_secret_fails_the_start(tmp_path):
    bucket = os.environ["FLINT_S3_BUCKET"]
    wrong = "wrong-secret-" + uuid.uuid4().hex
    bad_secret = [*s3_conf_args(), "--conf", f"spark.hadoop.fs.s3a.secret.key={wrong}"]
    missing = "s3a://no-such-bucket-flint/events"
    logs = f"s3a://{bucket}/tests/{uuid.uuid4().hex}/events"

    def history(directory, conf):
        port = _free_port()
        command = [FLINT, "history-server", "--host", "127.0.0.1", "--conf", f"spark.history.fs.logDirectory={directory}",
                   "--conf", f"spark.history.ui.port={port}", *conf]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    def driver(directory, conf):
        command = [FLINT, "connect-server", "--host", "127.0.0.1", "--port", str(_free_port()), "--master", "local[2]",
                   "--conf", "spark.eventLog.enabled=true", "--conf", f"spark.eventLog.dir={directory}", *conf]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    for started in (history(missing, s3_conf_args()), driver(missing, s3_conf_args())):
        assert started.returncode != 0, started
        assert "bucket 'no-such-bucket-flint' does not exist" in started.stderr, started.stderr
    for started in (history(logs, bad_secret), driver(logs, bad_secret)):
        assert started.returncode != 0, started
        assert f"bucket '{bucket}'" in started.stderr and "SignatureDoesNotMatch" in started.stderr, started.stderr
        assert "spark.hadoop.fs.s3a.secret.key" in started.stderr, started.stderr
        assert wrong not in started.stdout + started.stderr and os.environ["FLINT_S3_SECRET_KEY"] not in started.stderr
