//! Python worker processes and the per-process pool that reuses them across tasks, as
//! Spark reuses its workers (`spark.python.worker.reuse`): PySpark's own `worker.py`
//! `main()` runs in a loop on one Unix socket, one task after the other.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, BufWriter};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::python::error::PythonError;

/// Runs PySpark's worker `main()` once per task on the socket named by the environment,
/// until the executor closes it. A failed task ends the process (`main` exits), so a
/// worker is only reused after a task that finished cleanly.
const LAUNCHER: &str = r#"
import os, socket
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(os.environ["FLINT_PYTHON_WORKER_SOCKET"])
infile = os.fdopen(os.dup(sock.fileno()), "rb", 65536)
outfile = os.fdopen(os.dup(sock.fileno()), "wb", 65536)
from pyspark.worker import main
try:
    while True:
        main(infile, outfile)
        outfile.flush()
finally:
    outfile.flush()
"#;

/// How long a new worker may take to connect back.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// Idle workers kept per interpreter; more are stopped when they return.
const MAX_IDLE: usize = 8;
/// Lines of a worker's stderr kept for the error of a crash.
const STDERR_LINES: usize = 20;

/// A running Python worker process connected over a Unix socket.
pub struct PythonWorker {
    child: Child,
    /// Buffered reads of the worker's output.
    pub reader: BufReader<UnixStream>,
    stream: UnixStream,
    stderr: Arc<Mutex<VecDeque<String>>>,
    python: String,
}

impl PythonWorker {
    fn spawn(python: &str) -> Result<Self, PythonError> {
        let path = socket_path();
        let listener = UnixListener::bind(&path)?;
        let spawned = Command::new(python)
            .arg("-c")
            .arg(LAUNCHER)
            .env("FLINT_PYTHON_WORKER_SOCKET", &path)
            .env("PYTHONHASHSEED", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(source) => {
                let _ = std::fs::remove_file(&path);
                return Err(PythonError::Spawn { python: python.to_string(), source });
            }
        };
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(out) = child.stdout.take() {
            collect_lines(out, stderr.clone());
        }
        if let Some(err) = child.stderr.take() {
            collect_lines(err, stderr.clone());
        }
        let accepted = accept(&listener, &mut child, &stderr);
        let _ = std::fs::remove_file(&path);
        let stream = match accepted {
            Ok(stream) => stream,
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(error);
            }
        };
        tracing::debug!(python, pid = child.id(), "started a Python worker");
        let reader = BufReader::with_capacity(65536, stream.try_clone()?);
        Ok(Self { child, reader, stream, stderr, python: python.to_string() })
    }

    /// A buffered writer on the worker's socket (for a writer thread of its own).
    pub fn writer(&self) -> Result<BufWriter<UnixStream>, PythonError> {
        Ok(BufWriter::with_capacity(65536, self.stream.try_clone()?))
    }

    /// Closes the socket both ways, which unblocks a thread reading or writing it.
    pub fn shut_down(&self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }

    /// The error for a worker whose socket ended early: its exit status and last
    /// stderr lines.
    pub fn crashed(&mut self) -> PythonError {
        let deadline = Instant::now() + Duration::from_secs(2);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status.to_string(),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                Ok(None) => break "its socket closed while it kept running".to_string(),
                Err(error) => break format!("unknown status ({error})"),
            }
        };
        // Give the stderr threads a moment to read what the worker wrote before dying.
        std::thread::sleep(Duration::from_millis(50));
        let lines: Vec<String> = self.stderr.lock().iter().cloned().collect();
        let stderr = if lines.is_empty() { String::new() } else { format!("; its last output:\n{}", lines.join("\n")) };
        PythonError::Crashed { status, stderr }
    }
}

impl Drop for PythonWorker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn socket_path() -> PathBuf {
    std::env::temp_dir().join(format!("flint-python-{}.sock", uuid::Uuid::new_v4().simple()))
}

fn accept(
    listener: &UnixListener,
    child: &mut Child,
    stderr: &Arc<Mutex<VecDeque<String>>>,
) -> Result<UnixStream, PythonError> {
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false)?;
                return Ok(stream);
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(error) => return Err(error.into()),
        }
        if let Some(status) = child.try_wait()? {
            std::thread::sleep(Duration::from_millis(50));
            let lines: Vec<String> = stderr.lock().iter().cloned().collect();
            let stderr = if lines.is_empty() { String::new() } else { format!("; its last output:\n{}", lines.join("\n")) };
            return Err(PythonError::Crashed { status: status.to_string(), stderr });
        }
        if Instant::now() > deadline {
            return Err(PythonError::Protocol { what: format!("the worker did not connect within {CONNECT_TIMEOUT:?}") });
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Forwards a worker's output lines to the log and keeps the last few for errors.
fn collect_lines(output: impl std::io::Read + Send + 'static, tail: Arc<Mutex<VecDeque<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            tracing::debug!(target: "flint::python_worker", "{line}");
            let mut tail = tail.lock();
            if tail.len() == STDERR_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    });
}

/// Idle workers of this process, by interpreter.
static POOL: LazyLock<Mutex<HashMap<String, Vec<PythonWorker>>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// An idle worker of `python`, or a new one.
pub fn take(python: &str) -> Result<PythonWorker, PythonError> {
    loop {
        let idle = POOL.lock().get_mut(python).and_then(Vec::pop);
        let Some(mut worker) = idle else { return PythonWorker::spawn(python) };
        // A worker that died while idle is dropped, not handed out.
        if matches!(worker.child.try_wait(), Ok(None)) {
            return Ok(worker);
        }
    }
}

/// Returns a worker whose last task finished cleanly, for the next task.
pub fn give_back(worker: PythonWorker) {
    worker.stderr.lock().clear();
    let mut pool = POOL.lock();
    let idle = pool.entry(worker.python.clone()).or_default();
    if idle.len() < MAX_IDLE {
        idle.push(worker);
    }
}
