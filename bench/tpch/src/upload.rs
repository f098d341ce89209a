//! Copying the generated tables to object storage (`s3a://…`), written by Flint itself so
//! that the copy exercises its object-store writer too.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use crate::run::{TABLES, session};

/// Arguments of `flint-tpch upload`.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Local directory with one sub-directory of Parquet files per table (`generate`'s OUT).
    #[arg(long)]
    data: PathBuf,
    /// Where the tables go: `<to>/<table>/`, e.g. `s3a://bucket/tpch/sf1`.
    #[arg(long)]
    to: String,
    /// Spark configuration key=value (the store's keys); may be repeated.
    #[arg(long = "conf")]
    conf: Vec<String>,
}

/// Writes every table of `data` to `to`, unless a complete copy (`<to>/_complete`)
/// is there already.
pub async fn upload(args: UploadArgs) -> Result<()> {
    let session = session("local[*]", &args.conf)?;
    let to = args.to.trim_end_matches('/');
    let marker = format!("{to}/_complete");
    if session.read().format("csv").load(&[&marker]).await.is_ok() {
        eprintln!("tables already at {to}");
        return Ok(());
    }
    for table in TABLES {
        let source = args.data.join(table);
        let df = session.read().parquet(&source.display().to_string()).await?;
        let target = format!("{to}/{table}");
        df.write().mode("overwrite").parquet(&target).await.with_context(|| format!("writing {target}"))?;
        eprintln!("wrote {target}");
    }
    // The marker of a complete copy: a one-row CSV.
    let done = session.sql("SELECT 1 AS complete").await?;
    done.write().mode("overwrite").csv(&marker).await.with_context(|| format!("writing {marker}"))?;
    Ok(())
}
