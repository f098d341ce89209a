//! The UI's HTTP server: the pages (one HTML page and its script and style, embedded in
//! the binary), the REST API and, on a live driver, Prometheus `/metrics`.

use super::api::{self, Applications};
use super::metrics;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// No port from the one asked for to the last retry could be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot serve the UI on {host} ports {first}..={last}: {source}; set spark.ui.port (or spark.history.ui.port) to a free port")]
pub struct BindError {
    /// The host.
    pub host: String,
    /// The first port tried.
    pub first: u16,
    /// The last port tried.
    pub last: u16,
    /// The last failure.
    pub source: std::io::Error,
}

/// Binds `host:port`, or the next free port up to `retries` above it (Spark's
/// `spark.port.maxRetries`); port 0 takes any free port.
pub async fn bind(host: &str, port: u16, retries: u16) -> Result<TcpListener, BindError> {
    let last = if port == 0 { 0 } else { port.saturating_add(retries) };
    let mut failure = None;
    for candidate in port..=last {
        match TcpListener::bind((host, candidate)).await {
            Ok(listener) => return Ok(listener),
            Err(error) => failure = Some(error),
        }
    }
    let source = failure.unwrap_or_else(|| std::io::Error::other("no port to try"));
    Err(BindError { host: host.to_string(), first: port, last, source })
}

/// Serves the UI of `apps` on `listener` until the process ends; with `live`, also
/// `/metrics` of the (one) live application.
pub fn serve(listener: TcpListener, apps: Arc<dyn Applications>, live: bool) -> SocketAddr {
    let address = listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let index = Html(if live { INDEX_HTML.to_string() } else { INDEX_HTML.replace(r#"data-mode="live""#, r#"data-mode="history""#) });
    let mut router = api::routes()
        .route("/", get({
            let index = index.clone();
            || async move { index }
        }))
        .route("/history/{app}/", get(|| async move { index }))
        .route("/static/app.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], APP_JS) }))
        .route("/static/app.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS) }));
    if live {
        router = router.route("/metrics", get(metrics_page));
    }
    let router = router.with_state(apps);
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::warn!(%error, "the UI server stopped");
        }
    });
    address
}

async fn metrics_page(State(apps): State<Arc<dyn Applications>>) -> Response {
    let Some(store) = apps.list().await.into_iter().next() else { return StatusCode::NOT_FOUND.into_response() };
    let text = metrics::encode_store(&store.read());
    match text {
        Ok(text) => ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_taken_port_moves_to_the_next_free_one() {
        let taken = bind("127.0.0.1", 0, 0).await.unwrap();
        let port = taken.local_addr().unwrap().port();
        let next = bind("127.0.0.1", port, 16).await.unwrap();
        assert_ne!(next.local_addr().unwrap().port(), port);
        let error = bind("127.0.0.1", port, 0).await.unwrap_err().to_string();
        assert!(error.contains(&format!("ports {port}..={port}")), "{error}");
    }
}
