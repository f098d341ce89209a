"""Object-store keys and mistakes (issue 12): errors that name the bucket and the key to
fix and never show a secret (an unknown access key, a secret that does not match, a
bucket that does not exist, a path with nothing under it, a missing application file),
keys set at run time, application files in a bucket. Needs the S3 server of tests/s3/up."""

import contextlib
import os
import re
import subprocess
import sys
import uuid

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from conftest import connect_server
from storage import S3Storage, s3_available, s3_conf_args

pytestmark = pytest.mark.skipif(not s3_available(), reason="no S3 server: tests/s3/test starts one and runs these")

MASTERS = ["local[2]", "local-cluster[2,1,512]"]


@contextlib.contextmanager
def _session(tmp_path, master, access_key, secret_key, env=None):
    """A server of its own with these keys for the test bucket (and environment variables
    `env`): its process and URL."""
    conf = {
        "spark.hadoop.fs.s3a.endpoint": os.environ.get("FLINT_S3_ENDPOINT", ""),
        "spark.hadoop.fs.s3a.access.key": access_key,
        "spark.hadoop.fs.s3a.secret.key": secret_key,
    }
    args = [arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")]
    with open(tmp_path / "server.log", "w") as log:
        with connect_server(log, "--master", master, *args, env=env) as started:
            yield started


def _error_of(action):
    with pytest.raises(Exception) as caught:
        action()
    return str(caught.value)


@pytest.fixture(params=MASTERS)
def master(request):
    return request.param


def test_an_unknown_access_key_is_named(tmp_path, master):
    secret = os.environ["FLINT_S3_SECRET_KEY"]
    bucket = os.environ["FLINT_S3_BUCKET"]
    with _session(tmp_path, master, "no-such-access-key", secret) as (_, url):
        spark = SparkSession.builder.remote(url).create()
        read = _error_of(lambda: spark.read.parquet(f"s3a://{bucket}/anything").collect())
        write = _error_of(lambda: spark.range(3).write.parquet(f"s3a://{bucket}/{uuid.uuid4().hex}"))
        spark.stop()
    for error in (read, write):
        assert f"bucket '{bucket}'" in error and "InvalidAccessKeyId" in error, error
        assert "spark.hadoop.fs.s3a.access.key" in error, error
        assert secret not in error
    assert secret not in (tmp_path / "server.log").read_text(), "no secret in the server's log"


def test_a_wrong_secret_key_is_named(tmp_path, master):
    bucket = os.environ["FLINT_S3_BUCKET"]
    wrong = "wrong-secret-" + uuid.uuid4().hex
    with _session(tmp_path, master, os.environ["FLINT_S3_ACCESS_KEY"], wrong) as (_, url):
        spark = SparkSession.builder.remote(url).create()
        error = _error_of(lambda: spark.range(3).write.parquet(f"s3a://{bucket}/{uuid.uuid4().hex}"))
        spark.stop()
    assert f"bucket '{bucket}'" in error and "SignatureDoesNotMatch" in error, error
    assert "spark.hadoop.fs.s3a.secret.key" in error, error
    assert wrong not in error and wrong not in (tmp_path / "server.log").read_text()


def test_a_missing_bucket_and_a_missing_path_are_named(tmp_path, master):
    bucket = os.environ["FLINT_S3_BUCKET"]
    with _session(tmp_path, master, os.environ["FLINT_S3_ACCESS_KEY"], os.environ["FLINT_S3_SECRET_KEY"]) as (_, url):
        spark = SparkSession.builder.remote(url).create()
        read = _error_of(lambda: spark.read.parquet("s3a://no-such-bucket-flint/x").collect())
        write = _error_of(lambda: spark.range(3).write.parquet("s3a://no-such-bucket-flint/x"))
        path = _error_of(lambda: spark.read.parquet(f"s3a://{bucket}/no/such/{uuid.uuid4().hex}").collect())
        spark.stop()
    for error in (read, write):
        assert re.search(r"bucket 'no-such-bucket-flint' does not exist", error), error
    assert "PATH_NOT_FOUND" in path and f"s3a://{bucket}/no/such/" in path, path


def test_hadoop_keys_set_at_run_time_apply_to_that_session_only(tmp_path, master):
    """`spark.conf.set` / SQL `SET` of `spark.hadoop.fs.s3a.*` keys applies to the
    session's later reads and writes, on the driver and on the executors, and not to the
    server's other sessions; `unset` brings back the server's value (as Spark's session
    Hadoop configuration falls back to the SparkContext's)."""
    bucket, right = os.environ["FLINT_S3_BUCKET"], os.environ["FLINT_S3_SECRET_KEY"]
    wrong = "wrong-secret-" + uuid.uuid4().hex
    path = f"s3a://{bucket}/runtime-keys/{uuid.uuid4().hex}"
    # Flint's own debug events too, on the server and its executors: none may show a secret.
    debug = {"FLINT_LOG": "info,flint_engine=debug,flint_driver=debug,flint_executor=debug,flint_connect=debug"}
    with _session(tmp_path, master, os.environ["FLINT_S3_ACCESS_KEY"], wrong, env=debug) as (_, url):
        first = SparkSession.builder.remote(url).create()
        second = SparkSession.builder.remote(url).create()
        before = _error_of(lambda: first.range(10).write.parquet(path))
        first.conf.set("spark.hadoop.fs.s3a.secret.key", right)
        first.conf.set("spark.hadoop.fs.s3a.path.style.access", "true")
        # The write runs as tasks: on local-cluster the executors, which got the wrong
        # secret when they registered, must use the session's keys.
        first.range(10).selectExpr("id", "id * 3 AS triple").write.parquet(path)
        written = first.read.parquet(path).agg(F.count("*"), F.sum("id"), F.sum("triple")).collect()[0]
        other = _error_of(lambda: second.read.parquet(path).collect())
        second.sql(f"SET spark.hadoop.fs.s3a.secret.key={right}")
        through_sql = second.read.parquet(path).where("id >= 5").count()
        first.conf.unset("spark.hadoop.fs.s3a.secret.key")
        after_unset = _error_of(lambda: first.read.parquet(path).collect())
        first.stop()
        second.stop()
    assert "SignatureDoesNotMatch" in before and "spark.hadoop.fs.s3a.secret.key" in before, before
    # count, sum(id) over 0..9, sum(3 * id)
    assert tuple(written) == (10, 45, 135)
    assert "SignatureDoesNotMatch" in other, "another session keeps the server's keys: " + other
    assert through_sql == 5
    assert "SignatureDoesNotMatch" in after_unset, after_unset
    log = (tmp_path / "server.log").read_text()
    for secret in (right, wrong):
        assert all(secret not in text for text in (before, other, after_unset, log)), "a secret was shown"


def test_submit_runs_an_application_file_from_a_bucket(tmp_path, master):
    """`flint submit s3a://bucket/app.py` (and `.sql`) fetches the file with the `--conf`
    keys; a missing object and a wrong secret are named, no secret shown."""
    store = S3Storage(f"tests/{uuid.uuid4().hex}")
    store.put("job.sql", b"SELECT 6 * 7 AS answer;\n")
    store.put(
        "job.py",
        b"import sys\n"
        b"from pyspark.sql import SparkSession\n"
        b"spark = SparkSession.builder.getOrCreate()\n"
        b"print('total', spark.range(int(sys.argv[1])).groupBy().sum('id').collect()[0][0])\n",
    )
    keys = s3_conf_args()
    flint = os.environ.get("FLINT_BIN", "flint")
    env = dict(os.environ, FLINT_PYTHON=sys.executable)

    def submit(app, *args, conf=keys):
        command = [flint, "submit", "--master", master, *conf, app, *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    sql, python = submit(store.path("job.sql")), submit(store.path("job.py"), "10")
    missing = submit(store.path("no-such-job.sql"))
    wrong = "wrong-secret-" + uuid.uuid4().hex
    bad_secret = submit(store.path("job.sql"), conf=[*keys, "--conf", f"spark.hadoop.fs.s3a.secret.key={wrong}"])
    assert sql.returncode == 0 and "42" in sql.stdout, sql.stderr
    assert python.returncode == 0 and "total 45" in python.stdout, python.stderr
    bucket = os.environ["FLINT_S3_BUCKET"]
    assert missing.returncode != 0
    assert f"bucket '{bucket}' has no object '{store.prefix}/no-such-job.sql'" in missing.stderr, missing.stderr
    assert bad_secret.returncode != 0
    assert "SignatureDoesNotMatch" in bad_secret.stderr and "spark.hadoop.fs.s3a.secret.key" in bad_secret.stderr, bad_secret.stderr
    for done in (sql, python, missing, bad_secret):
        assert os.environ["FLINT_S3_SECRET_KEY"] not in done.stdout + done.stderr
        assert wrong not in done.stdout + done.stderr
