"""spark.sql: queries (lazy), DDL and DML (eager), temp views."""

import pytest
from helpers import rows, schema_of


def test_sql_select(spark):
    assert rows(spark.sql("SELECT 1 AS a, 'x' AS b")) == [(1, "x")]


def test_sql_schema(spark):
    assert schema_of(spark.sql("SELECT CAST(1 AS BIGINT) AS a, 'x' AS b")) == [("a", "bigint"), ("b", "string")]


def test_temp_view(people, spark):
    people.createOrReplaceTempView("people_v")
    out = spark.sql("SELECT name FROM people_v WHERE age > 40 ORDER BY name")
    assert rows(out) == [("Bob",), ("Eve",)]


def test_temp_view_replace(spark):
    spark.range(2).createOrReplaceTempView("tv_replace")
    spark.range(5).createOrReplaceTempView("tv_replace")
    assert spark.table("tv_replace").count() == 5


def test_create_temp_view_exists_raises(spark):
    spark.range(1).createTempView("tv_once")
    with pytest.raises(Exception, match="TEMP_TABLE_OR_VIEW_ALREADY_EXISTS"):
        spark.range(1).createTempView("tv_once")


def test_global_temp_view(spark):
    spark.range(3).createOrReplaceGlobalTempView("gv")
    assert rows(spark.sql("SELECT count(*) AS n FROM global_temp.gv")) == [(3,)]


def test_spark_table(people, spark):
    people.createOrReplaceTempView("people_t")
    assert spark.table("people_t").count() == 5


def test_sql_aggregate(people, spark):
    people.createOrReplaceTempView("people_agg")
    out = spark.sql("SELECT dept, count(*) AS n FROM people_agg WHERE dept IS NOT NULL GROUP BY dept ORDER BY dept")
    assert rows(out) == [("eng", 2), ("ops", 2)]


def test_sql_integer_division(spark):
    assert rows(spark.sql("SELECT 7 / 2 AS q")) == [(3.5,)]


def test_sql_create_table_and_insert(spark):
    spark.sql("CREATE TABLE t_ins (a INT, b STRING)")
    spark.sql("INSERT INTO t_ins VALUES (1, 'x'), (2, 'y')")
    assert rows(spark.sql("SELECT * FROM t_ins ORDER BY a")) == [(1, "x"), (2, "y")]


def test_sql_create_view(spark):
    spark.sql("CREATE OR REPLACE TEMPORARY VIEW v_sql AS SELECT 42 AS answer")
    assert rows(spark.table("v_sql")) == [(42,)]


def test_sql_then_dataframe_ops(spark):
    out = spark.sql("SELECT id FROM range(10)").where("id % 3 = 0").orderBy("id")
    assert rows(out) == [(0,), (3,), (6,), (9,)]


def test_sql_set_conf(spark):
    spark.sql("SET spark.sql.shuffle.partitions=3")
    assert spark.range(10).count() == 10


def test_sql_show(spark, capsys):
    spark.sql("SELECT 1 AS a").show()
    assert capsys.readouterr().out == "+---+\n|  a|\n+---+\n|  1|\n+---+\n\n"


def test_sql_cte(spark):
    assert rows(spark.sql("WITH t AS (SELECT 2 AS x) SELECT x * 2 AS y FROM t")) == [(4,)]


def test_sql_case_when(spark):
    assert rows(spark.sql("SELECT CASE WHEN 1 > 2 THEN 'a' ELSE 'b' END AS c")) == [("b",)]


def test_sql_window(spark):
    out = spark.sql(
        "SELECT id, row_number() OVER (ORDER BY id DESC) AS rn FROM range(3) ORDER BY id"
    )
    assert rows(out) == [(0, 3), (1, 2), (2, 1)]


def test_sql_aggregate_names(people, spark):
    people.createOrReplaceTempView("people_names")
    out = spark.sql("SELECT count(*), sum(age), upper(max(name)) FROM people_names")
    assert out.columns == ["count(1)", "sum(age)", "upper(max(name))"]
    assert rows(out) == [(5, 160, "EVE")]
