//! Container processes on disk: starting a container under the shim, telling whether it
//! still runs, signalling its process group, and reading how it ended.
//!
//! Each run of a container (restart number `n`) leaves three files in the container's
//! directory: `n.log` (stdout and stderr), `n.run.json` (the shim's PID and start time)
//! and, once it ended, `n.exit.json` (written by the shim). These files are the truth a
//! restarted kubelet re-adopts running containers from.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use jiff::Timestamp;
use rustix::process::{Pid, Signal};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What the kubelet records when it starts a container (`n.run.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    /// PID of the shim; also the process group of the container.
    pub pid: i32,
    /// The shim's start time in clock ticks since boot (from /proc), so a recycled PID
    /// is never mistaken for it.
    pub start_ticks: u64,
    /// When the container started.
    pub started_at: Timestamp,
}

/// How a container run ended (`n.exit.json`, written by the shim).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitRecord {
    /// Exit code; 128 + signal number when a signal ended it.
    pub exit_code: i32,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
    /// When it ended.
    pub finished_at: Timestamp,
    /// Why it could not run at all, if it could not.
    pub message: Option<String>,
}

/// The state of one container run as seen from its files and /proc.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    /// The shim is alive.
    Running(RunRecord),
    /// The run ended.
    Exited(RunRecord, ExitRecord),
}

/// A program to run as a container, after path rewriting and env resolution.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    /// The program (an absolute host path).
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Its complete environment.
    pub env: Vec<(String, String)>,
    /// Its working directory.
    pub cwd: PathBuf,
}

/// The directory holding one container's run files.
#[derive(Debug, Clone)]
pub struct ContainerDir {
    dir: PathBuf,
}

impl ContainerDir {
    /// The container directory `dir` (created on first start).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Log file of run `restart`.
    pub fn log_path(&self, restart: u32) -> PathBuf {
        self.dir.join(format!("{restart}.log"))
    }

    fn run_path(&self, restart: u32) -> PathBuf {
        self.dir.join(format!("{restart}.run.json"))
    }

    fn exit_path(&self, restart: u32) -> PathBuf {
        self.dir.join(format!("{restart}.exit.json"))
    }

    /// The restart numbers that have been started, ascending.
    pub fn runs(&self) -> Vec<u32> {
        let mut runs: Vec<u32> = fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".run.json")?.parse().ok()
            })
            .collect();
        runs.sort_unstable();
        runs
    }

    /// Start run `restart` of a container under the shim, in its own process group,
    /// with stdout and stderr appended to its log file.
    pub fn start(&self, restart: u32, launch: &Launch) -> Result<RunRecord> {
        fs::create_dir_all(&self.dir).map_err(Error::io("create container dir", &self.dir))?;
        let log_path = self.log_path(restart);
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(Error::io("open log", &log_path))?;
        let log2 = log.try_clone().map_err(Error::io("open log", &log_path))?;
        let exe = own_executable()?;
        let mut cmd = tokio::process::Command::new(&exe);
        cmd.arg("shim")
            .arg("--exit-file")
            .arg(self.exit_path(restart))
            .arg("--")
            .arg(&launch.program)
            .args(&launch.args)
            .env_clear()
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&launch.cwd)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .process_group(0)
            .kill_on_drop(false);
        let child = cmd.spawn().map_err(Error::io("start shim", &exe))?;
        // Dropping the handle leaves the shim running; tokio reaps it when it exits.
        let pid = child
            .id()
            .and_then(|p| i32::try_from(p).ok())
            .ok_or_else(|| Error::Config("shim exited before it could be recorded".into()))?;
        let record = RunRecord {
            pid,
            start_ticks: proc_stat(pid).map(|s| s.start_ticks).unwrap_or(0),
            started_at: Timestamp::now(),
        };
        write_json(&self.run_path(restart), &record)?;
        Ok(record)
    }

    /// Observe run `restart`: running, exited, or `None` if it was never started.
    pub fn observe(&self, restart: u32) -> Result<Option<Observed>> {
        let Some(run) = read_json::<RunRecord>(&self.run_path(restart))? else {
            return Ok(None);
        };
        if let Some(exit) = read_json::<ExitRecord>(&self.exit_path(restart))? {
            return Ok(Some(Observed::Exited(run, exit)));
        }
        if is_alive(&run) {
            return Ok(Some(Observed::Running(run)));
        }
        // The shim writes the exit file before it exits; read once more to close the race.
        if let Some(exit) = read_json::<ExitRecord>(&self.exit_path(restart))? {
            return Ok(Some(Observed::Exited(run, exit)));
        }
        // The shim itself was killed (SIGKILL to the group): record that as exit 137.
        let exit = ExitRecord {
            exit_code: 137,
            signal: Some(9),
            finished_at: Timestamp::now(),
            message: None,
        };
        write_json(&self.exit_path(restart), &exit)?;
        Ok(Some(Observed::Exited(run, exit)))
    }
}

/// Send `signal` to the process group of a run (the shim and the container). Errors
/// (the group is already gone) are ignored.
pub fn signal_group(run: &RunRecord, signal: Signal) {
    if !is_alive(run) {
        return;
    }
    if let Some(pid) = Pid::from_raw(run.pid) {
        let _ = rustix::process::kill_process_group(pid, signal);
    }
}

/// Whether the shim of `run` is still alive (and is the same process, not a recycled PID).
pub fn is_alive(run: &RunRecord) -> bool {
    match proc_stat(run.pid) {
        Some(stat) => {
            stat.state != 'Z'
                && stat.state != 'X'
                && (run.start_ticks == 0 || stat.start_ticks == run.start_ticks)
        }
        None => false,
    }
}

/// The fields of /proc/PID/stat we need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcStat {
    /// One-letter process state (R, S, Z, ...).
    pub state: char,
    /// Start time in clock ticks since boot.
    pub start_ticks: u64,
}

/// Read /proc/PID/stat, or `None` if the process does not exist.
pub fn proc_stat(pid: i32) -> Option<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

fn parse_stat(text: &str) -> Option<ProcStat> {
    // The command name (field 2) may contain spaces and parentheses; fields after the
    // last ')' are space separated, starting at field 3 (state).
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let start_ticks = fields.get(19)?.parse().ok()?;
    Some(ProcStat { state, start_ticks })
}

/// The path of this executable, for re-executing it as the shim. When the binary was
/// rebuilt while running, /proc reports the old file as "(deleted)"; the new file at the
/// same path is used then.
fn own_executable() -> Result<PathBuf> {
    let exe =
        std::env::current_exe().map_err(Error::io("find own executable", "/proc/self/exe"))?;
    let text = exe.to_string_lossy();
    Ok(match text.strip_suffix(" (deleted)") {
        Some(p) => PathBuf::from(p),
        None => exe,
    })
}

/// Write `value` as JSON to `path` atomically (write a temporary file, then rename).
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let bytes = serde_json::to_vec(value).map_err(|source| Error::State {
        path: path.into(),
        source,
    })?;
    fs::write(&tmp, bytes).map_err(Error::io("write", &tmp))?;
    fs::rename(&tmp, path).map_err(Error::io("rename", path))
}

/// Read JSON from `path`, or `None` if the file does not exist.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| Error::State {
                path: path.into(),
                source,
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path)(e)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_command_names() {
        let line = "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200";
        assert_eq!(
            parse_stat(line),
            Some(ProcStat {
                state: 'S',
                start_ticks: 987654
            })
        );
    }

    #[test]
    fn own_process_is_alive() {
        let pid = i32::try_from(std::process::id()).unwrap();
        let stat = proc_stat(pid).unwrap();
        let run = RunRecord {
            pid,
            start_ticks: stat.start_ticks,
            started_at: Timestamp::now(),
        };
        assert!(is_alive(&run));
        let recycled = RunRecord {
            start_ticks: stat.start_ticks + 1,
            ..run
        };
        assert!(!is_alive(&recycled));
    }
}
