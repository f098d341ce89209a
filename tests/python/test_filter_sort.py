"""Sampling. Filter, sort, limit, offset, tail and distinct answers are Spark-oracle cases
(tests/spark-oracle/cases_filter_sort.py)."""


def test_sample_fraction_bounds(spark):
    n = spark.range(1000).sample(fraction=0.5).count()
    assert 300 < n < 700
