"""Runs oracle cases on a Spark session and turns each outcome into JSON: the column
names and rows of the answer, or the error's Spark condition and exception type. Shared
by `record` (real Spark) and the PySpark suite (Flint)."""

import datetime
import decimal
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def load_cases(name):
    """The CASES dict of tests/spark-oracle/cases_<name>.py."""
    spec = importlib.util.spec_from_file_location(f"cases_{name}", os.path.join(HERE, f"cases_{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


def _plain(value):
    """A JSON value for a cell, keeping what comparing answers needs."""
    if isinstance(value, decimal.Decimal):
        return {"decimal": str(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"binary": value.hex()}
    if isinstance(value, (datetime.date, datetime.datetime)):
        return {"time": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {"map": sorted([[_plain(k), _plain(v)] for k, v in value.items()], key=repr)}
    if hasattr(value, "asDict"):
        return {"row": [_plain(v) for v in value]}
    return value


def outcome(spark, case):
    """What running `case` on `spark` gives, as JSON."""
    try:
        df = case(spark)
        rows = df.collect()
        return {"columns": df.columns, "rows": [[_plain(v) for v in row] for row in rows]}
    except Exception as error:  # the outcome of a case may be Spark's error
        condition = None
        for method in ("getCondition", "getErrorClass"):
            if hasattr(error, method):
                try:
                    condition = getattr(error, method)()
                except Exception:
                    condition = None
                if condition:
                    break
        return {"error": {"condition": condition, "type": type(error).__name__}}
