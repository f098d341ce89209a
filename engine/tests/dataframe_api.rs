//! The DataFrame API, file sources and sinks against real files.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use flint_engine::functions::{col, count, lit, sum};
use flint_engine::{FlintError, FlintSession};

fn session() -> FlintSession {
    FlintSession::builder().master("local[2]").build().unwrap_or_else(|e| panic!("session: {e}"))
}

fn write_people_csv(dir: &Path) -> String {
    let path = dir.join("people.csv");
    std::fs::write(&path, "name,age,city\nAlice,34,Lisbon\nBob,,Porto\nCarol,28,Lisbon\n").unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn csv_options_follow_spark() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_people_csv(dir.path());
    let spark = session();

    let raw = spark.read().csv(&path).await.unwrap();
    assert_eq!(raw.columns(), ["_c0", "_c1", "_c2"]);
    assert_eq!(raw.count().await.unwrap(), 4);

    let typed = spark.read().option("header", true).option("inferSchema", true).csv(&path).await.unwrap();
    let schema = typed.schema();
    assert_eq!(typed.columns(), ["name", "age", "city"]);
    // Spark infers a column of integers that all fit in 32 bits as int (cases_io.py's recording).
    assert_eq!(schema.field(1).data_type(), &arrow::datatypes::DataType::Int32);

    let strings = spark.read().option("header", "true").csv(&path).await.unwrap();
    assert_eq!(strings.schema().field(1).data_type(), &arrow::datatypes::DataType::Utf8);

    let nulls = spark.read().option("header", true).option("nullValue", "Porto").csv(&path).await.unwrap();
    let text = nulls.filter(col("city").is_null()).unwrap().show_string(20, 20).await.unwrap();
    assert!(text.contains("| Bob|NULL|NULL|"), "{text}");
}

#[tokio::test]
async fn dataframe_methods_use_spark_names_and_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_people_csv(dir.path());
    let spark = session();
    let people = spark.read().option("header", true).option("inferSchema", true).csv(&path).await.unwrap();

    let by_city = people
        .r#where(col("age").is_not_null())
        .unwrap()
        .with_column("age_next_year", col("age") + lit(1))
        .unwrap()
        .group_by(vec![col("city")])
        .agg(vec![count(lit(1)).alias("n"), sum(col("age_next_year")).alias("total")])
        .unwrap()
        .order_by(vec![col("city").sort(true, true)])
        .unwrap();
    assert_eq!(
        by_city.show_string(20, 20).await.unwrap(),
        "+------+---+-----+\n|  city|  n|total|\n+------+---+-----+\n|Lisbon|  2|   64|\n+------+---+-----+\n"
    );

    let cities = spark.sql("SELECT 'Lisbon' AS city, 'PT' AS country").await.unwrap();
    let joined = people.join_using(&cities, &["city"], "left_outer").unwrap();
    assert_eq!(joined.columns(), ["city", "name", "age", "country"]);
    let text = joined.order_by(vec![col("name").sort(true, true)]).unwrap().show_string(20, 0).await.unwrap();
    assert!(text.contains("|Porto |Bob  |NULL|NULL   |"), "{text}");

    let doubled = people.select(vec![col("city")]).unwrap().union(&people.select(vec![col("city")]).unwrap()).unwrap();
    assert_eq!(doubled.count().await.unwrap(), 6);
    assert_eq!(doubled.distinct().unwrap().count().await.unwrap(), 2);
    assert_eq!(doubled.limit(1).unwrap().count().await.unwrap(), 1);

    let error = people.join(&cities, col("city").eq(lit("x")), "sideways").err().map(|e| e.to_string());
    assert!(error.unwrap_or_default().contains("unsupported join type 'sideways'"));
}

