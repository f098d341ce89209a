"""spark.sql: DDL and DML (eager), temp view errors, SET. The answers of queries and temp
views are Spark-oracle cases (tests/spark-oracle/cases_sql.py)."""

import pytest
from helpers import rows


def test_create_temp_view_exists_raises(spark):
    spark.range(1).createTempView("tv_once")
    with pytest.raises(Exception, match="TEMP_TABLE_OR_VIEW_ALREADY_EXISTS"):
        spark.range(1).createTempView("tv_once")


def test_sql_create_table_and_insert(spark):
    spark.sql("CREATE TABLE t_ins (a INT, b STRING)")
    spark.sql("INSERT INTO t_ins VALUES (1, 'x'), (2, 'y')")
    assert rows(spark.sql("SELECT * FROM t_ins ORDER BY a")) == [(1, "x"), (2, "y")]


def test_sql_set_conf(spark):
    spark.sql("SET spark.sql.shuffle.partitions=3")
    assert spark.range(10).count() == 10
