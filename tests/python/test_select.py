"""Projections, column naming, expressions and casts."""

import pytest
from pyspark.errors import AnalysisException
from pyspark.sql import functions as F
from helpers import rows, schema_of


def test_select_columns(people):
    assert rows(people.select("name", "id").where("id <= 2")) == [("Alice", 1), ("Bob", 2)]


def test_select_star(people):
    assert people.select("*").columns == ["id", "name", "age", "dept"]


def test_select_struct_star_expands_its_fields(spark):
    # PySpark's own tvf.explode example 3: `col.*` of a struct column is its fields
    # (Flint gave no columns at all); a name that is neither an alias nor a struct is an
    # AnalysisException with Spark's error class.
    df = spark.range(1).select(F.struct(F.lit(1).alias("a"), F.lit("x").alias("b")).alias("s"), F.lit(2).alias("n"))
    out = df.select("s.*", "n")
    assert out.columns == ["a", "b", "n"]
    assert rows(out) == [(1, "x", 2)]
    with pytest.raises(AnalysisException, match="CANNOT_RESOLVE_STAR_EXPAND"):
        df.select("n.*").collect()
    with pytest.raises(AnalysisException, match="CANNOT_RESOLVE_STAR_EXPAND"):
        df.select("nothing.*").collect()


def test_select_case_insensitive(people):
    assert rows(people.where(F.col("Id") == 1).select("NAME")) == [("Alice",)]


def test_select_backticked(spark):
    df = spark.createDataFrame([(1,)], "`a.b` INT")
    assert rows(df.select("`a.b`")) == [(1,)]


def test_arithmetic_names(spark):
    df = spark.createDataFrame([(1, 2)], "a INT, b INT")
    out = df.select(df.a + df.b, F.col("a") * 3, F.col("b") - F.col("a"))
    assert out.columns == ["(a + b)", "(a * 3)", "(b - a)"]
    assert rows(out) == [(3, 3, 1)]


def test_integer_division_is_double(spark):
    df = spark.createDataFrame([(7, 2)], "a INT, b INT")
    out = df.select(df.a / df.b)
    assert out.columns == ["(a / b)"]
    assert schema_of(out) == [("(a / b)", "double")]
    assert rows(out) == [(3.5,)]


def test_modulo(spark):
    df = spark.createDataFrame([(7, 3)], "a INT, b INT")
    assert rows(df.select(df.a % df.b)) == [(1,)]


def test_negation(spark):
    df = spark.createDataFrame([(7,)], "a INT")
    assert rows(df.select(-df.a)) == [(-7,)]


def test_alias(people):
    out = people.select(F.col("name").alias("who"))
    assert out.columns == ["who"]


def test_literal_names(spark):
    out = spark.range(1).select(F.lit(1), F.lit("x"), F.lit(True), F.lit(None))
    assert out.columns == ["1", "x", "true", "NULL"]
    assert rows(out) == [(1, "x", True, None)]


def test_cast_names_and_types(spark):
    df = spark.createDataFrame([("42",)], "s STRING")
    out = df.select(df.s.cast("int"), df.s.cast("double").alias("d"))
    assert out.columns == ["CAST(s AS INT)", "d"]
    assert schema_of(out) == [("CAST(s AS INT)", "int"), ("d", "double")]
    assert rows(out) == [(42, 42.0)]


def test_cast_with_datatype(spark):
    from pyspark.sql.types import LongType

    out = spark.createDataFrame([("7",)], "s STRING").select(F.col("s").cast(LongType()).alias("n"))
    assert schema_of(out) == [("n", "bigint")]


def test_select_expr(people):
    out = people.where("id = 1").selectExpr("id * 2 AS twice", "upper(name) AS up")
    assert rows(out) == [(2, "ALICE")]


def test_expr_function(people):
    assert rows(people.where("id = 1").select(F.expr("age + 1").alias("next"))) == [(35,)]


def test_with_column(people):
    out = people.withColumn("age2", F.col("age") * 2).select("id", "age2").where("id = 2")
    assert rows(out) == [(2, 90)]


