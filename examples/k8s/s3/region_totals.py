"""Totals per region of the orders in a bucket, written back to the bucket.

    region_totals.py INPUT_CSV OUTPUT_DIR

Reads INPUT_CSV (columns id, region, amount, with a header), writes one JSON line per
region (region, orders, amount) under OUTPUT_DIR, replacing what was there, and prints
the same rows. Runs unmodified on Spark and on Flint."""

import sys

from pyspark.sql import SparkSession, functions as F

source, target = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.appName("s3-region-totals").getOrCreate()
orders = spark.read.option("header", True).option("inferSchema", True).csv(source)
totals = orders.groupBy("region").agg(F.count("*").alias("orders"), F.sum("amount").alias("amount")).orderBy("region")
totals.write.mode("overwrite").json(target)
for row in spark.read.json(target).orderBy("region").collect():
    print(f"region={row['region']} orders={row['orders']} amount={row['amount']}")
spark.stop()
