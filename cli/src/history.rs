//! Wiring for `flint history-server`: serves the UI and REST API of the applications whose
//! event logs are in `spark.history.fs.logDirectory`, until interrupted.

use anyhow::Result;
use clap::Args;
use flint_driver::ui::conf::{HISTORY_LOG_DIRECTORY, HISTORY_UI_PORT, number, retention};
use flint_driver::ui::event_log::local_dir;
use flint_driver::ui::{HistoryApps, server};
use flint_engine::config::SparkConf;
use std::sync::Arc;

/// `flint history-server`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A Spark configuration `key=value` (spark.history.fs.logDirectory,
    /// spark.history.ui.port, spark.ui.retained*); may be repeated.
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
    let dir = local_dir(conf.get_or_default(&HISTORY_LOG_DIRECTORY).unwrap_or_default())?;
    if !dir.is_dir() {
        anyhow::bail!(
            "the event log folder {} does not exist: create it, or point spark.history.fs.logDirectory at the folder spark.eventLog.dir names",
            dir.display()
        );
    }
    let port: u16 = number(&conf, &HISTORY_UI_PORT)?;
    let listener = server::bind(&args.host, port, 0).await?;
    let apps = Arc::new(HistoryApps::new(dir.clone(), retention(&conf)?));
    let address = server::serve(listener, apps, false);
    eprintln!(
        "flint: the history server serves {} at http://{}:{}",
        dir.display(),
        flint_driver::cluster::attach::ui_host(address),
        address.port()
    );
    crate::stop_requested().await;
    Ok(())
}