def test_with_column_replaces(people):
    out = people.withColumn("age", F.lit(0))
    assert out.columns == ["id", "name", "age", "dept"]
    assert set(r.age for r in out.collect()) == {0}


def test_with_columns(people):
    out = people.where("id = 1").withColumns({"a": F.lit(1), "b": F.col("id") + 1}).select("a", "b")
    assert rows(out) == [(1, 2)]


def test_with_column_renamed(people):
    out = people.withColumnRenamed("name", "who")
    assert out.columns == ["id", "who", "age", "dept"]


def test_with_columns_renamed(people):
    out = people.withColumnsRenamed({"id": "key", "dept": "team"})
    assert out.columns == ["key", "name", "age", "team"]


def test_drop(people):
    assert people.drop("age", "dept").columns == ["id", "name"]


def test_drop_missing_is_noop(people):
    assert people.drop("nope").columns == ["id", "name", "age", "dept"]


def test_drop_column_object(people):
    assert people.drop(people.age).columns == ["id", "name", "dept"]


def test_to_df(people):
    assert people.toDF("a", "b", "c", "d").columns == ["a", "b", "c", "d"]


def test_comparison_names(spark):
    df = spark.createDataFrame([(1, 2)], "a INT, b INT")
    out = df.select(df.a < df.b, df.a == df.b, df.a >= 1)
    assert out.columns == ["(a < b)", "(a = b)", "(a >= 1)"]
    assert rows(out) == [(True, False, True)]


def test_boolean_ops(spark):
    df = spark.createDataFrame([(True, False)], "x BOOLEAN, y BOOLEAN")
    out = df.select(df.x & df.y, df.x | df.y, ~df.x)
    assert out.columns == ["(x AND y)", "(x OR y)", "(NOT x)"]
    assert rows(out) == [(False, True, False)]


def test_is_null_names(people):
    out = people.where("id = 4").select(people.age.isNull(), people.age.isNotNull())
    assert out.columns == ["(age IS NULL)", "(age IS NOT NULL)"]
    assert rows(out) == [(True, False)]


def test_when_otherwise(people):
    out = people.select("id", F.when(F.col("age") > 40, "old").otherwise("young").alias("band")).orderBy("id")
    assert rows(out) == [(1, "young"), (2, "old"), (3, "young"), (4, "young"), (5, "old")]


def test_when_without_otherwise(people):
    out = people.orderBy("id").select(F.when(F.col("age") > 40, 1).alias("x"))
    assert rows(out) == [(None,), (1,), (None,), (None,), (1,)]


def test_isin(people):
    assert rows(people.where(people.id.isin(1, 3)).select("id")) == [(1,), (3,)]


def test_between(people):
    assert rows(people.where(people.age.between(30, 50)).select("id").orderBy("id")) == [(1,), (2,)]


def test_like(people):
    assert rows(people.where(people.name.like("C%")).select("name")) == [("Carol",)]


def test_rlike(people):
    assert rows(people.where(people.name.rlike("^[AB]")).select("name").orderBy("name")) == [("Alice",), ("Bob",)]


def test_startswith_endswith_contains(people):
    assert rows(people.where(people.name.startswith("Al")).select("id")) == [(1,)]
    assert rows(people.where(people.name.endswith("ve")).select("id")) == [(5,)]
    assert rows(people.where(people.name.contains("aro")).select("id")) == [(3,)]


def test_select_without_input(spark):
    assert rows(spark.range(1).select(F.lit(1) + F.lit(2))) == [(3,)]


def test_unpivot(spark):
    df = spark.createDataFrame([(1, 10, 20)], "id INT, a INT, b INT")
    out = df.unpivot("id", ["a", "b"], "var", "val")
    assert out.columns == ["id", "var", "val"]
    assert rows(out.orderBy("var")) == [(1, "a", 10), (1, "b", 20)]


def test_melt_all_other_columns(spark):
    df = spark.createDataFrame([(1, 10, 20)], "id INT, a INT, b INT")
    assert rows(df.melt("id", None, "k", "v").orderBy("k")) == [(1, "a", 10), (1, "b", 20)]
