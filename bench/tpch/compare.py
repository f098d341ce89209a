"""Runs the TPC-H queries on DuckDB over the same Parquet files, checks Flint's answers
against DuckDB's and prints the comparison table.

Answers match when they have the same rows (in order where the query has an ORDER BY,
as multisets otherwise), numbers equal within 1e-6 relative.
"""

import argparse
import datetime
import decimal
import json
import math
import pathlib
import re
import sys
import time

import duckdb

TABLES = ["nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem"]
REL_TOL = 1e-6


def normalize(value):
    """A value in a form that compares across engines: numbers as floats."""
    if isinstance(value, decimal.Decimal):
        return Number(float(value), 10.0 ** value.as_tuple().exponent / 2)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Number(float(value), 0.0)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


class Number:
    """A number and the rounding its type allows: a DECIMAL of scale s is exact to half a
    unit in its last place (Spark's avg of DECIMAL(15,2) is DECIMAL(19,6), DuckDB's a DOUBLE)."""

    def __init__(self, value, rounding):
        self.value = value
        self.rounding = rounding

    def __repr__(self):
        return repr(self.value)

    def __lt__(self, other):
        return self.value < other.value

    def __eq__(self, other):
        if not isinstance(other, Number):
            return False
        slack = max(self.rounding, other.rounding) * (1 + 1e-9)
        diff = abs(self.value - other.value)
        return diff <= slack or math.isclose(self.value, other.value, rel_tol=REL_TOL, abs_tol=1e-9)


def sort_key(row):
    return tuple((v is None, type(v).__name__, v.value if isinstance(v, Number) else (v if v is not None else 0)) for v in row)


def same_answer(flint_rows, duck_rows, ordered):
    if len(flint_rows) != len(duck_rows):
        return False, f"{len(flint_rows)} rows, DuckDB has {len(duck_rows)}"
    flint_rows = [tuple(normalize(v) for v in r) for r in flint_rows]
    duck_rows = [tuple(normalize(v) for v in r) for r in duck_rows]
    if not ordered:
        flint_rows.sort(key=sort_key)
        duck_rows.sort(key=sort_key)
    for i, (f, d) in enumerate(zip(flint_rows, duck_rows)):
        if f != d:
            return False, f"row {i}: flint {f} != duckdb {d}"
    return True, ""


def reset_peak_memory():
    """Resets this process's peak resident size (Linux), so the next query's peak is its own."""
    try:
        pathlib.Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_memory_mib():
    """This process's peak resident MiB since the last reset, NaN where Linux does not say."""
    try:
        for line in pathlib.Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def mib(value):
    """A MiB count from a timing record, NaN when absent."""
    return float("nan") if value is None else float(value)


def read_timings(results):
    """Each query's timing record from a `flint-tpch run` results directory, by query."""
    return {t["query"]: t for t in json.loads((results / "timings.json").read_text())}


