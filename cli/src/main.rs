//! The `flint` binary: parses arguments and wires the engine to the terminal.

mod app_file;
mod cluster;
mod driver;
mod history;
mod operator;
mod progress_bar;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use flint_engine::FlintSession;
use flint_engine::progress::JobProgress;
use flint_engine::script::{ShowOptions, StatementOutput, run_script};

/// Flint: Spark on Kubernetes with a Rust engine.
#[derive(Debug, Parser)]
#[command(name = "flint", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs an executor for a driver (started by a cluster backend).
    Executor(cluster::ExecutorArgs),
    /// Runs a SparkApplication's driver in its pod (started by the operator).
    Driver(driver::DriverArgs),
    /// Runs the operator: the SparkApplication controller.
    Operator(operator::OperatorArgs),
    /// Serves the UI and REST API of finished applications from their event logs.
    HistoryServer(history::HistoryArgs),
    /// Writes the CRD manifests (crds/ and charts/flint/crds/).
    Crdgen(operator::CrdgenArgs),
    /// Runs SQL on local files and prints the results as `show()` does.
    Sql {
        /// SQL to run (one or more statements separated by `;`).
        #[arg(short = 'e', long = "execute", conflicts_with = "file", required_unless_present = "file")]
        execute: Option<String>,
        /// A file of SQL statements to run.
        #[arg(short = 'f', long = "file")]
        file: Option<PathBuf>,
        #[command(flatten)]
        job: JobArgs,
    },
    /// Submits an application, as spark-submit: a `.sql` file of statements, or a `.py`
    /// PySpark script run against an embedded Spark Connect server.
    Submit {
        /// The application file.
        app: PathBuf,
        /// Arguments passed to a Python application.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        app_args: Vec<String>,
        #[command(flatten)]
        job: JobArgs,
    },
    /// Serves Spark Connect, so PySpark clients run on Flint (`sc://host:PORT`).
    ConnectServer {
        /// The port to listen on.
        #[arg(long, default_value_t = flint_connect::DEFAULT_PORT)]
        port: u16,
        /// The address to listen on.
        #[arg(long, default_value = "0.0.0.0")]
        host: String,
        #[command(flatten)]
        job: JobArgs,
    },
}

/// Options shared by every command that runs a job.
#[derive(Debug, Args)]
struct JobArgs {
    /// Where to run: local, local[N], local[*] or local-cluster[E,C,M].
    #[arg(long, default_value = "local[*]")]
    master: String,
    /// Application name.
    #[arg(long)]
    name: Option<String>,
    /// A Spark configuration `key=value`; may be repeated.
    #[arg(long = "conf", value_name = "KEY=VALUE")]
    conf: Vec<String>,
    /// Rows shown per query.
    #[arg(long, default_value_t = 20)]
    num_rows: usize,
    /// Cut cells to this many characters; 0 shows them whole.
    #[arg(long, default_value_t = 20)]
    truncate: usize,
}

impl JobArgs {
    fn session(&self) -> Result<FlintSession> {
        let mut builder = FlintSession::builder().master(&self.master);
        if let Some(name) = &self.name {
            builder = builder.app_name(name);
        }
        for pair in &self.conf {
            let (key, value) = conf_pair(pair)?;
            builder = builder.config(key, value);
        }
        Ok(builder.build()?)
    }

    /// The Spark keys these options set, for sessions created later (Connect sessions).
    fn spark_conf(&self) -> Result<Vec<(String, String)>> {
        let mut pairs = vec![("spark.master".to_string(), self.master.clone())];
        if let Some(name) = &self.name {
            pairs.push(("spark.app.name".to_string(), name.clone()));
        }
        for pair in &self.conf {
            let (key, value) = conf_pair(pair)?;
            pairs.push((key.to_string(), value.to_string()));
        }
        Ok(pairs)
    }

    fn show(&self) -> ShowOptions {
        ShowOptions { num_rows: self.num_rows, truncate: self.truncate }
    }
}

/// A `--conf key=value` option's key and value.
fn conf_pair(pair: &str) -> Result<(&str, &str)> {
    let Some((key, value)) = pair.split_once('=') else {
        bail!("--conf '{pair}' is not of the form key=value");
    };
    Ok((key.trim(), value.trim()))
}

