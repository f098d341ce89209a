//! `s3a://` and `s3://` buckets from Hadoop's S3A keys (`fs.s3a.*`, per bucket as
//! `fs.s3a.bucket.<name>.*`) and the AWS environment variables, as Hadoop reads them.

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};

use super::StorageError;
use super::hadoop_conf::{HadoopConf, Setting};

/// How one bucket is reached: what Hadoop's S3A keys and the environment say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3aBucket {
    /// The bucket name.
    pub bucket: String,
    /// `fs.s3a.endpoint` as a URL (with the scheme `fs.s3a.connection.ssl.enabled`
    /// chooses when it has none); `None` for AWS itself.
    pub endpoint: Option<String>,
    /// `fs.s3a.endpoint.region` (or the region of an AWS endpoint).
    pub region: Option<String>,
    /// `fs.s3a.path.style.access` (default false: virtual-hosted, as Hadoop; always
    /// path-style for an IP address or `localhost` endpoint).
    pub path_style: bool,
    /// `fs.s3a.access.key`, else `AWS_ACCESS_KEY_ID`.
    pub access_key: Option<Setting>,
    /// `fs.s3a.secret.key`, else `AWS_SECRET_ACCESS_KEY`.
    pub secret_key: Option<Setting>,
    /// `fs.s3a.session.token`, else `AWS_SESSION_TOKEN`.
    pub session_token: Option<Setting>,
    /// `fs.s3a.aws.credentials.provider` names the anonymous provider: requests are not
    /// signed.
    pub anonymous: bool,
    /// `fs.s3a.attempts.maximum` (default 5): retries of a failed request.
    pub max_attempts: usize,
}

/// Environment variables the S3 client reads itself (region, web identity, container
/// credentials, …), passed through.
const AWS_ENV_PREFIX: &str = "AWS_";

impl S3aBucket {
    /// The settings of `bucket` in `conf`, with `env` (the process environment) filling
    /// in credentials the configuration does not give.
    pub fn from_conf(conf: &HadoopConf, bucket: &str, env: &[(String, String)]) -> Result<Self, StorageError> {
        let key = |name: &str| conf.first(&[format!("fs.s3a.bucket.{bucket}.{name}"), format!("fs.s3a.{name}")]);
        let from_env = |name: &str| {
            env.iter()
                .find(|(k, v)| k == name && !v.is_empty())
                .map(|(k, v)| Setting { value: v.clone(), source: k.clone() })
        };
        let ssl = conf.bool(key("connection.ssl.enabled"), true)?;
        let path_style = conf.bool(key("path.style.access"), false)?;
        let mut region = key("endpoint.region").map(|s| s.value);
        let endpoint = match key("endpoint").filter(|s| !s.value.is_empty()) {
            None => None,
            Some(endpoint) => {
                let url = if endpoint.value.contains("://") {
                    endpoint.value.clone()
                } else {
                    format!("{}://{}", if ssl { "https" } else { "http" }, endpoint.value)
                };
                let parsed = url::Url::parse(&url).map_err(|e| StorageError::InvalidSetting {
                    key: endpoint.source.clone(),
                    reason: format!("not a URL or host name: {e}"),
                })?;
                let host = parsed.host_str().unwrap_or_default().to_string();
                if host.ends_with("amazonaws.com") || host.ends_with("amazonaws.com.cn") {
                    // AWS itself: the client derives the bucket's endpoint from the region.
                    region = region.or_else(|| aws_endpoint_region(&host));
                    None
                } else {
                    Some(url.trim_end_matches('/').to_string())
                }
            }
        };
        // A bucket name cannot go in front of an IP address or `localhost`: such endpoints
        // (a MinIO or SeaweedFS on loopback) are reached path-style, as the AWS SDK does.
        let path_style = path_style || endpoint.as_deref().is_some_and(is_ip_or_localhost);
        let provider = key("aws.credentials.provider").map(|s| s.value).unwrap_or_default();
        Ok(Self {
            bucket: bucket.to_string(),
            endpoint,
            region,
            path_style,
            access_key: key("access.key").or_else(|| from_env("AWS_ACCESS_KEY_ID")),
            secret_key: key("secret.key").or_else(|| from_env("AWS_SECRET_ACCESS_KEY")),
            session_token: key("session.token").or_else(|| from_env("AWS_SESSION_TOKEN")),
            anonymous: provider.contains("AnonymousAWSCredentialsProvider"),
            max_attempts: match key("attempts.maximum") {
                None => 5,
                Some(s) => s.value.parse().map_err(|_| StorageError::InvalidSetting {
                    key: s.source.clone(),
                    reason: "expected a number of attempts".to_string(),
                })?,
            },
        })
    }

