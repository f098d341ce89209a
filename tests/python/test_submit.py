"""`flint submit job.py`: a PySpark script against an embedded Connect server."""

import os
import subprocess
import sys


def test_submit_python_job(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(
        "import sys\n"
        "from pyspark.sql import SparkSession\n"
        "spark = SparkSession.builder.getOrCreate()\n"
        "print('total', spark.range(int(sys.argv[1])).groupBy().sum('id').collect()[0][0])\n"
    )
    env = dict(os.environ, FLINT_PYTHON=sys.executable)
    flint = os.environ.get("FLINT_BIN", "flint")
    done = subprocess.run(
        [flint, "submit", "--master", "local[2]", str(script), "10"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "total 45" in done.stdout


def test_submit_python_job_failure_exits_nonzero(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text("raise SystemExit(3)\n")
    env = dict(os.environ, FLINT_PYTHON=sys.executable)
    flint = os.environ.get("FLINT_BIN", "flint")
    done = subprocess.run([flint, "submit", str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
