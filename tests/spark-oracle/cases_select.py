"""Projections, column naming, expressions and casts (moved from
tests/python/test_select.py): each answer's rows, and with `_columns` the names and types
Spark gives the columns."""

from pyspark.sql import functions as F
from pyspark.sql.types import LongType

from frames import columns, people


def _struct_and_n(spark):
    return spark.range(1).select(F.struct(F.lit(1).alias("a"), F.lit("x").alias("b")).alias("s"), F.lit(2).alias("n"))


def _ab(spark):
    return spark.createDataFrame([(1, 2)], "a INT, b INT")


def _arithmetic(spark):
    df = _ab(spark)
    return df.select(df.a + df.b, F.col("a") * 3, F.col("b") - F.col("a"))


def _division(spark):
    df = spark.createDataFrame([(7, 2)], "a INT, b INT")
    return df.select(df.a / df.b)


def _modulo(spark):
    df = spark.createDataFrame([(7, 3)], "a INT, b INT")
    return df.select(df.a % df.b)


def _negation(spark):
    df = spark.createDataFrame([(7,)], "a INT")
    return df.select(-df.a)


def _literals(spark):
    return spark.range(1).select(F.lit(1), F.lit("x"), F.lit(True), F.lit(None))


def _casts(spark):
    df = spark.createDataFrame([("42",)], "s STRING")
    return df.select(df.s.cast("int"), df.s.cast("double").alias("d"))


def _comparisons(spark):
    df = _ab(spark)
    return df.select(df.a < df.b, df.a == df.b, df.a >= 1)


def _boolean_ops(spark):
    df = spark.createDataFrame([(True, False)], "x BOOLEAN, y BOOLEAN")
    return df.select(df.x & df.y, df.x | df.y, ~df.x)


def _is_null(spark):
    df = people(spark)
    return df.where("id = 4").select(df.age.isNull(), df.age.isNotNull())


def _unpivot(spark):
    df = spark.createDataFrame([(1, 10, 20)], "id INT, a INT, b INT")
    return df.unpivot("id", ["a", "b"], "var", "val")


def _drop_column_object(spark):
    df = people(spark)
    return columns(df.drop(df.age))


def _name_filter(method, *args):
    def case(spark):
        df = people(spark)
        return df.where(getattr(df.name, method)(*args)).select("id", "name").orderBy("id")

    return case


CASES = {
    "select_columns": lambda spark: people(spark).select("name", "id").where("id <= 2").orderBy("id"),
    "select_star_columns": lambda spark: columns(people(spark).select("*")),
    "struct_star_expands_fields": lambda spark: _struct_and_n(spark).select("s.*", "n"),
    "struct_star_expands_fields_columns": lambda spark: columns(_struct_and_n(spark).select("s.*", "n")),
    "select_case_insensitive": lambda spark: people(spark).where(F.col("Id") == 1).select("NAME"),
    "select_backticked": lambda spark: spark.createDataFrame([(1,)], "`a.b` INT").select("`a.b`"),
    "arithmetic": _arithmetic,
    "arithmetic_columns": lambda spark: columns(_arithmetic(spark)),
    "integer_division_is_double": _division,
    "integer_division_columns": lambda spark: columns(_division(spark)),
    "modulo": _modulo,
    "modulo_columns": lambda spark: columns(_modulo(spark)),
    "negation": _negation,
    "alias_columns": lambda spark: columns(people(spark).select(F.col("name").alias("who"))),
    "literals": _literals,
    "literals_columns": lambda spark: columns(_literals(spark)),
    "casts": _casts,
    "cast_with_datatype_columns": lambda spark: columns(
        spark.createDataFrame([("7",)], "s STRING").select(F.col("s").cast(LongType()).alias("n"))
    ),
    "select_expr": lambda spark: people(spark).where("id = 1").selectExpr("id * 2 AS twice", "upper(name) AS up"),
    "expr_function": lambda spark: people(spark).where("id = 1").select(F.expr("age + 1").alias("next")),
    "with_column": lambda spark: people(spark).withColumn("age2", F.col("age") * 2).select("id", "age2").orderBy("id"),
    "with_column_replaces": lambda spark: people(spark).withColumn("age", F.lit(0)).orderBy("id"),
    "with_column_replaces_columns": lambda spark: columns(people(spark).withColumn("age", F.lit(0))),
    "with_columns": lambda spark: people(spark)
    .where("id = 1")
    .withColumns({"a": F.lit(1), "b": F.col("id") + 1})
    .select("a", "b"),
    "with_column_renamed_columns": lambda spark: columns(people(spark).withColumnRenamed("name", "who")),
    "with_columns_renamed_columns": lambda spark: columns(
        people(spark).withColumnsRenamed({"id": "key", "dept": "team"})
    ),
    "drop_columns": lambda spark: columns(people(spark).drop("age", "dept")),
    "drop_missing_is_noop_columns": lambda spark: columns(people(spark).drop("nope")),
    "drop_column_object_columns": _drop_column_object,
    "to_df_columns": lambda spark: columns(people(spark).toDF("a", "b", "c", "d")),
    "comparisons": _comparisons,
    "comparisons_columns": lambda spark: columns(_comparisons(spark)),
    "boolean_ops": _boolean_ops,
    "boolean_ops_columns": lambda spark: columns(_boolean_ops(spark)),
    "is_null": _is_null,
    "is_null_columns": lambda spark: columns(_is_null(spark)),
    "when_otherwise": lambda spark: people(spark)
    .select("id", F.when(F.col("age") > 40, "old").otherwise("young").alias("band"))
    .orderBy("id"),
    "when_without_otherwise": lambda spark: people(spark).orderBy("id").select(F.when(F.col("age") > 40, 1).alias("x")),
    "isin": lambda spark: people(spark).where(F.col("id").isin(1, 3)).select("id").orderBy("id"),
    "between": lambda spark: people(spark).where(F.col("age").between(30, 50)).select("id").orderBy("id"),
    "like": _name_filter("like", "C%"),
    "rlike": _name_filter("rlike", "^[AB]"),
    "startswith": _name_filter("startswith", "Al"),
    "endswith": _name_filter("endswith", "ve"),
    "contains": _name_filter("contains", "aro"),
    "select_without_input": lambda spark: spark.range(1).select(F.lit(1) + F.lit(2)),
    "unpivot": lambda spark: _unpivot(spark).orderBy("var"),
    "unpivot_columns": lambda spark: columns(_unpivot(spark)),
    "melt_all_other_columns": lambda spark: spark.createDataFrame([(1, 10, 20)], "id INT, a INT, b INT")
    .melt("id", None, "k", "v")
    .orderBy("k"),
    "cast_keeps_column_name_columns": lambda spark: columns(
        spark.createDataFrame([("42",)], "s STRING").select(F.col("s").cast("int"), F.col("s").cast("double").alias("d"))
    ),
    "negation_columns": lambda spark: columns(spark.createDataFrame([(7,)], "a INT").select(-F.col("a"))),
    "select_case_insensitive_columns": lambda spark: columns(people(spark).select("NAME", "Id")),
}
