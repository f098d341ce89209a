"""Peak RSS of `flint connect-server` while a client iterates over, or collects, a large
result; see `run`."""

import argparse
import socket
import subprocess
import sys
import time

from pyspark.sql import SparkSession


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(pid):
    """The process's peak resident set (VmHWM) in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def measure(flint, master, rows, how):
    """Runs one read of `rows` rows `how` ('iterate' or 'collect') on a fresh server:
    (seconds, rows read, peak RSS in MiB)."""
    port = free_port()
    server = subprocess.Popen(
        [flint, "connect-server", "--host", "127.0.0.1", "--port", str(port), "--master", master],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError(f"the server on {master} did not start")
                time.sleep(0.2)
        spark = SparkSession.builder.remote(f"sc://127.0.0.1:{port}").create()
        spark.range(1).collect()  # warm up before the baseline
        baseline = peak_rss_mib(server.pid)
        df = spark.range(0, rows, 1, 16).selectExpr("id", "repeat('x', 40) AS s")
        started = time.monotonic()
        if how == "iterate":
            seen = sum(1 for _ in df.toLocalIterator())
        else:
            seen = len(df.collect())
        seconds = time.monotonic() - started
        peak = peak_rss_mib(server.pid)
        spark.stop()
        return seconds, seen, baseline, peak
    finally:
        server.terminate()
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flint", required=True)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--master", action="append")
    args = parser.parse_args()
    masters = args.master or ["local[2]", "local-cluster[2,1,1024]"]
    print(f"{'master':<26} {'read':<8} {'rows':>12} {'seconds':>8} {'base_MiB':>9} {'peak_MiB':>9}")
    ok = True
    for master in masters:
        for how in ["iterate", "collect"]:
            seconds, seen, baseline, peak = measure(args.flint, master, args.rows, how)
            ok &= seen == args.rows
            print(f"{master:<26} {how:<8} {seen:>12} {seconds:>8.1f} {baseline:>9.0f} {peak:>9.0f}", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
