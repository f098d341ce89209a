//! The per-application secret every driver ↔ executor call carries (Spark's
//! `spark.authenticate`): clients add it to each request's metadata with [`AddSecret`],
//! servers refuse calls without it with [`RequireSecret`]. On Kubernetes the operator
//! keeps it in a Secret per application and injects it into the driver and executor pods
//! as [`SECRET_ENV`]; on local-cluster the driver generates one and hands it to its
//! executor processes the same way.

use subtle::ConstantTimeEq;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// The environment variable the secret reaches executors (and the Kubernetes driver) in;
/// Spark's own name for it (`SecurityManager.ENV_AUTH_SECRET`).
pub const SECRET_ENV: &str = "_SPARK_AUTH_SECRET";

/// The Spark key that sets the secret by hand (`spark.authenticate.secret`).
pub const SECRET_KEY: &str = "spark.authenticate.secret";

/// The request metadata key the secret travels in, as `Bearer <secret>`.
pub const METADATA_KEY: &str = "authorization";

/// Random bytes in a generated secret.
const GENERATED_BYTES: usize = 32;

/// An application's secret. Its `Debug` output is redacted, so it cannot reach a log by
/// accident; [`AppSecret::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct AppSecret(String);

/// Why a secret could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The operating system's random source failed.
    #[error("cannot generate the application secret: the system random source failed: {0}")]
    Random(getrandom::Error),
    /// The secret is empty or cannot travel in gRPC metadata.
    #[error(
        "the application secret must be non-empty visible ASCII (it travels in gRPC metadata); check {SECRET_ENV} or {SECRET_KEY}"
    )]
    Invalid,
}

impl AppSecret {
    /// A new random secret: 32 bytes from the OS, hex-encoded.
    pub fn generate() -> Result<Self, SecretError> {
        let mut bytes = [0u8; GENERATED_BYTES];
        getrandom::fill(&mut bytes).map_err(SecretError::Random)?;
        Ok(Self(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// A secret given by the user or the operator; refused when it cannot be sent.
    pub fn new(secret: impl Into<String>) -> Result<Self, SecretError> {
        let secret = secret.into();
        let valid = !secret.is_empty() && secret.bytes().all(|b| b.is_ascii_graphic());
        if valid { Ok(Self(secret)) } else { Err(SecretError::Invalid) }
    }

    /// The secret in the environment ([`SECRET_ENV`]), if set.
    pub fn from_env() -> Result<Option<Self>, SecretError> {
        std::env::var(SECRET_ENV).ok().map(Self::new).transpose()
    }

    /// The secret itself, to hand to a process or a Secret; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn header(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

impl std::fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppSecret(<redacted>)")
    }
}

/// A client interceptor that adds the secret to every request.
#[derive(Debug, Clone)]
pub struct AddSecret {
    header: MetadataValue<tonic::metadata::Ascii>,
}

impl AddSecret {
    /// Sends `secret` with every call.
    pub fn new(secret: &AppSecret) -> Result<Self, SecretError> {
        let header = secret.header().parse().map_err(|_| SecretError::Invalid)?;
        Ok(Self { header })
    }
}

impl Interceptor for AddSecret {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert(METADATA_KEY, self.header.clone());
        Ok(request)
    }
}

/// A server interceptor that refuses, with `UNAUTHENTICATED`, every call that does not
/// carry the application's secret. The comparison takes the same time whatever the bytes.
#[derive(Debug, Clone)]
pub struct RequireSecret {
    expected: Vec<u8>,
    server: &'static str,
}

impl RequireSecret {
    /// Guards the services of `server` (named in refusals, e.g. "the driver").
    pub fn new(secret: &AppSecret, server: &'static str) -> Self {
        Self { expected: secret.header().into_bytes(), server }
    }
}

impl Interceptor for RequireSecret {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let given = request.metadata().get(METADATA_KEY).map(|v| v.as_bytes());
        let problem = match given {
            Some(given) if bool::from(given.ct_eq(&self.expected)) => return Ok(request),
            Some(_) => "a wrong application secret",
            None => "no application secret",
        };
        let peer = request.remote_addr().map(|a| a.to_string()).unwrap_or_else(|| "an unknown peer".to_string());
        tracing::warn!(server = self.server, %peer, problem, "refused an unauthenticated call");
        Err(Status::unauthenticated(format!(
            "{} refused a call from {peer} with {problem}: driver and executors of one application must share its secret ({SECRET_ENV}, or {SECRET_KEY})",
            self.server
        )))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn call(interceptor: &mut RequireSecret, header: Option<&str>) -> Result<(), Status> {
        let mut request = Request::new(());
        if let Some(header) = header {
            request.metadata_mut().insert(METADATA_KEY, header.parse().unwrap());
        }
        interceptor.call(request).map(|_| ())
    }

    #[test]
    fn only_the_right_secret_passes() {
        let secret = AppSecret::generate().unwrap();
        let mut server = RequireSecret::new(&secret, "the driver");
        let mut client = AddSecret::new(&secret).unwrap();
        let sent = client.call(Request::new(())).unwrap();
        assert!(server.call(sent).is_ok());
        let missing = call(&mut server, None).unwrap_err();
        assert_eq!(missing.code(), tonic::Code::Unauthenticated);
        assert!(missing.message().contains("no application secret"), "{}", missing.message());
        let wrong = call(&mut server, Some("Bearer nope")).unwrap_err();
        assert!(wrong.message().contains("a wrong application secret"), "{}", wrong.message());
        assert!(!wrong.message().contains(secret.expose()));
    }

    #[test]
    fn secrets_are_random_redacted_and_checked() {
        let (a, b) = (AppSecret::generate().unwrap(), AppSecret::generate().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 64);
        assert_eq!(format!("{a:?}"), "AppSecret(<redacted>)");
        assert!(AppSecret::new("").is_err());
        assert!(AppSecret::new("has space").is_err());
        assert!(AppSecret::new("s3cr3t").is_ok());
    }
}
