//! The kubelet's HTTPS endpoint: serves container logs to the API server (which proxies
//! `kubectl logs` here) and /healthz. Only clients with a certificate from the cluster CA
//! are accepted.

use std::convert::Infallible;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, warn};

use crate::config::KubeletConfig;
use crate::paths::pod_dirs;
use crate::process::ContainerDir;

type Body = BoxBody<Bytes, Infallible>;

/// Serve forever on `--node-ip:--port`.
pub async fn serve(config: KubeletConfig) -> anyhow::Result<()> {
    let acceptor = TlsAcceptor::from(Arc::new(tls_config(&config)?));
    let listener = TcpListener::bind((config.node_ip, config.port)).await?;
    let pods_dir = Arc::new(config.state_dir.join("pods"));
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                warn!("log server accept: {e}");
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let pods_dir = pods_dir.clone();
        tokio::spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(tls) => tls,
                Err(e) => {
                    debug!(%peer, "TLS handshake failed: {e}");
                    return;
                }
            };
            let service = service_fn(move |req| {
                let pods_dir = pods_dir.clone();
                async move { Ok::<_, Infallible>(handle(&pods_dir, req).await) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await
            {
                debug!(%peer, "log server connection: {e}");
            }
        });
    }
}

fn tls_config(config: &KubeletConfig) -> anyhow::Result<rustls::ServerConfig> {
    let (Some(cert), Some(key), Some(ca)) = (&config.tls_cert, &config.tls_key, &config.client_ca)
    else {
        anyhow::bail!("--tls-cert, --tls-key and --client-ca are required for the log server");
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("read --tls-cert {}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("read --tls-key {}", key.display()))?;
    let mut roots = RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(ca)
        .with_context(|| format!("read --client-ca {}", ca.display()))?
    {
        roots.add(ca?)?;
    }
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build()?;
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)?;
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tls)
}

/// Options of a log request, as the API server sends them.
#[derive(Debug, Default, PartialEq)]
struct LogQuery {
    follow: bool,
    previous: bool,
    tail_lines: Option<usize>,
    limit_bytes: Option<usize>,
}

fn parse_query(query: Option<&str>) -> LogQuery {
    let mut q = LogQuery::default();
    for pair in query.unwrap_or_default().split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, "true"));
        match k {
            "follow" => q.follow = v == "true",
            "previous" => q.previous = v == "true",
            "tailLines" => q.tail_lines = v.parse().ok(),
            "limitBytes" => q.limit_bytes = v.parse().ok(),
            _ => {}
        }
    }
    q
}

async fn handle(pods_dir: &Path, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_string();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["healthz"] => text(StatusCode::OK, "ok".into()),
        ["containerLogs", ns, pod, container] => {
            let query = parse_query(req.uri().query());
            container_logs(pods_dir, ns, pod, container, query).await
        }
        _ => text(
            StatusCode::NOT_FOUND,
            format!("{path}: not served by the flint process kubelet\n"),
        ),
    }
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from(body)).boxed());
    *resp.status_mut() = status;
    resp
}

/// Find the log file of `container` in pod `ns/pod` (the newest pod of that name).
fn find_log(
    pods_dir: &Path,
    ns: &str,
    pod: &str,
    container: &str,
    previous: bool,
) -> Result<(ContainerDir, u32, PathBuf), String> {
    let mut matches: Vec<_> = pod_dirs(pods_dir)
        .into_iter()
        .filter(|(_, d)| {
            d.meta()
                .ok()
                .flatten()
                .is_some_and(|m| m.namespace == ns && m.name == pod)
        })
        .map(|(_, d)| {
            let modified = std::fs::metadata(d.path()).and_then(|m| m.modified()).ok();
            (modified, d)
        })
        .collect();
    matches.sort_by_key(|(m, _)| *m);
    let Some((_, dir)) = matches.pop() else {
        return Err(format!("pod {ns}/{pod} is not running on this node"));
    };
    let cdir = dir.container(container);
    let runs = cdir.runs();
    let run = if previous {
        runs.iter().rev().nth(1)
    } else {
        runs.last()
    };
    match run {
        Some(&n) => {
            let log = cdir.log_path(n);
            Ok((cdir, n, log))
        }
        None if previous => Err(format!(
            "previous terminated container \"{container}\" in pod \"{pod}\" not found"
        )),
        None => Err(format!(
            "container \"{container}\" in pod \"{pod}\" is waiting to start"
        )),
    }
}

