"""The shared-driver load test: many PySpark sessions at once against one
`flint connect-server` on a local cluster, each running a mix of TPC-H queries (every
answer checked against DuckDB), interrupted queries and small writes for a while; prints
queries/s and p50/p99 latency per kind of work, and fails on a wrong answer, a hang, or a
task slot or file left behind."""

import argparse
import os
import pathlib
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time

import duckdb
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "bench" / "tpch"))
sys.path.insert(0, str(ROOT / "tests" / "python"))
from compare import TABLES, same_answer  # noqa: E402
from conftest import connect_server  # noqa: E402

# Queries quick enough at small scale to run many times; each is checked every time.
QUERIES = [1, 3, 4, 5, 6, 10, 12, 14, 19]
# Long enough to be interrupted mid-way on any machine.
LONG_QUERY = "SELECT count(*) FROM range(0, 3000) a CROSS JOIN range(0, 3000) b WHERE (a.id * b.id) % 7 = 3"


class Recorder:
    """Latencies and failures per kind of work, shared by the session threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {}
        self.failures = []

    def record(self, kind, seconds):
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def fail(self, message):
        with self.lock:
            self.failures.append(message)


def session_loop(index, url, sqls, expected, out_dir, deadline, recorder):
    rng = random.Random(index)
    spark = SparkSession.builder.remote(url).create()
    try:
        for table, path in TABLES_PATHS.items():
            spark.read.parquet(path).createOrReplaceTempView(table)
        while time.time() < deadline:
            roll = rng.random()
            if roll < 0.7:
                n = rng.choice(QUERIES)
                started = time.perf_counter()
                rows = [tuple(r) for r in spark.sql(sqls[n]).collect()]
                recorder.record(f"q{n}", time.perf_counter() - started)
                ordered = re.search(r"\border\s+by\b", sqls[n], re.I) is not None
                matched, detail = same_answer(rows, expected[n], ordered)
                if not matched:
                    recorder.fail(f"session {index} q{n}: {detail}")
            elif roll < 0.85:
                interrupted(index, spark, recorder)
            else:
                target = os.path.join(out_dir, f"session-{index}")
                started = time.perf_counter()
                spark.range(0, 1000).selectExpr("id", "id * 2 AS twice").write.mode("overwrite").parquet(target)
                count = spark.read.parquet(target).count()
                recorder.record("write", time.perf_counter() - started)
                if count != 1000:
                    recorder.fail(f"session {index} write: read back {count} rows, wrote 1000")
    except Exception as error:  # a session that dies is a failure of the run
        recorder.fail(f"session {index}: {type(error).__name__}: {error}")
    finally:
        spark.stop()


def interrupted(index, spark, recorder):
    """Starts the long query under a tag (tags are per thread, so the query's thread adds
    it), interrupts it, and times how long the query takes to end with a cancel error."""
    tag = f"load-{index}-{time.time_ns()}"
    outcome = {}
    tagged = threading.Event()

    def run():
        spark.addTag(tag)
        tagged.set()
        try:
            spark.sql(LONG_QUERY).collect()
            outcome["error"] = None
        except PySparkException as error:
            outcome["error"] = error
        finally:
            spark.removeTag(tag)
        outcome["ended"] = time.perf_counter()

    worker = threading.Thread(target=run)
    worker.start()
    tagged.wait()
    time.sleep(0.3)
    asked = time.perf_counter()
    spark.interruptTag(tag)
    worker.join(timeout=60)
    if worker.is_alive():
        recorder.fail(f"session {index}: an interrupted query did not end within 60 s")
    elif outcome["error"] is None:
        recorder.record("not_interrupted", outcome["ended"] - asked)
    else:
        recorder.record("interrupt", max(0.0, outcome["ended"] - asked))


TABLES_PATHS = {}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flint", required=True, help="the flint binary")
    parser.add_argument("--data", required=True, help="TPC-H Parquet folder")
    parser.add_argument("--queries", required=True)
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--master", default="local-cluster[2,1,2048]")
    args = parser.parse_args()

    for table in TABLES:
        TABLES_PATHS[table] = f"{args.data}/{table}"
    sqls = {n: (pathlib.Path(args.queries) / f"q{n}.sql").read_text() for n in QUERIES}
    con = duckdb.connect()
    for table in TABLES:
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{args.data}/{table}/*.parquet')")
    expected = {n: con.execute(sql).fetchall() for n, sql in sqls.items()}

    work = pathlib.Path(tempfile.mkdtemp(prefix="flint-load-"))
    local_dir, out_dir = work / "local-dir", work / "out"
    local_dir.mkdir()
    out_dir.mkdir()
    os.environ["FLINT_BIN"] = args.flint
    recorder = Recorder()
    with open(work / "server.log", "w") as log, connect_server(
        log, "--master", args.master, "--conf", f"spark.local.dir={local_dir}", "--conf", "spark.sql.shuffle.partitions=4"
    ) as (_, url):
        started = time.time()
        deadline = started + args.seconds
        threads = [
            threading.Thread(target=session_loop, args=(i, url, sqls, expected, str(out_dir), deadline, recorder))
            for i in range(args.sessions)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.seconds + 300)
        hung = sum(t.is_alive() for t in threads)
        elapsed = time.time() - started
        if hung:
            recorder.fail(f"{hung} sessions still running {elapsed:.0f} s after the start (a hang)")
        # Every slot is free again: a query needing every core runs at once.
        check = SparkSession.builder.remote(url).create()
        t0 = time.perf_counter()
        if check.range(0, 100_000, 1, 8).agg(F.sum("id")).collect()[0][0] != sum(range(100_000)):
            recorder.fail("the final check query answered wrong")
        after = time.perf_counter() - t0
        check.stop()
        leftovers = [p.name for p in out_dir.iterdir() if p.name.startswith(".flint-")]
        if leftovers:
            recorder.fail(f"writes left {leftovers} behind")
    blocks = [p.name for p in local_dir.iterdir()] if local_dir.exists() else []
    if blocks:
        recorder.fail(f"spark.local.dir still holds {blocks} after the server stopped")

    total = sum(len(v) for v in recorder.latencies.values())
    print(f"load: {args.sessions} sessions, {args.master}, {elapsed:.0f} s, {total} operations, "
          f"{total / elapsed:.2f} ops/s; final all-slots query {after:.2f} s")
    print(f"{'work':<16} {'count':>6} {'per_s':>7} {'p50_ms':>8} {'p99_ms':>8}")
    for kind in sorted(recorder.latencies, key=lambda k: (not k.startswith("q"), int(k[1:]) if k[1:].isdigit() else 0, k)):
        values = sorted(recorder.latencies[kind])
        p50 = statistics.median(values) * 1000
        p99 = values[min(len(values) - 1, int(0.99 * len(values)))] * 1000
        print(f"{kind:<16} {len(values):>6} {len(values) / elapsed:>7.2f} {p50:>8.0f} {p99:>8.0f}")
    for failure in recorder.failures:
        print(f"FAILED: {failure}")
    print(f"load: {total} operations, {len(recorder.failures)} failures")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if recorder.failures else 0)


if __name__ == "__main__":
    main()
