//! Application files kept in object storage (`mainApplicationFile: s3a://bucket/app.py`,
//! `flint submit s3a://bucket/job.sql`): the driver fetches them with the application's
//! own object store keys, as it reads its data.

use bytes::Bytes;
use object_store::ObjectStoreExt;
use url::Url;

use super::{StorageError, open_url};
use crate::config::SparkConf;

/// The content of the object at `url`, fetched through the stores `conf`'s
/// `spark.hadoop.*` keys (and the cloud environment variables) configure.
pub async fn fetch_application_file(conf: &SparkConf, url: &str) -> Result<Bytes, StorageError> {
    let unsupported = || StorageError::UnsupportedUrl {
        url: url.to_string(),
        reason: "an application file in object storage is scheme://bucket/key, such as s3a://bucket/jobs/app.py".to_string(),
    };
    let parsed = Url::parse(url).map_err(|_| unsupported())?;
    let bucket = parsed.host_str().unwrap_or_default().to_string();
    let key = parsed.path().trim_start_matches('/').to_string();
    if bucket.is_empty() || key.is_empty() {
        return Err(unsupported());
    }
    let (store, location) = open_url(conf, url)?;
    let read = |source| StorageError::ReadApplicationFile { url: url.to_string(), source };
    match store.get(&location).await {
        Ok(object) => {
            let content = object.bytes().await.map_err(read)?;
            tracing::info!(%url, bytes = content.len(), "fetched the application file");
            Ok(content)
        }
        Err(object_store::Error::NotFound { .. }) => Err(StorageError::MissingApplicationFile { url: url.to_string(), bucket, key }),
        Err(source) => Err(read(source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_without_a_bucket_or_a_key_are_refused_saying_what_works() {
        for url in ["s3a://bucket", "s3a://bucket/", "not a url"] {
            let error = fetch_application_file(&SparkConf::default(), url).await.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains(&format!("cannot open {url}")), "{error}");
        }
        let error = fetch_application_file(&SparkConf::default(), "s3a://bucket").await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("s3a://bucket/jobs/app.py"), "{error}");
    }
}
