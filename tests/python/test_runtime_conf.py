"""`spark.sql.*` keys set at run time, through the Config RPC (`spark.conf.set`) or SQL
`SET`, are honoured or refused with an error naming the key — never accepted and ignored
(issue 10)."""

import pytest
from pyspark.errors import PySparkException


def _plan(spark, sql):
    return "\n".join(str(value) for row in spark.sql(f"EXPLAIN {sql}").collect() for value in row)


JOIN = "SELECT a.id FROM runtime_conf_small a JOIN runtime_conf_small b ON a.id = b.id"


@pytest.mark.parametrize("how", ["conf", "sql"])
def test_the_broadcast_threshold_set_at_run_time_changes_the_plan(spark, how):
    # A local relation: its size is known, so the threshold decides.
    spark.createDataFrame([(i,) for i in range(10)], "id INT").createOrReplaceTempView("runtime_conf_small")

    def set_threshold(value):
        if how == "conf":
            spark.conf.set("spark.sql.autoBroadcastJoinThreshold", value)
        else:
            spark.sql(f"SET spark.sql.autoBroadcastJoinThreshold={value}")

    try:
        set_threshold("-1")
        assert "CollectLeft" not in _plan(spark, JOIN)
        set_threshold("10m")
        assert "CollectLeft" in _plan(spark, JOIN)
    finally:
        spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "10m")


@pytest.mark.parametrize("how", ["conf", "sql"])
def test_a_key_flint_would_ignore_is_refused_by_name(spark, how):
    with pytest.raises(PySparkException, match="spark.sql.adaptive.coalescePartitions.enabled"):
        if how == "conf":
            spark.conf.set("spark.sql.adaptive.coalescePartitions.enabled", "false")
        else:
            spark.sql("SET spark.sql.adaptive.coalescePartitions.enabled=false")
    assert spark.conf.get("spark.sql.adaptive.coalescePartitions.enabled", "unset") == "unset"


def test_a_fixed_key_takes_only_flints_value(spark):
    spark.conf.set("spark.sql.caseSensitive", "false")
    with pytest.raises(PySparkException, match="spark.sql.caseSensitive=false"):
        spark.conf.set("spark.sql.caseSensitive", "true")


def test_client_side_keys_are_kept_for_the_client(spark):
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "7")
    try:
        assert spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch") == "7"
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
