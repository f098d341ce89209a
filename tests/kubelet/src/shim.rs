//! The shim: parent of one container process. It survives kubelet restarts (it runs in
//! the container's own process group) and writes the container's exit status to a file,
//! which is how a restarted kubelet learns how a container it did not spawn ended.

use std::path::Path;

use jiff::Timestamp;
use tokio::signal::unix::{SignalKind, signal};

use crate::config::ShimArgs;
use crate::process::{ExitRecord, write_json};

/// Run `args.argv`, wait for it, and record its exit status in `args.exit_file`.
///
/// SIGTERM, SIGINT and SIGHUP sent to the process group reach the container directly;
/// the shim catches them (handlers, unlike ignored signals, are reset by exec, so the
/// container keeps default dispositions) and keeps waiting, so the exit code recorded is
/// the container's own. SIGKILL ends the shim too; the kubelet then records 137.
pub async fn run(args: ShimArgs) -> anyhow::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let Some((program, rest)) = args.argv.split_first() else {
        anyhow::bail!("shim: no program given");
    };
    let child = tokio::process::Command::new(program).args(rest).spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            eprintln!("flint-kubelet: cannot start {program}: {e}");
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            return record(
                &args.exit_file,
                code,
                None,
                Some(format!("cannot start {program}: {e}")),
            );
        }
    };
    let status = loop {
        tokio::select! {
            status = child.wait() => break status?,
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
        }
    };
    use std::os::unix::process::ExitStatusExt;
    let (code, sig) = match (status.code(), status.signal()) {
        (Some(code), _) => (code, None),
        (None, Some(sig)) => (128 + sig, Some(sig)),
        (None, None) => (255, None),
    };
    record(&args.exit_file, code, sig, None)
}

fn record(
    path: &Path,
    exit_code: i32,
    signal: Option<i32>,
    message: Option<String>,
) -> anyhow::Result<()> {
    let exit = ExitRecord {
        exit_code,
        signal,
        finished_at: Timestamp::now(),
        message,
    };
    write_json(path, &exit)?;
    Ok(())
}
