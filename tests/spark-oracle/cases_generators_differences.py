"""Generator and DataFrame.stat cases where Flint does not answer as Spark does (see the
README): recorded, but not in test_spark_oracle.py's CASE_FILES."""

from frames import values
from pyspark.sql import functions as F

CASES = {
    # Flint cannot resolve a nested field (`s.c`) as a generator's argument: it fails with
    # UNRESOLVED_COLUMN.WITH_SUGGESTION.
    "inline_of_nested_field": lambda spark: spark.sql(
        "SELECT NAMED_STRUCT('a', 1, 'c', ARRAY(NAMED_STRUCT('c', 3, 'd', 4), NAMED_STRUCT('c', 5, 'd', 6))) AS s"
    ).select("*", F.inline("s.c")),
    # Spark summarises each partition and merges the summaries; Flint summarises all rows in
    # one, so where the merge loses precision it answers [23.0, 47.0, 73.0] for w.
    "approx_quantile_merged_partitions": lambda spark: values(
        spark,
        (
            spark.range(100)
            .select(F.when(F.col("id") % 3 == 0, None).otherwise(F.col("id")).alias("w"))
            .approxQuantile(["w"], [0.25, 0.5, 0.75], 0.01),
            "array<array<double>>",
        ),
    ),
}
