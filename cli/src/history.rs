//! Wiring for `flint history-server`: serves the UI and REST API of the applications whose
//! event logs are in `spark.history.fs.logDirectory` (a local folder or an `s3a://` prefix),
//! until interrupted.

use anyhow::Result;
use clap::Args;
use flint_driver::ui::conf::{HISTORY_UI_PORT, number};
use flint_driver::ui::{HistoryApps, server};
use flint_engine::config::SparkConf;
use std::sync::Arc;

/// `flint history-server`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A Spark configuration `key=value` (spark.history.fs.logDirectory,
    /// spark.history.ui.port, spark.ui.retained*, and the spark.hadoop.fs.s3a.* keys of a
    /// folder in object storage); may be repeated.
    #[arg(long = "conf", value_name = "KEY=VALUE")]
    conf: Vec<String>,
    /// The address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    host: String,
}

/// Serves the history UI until SIGINT or SIGTERM.
pub async fn run_history_server(args: HistoryArgs) -> Result<()> {
    let mut conf = SparkConf::new();
    for pair in &args.conf {
        let (key, value) = crate::conf_pair(pair)?;
        conf.set(key, value);
    }
    let apps = Arc::new(HistoryApps::open(&conf).await?);
    let port: u16 = number(&conf, &HISTORY_UI_PORT)?;
    let listener = server::bind(&args.host, port, 0).await?;
    let dir = apps.name().to_string();
    let address = server::serve(listener, apps, false);
    eprintln!(
        "flint: the history server serves {} at http://{}:{}",
        dir,
        flint_driver::cluster::attach::ui_host(address),
        address.port()
    );
    crate::stop_requested().await;
    Ok(())
}
