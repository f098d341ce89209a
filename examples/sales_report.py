"""A PySpark sales report that runs unmodified on Flint through Spark Connect:

    flint submit --master 'local[2]' examples/sales_report.py [OUTPUT_DIR]

`flint submit` starts an embedded Spark Connect server and runs this script with
SPARK_REMOTE pointing at it, so `SparkSession.builder.getOrCreate()` lands on Flint.
Needs a Python with `pyspark-client` installed (FLINT_PYTHON selects the interpreter).
"""

import sys

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

spark = SparkSession.builder.appName("sales-report").getOrCreate()

# Generated data: 10,000 orders over 5 regions and 20 products.
orders = spark.range(10000).select(
    F.col("id").alias("order_id"),
    (F.col("id") % 5).alias("region_id"),
    (F.col("id") % 20).alias("product_id"),
    ((F.col("id") * 7919) % 100 + 1).alias("quantity"),
    (((F.col("id") * 104729) % 5000) / 100 + 1).alias("unit_price"),
)
regions = spark.createDataFrame(
    [(0, "North"), (1, "South"), (2, "East"), (3, "West"), (4, "Central")], "region_id BIGINT, region STRING"
)

sales = orders.withColumn("amount", F.round(F.col("quantity") * F.col("unit_price"), 2)).join(regions, "region_id")

by_region = (
    sales.groupBy("region")
    .agg(F.count("*").alias("orders"), F.round(F.sum("amount"), 2).alias("revenue"), F.round(F.avg("amount"), 2).alias("avg_order"))
    .orderBy(F.desc("revenue"))
)
by_region.show()

rank = Window.partitionBy("region").orderBy(F.desc("revenue"))
top_products = (
    sales.groupBy("region", "product_id")
    .agg(F.round(F.sum("amount"), 2).alias("revenue"))
    .withColumn("rank", F.row_number().over(rank))
    .where("rank <= 2")
    .orderBy("region", "rank")
)
top_products.show()

if len(sys.argv) > 1:
    by_region.write.mode("overwrite").parquet(sys.argv[1])
    print(f"wrote {spark.read.parquet(sys.argv[1]).count()} regions to {sys.argv[1]}")

spark.stop()
