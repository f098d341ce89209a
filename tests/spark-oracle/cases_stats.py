"""describe(), summary() and na.replace() (formerly in tests/python/test_stats.py)."""

from frames import columns, people


def _one_two_three(spark):
    return spark.createDataFrame([(1,), (2,), (3,)], "v INT")


CASES = {
    "describe_numeric": lambda spark: _one_two_three(spark).describe(),
    "describe_numeric_columns": lambda spark: columns(_one_two_three(spark).describe()),
    "describe_string_column": lambda spark: people(spark).describe("name"),
    "summary_selected_statistics": lambda spark: _one_two_three(spark).summary("count", "min", "max"),
    "replace_numbers": lambda spark: spark.createDataFrame([(1, "a"), (2, "b")], "n INT, s STRING")
    .replace(1, 10)
    .orderBy("s"),
    "replace_strings_subset": lambda spark: spark.createDataFrame([("a", "a")], "x STRING, y STRING").na.replace(
        "a", "z", subset=["y"]
    ),
    "replace_dict": lambda spark: spark.createDataFrame([("a",), ("b",), ("c",)], "s STRING")
    .replace({"a": "x", "b": "y"})
    .orderBy("s"),
    "summary_default_statistics": lambda spark: spark.createDataFrame([(1,), (2,), (3,)], "v INT").summary(),
}
