"""spark.sql queries and temp views (moved from tests/python/test_sql.py); `_columns`
cases record the names and types, `_shown` what show() prints."""

from frames import columns, people, shown


def _view(spark, name):
    """Registers the people table as temp view `name`."""
    people(spark).createOrReplaceTempView(name)


def _temp_view(spark):
    _view(spark, "people_v")
    return spark.sql("SELECT name FROM people_v WHERE age > 40 ORDER BY name")


def _temp_view_replace(spark):
    spark.range(2).createOrReplaceTempView("tv_replace")
    spark.range(5).createOrReplaceTempView("tv_replace")
    return spark.table("tv_replace").groupBy().count()


def _global_temp_view(spark):
    spark.range(3).createOrReplaceGlobalTempView("gv")
    return spark.sql("SELECT count(*) AS n FROM global_temp.gv")


def _spark_table(spark):
    _view(spark, "people_t")
    return spark.table("people_t").orderBy("id")


def _sql_aggregate(spark):
    _view(spark, "people_agg")
    return spark.sql("SELECT dept, count(*) AS n FROM people_agg WHERE dept IS NOT NULL GROUP BY dept ORDER BY dept")


def _sql_create_view(spark):
    spark.sql("CREATE OR REPLACE TEMPORARY VIEW v_sql AS SELECT 42 AS answer")
    return spark.table("v_sql")


def _aggregate_names(spark):
    _view(spark, "people_names")
    return spark.sql("SELECT count(*), sum(age), upper(max(name)) FROM people_names")


CASES = {
    "sql_select": lambda spark: spark.sql("SELECT 1 AS a, 'x' AS b"),
    "sql_schema_columns": lambda spark: columns(spark.sql("SELECT CAST(1 AS BIGINT) AS a, 'x' AS b")),
    "temp_view": _temp_view,
    "temp_view_replace": _temp_view_replace,
    "global_temp_view": _global_temp_view,
    "spark_table": _spark_table,
    "sql_aggregate": _sql_aggregate,
    "sql_integer_division": lambda spark: spark.sql("SELECT 7 / 2 AS q"),
    "sql_integer_division_columns": lambda spark: columns(spark.sql("SELECT 7 / 2 AS q")),
    "sql_create_view": _sql_create_view,
    "sql_then_dataframe_ops": lambda spark: spark.sql("SELECT id FROM range(10)").where("id % 3 = 0").orderBy("id"),
    "sql_show": lambda spark: shown(spark.sql("SELECT 1 AS a")),
    "sql_cte": lambda spark: spark.sql("WITH t AS (SELECT 2 AS x) SELECT x * 2 AS y FROM t"),
    "sql_case_when": lambda spark: spark.sql("SELECT CASE WHEN 1 > 2 THEN 'a' ELSE 'b' END AS c"),
    "sql_window": lambda spark: spark.sql(
        "SELECT id, row_number() OVER (ORDER BY id DESC) AS rn FROM range(3) ORDER BY id"
    ),
    "sql_aggregate_names": _aggregate_names,
    "sql_aggregate_names_columns": lambda spark: columns(_aggregate_names(spark)),
    "sql_select_columns": lambda spark: columns(spark.sql("SELECT 1 AS a, 'x' AS b")),
}