    /// The object_store builder for this bucket: the AWS environment first (web
    /// identity, container credentials, region), then these settings over it.
    pub fn builder(&self, env: &[(String, String)]) -> Result<AmazonS3Builder, StorageError> {
        let mut builder = AmazonS3Builder::new();
        for (key, value) in env.iter().filter(|(k, _)| k.starts_with(AWS_ENV_PREFIX)) {
            if let Ok(config_key) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                builder = builder.with_config(config_key, value);
            }
        }
        builder = builder.with_bucket_name(&self.bucket).with_virtual_hosted_style_request(!self.path_style);
        if let Some(region) = &self.region {
            builder = builder.with_region(region);
        }
        if let Some(endpoint) = &self.endpoint {
            builder = builder.with_allow_http(endpoint.starts_with("http://"));
            builder = builder.with_endpoint(if self.path_style { endpoint.clone() } else { self.virtual_host(endpoint)? });
        }
        match (&self.access_key, &self.secret_key) {
            (Some(access), Some(secret)) => {
                builder = builder.with_access_key_id(&access.value).with_secret_access_key(&secret.value);
                if let Some(token) = &self.session_token {
                    builder = builder.with_token(&token.value);
                }
            }
            (Some(given), None) | (None, Some(given)) => {
                let missing = if self.access_key.is_some() { "secret.key" } else { "access.key" };
                return Err(StorageError::InvalidSetting {
                    key: given.source.clone(),
                    reason: format!(
                        "it is set for bucket '{}' but fs.s3a.{missing} is not; set spark.hadoop.fs.s3a.{missing} (or spark.hadoop.fs.s3a.bucket.{}.{missing})",
                        self.bucket, self.bucket
                    ),
                });
            }
            (None, None) => {}
        }
        // Hadoop gives up after fs.s3a.attempts.maximum (5) attempts; object_store's own
        // default of 10 retries over 3 minutes would leave a wrong endpoint hanging.
        let retry = object_store::RetryConfig { max_retries: self.max_attempts, retry_timeout: std::time::Duration::from_secs(60), ..Default::default() };
        Ok(builder.with_skip_signature(self.anonymous).with_retry(retry))
    }

    /// Where a credentials error points the user: the key the access key came from.
    pub fn access_key_source(&self) -> String {
        self.access_key.as_ref().map(|s| s.source.clone()).unwrap_or_else(|| "spark.hadoop.fs.s3a.access.key".to_string())
    }

    /// Where a signature error points the user: the key the secret key came from.
    pub fn secret_key_source(&self) -> String {
        self.secret_key.as_ref().map(|s| s.source.clone()).unwrap_or_else(|| "spark.hadoop.fs.s3a.secret.key".to_string())
    }

    /// The endpoint requests go to, for messages.
    pub fn endpoint_for_display(&self) -> String {
        self.endpoint.clone().unwrap_or_else(|| format!("AWS S3 ({})", self.region.as_deref().unwrap_or("us-east-1")))
    }

    /// `endpoint` with the bucket in front of its host, as virtual-hosted requests go.
    fn virtual_host(&self, endpoint: &str) -> Result<String, StorageError> {
        let mut url = url::Url::parse(endpoint)
            .map_err(|e| StorageError::InvalidSetting { key: "spark.hadoop.fs.s3a.endpoint".to_string(), reason: e.to_string() })?;
        let host = format!("{}.{}", self.bucket, url.host_str().unwrap_or_default());
        url.set_host(Some(&host))
            .map_err(|e| StorageError::InvalidSetting { key: "spark.hadoop.fs.s3a.endpoint".to_string(), reason: e.to_string() })?;
        Ok(url.as_str().trim_end_matches('/').to_string())
    }
}

/// Whether the host of endpoint URL `endpoint` is an IP address or `localhost`.
fn is_ip_or_localhost(endpoint: &str) -> bool {
    match url::Url::parse(endpoint).ok().and_then(|u| u.host().map(|h| h.to_owned())) {
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => true,
        Some(url::Host::Domain(domain)) => domain == "localhost",
        None => false,
    }
}

