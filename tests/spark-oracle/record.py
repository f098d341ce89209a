"""Records what real Spark answers for every oracle case file into recorded/<name>.json.
Run through ./record, which installs pyspark with its JVM."""

import glob
import json
import os
import sys

from pyspark.sql import SparkSession

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle import HERE, load_cases, outcome  # noqa: E402

spark = (
    SparkSession.builder.master("local[2]")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.ui.enabled", "false")
    .getOrCreate()
)
names = sys.argv[1:] or [os.path.basename(p)[len("cases_") : -len(".py")] for p in sorted(glob.glob(os.path.join(HERE, "cases_*.py")))]
for name in names:
    cases = load_cases(name)
    recorded = {"spark_version": spark.version, "cases": {key: outcome(spark, case) for key, case in cases.items()}}
    path = os.path.join(HERE, "recorded", f"{name}.json")
    with open(path, "w") as out:
        json.dump(recorded, out, indent=1, sort_keys=True)
        out.write("\n")
    print(f"recorded {len(cases)} cases of {name} on Spark {spark.version} into {path}")
spark.stop()