#[tokio::test]
async fn save_modes_and_partitioning() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out").display().to_string();
    let spark = session();
    let df = spark.sql("SELECT id, id % 2 AS parity FROM range(10)").await.unwrap();

    df.write().parquet(&out).await.unwrap();
    assert!(Path::new(&out).join("_SUCCESS").exists());
    let again = df.write().parquet(&out).await;
    assert!(matches!(again, Err(FlintError::PathAlreadyExists { .. })), "{again:?}");

    df.write().mode("append").parquet(&out).await.unwrap();
    assert_eq!(spark.read().parquet(&out).await.unwrap().count().await.unwrap(), 20);
    df.write().mode("overwrite").parquet(&out).await.unwrap();
    assert_eq!(spark.read().parquet(&out).await.unwrap().count().await.unwrap(), 10);
    df.limit(1).unwrap().write().mode("ignore").parquet(&out).await.unwrap();
    assert_eq!(spark.read().parquet(&out).await.unwrap().count().await.unwrap(), 10);

    let parted = dir.path().join("parted").display().to_string();
    df.write().partition_by(&["parity"]).format("json").save(&parted).await.unwrap();
    assert!(Path::new(&parted).join("parity=0").is_dir());
    assert!(Path::new(&parted).join("parity=1").is_dir());

    let csv_out = dir.path().join("csv").display().to_string();
    df.write().option("header", true).csv(&csv_out).await.unwrap();
    let back = spark.read().option("header", true).csv(&csv_out).await.unwrap();
    assert_eq!(back.columns(), ["id", "parity"]);
    assert_eq!(back.count().await.unwrap(), 10);

    let bad = df.write().mode("upsert").parquet(&out).await.err().map(|e| e.to_string());
    assert!(bad.unwrap_or_default().starts_with("unknown save mode 'upsert'"));
}

/// The data files under `dir`, recursively, as paths relative to it.
fn data_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            found.extend(data_files(&path).into_iter().map(|f| format!("{name}/{f}")));
        } else if !name.starts_with(['_', '.']) {
            found.push(name);
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn a_write_runs_one_task_per_partition_each_writing_its_own_files() {
    let dir = tempfile::tempdir().unwrap();
    let spark = FlintSession::builder().master("local[4]").build().unwrap();
    let source = dir.path().join("source");
    std::fs::create_dir(&source).unwrap();
    for part in 0..4 {
        let sql = format!("SELECT id, id % 3 AS k FROM range({}, {})", part * 1000, (part + 1) * 1000);
        let written = dir.path().join(format!("written-{part}"));
        spark.sql(&sql).await.unwrap().write().parquet(&written.display().to_string()).await.unwrap();
        for file in data_files(&written) {
            std::fs::rename(written.join(&file), source.join(format!("{part}-{file}"))).unwrap();
        }
    }
    let input = spark.read().parquet(&source.display().to_string()).await.unwrap();
    assert!(data_files(&source).len() >= 4, "a scan of four partitions or more");

    let out = dir.path().join("out");
    input.write().parquet(&out.display().to_string()).await.unwrap();
    let files = data_files(&out);
    assert!(files.len() > 1, "the write ran as one task: {files:?}");
    let back = spark.read().parquet(&out.display().to_string()).await.unwrap();
    assert_eq!(back.count().await.unwrap(), 4000, "{files:?}");
    let distinct = spark.read().parquet(&out.display().to_string()).await.unwrap().distinct().unwrap();
    assert_eq!(distinct.count().await.unwrap(), 4000, "no task's rows were written twice");

    let parted = dir.path().join("parted");
    input.write().partition_by(&["k"]).parquet(&parted.display().to_string()).await.unwrap();
    let files = data_files(&parted);
    assert!(files.len() > 3, "one task wrote every k: {files:?}");
    assert!(files.iter().all(|f| f.starts_with("k=")), "{files:?}");
    let back = spark.read().parquet(&parted.display().to_string()).await.unwrap();
    assert_eq!(back.count().await.unwrap(), 4000);

    // Spark (SPARK-23271): a write of no rows leaves one file with the schema.
    let empty = dir.path().join("empty");
    spark.sql("SELECT id, 'x' AS s FROM range(0)").await.unwrap().write().parquet(&empty.display().to_string()).await.unwrap();
    assert_eq!(data_files(&empty).len(), 1);
    let back = spark.read().parquet(&empty.display().to_string()).await.unwrap();
    assert_eq!(back.columns(), ["id", "s"]);
    assert_eq!(back.count().await.unwrap(), 0);
}

#[tokio::test]
async fn explain_shows_pushdown_into_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t").display().to_string();
    let spark = session();
    let df = spark.sql("SELECT id, id * 2 AS twice, 'x' AS tag FROM range(100)").await.unwrap();
    df.write().parquet(&out).await.unwrap();

    let query = spark.read().parquet(&out).await.unwrap().filter(col("id").gt(lit(90))).unwrap();
    let plan = query.select(vec![col("twice")]).unwrap().explain(true).await.unwrap();
    assert!(plan.contains("== Optimized Logical Plan =="), "{plan}");
    assert!(plan.contains("== Physical Plan =="), "{plan}");
    let scan = plan.lines().find(|l| l.contains("DataSourceExec")).unwrap_or_default();
    assert!(scan.contains("projection=[id, twice]"), "projection not pushed into the scan: {scan}");
    assert!(scan.contains("predicate=id@0 > 90"), "predicate not pushed into the scan: {scan}");
}