/// The region of an AWS S3 endpoint host: `s3.eu-west-1.amazonaws.com`,
/// `s3-eu-west-1.amazonaws.com`, `s3.dualstack.eu-west-1.amazonaws.com`.
fn aws_endpoint_region(host: &str) -> Option<String> {
    let labels: Vec<&str> = host.trim_end_matches(".cn").trim_end_matches(".amazonaws.com").split('.').collect();
    let region = match labels.as_slice() {
        ["s3", "dualstack", region] | ["s3", region] => region.to_string(),
        [single] => single.strip_prefix("s3-")?.to_string(),
        _ => return None,
    };
    Some(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> HadoopConf {
        HadoopConf::from_pairs(pairs.iter().map(|(k, v)| (format!("spark.hadoop.{k}"), v.to_string())))
    }

    fn value(builder: &AmazonS3Builder, key: AmazonS3ConfigKey) -> Option<String> {
        builder.get_config_value(&key)
    }

    #[test]
    fn s3a_keys_map_to_the_client() -> Result<(), StorageError> {
        let conf = conf(&[
            ("fs.s3a.endpoint", "127.0.0.1:8333"),
            ("fs.s3a.connection.ssl.enabled", "false"),
            ("fs.s3a.path.style.access", "true"),
            ("fs.s3a.access.key", "AK"),
            ("fs.s3a.secret.key", "SK"),
            ("fs.s3a.session.token", "TOKEN"),
            ("fs.s3a.endpoint.region", "eu-west-3"),
        ]);
        let bucket = S3aBucket::from_conf(&conf, "data", &[])?;
        assert_eq!(bucket.endpoint.as_deref(), Some("http://127.0.0.1:8333"));
        let builder = bucket.builder(&[])?;
        assert_eq!(value(&builder, AmazonS3ConfigKey::Endpoint).as_deref(), Some("http://127.0.0.1:8333"));
        assert_eq!(value(&builder, AmazonS3ConfigKey::Bucket).as_deref(), Some("data"));
        assert_eq!(value(&builder, AmazonS3ConfigKey::AccessKeyId).as_deref(), Some("AK"));
        assert_eq!(value(&builder, AmazonS3ConfigKey::SecretAccessKey).as_deref(), Some("SK"));
        assert_eq!(value(&builder, AmazonS3ConfigKey::Token).as_deref(), Some("TOKEN"));
        assert_eq!(value(&builder, AmazonS3ConfigKey::Region).as_deref(), Some("eu-west-3"));
        assert_eq!(value(&builder, AmazonS3ConfigKey::VirtualHostedStyleRequest).as_deref(), Some("false"));
        assert_eq!(value(&builder, AmazonS3ConfigKey::Client(object_store::ClientConfigKey::AllowHttp)).as_deref(), Some("true"));
        Ok(())
    }

    #[test]
    fn per_bucket_keys_override_the_global_ones() -> Result<(), StorageError> {
        let conf = conf(&[
            ("fs.s3a.access.key", "GLOBAL"),
            ("fs.s3a.secret.key", "GLOBAL-SECRET"),
            ("fs.s3a.bucket.special.access.key", "SPECIAL"),
            ("fs.s3a.bucket.special.secret.key", "SPECIAL-SECRET"),
            ("fs.s3a.bucket.special.endpoint", "https://minio.example:9000"),
        ]);
        let special = S3aBucket::from_conf(&conf, "special", &[])?;
        assert_eq!(special.access_key.as_ref().map(|s| s.value.as_str()), Some("SPECIAL"));
        assert_eq!(special.access_key_source(), "spark.hadoop.fs.s3a.bucket.special.access.key");
        assert_eq!(special.endpoint.as_deref(), Some("https://minio.example:9000"));
        let other = S3aBucket::from_conf(&conf, "other", &[])?;
        assert_eq!(other.access_key.as_ref().map(|s| s.value.as_str()), Some("GLOBAL"));
        assert_eq!(other.endpoint, None);
        Ok(())
    }

    #[test]
    fn virtual_hosted_style_puts_the_bucket_in_the_host() -> Result<(), StorageError> {
        let conf = conf(&[("fs.s3a.endpoint", "https://storage.example:9000/")]);
        let builder = S3aBucket::from_conf(&conf, "logs", &[])?.builder(&[])?;
        assert_eq!(value(&builder, AmazonS3ConfigKey::Endpoint).as_deref(), Some("https://logs.storage.example:9000"));
        assert_eq!(value(&builder, AmazonS3ConfigKey::VirtualHostedStyleRequest).as_deref(), Some("true"));
        Ok(())
    }

    #[test]
    fn ip_and_localhost_endpoints_are_reached_path_style() -> Result<(), StorageError> {
        for endpoint in ["http://127.0.0.1:8333", "http://localhost:9000", "http://[::1]:9000"] {
            let bucket = S3aBucket::from_conf(&conf(&[("fs.s3a.endpoint", endpoint)]), "b", &[])?;
            assert!(bucket.path_style, "{endpoint}");
        }
        let named = S3aBucket::from_conf(&conf(&[("fs.s3a.endpoint", "https://minio.internal:9000")]), "b", &[])?;
        assert!(!named.path_style);
        Ok(())
    }

    #[test]
    fn aws_endpoints_become_regions() -> Result<(), StorageError> {
        let conf = conf(&[("fs.s3a.endpoint", "s3.eu-central-1.amazonaws.com")]);
        let bucket = S3aBucket::from_conf(&conf, "b", &[])?;
        assert_eq!((bucket.endpoint, bucket.region.as_deref()), (None, Some("eu-central-1")));
        assert_eq!(aws_endpoint_region("s3-us-west-2.amazonaws.com").as_deref(), Some("us-west-2"));
        assert_eq!(aws_endpoint_region("s3.amazonaws.com"), None);
        Ok(())
    }

    #[test]
    fn the_environment_fills_in_credentials_the_conf_does_not_give() -> Result<(), StorageError> {
        let env = [
            ("AWS_ACCESS_KEY_ID".to_string(), "ENV-AK".to_string()),
            ("AWS_SECRET_ACCESS_KEY".to_string(), "ENV-SK".to_string()),
            ("AWS_REGION".to_string(), "ap-south-1".to_string()),
            ("AWS_WEB_IDENTITY_TOKEN_FILE".to_string(), "/var/run/token".to_string()),
        ];
        let bucket = S3aBucket::from_conf(&conf(&[]), "b", &env)?;
        assert_eq!(bucket.access_key_source(), "AWS_ACCESS_KEY_ID");
        let builder = bucket.builder(&env)?;
        assert_eq!(value(&builder, AmazonS3ConfigKey::AccessKeyId).as_deref(), Some("ENV-AK"));
        assert_eq!(value(&builder, AmazonS3ConfigKey::Region).as_deref(), Some("ap-south-1"));
        assert_eq!(value(&builder, AmazonS3ConfigKey::WebIdentityTokenFile).as_deref(), Some("/var/run/token"));
        let configured = conf(&[("fs.s3a.access.key", "CONF-AK"), ("fs.s3a.secret.key", "CONF-SK")]);
        let bucket = S3aBucket::from_conf(&configured, "b", &env)?;
        assert_eq!(value(&bucket.builder(&env)?, AmazonS3ConfigKey::AccessKeyId).as_deref(), Some("CONF-AK"));
        Ok(())
    }

    #[test]
    fn half_a_key_pair_is_refused_naming_the_missing_key_and_no_value() {
        let conf = conf(&[("fs.s3a.access.key", "AK-VALUE")]);
        let error = S3aBucket::from_conf(&conf, "b", &[]).and_then(|b| b.builder(&[])).err().map(|e| e.to_string());
        let error = error.unwrap_or_default();
        assert!(error.contains("spark.hadoop.fs.s3a.secret.key"), "{error}");
        assert!(!error.contains("AK-VALUE"), "{error}");
    }

    #[test]
    fn the_anonymous_provider_skips_signing() -> Result<(), StorageError> {
        let conf = conf(&[("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.AnonymousAWSCredentialsProvider")]);
        let builder = S3aBucket::from_conf(&conf, "public", &[])?.builder(&[])?;
        assert_eq!(value(&builder, AmazonS3ConfigKey::SkipSignature).as_deref(), Some("true"));
        Ok(())
    }

    #[test]
    fn a_bad_boolean_names_its_key() {
        let conf = conf(&[("fs.s3a.bucket.b.connection.ssl.enabled", "maybe")]);
        let error = S3aBucket::from_conf(&conf, "b", &[]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("spark.hadoop.fs.s3a.bucket.b.connection.ssl.enabled"), "{error}");
    }
}
