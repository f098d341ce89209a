//! ConfigMaps and Secrets a pod refers to, fetched once per pod setup.

use std::collections::BTreeMap;
use std::collections::HashMap;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::{Api, Client};

use crate::error::{Error, Result};

/// Reads the ConfigMaps and Secrets of one namespace, caching each by name (a node may
/// only `get` the objects its pods refer to, so nothing is listed).
pub struct Sources {
    configmaps: Api<ConfigMap>,
    secrets: Api<Secret>,
    namespace: String,
    cm_cache: HashMap<String, Option<BTreeMap<String, Vec<u8>>>>,
    secret_cache: HashMap<String, Option<BTreeMap<String, Vec<u8>>>>,
}

impl Sources {
    /// Sources for pods in `namespace`.
    pub fn new(client: Client, namespace: &str) -> Self {
        Self {
            configmaps: Api::namespaced(client.clone(), namespace),
            secrets: Api::namespaced(client, namespace),
            namespace: namespace.to_string(),
            cm_cache: HashMap::new(),
            secret_cache: HashMap::new(),
        }
    }

    /// The data (and binaryData) of ConfigMap `name`, or `None` if it does not exist.
    pub async fn configmap(&mut self, name: &str) -> Result<Option<BTreeMap<String, Vec<u8>>>> {
        if let Some(v) = self.cm_cache.get(name) {
            return Ok(v.clone());
        }
        let cm = self
            .configmaps
            .get_opt(name)
            .await
            .map_err(Error::api(format!(
                "get configmap {}/{name}",
                self.namespace
            )))?;
        let data = cm.map(|cm| {
            let mut out: BTreeMap<String, Vec<u8>> = cm
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.into_bytes()))
                .collect();
            out.extend(
                cm.binary_data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.0)),
            );
            out
        });
        self.cm_cache.insert(name.to_string(), data.clone());
        Ok(data)
    }

    /// The decoded data (and stringData) of Secret `name`, or `None` if it does not exist.
    pub async fn secret(&mut self, name: &str) -> Result<Option<BTreeMap<String, Vec<u8>>>> {
        if let Some(v) = self.secret_cache.get(name) {
            return Ok(v.clone());
        }
        let secret = self
            .secrets
            .get_opt(name)
            .await
            .map_err(Error::api(format!("get secret {}/{name}", self.namespace)))?;
        let data = secret.map(|s| {
            let mut out: BTreeMap<String, Vec<u8>> = s
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.0))
                .collect();
            out.extend(
                s.string_data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.into_bytes())),
            );
            out
        });
        self.secret_cache.insert(name.to_string(), data.clone());
        Ok(data)
    }

    /// One key of a ConfigMap (`optional` turns a missing map or key into `None`).
    pub async fn configmap_key(
        &mut self,
        name: &str,
        key: &str,
        optional: bool,
    ) -> Result<Option<Vec<u8>>> {
        let data = self.configmap(name).await?;
        lookup(data, "configmap", &self.namespace, name, key, optional)
    }

    /// One key of a Secret (`optional` turns a missing secret or key into `None`).
    pub async fn secret_key(
        &mut self,
        name: &str,
        key: &str,
        optional: bool,
    ) -> Result<Option<Vec<u8>>> {
        let data = self.secret(name).await?;
        lookup(data, "secret", &self.namespace, name, key, optional)
    }
}

fn lookup(
    data: Option<BTreeMap<String, Vec<u8>>>,
    kind: &str,
    ns: &str,
    name: &str,
    key: &str,
    optional: bool,
) -> Result<Option<Vec<u8>>> {
    match data {
        None if optional => Ok(None),
        None => Err(Error::Config(format!(
            "{kind} \"{name}\" not found in namespace {ns}"
        ))),
        Some(mut d) => match d.remove(key) {
            Some(v) => Ok(Some(v)),
            None if optional => Ok(None),
            None => Err(Error::Config(format!(
                "couldn't find key {key} in {kind} {ns}/{name}"
            ))),
        },
    }
}
