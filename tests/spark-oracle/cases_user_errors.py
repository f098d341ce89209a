"""`raise_error` and `assert_true`: NULL where no row fails, Spark's
USER_RAISED_EXCEPTION (a SparkRuntimeException) where one does, and Spark's name for
`assert_true`'s default message."""

from pyspark.sql import functions as F


def _pairs(spark):
    return spark.createDataFrame([(0, 1), (2, 3)], ["a", "b"])


CASES = {
    "assert_true_holds": lambda spark: _pairs(spark).select("*", F.assert_true(F.col("a") < F.col("b"))),
    "assert_true_holds_with_message": lambda spark: _pairs(spark).select(
        F.assert_true(F.col("a") < F.col("b"), "error"), F.assert_true(F.col("a") < F.col("b"), F.col("a"))
    ),
    "assert_true_fails": lambda spark: _pairs(spark).select(F.assert_true(F.col("a") > F.col("b"), "a is small")),
    "assert_true_fails_on_null": lambda spark: spark.sql("SELECT assert_true(CAST(NULL AS BOOLEAN))"),
    "assert_true_in_sql": lambda spark: spark.sql("SELECT assert_true(id < 3) AS ok FROM range(3)"),
    "raise_error_fails": lambda spark: spark.range(1).select(F.raise_error(F.lit("My error message"))),
    "raise_error_in_sql_fails": lambda spark: spark.sql("SELECT raise_error(concat('bad ', id)) FROM range(2)"),
    "raise_error_not_reached": lambda spark: spark.sql(
        "SELECT id, CASE WHEN id > 5 THEN raise_error('too big') ELSE id * 2 END AS twice FROM range(3)"
    ),
}
