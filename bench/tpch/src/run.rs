//! Timing the TPC-H queries on Flint and keeping each answer for the DuckDB check.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use std::sync::Arc;

use anyhow::{Context, Result};
use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use clap::Args;
use flint_engine::FlintSession;
use parquet::arrow::ArrowWriter;
use serde_json::json;

/// The tables every query may read.
pub const TABLES: [&str; 8] = ["nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem"];

/// Arguments of `flint-tpch run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Directory (a local path or an object-store URL such as `s3a://bucket/tpch/sf1`) with
    /// one sub-directory of Parquet files per table.
    #[arg(long)]
    data: String,
    /// Directory with q1.sql … q22.sql.
    #[arg(long)]
    queries: PathBuf,
    /// Where answers (qN.parquet) and timings.json go.
    #[arg(long)]
    results: PathBuf,
    /// Spark master.
    #[arg(long, default_value = "local[*]")]
    master: String,
    /// Spark configuration key=value; may be repeated.
    #[arg(long = "conf")]
    conf: Vec<String>,
    /// Runs of each query; the fastest counts.
    #[arg(long, default_value_t = 1)]
    iterations: usize,
    /// Only these queries (e.g. --query 1 --query 9).
    #[arg(long)]
    query: Vec<u32>,
    /// The `flint` binary whose `executor` subcommand a local-cluster master starts
    /// (default: `flint` beside this program).
    #[arg(long)]
    executor_binary: Option<PathBuf>,
}

/// Runs the queries, writing `results/qN.parquet` and `results/timings.json`.
pub async fn run(args: RunArgs) -> Result<()> {
    let session = session(&args.master, &args.conf)?;
    let binary = match &args.executor_binary {
        Some(binary) => binary.clone(),
        None => std::env::current_exe()?.with_file_name("flint"),
    };
    let driver = flint_driver::cluster::attach(&session, binary).await?;
    let outcome = run_queries(&session, &args).await;
    driver.shutdown().await;
    outcome
}

/// A session on `master` with `conf` (`key=value` pairs).
pub fn session(master: &str, conf: &[String]) -> Result<FlintSession> {
    let mut builder = FlintSession::builder().master(master).app_name("tpch");
    for pair in conf {
        let (key, value) = pair.split_once('=').with_context(|| format!("--conf {pair} is not key=value"))?;
        builder = builder.config(key, value);
    }
    Ok(builder.build()?)
}

/// Registers the tables and times every query on `session`.
async fn run_queries(session: &FlintSession, args: &RunArgs) -> Result<()> {
    for table in TABLES {
        let path = format!("{}/{table}", args.data.trim_end_matches('/'));
        let df = session.read().parquet(&path).await?;
        df.create_or_replace_temp_view(table)?;
    }
    std::fs::create_dir_all(&args.results).with_context(|| format!("creating {}", args.results.display()))?;
    let queries: Vec<u32> = if args.query.is_empty() { (1..=22).collect() } else { args.query.clone() };
    let mut timings = Vec::new();
    for n in queries {
        let sql_path = args.queries.join(format!("q{n}.sql"));
        let sql = std::fs::read_to_string(&sql_path).with_context(|| format!("reading {}", sql_path.display()))?;
        match time_query(session, &sql, args.iterations.max(1)).await {
            Ok((seconds, schema, batches)) => {
                let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
                write_answer(schema, &batches, &args.results.join(format!("q{n}.parquet")))?;
                eprintln!("q{n}: {:.3}s, {rows} rows", min(&seconds));
                timings.push(json!({"query": n, "seconds": seconds, "rows": rows}));
            }
            Err(error) => {
                eprintln!("q{n}: ERROR {error}");
                timings.push(json!({"query": n, "error": error.to_string()}));
            }
        }
    }
    let path = args.results.join("timings.json");
    std::fs::write(&path, serde_json::to_string_pretty(&timings)?).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Runs `sql` `iterations` times: every run's seconds, and the last answer with its schema.
async fn time_query(
    session: &FlintSession,
    sql: &str,
    iterations: usize,
) -> Result<(Vec<f64>, SchemaRef, Vec<RecordBatch>)> {
    let mut seconds = Vec::new();
    let mut answer = (Arc::new(Schema::empty()), Vec::new());
    for _ in 0..iterations {
        let started = Instant::now();
        let df = session.sql(sql).await?;
        answer = (df.schema(), df.collect().await?);
        seconds.push(started.elapsed().as_secs_f64());
    }
    Ok((seconds, answer.0, answer.1))
}

fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn write_answer(schema: SchemaRef, batches: &[RecordBatch], path: &Path) -> Result<()> {
    let mut writer = ArrowWriter::try_new(File::create(path)?, schema, None)?;
    for batch in batches {
        writer.write(batch)?;
    }
    writer.close()?;
    Ok(())
}
