"""`DataFrameWriter.insertInto` on an existing table: appends by default, replaces with
`overwrite=True`, matches columns by position (not name) and casts to the table's types,
and refuses a missing table or a wrong number of columns."""


def _table(spark, name):
    spark.sql(f"DROP TABLE IF EXISTS {name}")
    spark.createDataFrame([(1, "a")], "id BIGINT, s STRING").write.saveAsTable(name)
    return name


def _appends(spark):
    name = _table(spark, "ins_append")
    spark.createDataFrame([(2, "b"), (3, "c")], "id BIGINT, s STRING").write.insertInto(name)
    return spark.table(name).orderBy("id")


def _overwrites(spark):
    name = _table(spark, "ins_overwrite")
    spark.createDataFrame([(9, "z")], "id BIGINT, s STRING").write.insertInto(name, overwrite=True)
    return spark.table(name).orderBy("id")


def _by_position(spark):
    name = _table(spark, "ins_position")
    spark.createDataFrame([(5, "e")], "other INT, label STRING").write.insertInto(name)
    return spark.table(name).orderBy("id")


def _missing_table(spark):
    spark.createDataFrame([(1, "a")], "id BIGINT, s STRING").write.insertInto("ins_no_such_table")
    return spark.range(1)


def _too_many_columns(spark):
    name = _table(spark, "ins_arity")
    spark.createDataFrame([(1, "a", 2.0)], "id BIGINT, s STRING, x DOUBLE").write.insertInto(name)
    return spark.table(name)


CASES = {
    "appends": _appends,
    "overwrites": _overwrites,
    "by_position": _by_position,
    "missing_table": _missing_table,
    "too_many_columns": _too_many_columns,
}
