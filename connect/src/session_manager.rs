//! Connect sessions by client `session_id`: each has its own Flint session, a stable
//! `server_side_session_id`, its configuration and its operations.

use std::collections::HashMap;
use std::sync::Arc;

use flint_engine::FlintSession;
use flint_engine::job_runner::JobRunner;
use parking_lot::Mutex;

use crate::config::SessionConf;
use crate::errors::{ConnectError, Result};
use crate::response_buffer::ResponseBuffer;

/// One client session.
#[derive(Debug)]
pub struct ConnectSession {
    /// The id the client chose.
    pub session_id: String,
    /// The id of this server-side session; stays the same for the session's life.
    pub server_side_session_id: String,
    /// The engine session that plans and runs its queries.
    pub flint: FlintSession,
    /// Configuration set through the `Config` RPC.
    pub conf: Mutex<SessionConf>,
    /// Operations by id: their responses, kept (bounded) for `ReattachExecute` until
    /// released.
    pub operations: Mutex<HashMap<String, Operation>>,
    /// Artifacts the client uploaded, by name (`cache/<hash>` for cached local relations).
    pub artifacts: Artifacts,
    /// DataFrames the client persisted, shared with the planner.
    pub persisted: Persisted,
}

/// Persisted relations (`df.cache()`, `df.persist()`) by their protobuf encoding, each
/// as the DataFrame that reads its cache.
pub type Persisted = Arc<Mutex<HashMap<Vec<u8>, flint_engine::DataFrame>>>;

/// Uploaded artifacts by name, shared with the planner.
pub type Artifacts = Arc<Mutex<HashMap<String, bytes::Bytes>>>;

/// An execution the client may reattach to.
#[derive(Debug)]
pub struct Operation {
    /// Its responses on their way to the client.
    pub buffer: Arc<ResponseBuffer>,
    /// Tags the client gave the operation (for `interruptTag`).
    pub tags: Vec<String>,
    /// Aborts the execution while it runs (for `Interrupt`); `None` once it ended.
    pub abort: Option<tokio::task::AbortHandle>,
}

impl Operation {
    /// Stops the execution if it still runs: its job is cancelled (the aborted future
    /// drops the job's stream) and its response streams end with `OPERATION_CANCELED`.
    /// Returns whether it was running.
    pub fn interrupt(&mut self, operation_id: &str) -> bool {
        let Some(abort) = self.abort.take() else { return false };
        abort.abort();
        let cancelled = ConnectError::Interrupted { operation_id: operation_id.to_string() };
        self.buffer.finish(Err(cancelled.to_status()));
        true
    }
}

/// All sessions of one server.
#[derive(Debug)]
pub struct SessionManager {
    base_conf: Vec<(String, String)>,
    cluster: Option<Arc<dyn JobRunner>>,
    sessions: Mutex<HashMap<String, Arc<ConnectSession>>>,
}

impl SessionManager {
    /// A manager whose sessions start from `base_conf` (`--master`, `--conf`) and run their
    /// jobs on `cluster` when there is one.
    pub fn new(base_conf: Vec<(String, String)>, cluster: Option<Arc<dyn JobRunner>>) -> Self {
        Self { base_conf, cluster, sessions: Mutex::new(HashMap::new()) }
    }

    /// The session `session_id`, created on first use. Fails when the client last saw a
    /// different server-side session (the server restarted or the session was released).
    pub fn get_or_create(&self, session_id: &str, observed: Option<&str>) -> Result<Arc<ConnectSession>> {
        if session_id.is_empty() {
            return Err(ConnectError::InvalidPlan { reason: "request without a session_id".into() });
        }
        let mut sessions = self.sessions.lock();
        if let Some(session) = sessions.get(session_id) {
            if let Some(observed) = observed.filter(|o| !o.is_empty())
                && observed != session.server_side_session_id
            {
                return Err(ConnectError::IllegalArgument {
                    reason: format!(
                        "[INVALID_HANDLE.SESSION_CHANGED] The existing Spark server driver instance has restarted. Please reconnect. (session {session_id})"
                    ),
                });
            }
            return Ok(Arc::clone(session));
        }
        if observed.is_some_and(|o| !o.is_empty()) {
            return Err(ConnectError::IllegalArgument {
                reason: format!("[INVALID_HANDLE.SESSION_CLOSED] Session {session_id} was closed. Please reconnect."),
            });
        }
        let mut builder = FlintSession::builder();
        for (key, value) in &self.base_conf {
            builder = builder.config(key, value);
        }
        let flint = builder.build()?;
        if let Some(cluster) = &self.cluster {
            flint_driver::cluster::run_jobs_on(&flint, Arc::clone(cluster));
        }
        let session = Arc::new(ConnectSession {
            session_id: session_id.to_string(),
            server_side_session_id: uuid::Uuid::new_v4().to_string(),
            flint,
            conf: Mutex::new(SessionConf::new(&self.base_conf)),
            operations: Mutex::new(HashMap::new()),
            artifacts: Arc::default(),
            persisted: Arc::default(),
        });
        sessions.insert(session_id.to_string(), Arc::clone(&session));
        flint_driver::ui::metrics::CONNECT.set_sessions(sessions.len());
        Ok(session)
    }

    /// Interrupts and forgets the operations no client stream has read for `timeout`
    /// (Spark's `spark.connect.execute.manager.detachedTimeout`): a client that went away
    /// without releasing its execution leaves no job and no buffer behind. Returns how
    /// many were removed.
    pub fn remove_detached(&self, timeout: std::time::Duration) -> usize {
        let sessions: Vec<Arc<ConnectSession>> = self.sessions.lock().values().cloned().collect();
        let mut removed = 0;
        for session in sessions {
            session.operations.lock().retain(|id, operation| {
                let detached = operation.buffer.detached_for().is_some_and(|idle| idle >= timeout);
                if detached {
                    tracing::info!(operation_id = %id, session_id = %session.session_id, "removing an execution no client has read for {timeout:?}");
                    operation.interrupt(id);
                    removed += 1;
                }
                !detached
            });
        }
        removed
    }

    /// Drops a session and aborts its running operations.
    pub fn release(&self, session_id: &str) -> Option<Arc<ConnectSession>> {
        let session = {
            let mut sessions = self.sessions.lock();
            let session = sessions.remove(session_id)?;
            flint_driver::ui::metrics::CONNECT.set_sessions(sessions.len());
            session
        };
        for (id, operation) in session.operations.lock().iter_mut() {
            operation.interrupt(id);
        }
        Some(session)
    }
}
