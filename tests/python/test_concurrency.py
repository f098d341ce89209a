"""One driver, many users (issue 10): jobs of two sessions run at once and both answer
right; an interrupted query (interruptAll / interruptTag / interruptOperation from
another thread) stops its tasks on the executors within a second and the next query
runs. Each test runs on `local[2]` and on `local-cluster[2,1,512]` (FAIR scheduling, so
two sessions in two pools share the two executor slots).

On the cluster, what runs is asked of the executors themselves: each answers the Flight
action `flint.tasks` with the tasks it runs now and the ones it killed, to callers with
the application's secret (set here with `spark.authenticate.secret`). Expected values
are closed-form sums over `range()`, never Flint's own output."""

import json
import re
import tempfile
import threading
import time
import uuid

import pyarrow.flight as flight
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from conftest import connect_server

CLUSTER = "local-cluster[2,1,512]"
SECRET = "test-concurrency-" + uuid.uuid4().hex


@pytest.fixture(scope="module", params=["local[2]", CLUSTER])
def served(request):
    """A server on `local[2]` or a FAIR-scheduled local cluster: (master, url, log path)."""
    master = request.param
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        args = ["--master", master, "--conf", "spark.scheduler.mode=FAIR", "--conf", f"spark.authenticate.secret={SECRET}"]
        with connect_server(log, *args) as (_, url):
            yield master, url, log.name


def executor_addresses(log_path, expected=2, timeout=30):
    """The executors' addresses, from the server's registration lines."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(log_path) as log:
            found = re.findall(r"flint: registered executor \S+ \(pid \d+, \d+ cores\) at (\S+)", log.read())
        if len(found) >= expected:
            return found[-expected:]
        time.sleep(0.2)
    raise AssertionError(f"fewer than {expected} executors registered: {open(log_path).read()}")


def executor_tasks(addresses):
    """What each executor says it runs and killed: a list of {"running": [...], "killed": [...]}."""
    answers = []
    for address in addresses:
        client = flight.connect(f"grpc://{address}")
        try:
            options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {SECRET}".encode())])
            (result,) = list(client.do_action(flight.Action("flint.tasks", b""), options=options))
            answers.append(json.loads(result.body.to_pybytes()))
        finally:
            client.close()
    return answers


def running_jobs(addresses):
    return {task["job"] for answer in executor_tasks(addresses) for task in answer["running"]}


def killed_jobs(addresses):
    return {task["job"] for answer in executor_tasks(addresses) for task in answer["killed"]}


def sum_mod(n, k):
    """sum(id % k) over range(0, n), in closed form."""
    return (n // k) * (k * (k - 1) // 2) + (n % k) * (n % k - 1) // 2


def long_sum(spark, n, k, partitions=4):
    return spark.range(0, n, 1, partitions).agg(F.sum(F.col("id") % k).alias("s")).collect()[0].s


def test_two_sessions_run_long_jobs_at_once_and_both_answer_right(served):
    master, url, log_path = served
    addresses = executor_addresses(log_path) if master == CLUSTER else []
    sessions = [SparkSession.builder.remote(url).create() for _ in range(2)]
    try:
        for pool, session in zip(["etl", "adhoc"], sessions):
            session.conf.set("spark.scheduler.pool", pool)
        cases = [(sessions[0], 120_000_000, 7), (sessions[1], 100_000_000, 11)]
        results, errors = {}, []

        def run(i, session, n, k):
            try:
                results[i] = long_sum(session, n, k)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=run, args=(i, *case)) for i, case in enumerate(cases)]
        for thread in threads:
            thread.start()
        together = set()
        while any(thread.is_alive() for thread in threads):
            if addresses:
                jobs = running_jobs(addresses)
                if len(jobs) >= 2:
                    together = jobs
            time.sleep(0.05)
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert results == {i: sum_mod(n, k) for i, (_, n, k) in enumerate(cases)}
        if addresses:
            assert len(together) >= 2, "the executors never ran tasks of both jobs at once"
    finally:
        for session in sessions:
            session.stop()


@pytest.mark.parametrize("how", ["all", "tag", "operation"])
def test_an_interrupted_query_stops_its_tasks_within_a_second_and_the_next_runs(served, how):
    master, url, log_path = served
    addresses = executor_addresses(log_path) if master == CLUSTER else []
    spark = SparkSession.builder.remote(url).create()
    try:
        operation = str(uuid.uuid4())
        errors, ended = [], []
        worker = None
        # The client picks operation ids; this one is known for interruptOperation.
        request = spark.client._execute_plan_request_with_metadata

        def with_known_id(operation_id=None):
            mine = threading.current_thread() is worker and operation_id is None
            return request(operation if mine else operation_id)

        spark.client._execute_plan_request_with_metadata = with_known_id

        def run():
            spark.addTag("long")  # tags are per thread
            try:
                long_sum(spark, 50_000_000_000, 7)
            except Exception as error:  # noqa: BLE001 - the interrupt is expected
                errors.append(error)
            finally:
                ended.append(time.monotonic())
                spark.removeTag("long")

        worker = threading.Thread(target=run)
        worker.start()
        deadline = time.monotonic() + 60
        jobs = set()
        while not jobs and time.monotonic() < deadline and worker.is_alive():
            jobs = running_jobs(addresses) if addresses else {"local"}
            time.sleep(0.05)
        assert jobs, "the query's tasks never started on the executors"
        time.sleep(1.0)
        assert worker.is_alive(), "the query ended before it was interrupted"

        interrupted_at = time.monotonic()
        if how == "all":
            ids = spark.interruptAll()
        elif how == "tag":
            ids = spark.interruptTag("long")
        else:
            ids = spark.interruptOperation(operation)
        assert operation in ids, ids

        if addresses:
            still = jobs
            while still and time.monotonic() - interrupted_at < 1.0:
                still = running_jobs(addresses) & jobs
                time.sleep(0.02)
            assert not still, f"tasks of jobs {still} still run on the executors 1s after the interrupt"
            assert jobs <= killed_jobs(addresses), "the executors killed no task of the job"
        worker.join(timeout=10)
        assert not worker.is_alive(), "the interrupted query did not return"
        assert ended[0] - interrupted_at < 2.0, "the interrupted query took long to return"
        assert errors and re.search("cancel", str(errors[0]), re.IGNORECASE), errors

        spark.client._execute_plan_request_with_metadata = request
        assert long_sum(spark, 1_000_000, 7) == sum_mod(1_000_000, 7)
        if addresses:
            assert not running_jobs(addresses), "a task was left running"
    finally:
        spark.stop()


def test_releasing_a_session_cancels_its_running_job(served):
    master, url, log_path = served
    addresses = executor_addresses(log_path) if master == CLUSTER else []
    spark = SparkSession.builder.remote(url).create()
    worker = threading.Thread(target=lambda: pytest.raises(Exception, long_sum, spark, 50_000_000_000, 7))
    worker.start()
    deadline = time.monotonic() + 60
    jobs = set()
    while addresses and not jobs and time.monotonic() < deadline:
        jobs = running_jobs(addresses)
        time.sleep(0.05)
    time.sleep(1.0)
    released_at = time.monotonic()
    spark.stop()  # ReleaseSession
    if addresses:
        still = jobs
        while still and time.monotonic() - released_at < 1.0:
            still = running_jobs(addresses) & jobs
            time.sleep(0.02)
        assert not still, f"tasks of jobs {still} still run 1s after the session was released"
    worker.join(timeout=10)
    other = SparkSession.builder.remote(url).create()
    try:
        assert long_sum(other, 1_000_000, 11) == sum_mod(1_000_000, 11)
    finally:
        other.stop()
