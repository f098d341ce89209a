//! A store wrapper that turns an S3 server's refusals (unknown access key, wrong secret,
//! denied access, missing bucket) into errors naming the bucket and the key to fix, in
//! place of the raw response, whose body may echo signed headers such as a session token.

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions, PutOptions,
    PutPayload, PutResult, RenameOptions, Result,
};

use super::StorageError;

/// What an explained error says about where the request went.
#[derive(Debug, Clone)]
pub(super) struct AccessContext {
    /// The bucket.
    pub bucket: String,
    /// The endpoint, for messages.
    pub endpoint: String,
    /// The configuration key (or environment variable) the access key came from.
    pub access_key: String,
    /// The configuration key (or environment variable) the secret key came from.
    pub secret_key: String,
}

impl AccessContext {
    /// `error` explained, when it is a refusal this context can explain; else unchanged.
    fn explain(&self, error: object_store::Error) -> object_store::Error {
        let text = match &error {
            object_store::Error::PermissionDenied { source, .. }
            | object_store::Error::Unauthenticated { source, .. }
            | object_store::Error::NotFound { source, .. }
            | object_store::Error::Generic { source, .. } => format!("{source:?} {source}"),
            _ => return error,
        };
        let (bucket, endpoint) = (self.bucket.clone(), self.endpoint.clone());
        let explained = if text.contains("InvalidAccessKeyId") {
            StorageError::UnknownAccessKey { bucket, endpoint, key: self.access_key.clone() }
        } else if text.contains("SignatureDoesNotMatch") {
            StorageError::WrongSecretKey { bucket, endpoint, key: self.secret_key.clone() }
        } else if text.contains("NoSuchBucket") {
            StorageError::NoSuchBucket { bucket, endpoint }
        } else if let object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } = &error {
            let code = ["AccessDenied", "ExpiredToken", "InvalidToken", "AllAccessDisabled"]
                .into_iter()
                .find(|code| text.contains(code))
                .unwrap_or("403 Forbidden")
                .to_string();
            StorageError::AccessDenied { bucket, endpoint, key: self.access_key.clone(), code }
        } else {
            return error;
        };
        tracing::debug!(error = %explained, "an object store refused a request");
        object_store::Error::Generic { store: "S3", source: Box::new(explained) }
    }
}

/// An S3 store whose refusals are explained by its [`AccessContext`].
pub(super) struct ExplainedStore {
    inner: Arc<dyn ObjectStore>,
    context: Arc<AccessContext>,
}

impl ExplainedStore {
    /// `inner`, its errors explained with `context`.
    pub fn new(inner: Arc<dyn ObjectStore>, context: AccessContext) -> Self {
        Self { inner, context: Arc::new(context) }
    }

    fn explain<T>(&self, result: Result<T>) -> Result<T> {
        result.map_err(|e| self.context.explain(e))
    }

    fn explain_stream<T: Send + 'static>(&self, stream: BoxStream<'static, Result<T>>) -> BoxStream<'static, Result<T>> {
        let context = Arc::clone(&self.context);
        stream.map(move |item| item.map_err(|e| context.explain(e))).boxed()
    }
}

impl std::fmt::Debug for ExplainedStore {
    /// The bucket and endpoint only: the inner store's output shows the access key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3").field("bucket", &self.context.bucket).field("endpoint", &self.context.endpoint).finish()
    }
}

impl std::fmt::Display for ExplainedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

#[async_trait]
impl ObjectStore for ExplainedStore {
    async fn put_opts(&self, location: &Path, payload: PutPayload, opts: PutOptions) -> Result<PutResult> {
        self.explain(self.inner.put_opts(location, payload, opts).await)
    }

    async fn put_multipart_opts(&self, location: &Path, opts: PutMultipartOptions) -> Result<Box<dyn MultipartUpload>> {
        self.explain(self.inner.put_multipart_opts(location, opts).await)
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let head = options.head;
        match self.inner.get_opts(location, options).await {
            // A refused HEAD has no body, so no error code to tell a wrong access key from a
            // wrong secret: ask again with a GET of one byte, whose refusal carries the code.
            Err(object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. }) if head => {
                let probe = GetOptions { range: Some((0..1).into()), ..Default::default() };
                match self.inner.get_opts(location, probe).await {
                    Err(error) => Err(self.context.explain(error)),
                    Ok(_) => Err(self.context.explain(object_store::Error::PermissionDenied {
                        path: location.to_string(),
                        source: "HEAD refused".into(),
                    })),
                }
            }
            result => self.explain(result),
        }
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.explain(self.inner.get_ranges(location, ranges).await)
    }

    fn delete_stream(&self, locations: BoxStream<'static, Result<Path>>) -> BoxStream<'static, Result<Path>> {
        self.explain_stream(self.inner.delete_stream(locations))
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.explain_stream(self.inner.list(prefix))
    }

    fn list_with_offset(&self, prefix: Option<&Path>, offset: &Path) -> BoxStream<'static, Result<ObjectMeta>> {
        self.explain_stream(self.inner.list_with_offset(prefix, offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.explain(self.inner.list_with_delimiter(prefix).await)
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.explain(self.inner.copy_opts(from, to, options).await)
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.explain(self.inner.rename_opts(from, to, options).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> AccessContext {
        AccessContext {
            bucket: "data".to_string(),
            endpoint: "http://127.0.0.1:8333".to_string(),
            access_key: "spark.hadoop.fs.s3a.access.key".to_string(),
            secret_key: "spark.hadoop.fs.s3a.secret.key".to_string(),
        }
    }

    fn refused(body: &str) -> object_store::Error {
        object_store::Error::PermissionDenied { path: "k".to_string(), source: body.to_string().into() }
    }

    #[test]
    fn refusals_name_the_bucket_and_the_key_and_drop_the_body() {
        let body = "<Error><Code>SignatureDoesNotMatch</Code><CanonicalRequest>x-amz-security-token:TOKEN</CanonicalRequest></Error>";
        let error = context().explain(refused(body)).to_string();
        assert!(error.contains("bucket 'data'") && error.contains("spark.hadoop.fs.s3a.secret.key"), "{error}");
        assert!(!error.contains("TOKEN"), "{error}");
        let error = context().explain(refused("<Code>InvalidAccessKeyId</Code>")).to_string();
        assert!(error.contains("access key given by spark.hadoop.fs.s3a.access.key is not known"), "{error}");
        let error = context().explain(refused("<Code>AccessDenied</Code>")).to_string();
        assert!(error.contains("denied access (AccessDenied)"), "{error}");
    }

    #[test]
    fn a_missing_bucket_is_named() {
        let missing = object_store::Error::NotFound { path: "k".to_string(), source: "<Code>NoSuchBucket</Code>".into() };
        let error = context().explain(missing).to_string();
        assert!(error.contains("bucket 'data' does not exist at http://127.0.0.1:8333"), "{error}");
    }

    #[test]
    fn other_errors_pass_unchanged() {
        let missing = object_store::Error::NotFound { path: "k".to_string(), source: "<Code>NoSuchKey</Code>".into() };
        assert!(matches!(context().explain(missing), object_store::Error::NotFound { .. }));
    }
}