#[tokio::test]
async fn cache_is_lazy_and_survives_losing_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("src").display().to_string();
    let spark = session();
    spark.sql("SELECT * FROM range(50)").await.unwrap().write().parquet(&source).await.unwrap();

    let cached = spark.read().parquet(&source).await.unwrap().cache().unwrap();
    let seven = spark.sql("SELECT * FROM range(7)").await.unwrap();
    seven.write().mode("overwrite").parquet(&source).await.unwrap();
    assert_eq!(cached.count().await.unwrap(), 7, "cache() must not read before the first action");
    std::fs::remove_dir_all(&source).unwrap();
    assert_eq!(cached.count().await.unwrap(), 7, "later actions read the cache, not the files");
}

#[tokio::test]
async fn sorts_spill_to_spark_local_dir_when_memory_is_short() {
    let spill = tempfile::tempdir().unwrap();
    let spark = FlintSession::builder()
        .master("local[2]")
        .config("spark.driver.memory", "8m")
        .config("spark.local.dir", &spill.path().display().to_string())
        .build()
        .unwrap();
    let sorted = spark
        .sql("SELECT id, concat('row-', cast(id AS string)) AS label FROM range(1000000) ORDER BY label DESC")
        .await
        .unwrap();
    let rows = sorted.collect().await.unwrap();
    assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 1_000_000);
    let used = std::fs::read_dir(spill.path()).unwrap().count();
    assert!(used > 0, "no spill directory was created under spark.local.dir");
}

#[tokio::test]
async fn bad_inputs_get_clear_errors() {
    let spark = session();
    let missing = spark.read().parquet("/no/such/place").await.err().map(|e| e.to_string());
    assert_eq!(missing.as_deref(), Some("[PATH_NOT_FOUND] Path does not exist: file:/no/such/place"));

    let format = spark.read().format("avro").load(&["/tmp"]).await.err().map(|e| e.to_string());
    assert_eq!(format.as_deref(), Some("unsupported data source 'avro': use parquet, csv or json"));

    let column = spark.sql("SELECT nme FROM (SELECT 1 AS name)").await.err().map(|e| e.to_string());
    assert!(column.unwrap_or_default().contains("Did you mean 'name'?"));

    let conf = FlintSession::builder().config("spark.driver.memory", "lots").build().err().map(|e| e.to_string());
    assert!(conf.unwrap_or_default().starts_with("invalid value 'lots' for spark.driver.memory"));
}
