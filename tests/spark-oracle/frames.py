"""Inputs and answer shapes shared by the case files: the `people` table of
tests/python/conftest.py, and DataFrames holding what a DataFrame's schema, `show()` or
an action gives, so that a case can record them (a case's answer is a DataFrame), and
scratch paths for cases that write files."""

import atexit
import os
import shutil
import tempfile


def people(spark):
    """The `people` fixture of tests/python/conftest.py."""
    return spark.createDataFrame(
        [(1, "Alice", 34, "eng"), (2, "Bob", 45, "ops"), (3, "Carol", 29, "eng"), (4, "Dan", None, "ops"),
         (5, "Eve", 52, None)],
        "id INT, name STRING, age INT, dept STRING",
    )


def columns(df):
    """One row per column of `df`: its name and simpleString type."""
    fields = [(f.name, f.dataType.simpleString()) for f in df.schema.fields]
    return df.sparkSession.createDataFrame(fields, "name STRING, type STRING")


def shown(df, *args, **kwargs):
    """One row: what `df.show(*args, **kwargs)` prints."""
    return df.sparkSession.createDataFrame([(df._show_string(*args, **kwargs),)], "shown STRING")


def values(spark, *pairs):
    """One row of the values in `pairs` ((value, type), ...): what client calls answered."""
    names = ", ".join(f"v{i} {t}" for i, (_, t) in enumerate(pairs))
    return spark.createDataFrame([tuple(v for v, _ in pairs)], names)


def scratch():
    """A path that does not exist yet, in a folder removed when the process exits."""
    folder = tempfile.mkdtemp(prefix="spark-oracle-")
    atexit.register(shutil.rmtree, folder, True)
    return os.path.join(folder, "out")
