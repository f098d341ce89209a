"""Spark's answers with `spark.sql.ansi.enabled=false`, the mode Flint runs in, where
Flint once answered otherwise: `/` and `%` by zero (Flint gave Infinity, NaN or an
error; Spark gives NULL), and strings cast to numbers and booleans (Flint failed the
query on a string it could not read and read fewer forms; Spark gives NULL, and reads
`' 1.9 '` as the INT 1). Each case turns ANSI off while Spark builds the DataFrame (Spark
fixes each cast's and division's mode then) and restores the setting, so that other case
files record with Spark's defaults. (NaN is checked with `isnan`: the oracle compares
rows with `==`.)"""

from pyspark.sql import functions as F

_TEXTS = ["7", " 7 ", "\t-7\n", "+7", "1.9", "-1.9", ".5", "5.", "1e3", "1.5d", "x", "", "300", "40000",
          "3000000000", "9223372036854775808", "-Infinity", None]
_BOOLEANS = ["t", "TRUE", " yes ", "Y", "1", "f", "False", "no", "N", "0", "on", "off", "x", "", None]


def _non_ansi(build):
    def case(spark):
        previous = spark.conf.get("spark.sql.ansi.enabled")
        spark.conf.set("spark.sql.ansi.enabled", "false")
        try:
            return build(spark)
        finally:
            spark.conf.set("spark.sql.ansi.enabled", previous)

    return case


def _divisions_sql(spark):
    return spark.sql(
        "SELECT 1/0 AS a, 1.0/0 AS b, 5 % 0 AS c, 1/CAST('-0.0' AS DOUBLE) AS d, 7.5 % 2 AS e, 7/2 AS f, "
        "CAST(1.5 AS DECIMAL(3,1)) / 0 AS g, 0.0/0 AS h, CAST(4 AS DOUBLE) % 0 AS i, -7 % 3 AS j"
    )


def _divisions_of_columns(spark):
    return spark.range(4).selectExpr("id", "id / 0", "id % 0", "1 / id", "10 / (id - 1)", "id % (id - 1)")


def _divisions_of_doubles(spark):
    df = spark.createDataFrame([(1.0, 0.0), (2.0, -0.0), (0.0, 0.0), (9.0, 2.0), (None, 0.0)], "x double, y double")
    return df.select("x", F.col("x") / F.col("y"), F.col("x") % F.col("y"))


def _texts(spark):
    return spark.createDataFrame([(t,) for t in _TEXTS], "s string")


def _integral_casts(spark):
    return _texts(spark).select(
        "s", *(F.col("s").cast(t).alias(t) for t in ["tinyint", "smallint", "int", "bigint"])
    )


def _floating_casts(spark):
    return _texts(spark).select("s", F.col("s").cast("float").alias("f"), F.col("s").cast("double").alias("d"))


def _boolean_casts(spark):
    df = spark.createDataFrame([(t,) for t in _BOOLEANS], "s string")
    return df.select("s", F.col("s").cast("boolean").alias("b"))


def _cast_functions(spark):
    return spark.sql(
        "SELECT int('x') AS a, int(' 12.7 ') AS b, double('1.5d') AS c, boolean('yes') AS d, "
        "bigint('12x') AS e, CAST('-5' AS INT) AS f, tinyint('-129') AS g, isnan(double(' NaN ')) AS h, "
        "isnan(CAST('nan' AS FLOAT)) AS i"
    )


_DATES = ["2015", "2015-03", " 2015-3-8 ", "2015-03-18 12:03:17", "2015-03-18T12:03:17", "2015-03-18 anything",
          "+2015-01-02", "0099-06-07", "2015-02-29", "2016-02-29", "2015-13-01", "15-01-01", "2015-03-18X",
          "2015-03 01", "2015-03T01", "2015--01", "2015-001-01", "x", "", None]


def _date_casts(spark):
    df = spark.createDataFrame([(i, t) for i, t in enumerate(_DATES)], "i int, s string")
    return df.select("i", "s", F.col("s").cast("date").alias("d")).orderBy("i")


CASES = {
    "divisions_sql": _non_ansi(_divisions_sql),
    "divisions_of_columns": _non_ansi(_divisions_of_columns),
    "divisions_of_doubles": _non_ansi(_divisions_of_doubles),
    "integral_casts": _non_ansi(_integral_casts),
    "floating_casts": _non_ansi(_floating_casts),
    "boolean_casts": _non_ansi(_boolean_casts),
    "cast_functions": _non_ansi(_cast_functions),
    "date_casts": _non_ansi(_date_casts),
}
