//! `gs://` buckets from the GCS connector's keys (`fs.gs.*`) and Google's environment
//! variables (`GOOGLE_APPLICATION_CREDENTIALS`, `GOOGLE_SERVICE_ACCOUNT`, …).

use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};

use super::StorageError;
use super::hadoop_conf::HadoopConf;

/// The keys naming a service account JSON key file, newest spelling first.
const KEYFILE_KEYS: [&str; 2] = ["fs.gs.auth.service.account.json.keyfile", "google.cloud.auth.service.account.json.keyfile"];

/// The object_store builder for GCS bucket `bucket`: Google's environment first, then the
/// connector's keys over it.
pub fn builder(conf: &HadoopConf, bucket: &str, env: &[(String, String)]) -> Result<GoogleCloudStorageBuilder, StorageError> {
    let mut builder = GoogleCloudStorageBuilder::new();
    for (key, value) in env.iter().filter(|(k, _)| k.starts_with("GOOGLE_")) {
        if let Ok(config_key) = key.to_ascii_lowercase().parse::<GoogleConfigKey>() {
            builder = builder.with_config(config_key, value);
        }
    }
    builder = builder.with_bucket_name(bucket);
    if let Some(keyfile) = conf.first(&KEYFILE_KEYS.map(String::from)) {
        builder = builder.with_service_account_path(keyfile.value);
    }
    match conf.get("fs.gs.auth.type") {
        Some(kind) if kind.value.eq_ignore_ascii_case("UNAUTHENTICATED") => builder = builder.with_skip_signature(true),
        Some(kind)
            if !["SERVICE_ACCOUNT_JSON_KEYFILE", "APPLICATION_DEFAULT", "COMPUTE_ENGINE"]
                .iter()
                .any(|known| kind.value.eq_ignore_ascii_case(known)) =>
        {
            return Err(StorageError::InvalidSetting {
                key: kind.source,
                reason: "expected SERVICE_ACCOUNT_JSON_KEYFILE, APPLICATION_DEFAULT, COMPUTE_ENGINE or UNAUTHENTICATED".to_string(),
            });
        }
        _ => {}
    }
    if let Some(root) = conf.get("fs.gs.storage.root.url") {
        builder = builder.with_config(GoogleConfigKey::BaseUrl, root.value.trim_end_matches('/'));
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> HadoopConf {
        HadoopConf::from_pairs(pairs.iter().map(|(k, v)| (format!("spark.hadoop.{k}"), v.to_string())))
    }

    #[test]
    fn connector_keys_map_to_the_client() -> Result<(), StorageError> {
        let conf = conf(&[
            ("fs.gs.auth.service.account.json.keyfile", "/secrets/sa.json"),
            ("fs.gs.storage.root.url", "http://127.0.0.1:4443/"),
        ]);
        let builder = builder(&conf, "events", &[])?;
        assert_eq!(builder.get_config_value(&GoogleConfigKey::Bucket).as_deref(), Some("events"));
        assert_eq!(builder.get_config_value(&GoogleConfigKey::ServiceAccount).as_deref(), Some("/secrets/sa.json"));
        assert_eq!(builder.get_config_value(&GoogleConfigKey::BaseUrl).as_deref(), Some("http://127.0.0.1:4443"));
        Ok(())
    }

    #[test]
    fn the_environment_gives_application_credentials() -> Result<(), StorageError> {
        let env = [("GOOGLE_APPLICATION_CREDENTIALS".to_string(), "/adc.json".to_string())];
        let builder = builder(&conf(&[]), "b", &env)?;
        assert_eq!(builder.get_config_value(&GoogleConfigKey::ApplicationCredentials).as_deref(), Some("/adc.json"));
        Ok(())
    }

    #[test]
    fn unauthenticated_access_skips_signing_and_unknown_types_are_named() -> Result<(), StorageError> {
        let anonymous = builder(&conf(&[("fs.gs.auth.type", "UNAUTHENTICATED")]), "b", &[])?;
        assert_eq!(anonymous.get_config_value(&GoogleConfigKey::SkipSignature).as_deref(), Some("true"));
        let error = builder(&conf(&[("fs.gs.auth.type", "KERBEROS")]), "b", &[]).err().map(|e| e.to_string());
        assert!(error.unwrap_or_default().contains("spark.hadoop.fs.gs.auth.type"));
        Ok(())
    }
}
