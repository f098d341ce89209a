"""Cases of tests/python/test_select.py where Flint does not answer as Spark 4.2 does:
bugs for the engine. Recorded (`record select_differences`) but not in
tests/python/test_spark_oracle.py's CASE_FILES; add the file there when Flint is fixed.
Real Spark Connect (pyspark `remote("local")`) answers as classic Spark does for each."""

from pyspark.sql import functions as F

from frames import columns, people

CASES = {
    # Flint names the column "CAST(s AS INT)": Spark keeps the name of a cast column ("s").
    "cast_keeps_column_name_columns": lambda spark: columns(
        spark.createDataFrame([("42",)], "s STRING").select(F.col("s").cast("int"), F.col("s").cast("double").alias("d"))
    ),
    # Flint names the column "(- a)": Spark names it "negative(a)".
    "negation_columns": lambda spark: columns(spark.createDataFrame([(7,)], "a INT").select(-F.col("a"))),
    # Flint names the columns "name" and "id" (as the table spells them): Spark keeps the
    # case the query wrote ("NAME", "Id").
    "select_case_insensitive_columns": lambda spark: columns(people(spark).select("NAME", "Id")),
}
