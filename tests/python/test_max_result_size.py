"""`spark.driver.maxResultSize`: a result larger than the limit fails with Spark's error,
the server stays up, and results under the limit (and `show()`, which needs only what it
prints) still come back — on local and on local-cluster (issue 10)."""

import pytest
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession

from conftest import connect_server

MASTERS = ["local[2]", "local-cluster[2,1,512]"]


@pytest.fixture(scope="module", params=MASTERS)
def limited(request, tmp_path_factory):
    """A session on a server whose results may total at most 1 MiB, and the server."""
    with open(tmp_path_factory.mktemp("max-result-size") / "server.log", "w") as log:
        args = ["--master", request.param, "--conf", "spark.driver.maxResultSize=1m"]
        with connect_server(log, *args) as (process, url):
            spark = SparkSession.builder.remote(url).create()
            yield spark, process
            spark.stop()


def _big(spark):
    # 400,000 rows of a BIGINT and 20 characters: several MiB in any encoding.
    return spark.range(0, 400_000, 1, 4).selectExpr("id", "repeat('x', 20) AS s")


def test_a_result_past_the_limit_fails_with_sparks_error_and_the_server_stays_up(limited):
    spark, process = limited
    with pytest.raises(PySparkException, match=r"Total size of serialized results of \d+ tasks .* is bigger than spark.driver.maxResultSize \(1024.0 KiB\)"):
        _big(spark).collect()
    assert process.poll() is None
    assert [r.id for r in spark.range(5).collect()] == [0, 1, 2, 3, 4]


def test_results_under_the_limit_come_back(limited):
    spark, _ = limited
    assert _big(spark).count() == 400_000
    assert [r.id for r in _big(spark).orderBy("id").limit(3).collect()] == [0, 1, 2]
    assert len(_big(spark).filter("id % 1000 = 0").collect()) == 400