def fastest(timing):
    """The best of a query's runs, NaN when it failed."""
    return min(timing["seconds"]) if "seconds" in timing else float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--results", required=True, help="Flint's answers and timings.json")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--memory", default="8GB")
    parser.add_argument("--iterations", type=int, default=1)
    parser.add_argument("--sf", required=True)
    parser.add_argument("--master", required=True, help="the Spark master Flint's answers ran on")
    parser.add_argument("--baseline", help="timings of the same queries on --baseline-master")
    parser.add_argument("--baseline-master", help="e.g. local[2] for a local-cluster[2,1,M] run")
    parser.add_argument("--connect", help="answers and timings of the same queries through the PySpark client (connect.py)")
    args = parser.parse_args()

    results = pathlib.Path(args.results)
    timings = read_timings(results)
    baseline = read_timings(pathlib.Path(args.baseline)) if args.baseline else None
    connect = read_timings(pathlib.Path(args.connect)) if args.connect else None
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute(f"SET memory_limit = '{args.memory}'")
    for table in TABLES:
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{args.data}/{table}/*.parquet')")

    print(f"master: {args.master}" + (f", compared with {args.baseline_master}" if baseline else ""))
    local_header = f" {'local_s':>9} {'vs_local':>8}" if baseline else ""
    if connect is not None:
        local_header += f" {'connect_s':>9} {'vs_cli':>6} {'srv_MiB':>7}"
    cluster = "local-cluster" in args.master
    memory_header = f" {'spill_MiB':>9} {'peak_MiB':>8}" + (f" {'exec_MiB':>8}" if cluster else "") + f" {'duck_MiB':>8}"
    print(f"{'query':<6} {'flint_s':>9}{local_header} {'duckdb_s':>9} {'ratio':>7} {'rows':>6}{memory_header}  result")
    total_flint = total_duck = total_local = total_connect = 0.0
    ok = 0
    failures = []
    for n in sorted(timings):
        sql = (pathlib.Path(args.queries) / f"q{n}.sql").read_text()
        duck_seconds = []
        reset_peak_memory()
        for _ in range(max(1, args.iterations)):
            started = time.perf_counter()
            duck_rows = con.execute(sql).fetchall()
            duck_seconds.append(time.perf_counter() - started)
        duck_s = min(duck_seconds)
        duck_mib = peak_memory_mib()
        timing = timings[n]
        memory_cells = f" {mib(timing.get('spill_bytes')) / 2**20:>9.1f} {mib(timing.get('peak_mib')):>8.0f}"
        if cluster:
            memory_cells += f" {mib(timing.get('executor_peak_mib')):>8.0f}"
        memory_cells += f" {duck_mib:>8.0f}"
        if "error" in timing:
            status, detail, flint_s, rows = "ERROR", timing["error"], float("nan"), 0
        else:
            flint_s = fastest(timing)
            flint_rows = con.execute(f"SELECT * FROM read_parquet('{results}/q{n}.parquet')").fetchall()
            rows = len(flint_rows)
            ordered = re.search(r"\border\s+by\b", sql, re.I) is not None
            matched, detail = same_answer(flint_rows, duck_rows, ordered)
            status = "OK" if matched else "DIFF"
        local_cells = ""
        if baseline is not None:
            local_s = fastest(baseline.get(n, {}))
            local_cells = f" {local_s:>9.3f} {flint_s / local_s:>8.2f}"
        if connect is not None:
            connect_timing = connect.get(n, {"error": "not run"})
            connect_s = fastest(connect_timing)
            local_cells += f" {connect_s:>9.3f} {connect_s / flint_s:>6.2f} {mib(connect_timing.get('peak_mib')):>7.0f}"
            if "error" in connect_timing:
                if status == "OK":
                    status, detail = "ERROR", f"via connect: {connect_timing['error']}"
            elif status == "OK":
                connect_rows = con.execute(f"SELECT * FROM read_parquet('{args.connect}/q{n}.parquet')").fetchall()
                matched, connect_detail = same_answer(connect_rows, duck_rows, ordered)
                if not matched:
                    status, detail = "DIFF", f"via connect: {connect_detail}"
        if status != "ERROR":
            total_flint += flint_s
            total_duck += duck_s
            if baseline is not None:
                total_local += local_s
            if connect is not None:
                total_connect += connect_s
        if status == "OK":
            ok += 1
        else:
            failures.append(f"q{n}: {status}: {detail}")
        ratio = flint_s / duck_s if duck_s > 0 else float("nan")
        print(f"q{n:<5} {flint_s:>9.3f}{local_cells} {duck_s:>9.3f} {ratio:>7.2f} {rows:>6}{memory_cells}  {status}")
    for failure in failures:
        print(failure, file=sys.stderr)
    ratio = total_flint / total_duck if total_duck > 0 else float("nan")
    local_total = ""
    if baseline is not None:
        vs_local = total_flint / total_local if total_local > 0 else float("nan")
        local_total = f"local_s={total_local:.3f} vs_local={vs_local:.2f} "
    if connect is not None:
        vs_cli = total_connect / total_flint if total_flint > 0 else float("nan")
        local_total += f"connect_s={total_connect:.3f} vs_cli={vs_cli:.2f} "
    print(
        f"TOTAL sf={args.sf} master={args.master} flint_s={total_flint:.3f} {local_total}"
        f"duckdb_s={total_duck:.3f} ratio={ratio:.2f} ok={ok}/{len(timings)}"
    )
    return 0 if ok == len(timings) else 1


if __name__ == "__main__":
    sys.exit(main())