fn read_file(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

async fn run(cli: Cli) -> Result<()> {
    let (sql, job) = match cli.command {
        Command::Executor(args) => return cluster::run_executor(args).await,
        Command::Driver(args) => return driver::run_driver(args).await,
        Command::Operator(args) => return operator::run_operator(args).await,
        Command::Crdgen(args) => return operator::crdgen(args),
        Command::HistoryServer(args) => return history::run_history_server(args).await,
        Command::ConnectServer { port, host, job } => return connect_server(&host, port, &job).await,
        Command::Submit { app, app_args, job } if app.extension().is_some_and(|e| e == "py") => {
            return submit_python(&app, &app_args, &job).await;
        }
        Command::Sql { execute: Some(sql), job, .. } => (sql, job),
        Command::Sql { file: Some(file), job, .. } => (read_file(&file)?, job),
        Command::Sql { .. } => bail!("give SQL with -e \"...\" or a file with -f FILE"),
        Command::Submit { app, job, .. } => match app.extension().and_then(|e| e.to_str()) {
            Some("sql") => (app_file::AppFile::open(&app.to_string_lossy(), &job.spark_conf()?).await?.read_to_string()?, job),
            _ => bail!(
                "cannot run {}: flint submit runs .sql and .py applications",
                app.display()
            ),
        },
    };
    let session = job.session()?;
    let driver = cluster::attach(&session).await?;
    let result = print_script(&session, &sql, job.show()).await;
    driver.shutdown().await;
    result
}

/// Runs `sql`'s statements on `session`, printing each result as `show()` does.
async fn print_script(session: &FlintSession, sql: &str, show: ShowOptions) -> Result<()> {
    let progress = Arc::new(JobProgress::default());
    let bar = progress_bar::spawn(Arc::clone(&progress), session.conf().app_name().to_string());
    let mut stdout = std::io::stdout().lock();
    let mut written = Ok(());
    let result = run_script(session, sql, show, &progress, |output| {
        bar.clear();
        let text = match output {
            // Spark's show text ends without a newline after its "only showing top N
            // rows" footer; the terminal still gets whole lines.
            StatementOutput::Table(text) if !text.ends_with('\n') => format!("{text}\n"),
            StatementOutput::Table(text) => text,
            StatementOutput::Plan(text) => format!("{text}\n"),
            StatementOutput::Done => return,
        };
        if written.is_ok() {
            written = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
        }
    })
    .await;
    bar.stop();
    result?;
    Ok(written?)
}

/// `flint connect-server`: serves Spark Connect until interrupted.
async fn connect_server(host: &str, port: u16, job: &JobArgs) -> Result<()> {
    let addr: std::net::SocketAddr =
        format!("{host}:{port}").parse().with_context(|| format!("bad listen address {host}:{port}"))?;
    let conf = job.spark_conf()?;
    let driver = cluster::start(&conf).await?;
    eprintln!("Spark Connect server listening on sc://{addr} (master {})", job.master);
    let served = flint_connect::serve(addr, conf, driver.job_runner(), stop_requested())
        .await
        .with_context(|| format!("cannot serve Spark Connect on {addr}"));
    driver.shutdown().await;
    served
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (what `kill` and Kubernetes send), so a server
/// stops its executors and removes their block directories either way.
pub(crate) async fn stop_requested() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; stop the server with Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// `flint submit job.py`: runs a PySpark script against an embedded Connect server.
/// The script may be in object storage (`s3a://bucket/app.py`), fetched with the `--conf`
/// keys.
async fn submit_python(app: &std::path::Path, args: &[String], job: &JobArgs) -> Result<()> {
    let conf = job.spark_conf()?;
    let script = app_file::AppFile::open(&app.to_string_lossy(), &conf).await?;
    if !script.path().is_file() {
        bail!("cannot read {}: no such file", app.display());
    }
    let python = std::env::var("FLINT_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let driver = cluster::start(&conf).await?;
    let status = flint_connect::python_app::run_python_app(&python, script.path(), args, conf, driver.job_runner()).await;
    driver.shutdown().await;
    let status = status?;
    if !status.success() {
        bail!("{} failed: {status}", app.display());
    }
    Ok(())
}

/// Logs to stderr at the level `FLINT_LOG` gives (e.g. `info`, `flint_driver=debug`),
/// warnings only by default; the operator logs JSON lines at info.
fn init_logging(command: &Command) {
    let operator = matches!(command, Command::Operator(_));
    let default = if operator { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLINT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if operator {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

/// The stack of each runtime thread.
const RUNTIME_STACK_BYTES: usize = 16 << 20;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.command);
    // Planning recurses over the query's tree; a long DataFrame chain in a debug build
    // overflows tokio's 2 MiB default and aborts the whole server.
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(RUNTIME_STACK_BYTES).build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("Error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {}", describe(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, leaving out causes the message already contains.
fn describe(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}
