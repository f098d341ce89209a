//! The `flint` binary: parses arguments and wires the engine to the terminal.

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
    /// Submits an application, as spark-submit: a `.sql` file of statements.
    Submit {
        /// The application file.
        app: PathBuf,
        #[command(flatten)]
        job: JobArgs,
    },
}

/// Options shared by every command that runs a job.
#[derive(Debug, Args)]
struct JobArgs {
    /// Where to run: local, local[N] or local[*].
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
            let Some((key, value)) = pair.split_once('=') else {
                bail!("--conf '{pair}' is not of the form key=value");
            };
            builder = builder.config(key.trim(), value.trim());
        }
        Ok(builder.build()?)
    }

    fn show(&self) -> ShowOptions {
        ShowOptions { num_rows: self.num_rows, truncate: self.truncate }
    }
}

fn read_file(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

async fn run(cli: Cli) -> Result<()> {
    let (sql, job) = match cli.command {
        Command::Sql { execute: Some(sql), job, .. } => (sql, job),
        Command::Sql { file: Some(file), job, .. } => (read_file(&file)?, job),
        Command::Sql { .. } => bail!("give SQL with -e \"...\" or a file with -f FILE"),
        Command::Submit { app, job } => match app.extension().and_then(|e| e.to_str()) {
            Some("sql") => (read_file(&app)?, job),
            _ => bail!(
                "cannot run {}: flint submit runs .sql applications for now (Python applications come with Spark Connect)",
                app.display()
            ),
        },
    };
    let session = job.session()?;
    let progress = Arc::new(JobProgress::default());
    let bar = progress_bar::spawn(Arc::clone(&progress), session.conf().app_name().to_string());
    let mut stdout = std::io::stdout().lock();
    let mut written = Ok(());
    let result = run_script(&session, &sql, job.show(), &progress, |output| {
        bar.clear();
        let text = match output {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
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
