"""Relations and expressions that carry other relations or rebuild structs: `spark.sql`
with parameters and DataFrame arguments (WithRelations over SQL), uncorrelated subquery
expressions (`DataFrame.scalar`, `DataFrame.exists`, `Column.isin(df)`) and
`Column.withField` / `Column.dropFields` (UpdateFields), and struct fields by dotted
names (`select("s.b")`); `_columns` cases record the names and types."""

from pyspark.sql import Row
from pyspark.sql import functions as F

from frames import columns


def _nums(spark):
    return spark.createDataFrame([(1, 4), (2, 4), (3, 6)], "a INT, b INT")


def _nested(spark):
    return spark.createDataFrame([Row(s=Row(b=1, c=2, e=Row(f=4, g=5)))])


def _nullable_struct(spark):
    return spark.createDataFrame([(1, (1, "x")), (2, None)], "id INT, s STRUCT<p: INT, q: STRING>")


CASES = {
    "sql_dataframe_argument": lambda spark: spark.sql(
        "SELECT {t.a}, {t[b]} FROM {t} WHERE a > 1 ORDER BY a", t=_nums(spark)
    ),
    "sql_two_dataframe_arguments": lambda spark: spark.sql(
        "SELECT x.a, y.b FROM {l} x JOIN {r} y ON x.a = y.a ORDER BY x.a",
        l=_nums(spark),
        r=_nums(spark).where("a < 3"),
    ),
    "sql_named_parameters": lambda spark: spark.sql(
        "SELECT *, element_at(:m, 'k') AS c FROM {t} WHERE b > :lo ORDER BY a",
        {"lo": 4, "m": F.create_map(F.lit("k"), F.lit(1))},
        t=_nums(spark),
    ),
    "sql_positional_parameters": lambda spark: spark.sql(
        "SELECT a, element_at(?, 1) AS c FROM {t} WHERE b > ? AND ? < a ORDER BY a",
        args=[F.array(F.lit(7), F.lit(8)), 3, 1],
        t=_nums(spark),
    ),
    "sql_parameter_types_columns": lambda spark: columns(
        spark.sql("SELECT :i AS i, :l AS l, :d AS d, :s AS s, :f AS f", {"i": 1, "l": 2**40, "d": 1.5, "s": "x", "f": True})
    ),
    "sql_parameters_without_dataframes": lambda spark: spark.sql(
        "SELECT id FROM range(10) WHERE id > :lo AND id < :hi ORDER BY id", {"lo": 2, "hi": 5}
    ),
    "scalar_subquery": lambda spark: _nums(spark).where(F.col("a") > _nums(spark).select(F.avg("a")).scalar()),
    "scalar_subquery_in_select": lambda spark: _nums(spark)
    .select("a", (F.col("b") - _nums(spark).select(F.max("b")).scalar()).alias("d"))
    .orderBy("a"),
    "exists_uncorrelated": lambda spark: _nums(spark).where(_nums(spark).where("a > 2").exists()).orderBy("a"),
    "not_exists_uncorrelated": lambda spark: _nums(spark).where(~_nums(spark).where("a > 5").exists()).orderBy("a"),
    "isin_subquery": lambda spark: _nums(spark).where(F.col("a").isin(spark.range(2, 10))).orderBy("a"),
    "with_field_replace": lambda spark: _nested(spark).withColumn("s", F.col("s").withField("b", F.lit(3))),
    "with_field_add": lambda spark: _nested(spark).withColumn("s", F.col("s").withField("d", F.lit("new"))),
    "with_field_nested": lambda spark: _nested(spark).withColumn("s", F.col("s").withField("e.h", F.lit(6))),
    "with_field_columns": lambda spark: columns(
        _nested(spark).select(F.col("s").withField("B", F.lit(2.5)).alias("s"))
    ),
    "drop_fields": lambda spark: _nested(spark).withColumn("s", F.col("s").dropFields("b", "c")),
    "drop_nested_fields": lambda spark: _nested(spark).withColumn("s", F.col("s").dropFields("e.g", "missing")),
    "drop_fields_columns": lambda spark: columns(_nested(spark).select(F.col("s").dropFields("c").alias("s"))),
    "with_field_null_struct": lambda spark: _nullable_struct(spark)
    .select("id", F.col("s").withField("r", F.lit(0)).alias("s"))
    .orderBy("id"),
    "dotted_struct_fields": lambda spark: _nested(spark).select("s.b", "s.E.f", (F.col("s.c") + F.col("s.e.g")).alias("sum")),
    "dotted_struct_fields_columns": lambda spark: columns(
        _nested(spark).select("s.b", "s.E.f", F.col("s.e.g").alias("g2"))
    ),
    "dotted_struct_field_filter": lambda spark: _nested(spark).where(F.col("s.e.f") == 4).select("s.c"),
    "dotted_struct_field_qualified": lambda spark: _nested(spark).alias("t").select("t.s.b"),
    "unaliased_parameter_columns": lambda spark: columns(spark.sql("SELECT :x", {"x": 7})),
}
