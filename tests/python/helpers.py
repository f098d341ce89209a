"""Assertion helpers shared by the PySpark tests."""


def rows(df):
    """The rows of `df` as plain tuples, in order."""
    return [tuple(r) for r in df.collect()]


def sorted_rows(df):
    """The rows of `df` as tuples, sorted (None first) for order-free comparison."""
    return sorted(rows(df), key=lambda r: tuple((v is not None, v) for v in r))


def schema_of(df):
    """`[(name, simpleString type)]`, as `df.dtypes`."""
    return [(f.name, f.dataType.simpleString()) for f in df.schema.fields]
