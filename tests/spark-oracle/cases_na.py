"""fillna / dropna (formerly in tests/python/test_na.py)."""

from frames import people

CASES = {
    "fillna_numeric": lambda spark: people(spark).fillna(0).orderBy("id"),
    "fillna_string": lambda spark: people(spark).fillna("none").orderBy("id"),
    "fillna_subset": lambda spark: people(spark).fillna({"age": 1}).orderBy("id"),
    "na_fill_alias": lambda spark: people(spark).na.fill(0).orderBy("id"),
    "dropna_any": lambda spark: people(spark).dropna().orderBy("id"),
    "dropna_subset": lambda spark: people(spark).dropna(subset=["age"]).orderBy("id"),
    "dropna_all": lambda spark: spark.createDataFrame([(None, None), (1, None)], "a INT, b INT").dropna(how="all"),
    "dropna_thresh": lambda spark: spark.createDataFrame(
        [(None, None, 1), (1, None, 1), (1, 1, 1)], "a INT, b INT, c INT"
    )
    .dropna(thresh=2)
    .orderBy("a", "b"),
}
