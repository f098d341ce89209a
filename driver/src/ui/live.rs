//! The live UI of a running driver: its status store fed by the listener bus, the event
//! log when `spark.eventLog.enabled`, and the HTTP server when `spark.ui.enabled`.

use super::api::Applications;
use super::conf::{self, BadValue};
use super::event_log::{EventLogError, create_writer};
use super::redaction::{BadRedactionRegex, redact, redactor};
use super::server;
use super::store::{AppStatusStore, SharedStore, StoreListener};
use crate::listener::events::now_millis;
use crate::listener::{Listener, ListenerBus, ListenerEvent};
use flint_engine::config::SparkConf;
use std::net::SocketAddr;
use std::sync::Arc;

/// Why the UI or the event log could not start.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// A key has a bad value.
    #[error(transparent)]
    Conf(#[from] BadValue),
    /// `spark.redaction.regex` is bad.
    #[error(transparent)]
    Redaction(#[from] BadRedactionRegex),
    /// The event log cannot be written.
    #[error(transparent)]
    EventLog(#[from] EventLogError),
}

/// A driver's UI and event log, started once per application.
#[derive(Debug, Clone)]
pub struct LiveUi {
    /// Where the scheduler posts events (disabled with neither UI nor event log).
    pub bus: ListenerBus,
    /// The store the UI shows.
    pub store: SharedStore,
    /// Where the UI listens, when it is enabled.
    pub address: Option<SocketAddr>,
}

/// The live driver's one application.
struct LiveApp(SharedStore);

#[async_trait::async_trait]
impl Applications for LiveApp {
    async fn list(&self) -> Vec<SharedStore> {
        vec![Arc::clone(&self.0)]
    }
    async fn get(&self, id: &str) -> Option<SharedStore> {
        (self.0.read().app.id == id).then(|| Arc::clone(&self.0))
    }
}

impl LiveUi {
    /// Starts what `conf` asks for, serving the UI on `host` (0.0.0.0 in a pod): posts
    /// the application's start and its redacted configuration.
    pub async fn start(conf: &SparkConf, host: &str) -> Result<Self, UiError> {
        let ui = conf::flag(conf, &conf::UI_ENABLED)?;
        let event_log = conf::flag(conf, &conf::EVENT_LOG_ENABLED)?;
        let store: SharedStore = Arc::new(parking_lot::RwLock::new(AppStatusStore::new(conf::retention(conf)?)));
        if !ui && !event_log {
            return Ok(Self { bus: ListenerBus::disabled(), store, address: None });
        }
        let app_id = conf.get("spark.app.id").map(str::to_string).unwrap_or_else(new_app_id);
        let mut listeners: Vec<Box<dyn Listener>> = vec![Box::new(StoreListener(Arc::clone(&store)))];
        if event_log {
            let dir = conf.get_or_default(&conf::EVENT_LOG_DIR).unwrap_or_default();
            listeners.push(create_writer(conf, dir, &app_id).await?);
        }
        let regex = redactor(conf)?;
        let address = if ui {
            let port = conf::number(conf, &conf::UI_PORT)?;
            // The application matters more than its UI: with every port taken (many
            // drivers on one machine) it runs without one, as the warning says.
            match server::bind(host, port, conf::number(conf, &conf::PORT_MAX_RETRIES)?).await {
                Ok(listener) => Some(server::serve(listener, Arc::new(LiveApp(Arc::clone(&store))), true)),
                Err(error) => {
                    tracing::warn!(%error, "running without the UI");
                    None
                }
            }
        } else {
            None
        };
        let bus = ListenerBus::start(listeners);
        bus.post(ListenerEvent::ApplicationStart {
            app_name: conf.app_name().to_string(),
            app_id,
            time: now_millis(),
            spark_user: std::env::var("USER").unwrap_or_else(|_| "flint".to_string()),
        });
        let properties = redact(&regex, conf.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let runtime = vec![
            ("flintVersion".to_string(), env!("CARGO_PKG_VERSION").to_string()),
            ("master".to_string(), conf.get("spark.master").unwrap_or("local[*]").to_string()),
        ];
        bus.post(ListenerEvent::EnvironmentUpdate { spark_properties: properties, runtime });
        Ok(Self { bus, store, address })
    }
}

/// An application id in Spark's form, `app-<yyyyMMddHHmmss>-<pid>`.
fn new_app_id() -> String {
    format!("app-{}-{:04}", chrono::Utc::now().format("%Y%m%d%H%M%S"), std::process::id() % 10_000)
}
