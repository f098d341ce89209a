"""Runs every statement and query block of tests/slt/*.slt on real Spark SQL and records
Spark's outcome into recorded/slt.json: rows formatted as `show()` prints them (what the
Rust harness's `format_cell` imitates), sorted for `rowsort`, or Spark's error. One
session per file, session time zone UTC (the harness's default). Run through
`./record slt`, which installs pyspark with its JVM."""

import json
import os
import sys

from pyspark.sql import SparkSession

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slt  # noqa: E402
from oracle import HERE  # noqa: E402


def shown_rows(df):
    """The rows of `df` as `show(truncate=False)` formats their cells (header dropped)."""
    table = df._jdf.getRows(1_000_000, 0)
    rows = [table.apply(i) for i in range(1, table.size())]
    return [[row.apply(j) for j in range(row.size())] for row in rows]


def block_outcome(session, block):
    """What Spark does with `block`: its formatted rows (queries), ok (statements), or
    the first line of its error message, the data directory written back as `$DATA`.
    (A million rows at most: more than any .slt block has.)"""
    try:
        df = session.sql(slt.with_data_dir(block.sql))
        if block.kind == "statement":
            df.collect()
            return {"ok": True}
        return {"rows": slt.sorted_rows(block, shown_rows(df))}
    except Exception as error:  # Spark's error is the outcome to record
        # A Py4JJavaError (an error pyspark does not convert) names Spark's in its Java exception.
        java = getattr(error, "java_exception", None)
        message = java.toString() if java is not None else str(error)
        return {"error": message.split("\n")[0].replace(slt.DATA_DIR, "$DATA")}


def main():
    """Records every .slt file's blocks in order, each file in a fresh session."""
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    blocks = {}
    for path in slt.slt_files():
        session = spark.newSession()
        for block in slt.parse(path):
            blocks[block.key] = {"sql": block.sql, **block_outcome(session, block)}
    path = os.path.join(HERE, "recorded", "slt.json")
    with open(path, "w") as out:
        json.dump({"spark_version": spark.version, "blocks": blocks}, out, indent=1, sort_keys=True)
        out.write("\n")
    print(f"recorded {len(blocks)} .slt blocks on Spark {spark.version} into {path}")
    spark.stop()


if __name__ == "__main__":
    main()
