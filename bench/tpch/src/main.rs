//! `flint-tpch`: generates TPC-H Parquet data and times Flint on the 22 queries.
//! `bench/tpch/run` drives it and checks the answers against DuckDB.

mod generate;
mod rss;
mod run;
mod shape;
mod upload;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// TPC-H data generation and query timing for Flint.
#[derive(Debug, Parser)]
#[command(name = "flint-tpch")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Writes the eight TPC-H tables as Parquet under OUT/<table>/.
    Generate {
        /// Scale factor (1 = about 1 GB of raw data).
        #[arg(long)]
        sf: f64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Files per large table.
        #[arg(long, default_value_t = 4)]
        parts: usize,
    },
    /// Runs the queries on Flint, writing each answer and the timings under RESULTS.
    Run(run::RunArgs),
    /// Copies generated tables to an object store (`s3a://bucket/prefix`) with Flint's writer.
    Upload(upload::UploadArgs),
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Generate { sf, out, parts } => generate::generate(sf, &out, parts),
        Command::Run(args) => tokio::runtime::Runtime::new()?.block_on(run::run(args)),
        Command::Upload(args) => tokio::runtime::Runtime::new()?.block_on(upload::upload(args)),
    }
}
