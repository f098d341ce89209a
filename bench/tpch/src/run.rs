//! Timing the TPC-H queries on Flint and keeping each answer for the DuckDB check.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use std::sync::Arc;

use anyhow::{Context, Result};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use clap::Args;
use datafusion::physical_plan::ExecutionPlan;
use flint_engine::FlintSession;
use flint_engine::progress::JobProgress;

use crate::rss;
use crate::shape::{self, Shapes};
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
    /// The plan shapes recorded for these queries (`bench/tpch/shapes/*.json`): the run
    /// fails, naming the query and what changed, when a query's shape differs.
    #[arg(long)]
    shapes: Option<PathBuf>,
    /// Writes the shapes of this run to `--shapes` instead of checking them.
    #[arg(long, requires = "shapes")]
    record_shapes: bool,
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
    let mut shapes = Shapes::new();
    for n in queries {
        let sql_path = args.queries.join(format!("q{n}.sql"));
        let sql = std::fs::read_to_string(&sql_path).with_context(|| format!("reading {}", sql_path.display()))?;
        match time_query(session, &sql, args.iterations.max(1)).await {
            Ok(run) => {
                let rows: usize = run.batches.iter().map(RecordBatch::num_rows).sum();
                write_answer(run.schema, &run.batches, &args.results.join(format!("q{n}.parquet")))?;
                eprintln!("q{n}: {:.3}s, {rows} rows, {} bytes spilled", min(&run.seconds), run.spill_bytes);
                shapes.insert(format!("q{n}"), shape::shape_of(&run.plan, rows)?);
                timings.push(json!({
                    "query": n, "seconds": run.seconds, "rows": rows, "spill_bytes": run.spill_bytes,
                    "peak_mib": run.peak_mib, "executor_peak_mib": run.executor_peak_mib,
                }));
            }
            Err(error) => {
                eprintln!("q{n}: ERROR {error}");
                timings.push(json!({"query": n, "error": error.to_string()}));
            }
        }
    }
    let path = args.results.join("timings.json");
    std::fs::write(&path, serde_json::to_string_pretty(&timings)?).with_context(|| format!("writing {}", path.display()))?;
    match &args.shapes {
        Some(path) if args.record_shapes => shape::write(path, &shapes),
        Some(path) => check_shapes(path, &shapes),
        None => Ok(()),
    }
}

/// Compares `shapes` with those recorded in `path`, failing with every difference.
fn check_shapes(path: &Path, shapes: &Shapes) -> Result<()> {
    let recorded = shape::read(path)?;
    let differences: Vec<String> = shapes
        .iter()
        .filter_map(|(query, now)| match recorded.get(query) {
            Some(before) => shape::difference(query, before, now),
            None => Some(format!("{query}: no shape recorded")),
        })
        .collect();
    if differences.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "plan shapes differ from {}:\n  {}\nif the change is intended, re-record: bench/tpch/run --sf 0.01 --debug --record-shapes (and with --master 'local-cluster[2,1,1024]')",
        path.display(),
        differences.join("\n  ")
    )
}

/// One query's runs: every run's seconds, and of the last run its answer, the plan it ran,
/// the bytes spilled and the peak resident MiB of this process and of its largest child.
struct QueryRun {
    seconds: Vec<f64>,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    plan: Arc<dyn ExecutionPlan>,
    spill_bytes: u64,
    peak_mib: Option<u64>,
    executor_peak_mib: Option<u64>,
}

/// Runs `sql` `iterations` times.
async fn time_query(session: &FlintSession, sql: &str, iterations: usize) -> Result<QueryRun> {
    let mut seconds = Vec::new();
    let mut last = None;
    for _ in 0..iterations {
        rss::reset_peaks();
        let progress = Arc::new(JobProgress::default());
        let started = Instant::now();
        let df = session.sql(sql).await?;
        let batches = df.collect_with_progress(&progress).await?;
        seconds.push(started.elapsed().as_secs_f64());
        let (peak_mib, executor_peak_mib) = rss::peaks_mib();
        last = Some((df, batches, progress.spill_bytes(), peak_mib, executor_peak_mib));
    }
    let (df, batches, spill_bytes, peak_mib, executor_peak_mib) =
        last.context("a query runs at least once")?;
    let plan = df.inner().clone().create_physical_plan().await?;
    Ok(QueryRun { seconds, schema: df.schema(), batches, plan, spill_bytes, peak_mib, executor_peak_mib })
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
