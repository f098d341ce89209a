"""Spark's date, time, timestamp and interval functions (issue 13): parsing and formatting
with Spark's datetime patterns (texts that do not parse only in the `try_` forms: Spark
runs with ANSI mode on, Flint with it off), unit arithmetic, epoch conversions, and intervals as
`show()` prints them. With `_columns` the names and types Spark gives the columns."""

import datetime

from pyspark.sql import functions as F

from frames import columns, shown


def _texts(spark):
    return spark.createDataFrame(
        [("1997-02-28 10:30:00", "2016-12-31", "12/31/2016 11:59:59 PM", "bad")],
        "ts STRING, d STRING, us STRING, bad STRING",
    )


def _parsed(spark):
    df = _texts(spark)
    return df.select(
        F.to_timestamp("ts"),
        F.to_timestamp("ts", "yyyy-MM-dd HH:mm:ss"),
        F.to_timestamp("d", "yyyy-MM-dd"),
        F.to_timestamp("us", "MM/dd/yyyy hh:mm:ss a"),
        F.try_to_timestamp("ts", F.lit("yyyy-MM-dd HH:mm:ss")),
        F.try_to_timestamp("bad"),
        F.to_timestamp_ltz("ts", F.lit("yyyy-MM-dd HH:mm:ss")),
        F.to_timestamp_ntz("ts", F.lit("yyyy-MM-dd HH:mm:ss")),
        F.to_timestamp_ntz("d"),
    )


def _dates(spark):
    df = _texts(spark)
    return df.select(
        F.to_date("ts"),
        F.to_date("ts", "yyyy-MM-dd HH:mm:ss"),
        F.to_date("us", "MM/dd/yyyy hh:mm:ss a"),
        F.try_to_date("d", "yyyy-MM-dd"),
        F.try_to_date("bad", "yyyy-MM-dd"),
        F.unix_timestamp("ts"),
        F.unix_timestamp("d", "yyyy-MM-dd"),
        F.to_unix_timestamp("ts"),
        F.to_unix_timestamp("us", F.lit("MM/dd/yyyy hh:mm:ss a")),
    )


def _formatted(spark):
    df = spark.createDataFrame(
        [(datetime.date(2015, 4, 8), datetime.datetime(2015, 4, 8, 13, 8, 15, 123000), "2024-10-31")],
        "d DATE, t TIMESTAMP, s STRING",
    )
    return df.select(
        F.date_format("d", "MM/dd/yyyy"),
        F.date_format("t", "yy=MM=dd HH=mm=ss"),
        F.date_format("t", "yyyy-MM-dd'T'HH:mm:ss.SSS"),
        F.date_format("t", "EEE, d MMM yyyy hh:mm a"),
        F.date_format("s", "yyyy/M/d"),
        F.from_unixtime(F.lit(1428476400)),
        F.from_unixtime(F.lit(1428476400), "yyyy-MM-dd"),
    )


def _epochs(spark):
    return spark.createDataFrame([(1230219000, 1230219000123, 3)], "s BIGINT, ms BIGINT, days INT").select(
        F.timestamp_seconds("s"),
        F.timestamp_millis("ms"),
        F.timestamp_micros(F.col("ms") * 1000),
        F.date_from_unix_date("days"),
        F.current_timezone(),
    )


def _units(spark):
    df = spark.createDataFrame(
        [(datetime.datetime(2016, 3, 11, 9, 0, 7), datetime.datetime(2024, 4, 2, 9, 0, 6), 2)],
        "a TIMESTAMP, b TIMESTAMP, q INT",
    )
    return df.select(
        F.timestamp_add("year", "q", "a"),
        F.timestamp_add("WEEK", F.lit(5), "a"),
        F.timestamp_add("day", F.lit(-5), "a"),
        F.timestamp_add("MONTH", F.lit(11), F.lit(datetime.datetime(2024, 1, 31, 1, 2, 3))),
        F.timestamp_add("HOUR", F.lit(30), "a"),
        F.timestamp_diff("year", "a", "b"),
        F.timestamp_diff("WEEK", "a", "b"),
        F.timestamp_diff("day", "b", "a"),
        F.timestamp_diff("MONTH", "a", "b"),
        F.timestamp_diff("SECOND", "a", "b"),
        F.timestamp_diff("QUARTER", "a", "b"),
    )


def _intervals(spark):
    df = spark.createDataFrame([[100, 11, 1, 1, 12, 30, 1.001001]], ["year", "month", "week", "day", "hour", "min", "sec"])
    return df.select(
        F.make_interval(df.year, df.month, "week", df.day, "hour", df.min, df.sec),
        F.make_interval(F.lit(-1), F.lit(0), F.lit(0), F.lit(0), F.lit(0), F.lit(0), F.lit(-1.5)),
        F.make_interval(),
        F.try_make_interval(F.lit(2147483647)),
        F.try_make_interval(df.year, df.month),
        F.make_dt_interval(df.day, df.hour, df.min, df.sec),
        F.make_dt_interval(F.lit(-1), F.lit(-2)),
        F.make_dt_interval(),
        F.make_ym_interval(F.lit(2014), F.lit(12)),
        F.make_ym_interval(F.lit(-1), F.lit(-2)),
        F.make_ym_interval(),
    )


def _made(spark):
    df = spark.createDataFrame([[2014, 12, 28, 6, 30, 45.887, "CET"]], ["year", "month", "day", "hour", "min", "sec", "tz"])
    return df.select(
        F.make_timestamp(df.year, df.month, df.day, "hour", df.min, df.sec, "tz"),
        F.make_timestamp(df.year, df.month, df.day, "hour", df.min, df.sec),
        F.make_timestamp_ltz(df.year, df.month, df.day, "hour", df.min, F.lit(60)),
        F.make_timestamp_ntz(df.year, df.month, df.day, "hour", df.min, df.sec),
        F.try_make_timestamp(df.year, F.lit(13), df.day, "hour", df.min, df.sec),
        F.try_make_timestamp_ntz(df.year, df.month, F.lit(32), "hour", df.min, df.sec),
    )


def _months(spark):
    df = spark.createDataFrame([("1997-02-28 10:30:00", "1996-10-30", "2024-02-29", "2024-01-31")], "a STRING, b STRING, c STRING, d STRING")
    return df.select(
        F.months_between(df.a, df.b),
        F.months_between("b", "a"),
        F.months_between("a", df.b, False),
        F.months_between(F.to_date("c"), F.to_date("d")),
    )


CASES = {
    "make_timestamps": _made,
    "make_timestamps_columns": lambda spark: columns(_made(spark)),
    "months_between": _months,
    "months_between_columns": lambda spark: columns(_months(spark)),
    "parse_timestamps": _parsed,
    "parse_timestamps_columns": lambda spark: columns(_parsed(spark)),
    "parse_dates_and_seconds": _dates,
    "parse_dates_and_seconds_columns": lambda spark: columns(_dates(spark)),
    "format_with_patterns": _formatted,
    "format_with_patterns_columns": lambda spark: columns(_formatted(spark)),
    "from_epochs": _epochs,
    "from_epochs_columns": lambda spark: columns(_epochs(spark)),
    "timestamp_units": _units,
    "timestamp_units_columns": lambda spark: columns(_units(spark)),
    "dateadd_coerces_days": lambda spark: spark.createDataFrame([("2015-04-08", 2)], "dt STRING, n INT").select(
        F.dateadd("dt", 1), F.dateadd("dt", "n"), F.date_add("dt", F.lit(-3))
    ),
    "intervals_shown": lambda spark: shown(_intervals(spark), truncate=False),
}
