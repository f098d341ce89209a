//! Staged execution (shuffle files, serialised fragments) gives the same answers as
//! running the whole plan in one piece.
#![allow(clippy::unwrap_used)]

use arrow::util::pretty::pretty_format_batches;
use flint_engine::FlintSession;
use flint_engine::ids::JobId;
use flint_engine::planner::{run_in_process, split_into_stages};

async fn session_with_tables(dir: &std::path::Path) -> FlintSession {
    let spark = FlintSession::builder().master("local[3]").build().unwrap();
    for (name, sql) in [
        ("orders", "select id as o_id, id % 7 as o_cust, cast(id % 100 as double) as o_total from range(0, 5000)"),
        ("customers", "select id as c_id, concat('c', cast(id as string)) as c_name from range(0, 7)"),
    ] {
        let path = dir.join(name).display().to_string();
        spark.sql(sql).await.unwrap().write().parquet(&path).await.unwrap();
        spark.sql(&format!("create temporary view {name} as select * from parquet.`{path}`")).await.unwrap();
    }
    spark
}

fn sorted_lines(batches: &[arrow::array::RecordBatch]) -> Vec<String> {
    let text = pretty_format_batches(batches).unwrap().to_string();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn staged_queries_match_single_process_answers() {
    let dir = tempfile::tempdir().unwrap();
    let spark = session_with_tables(dir.path()).await;
    let queries = [
        "select o_cust, count(*), sum(o_total) from orders group by o_cust order by o_cust",
        "select c_name, sum(o_total) as t from orders join customers on o_cust = c_id group by c_name order by t desc, c_name",
        "select o_id, o_total from orders where o_total > 97 order by o_id limit 20",
        "select count(distinct o_total) from orders",
        "select c_name from customers where c_id in (select o_cust from orders where o_total < 3) order by c_name",
    ];
    for (i, sql) in queries.iter().enumerate() {
        let df = spark.sql(sql).await.unwrap();
        let expected = df.collect().await.unwrap();
        let plan = spark.context().sql(sql).await.unwrap().create_physical_plan().await.unwrap();
        let stages = split_into_stages(JobId(i as u64), plan).unwrap();
        assert!(stages.stages.len() > 1, "{sql} has no exchange");
        let work = dir.path().join("shuffle");
        let actual = run_in_process(&stages, spark.context().task_ctx(), &work).await.unwrap();
        assert_eq!(sorted_lines(&actual), sorted_lines(&expected), "{sql}");
        if sql.contains("order by") {
            assert_eq!(
                pretty_format_batches(&actual).unwrap().to_string(),
                pretty_format_batches(&expected).unwrap().to_string(),
                "order of {sql}"
            );
        }
    }
}
