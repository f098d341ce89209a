"""Spark's built-in defaults for SQL configuration keys that clients read without
setting them (`spark.conf.get` of an unset key answers the default)."""

from frames import values


def _defaults(spark, *keys):
    return values(spark, *((spark.conf.get(key), "string") for key in keys))


CASES = {
    "partition_overwrite_mode": lambda spark: _defaults(spark, "spark.sql.sources.partitionOverwriteMode"),
    "python_udtf_arrow": lambda spark: _defaults(spark, "spark.sql.execution.pythonUDTF.arrow.enabled"),
}
