//! `abfss://`, `abfs://`, `wasbs://` and `wasb://` containers from the ABFS driver's keys
//! (`fs.azure.*`, per account as `<key>.<account>.dfs.core.windows.net`) and Azure's
//! environment variables.

use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};

use super::StorageError;
use super::hadoop_conf::{HadoopConf, Setting};

/// The object_store builder for the container of `url`
/// (`abfss://<container>@<account>.dfs.core.windows.net/...`): Azure's environment first,
/// then the driver's keys over it.
pub fn builder(conf: &HadoopConf, url: &url::Url, env: &[(String, String)]) -> Result<MicrosoftAzureBuilder, StorageError> {
    let host = url.host_str().unwrap_or_default();
    let (account, _) = host.split_once('.').unwrap_or((host, ""));
    let container = url.username();
    if container.is_empty() || account.is_empty() {
        return Err(StorageError::UnsupportedUrl {
            url: url.to_string(),
            reason: format!("{} URLs name a container and an account: {}://<container>@<account>.dfs.core.windows.net/<path>", url.scheme(), url.scheme()),
        });
    }
    let key = |name: &str| conf.first(&[format!("{name}.{host}"), name.to_string()]);
    let mut builder = MicrosoftAzureBuilder::new();
    for (name, value) in env.iter().filter(|(k, _)| k.starts_with("AZURE_")) {
        if let Ok(config_key) = name.to_ascii_lowercase().parse::<AzureConfigKey>() {
            builder = builder.with_config(config_key, value);
        }
    }
    builder = builder.with_account(account).with_container_name(container);
    let auth_type = key("fs.azure.account.auth.type").map(|s| s.value.to_ascii_lowercase());
    if let Some(account_key) = key("fs.azure.account.key") {
        builder = builder.with_access_key(account_key.value);
    }
    if let Some(sas) = key("fs.azure.sas.fixed.token") {
        builder = builder.with_config(AzureConfigKey::SasKey, sas.value);
    }
    if auth_type.as_deref() == Some("oauth") || key("fs.azure.account.oauth2.client.id").is_some() {
        if let Some(id) = key("fs.azure.account.oauth2.client.id") {
            builder = builder.with_client_id(id.value);
        }
        if let Some(secret) = key("fs.azure.account.oauth2.client.secret") {
            builder = builder.with_client_secret(secret.value);
        }
        if let Some(endpoint) = key("fs.azure.account.oauth2.client.endpoint") {
            builder = builder.with_tenant_id(tenant(&endpoint)?);
        }
    }
    Ok(builder)
}

/// The tenant of an OAuth token endpoint: `https://login.microsoftonline.com/<tenant>/oauth2/token`.
fn tenant(endpoint: &Setting) -> Result<String, StorageError> {
    let parsed = url::Url::parse(&endpoint.value).ok();
    let tenant = parsed.as_ref().and_then(|u| u.path_segments()).and_then(|mut segments| segments.next()).map(str::to_string);
    tenant.filter(|t| !t.is_empty()).ok_or_else(|| StorageError::InvalidSetting {
        key: endpoint.source.clone(),
        reason: "expected https://login.microsoftonline.com/<tenant>/oauth2/token".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> HadoopConf {
        HadoopConf::from_pairs(pairs.iter().map(|(k, v)| (format!("spark.hadoop.{k}"), v.to_string())))
    }

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn account_keys_map_to_the_client() -> Result<(), StorageError> {
        let conf = conf(&[("fs.azure.account.key.acct.dfs.core.windows.net", "KEY"), ("fs.azure.account.key", "OTHER")]);
        let builder = builder(&conf, &url("abfss://data@acct.dfs.core.windows.net/x"), &[])?;
        assert_eq!(builder.get_config_value(&AzureConfigKey::AccountName).as_deref(), Some("acct"));
        assert_eq!(builder.get_config_value(&AzureConfigKey::ContainerName).as_deref(), Some("data"));
        assert_eq!(builder.get_config_value(&AzureConfigKey::AccessKey).as_deref(), Some("KEY"));
        Ok(())
    }

    #[test]
    fn oauth_keys_map_to_a_service_principal() -> Result<(), StorageError> {
        let conf = conf(&[
            ("fs.azure.account.auth.type", "OAuth"),
            ("fs.azure.account.oauth2.client.id", "app-id"),
            ("fs.azure.account.oauth2.client.secret", "app-secret"),
            ("fs.azure.account.oauth2.client.endpoint", "https://login.microsoftonline.com/tenant-1/oauth2/token"),
        ]);
        let builder = builder(&conf, &url("abfss://c@a.dfs.core.windows.net/"), &[])?;
        assert_eq!(builder.get_config_value(&AzureConfigKey::ClientId).as_deref(), Some("app-id"));
        assert_eq!(builder.get_config_value(&AzureConfigKey::ClientSecret).as_deref(), Some("app-secret"));
        assert_eq!(builder.get_config_value(&AzureConfigKey::AuthorityId).as_deref(), Some("tenant-1"));
        Ok(())
    }

    #[test]
    fn a_url_without_a_container_is_refused_with_the_expected_form() {
        let error = builder(&HadoopConf::default(), &url("abfss://acct.dfs.core.windows.net/x"), &[]).err();
        assert!(error.map(|e| e.to_string()).unwrap_or_default().contains("<container>@<account>"));
    }
}
