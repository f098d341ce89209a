-- A sales report over TPC-H data, run by `examples/demo`:
--   flint submit --master local[2] --conf spark.flint.data=<dir> examples/tpch-report.sql
-- ${spark.flint.data} is replaced by that configuration value, as spark-sql does.

SET spark.sql.shuffle.partitions = 2;

CREATE TEMPORARY VIEW lineitem AS SELECT * FROM parquet.`${spark.flint.data}/lineitem`;
CREATE TEMPORARY VIEW orders AS SELECT * FROM parquet.`${spark.flint.data}/orders`;
CREATE TEMPORARY VIEW customer AS SELECT * FROM parquet.`${spark.flint.data}/customer`;
CREATE TEMPORARY VIEW nation AS SELECT * FROM parquet.`${spark.flint.data}/nation`;
CREATE TEMPORARY VIEW region AS SELECT * FROM parquet.`${spark.flint.data}/region`;

-- Revenue per region and year.
SELECT r_name AS region,
       extract(year FROM o_orderdate) AS year,
       round(sum(l_extendedprice * (1 - l_discount)), 2) AS revenue,
       count(DISTINCT o_orderkey) AS orders
FROM lineitem
JOIN orders ON l_orderkey = o_orderkey
JOIN customer ON o_custkey = c_custkey
JOIN nation ON c_nationkey = n_nationkey
JOIN region ON n_regionkey = r_regionkey
WHERE o_orderdate >= date '1995-01-01' AND o_orderdate < date '1997-01-01'
GROUP BY r_name, extract(year FROM o_orderdate)
ORDER BY region, year;

-- The ten best customers of 1996.
SELECT c_name AS customer, n_name AS nation,
       round(sum(l_extendedprice * (1 - l_discount)), 2) AS revenue
FROM lineitem
JOIN orders ON l_orderkey = o_orderkey
JOIN customer ON o_custkey = c_custkey
JOIN nation ON c_nationkey = n_nationkey
WHERE o_orderdate >= date '1996-01-01' AND o_orderdate < date '1997-01-01'
GROUP BY c_name, n_name
ORDER BY revenue DESC
LIMIT 10;

-- How Flint runs a filtered scan: only the needed columns are read, and the date
-- filter is pushed into the Parquet reader.
EXPLAIN SELECT l_orderkey, l_quantity FROM lineitem WHERE l_shipdate > date '1998-11-01';
