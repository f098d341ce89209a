"""Runs the TPC-H queries through the stock PySpark client (`spark.sql(q).toArrow()`)
against a `flint connect-server`, writing each answer (qN.parquet) and timings.json in the
format `flint-tpch run` writes, so compare.py checks and reports them beside the CLI path.
"""

import argparse
import json
import pathlib
import socket
import subprocess
import sys
import time

import pyarrow.parquet as pq
from pyspark.sql import SparkSession

TABLES = ["nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem"]


def free_port():
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reset_peak(pid):
    """Resets the process's peak resident size (Linux's clear_refs), so the next peak is a query's own."""
    pathlib.Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_mib(pid):
    """The process's peak resident MiB (VmHWM) since the last reset."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def start_server(flint, master, conf, log):
    """A `flint connect-server` on a free port, once it accepts connections: (process, port)."""
    port = free_port()
    command = [flint, "connect-server", "--host", "127.0.0.1", "--port", str(port), "--master", master]
    for pair in conf:
        command += ["--conf", pair]
    server = subprocess.Popen(command, stdout=log, stderr=log)
    deadline = time.time() + 120
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                server.kill()
                raise RuntimeError(f"flint connect-server on {master} did not start; see {log.name}")
            time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flint", required=True, help="the flint binary")
    parser.add_argument("--data", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--master", required=True)
    parser.add_argument("--conf", action="append", default=[])
    parser.add_argument("--iterations", type=int, default=1)
    parser.add_argument("--query", type=int, action="append")
    args = parser.parse_args()

    results = pathlib.Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    with open(results / "server.log", "w") as log:
        server, port = start_server(args.flint, args.master, args.conf, log)
        try:
            spark = SparkSession.builder.remote(f"sc://127.0.0.1:{port}").create()
            for table in TABLES:
                spark.read.parquet(f"{args.data}/{table}").createOrReplaceTempView(table)
            timings = []
            for n in args.query or range(1, 23):
                sql = (pathlib.Path(args.queries) / f"q{n}.sql").read_text()
                try:
                    seconds = []
                    reset_peak(server.pid)
                    for _ in range(max(1, args.iterations)):
                        started = time.perf_counter()
                        answer = spark.sql(sql).toArrow()
                        seconds.append(time.perf_counter() - started)
                    pq.write_table(answer, results / f"q{n}.parquet")
                    timings.append({"query": n, "seconds": seconds, "rows": answer.num_rows, "peak_mib": peak_mib(server.pid)})
                    print(f"q{n} via connect: {min(seconds):.3f}s, {answer.num_rows} rows", file=sys.stderr)
                except Exception as error:  # a failed query is reported in the table, not fatal
                    timings.append({"query": n, "error": str(error).splitlines()[0] if str(error) else repr(error)})
                    print(f"q{n} via connect: ERROR {error}", file=sys.stderr)
            spark.stop()
        finally:
            server.terminate()
            server.wait(timeout=30)
    (results / "timings.json").write_text(json.dumps(timings, indent=2))


if __name__ == "__main__":
    main()
