"""Python UDFs of every kind (issue 13 item 4): row-at-a-time and Arrow-optimised `udf`,
scalar and grouped-aggregate `pandas_udf`, `arrow_udf`, `mapInPandas`, `mapInArrow`,
`groupBy().applyInPandas`/`applyInArrow`, `cogroup().applyInPandas`, `spark.udf.register`
for SQL. (A UDF that raises is tests/python/test_udf.py's: Spark's classic API reports
the PYTHON_EXCEPTION condition, which PySpark's Connect client never does.) `record` runs them on real Spark (its Python workers run
the recording venv's interpreter); tests/python/test_spark_oracle.py runs them on Flint."""

from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf, udf


def _people(spark):
    return spark.createDataFrame(
        [(1, "alice", 1.0), (1, None, 2.0), (2, "bob", 3.0), (2, "carol", 5.0), (2, "dan", 10.0), (3, "eve", None)],
        "id long, name string, v double",
    )


def _upper(s):
    return None if s is None else s.upper()


def _row_udf(spark):
    return spark.range(5).select(udf(lambda x: x * 2 + 1, "long")("id"))


def _named_udf_with_nulls(spark):
    return _people(spark).select("id", udf(_upper, "string")("name").alias("upper")).orderBy("id", "upper")


def _arrow_udf(spark):
    return _people(spark).select(udf(lambda a, b: f"{a}:{b}", "string", useArrow=True)("id", "name").alias("s")).orderBy("s")


def _udf_in_filter(spark):
    return spark.range(10).filter(udf(lambda x: x % 3 == 0, "boolean")("id"))


def _udf_zero_args(spark):
    return spark.range(3).select("id", udf(lambda: 7, "int")().alias("seven"))


def _pandas_scalar(spark):
    @pandas_udf("double")
    def times_ten(v):
        return v * 10

    return _people(spark).select("id", times_ten("v").alias("t")).orderBy("id", "t")


def _arrow_scalar(spark):
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyspark.sql.functions import arrow_udf

    @arrow_udf("long")
    def plus_one(a: pa.Array) -> pa.Array:
        return pc.add(a, 1)

    return spark.range(4).select(plus_one("id"))


def _pandas_grouped_agg(spark):
    import pandas as pd

    @pandas_udf("double")
    def mean(v: pd.Series) -> float:
        return v.mean()

    return _people(spark).groupBy("id").agg(mean("v").alias("m")).orderBy("id")


def _map_in_pandas(spark):
    def keep_big(batches):
        for pdf in batches:
            pdf = pdf[pdf.v > 1.5]
            yield pdf.assign(v=pdf.v * 2)

    return _people(spark).mapInPandas(keep_big, "id long, name string, v double").orderBy("v")


def _map_in_arrow(spark):
    import pyarrow.compute as pc

    def names_only(batches):
        for batch in batches:
            yield batch.select(["name"]).filter(pc.is_valid(batch.column("name")))

    return _people(spark).mapInArrow(names_only, "name string").orderBy("name")


def _apply_in_pandas(spark):
    def centre(key, pdf):
        return pdf.assign(v=pdf.v - pdf.v.mean(), key=key[0])[["key", "v"]]

    return _people(spark).groupBy("id").applyInPandas(centre, "key long, v double").orderBy("key", "v")


def _apply_in_arrow(spark):
    import pyarrow as pa

    def count(table):
        return pa.table({"id": [table.column("id")[0].as_py()], "rows": [table.num_rows]})

    return _people(spark).groupBy("id").applyInArrow(count, "id long, rows long").orderBy("id")


def _cogroup_apply_in_pandas(spark):
    import pandas as pd

    def merge(left, right):
        return pd.DataFrame(
            {"id": [left.id.iloc[0] if len(left) else right.id.iloc[0]], "l": [len(left)], "r": [len(right)]}
        )

    other = spark.createDataFrame([(1, "x"), (3, "y"), (3, "z"), (4, "w")], "id long, tag string")
    return (
        _people(spark)
        .groupBy("id")
        .cogroup(other.groupBy("id"))
        .applyInPandas(merge, "id long, l long, r long")
        .orderBy("id")
    )


def _registered_for_sql(spark):
    spark.udf.register("plus_one", lambda x: x + 1, "long")
    return spark.sql("SELECT id, plus_one(id) AS next FROM range(3)")


CASES = {
    "row_udf": _row_udf,
    "named_udf_with_nulls": _named_udf_with_nulls,
    "arrow_udf": _arrow_udf,
    "udf_in_filter": _udf_in_filter,
    "udf_zero_args": _udf_zero_args,
    "pandas_scalar": _pandas_scalar,
    "arrow_scalar": _arrow_scalar,
    "pandas_grouped_agg": _pandas_grouped_agg,
    "map_in_pandas": _map_in_pandas,
    "map_in_arrow": _map_in_arrow,
    "apply_in_pandas": _apply_in_pandas,
    "apply_in_arrow": _apply_in_arrow,
    "cogroup_apply_in_pandas": _cogroup_apply_in_pandas,
    "registered_for_sql": _registered_for_sql,
}