async fn container_logs(
    pods_dir: &Path,
    ns: &str,
    pod: &str,
    container: &str,
    q: LogQuery,
) -> Response<Body> {
    let (cdir, run, path) = match find_log(pods_dir, ns, pod, container, q.previous) {
        Ok(found) => found,
        Err(msg) => return text(StatusCode::NOT_FOUND, msg),
    };
    let content = tokio::fs::read(&path).await.unwrap_or_default();
    let start = match q.tail_lines {
        Some(n) => tail_offset(&content, n),
        None => 0,
    };
    let mut initial = content[start..].to_vec();
    if let Some(limit) = q.limit_bytes {
        initial.truncate(limit);
        if !q.follow || initial.len() >= limit {
            return text(
                StatusCode::OK,
                String::from_utf8_lossy(&initial).into_owned(),
            );
        }
    }
    if !q.follow {
        return Response::new(Full::new(Bytes::from(initial)).boxed());
    }
    // Follow: send what is there, then poll the file for more until the run ended.
    let offset = content.len() as u64;
    let state = Follow {
        path,
        cdir,
        run,
        offset,
        first: Some(Bytes::from(initial)),
        done: false,
    };
    let stream = futures::stream::unfold(state, |mut s| async move {
        let chunk = s.next().await?;
        Some((Ok::<_, Infallible>(Frame::data(chunk)), s))
    });
    Response::new(BodyExt::boxed(StreamBody::new(stream)))
}

struct Follow {
    path: PathBuf,
    cdir: ContainerDir,
    run: u32,
    offset: u64,
    first: Option<Bytes>,
    done: bool,
}

impl Follow {
    async fn next(&mut self) -> Option<Bytes> {
        if let Some(first) = self.first.take()
            && !first.is_empty()
        {
            return Some(first);
        }
        while !self.done {
            let ended = matches!(
                self.cdir.observe(self.run),
                Ok(Some(crate::process::Observed::Exited(..))) | Ok(None)
            );
            let mut buf = Vec::new();
            if let Ok(mut f) = tokio::fs::File::open(&self.path).await
                && f.seek(SeekFrom::Start(self.offset)).await.is_ok()
            {
                let _ = f.read_to_end(&mut buf).await;
            }
            if !buf.is_empty() {
                self.offset += buf.len() as u64;
                return Some(Bytes::from(buf));
            }
            if ended {
                self.done = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        None
    }
}

/// Byte offset where the last `n` lines of `content` start.
fn tail_offset(content: &[u8], n: usize) -> usize {
    if n == 0 {
        return content.len();
    }
    let body = content.strip_suffix(b"\n").unwrap_or(content);
    let mut seen = 0;
    for (i, b) in body.iter().enumerate().rev() {
        if *b == b'\n' {
            seen += 1;
            if seen == n {
                return i + 1;
            }
        }
    }
    0
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn tails_lines() {
        let c = b"a\nb\nc\n";
        assert_eq!(&c[tail_offset(c, 2)..], b"b\nc\n");
        assert_eq!(&c[tail_offset(c, 5)..], b"a\nb\nc\n");
        assert_eq!(&c[tail_offset(c, 0)..], b"");
        let d = b"a\nb";
        assert_eq!(&d[tail_offset(d, 1)..], b"b");
    }

    #[test]
    fn parses_log_query() {
        let q = parse_query(Some("follow=true&tailLines=10&timestamps=true"));
        assert_eq!(
            q,
            LogQuery {
                follow: true,
                tail_lines: Some(10),
                ..Default::default()
            }
        );
    }
}
