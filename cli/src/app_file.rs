//! The application file of `flint submit` and `flint driver`: a local path (`local:///`
//! prefix allowed), or an object storage URL (`s3a://bucket/app.py`) fetched with the
//! application's `spark.hadoop.*` keys into a folder that lives as long as the run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use flint_engine::config::SparkConf;
use flint_engine::storage::{fetch_application_file, is_object_store_path};

/// An application file on local disk, for as long as this value lives.
#[derive(Debug)]
pub struct AppFile {
    path: PathBuf,
    /// The folder a fetched file was written to, removed on drop.
    _fetched_into: Option<tempfile::TempDir>,
}

impl AppFile {
    /// The file named by `location`, fetched first when it is in object storage, with the
    /// keys of `pairs` (the application's configuration).
    pub async fn open(location: &str, pairs: &[(String, String)]) -> Result<Self> {
        if !is_object_store_path(location) {
            let path = PathBuf::from(location.strip_prefix("local://").unwrap_or(location));
            return Ok(Self { path, _fetched_into: None });
        }
        let mut conf = SparkConf::new();
        for (key, value) in pairs {
            conf.set(key, value);
        }
        let content = fetch_application_file(&conf, location).await?;
        let dir = tempfile::Builder::new().prefix("flint-app-").tempdir().context("cannot make a folder for the application file")?;
        // The file keeps its name: Python shows it in tracebacks, and `.py`/`.sql` says its type.
        let name = location.rsplit('/').next().filter(|name| !name.is_empty()).unwrap_or("app");
        let path = dir.path().join(name);
        std::fs::write(&path, &content).with_context(|| format!("cannot write the application file {location} to {}", path.display()))?;
        Ok(Self { path, _fetched_into: Some(dir) })
    }

    /// Where the file is on local disk.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's text (a SQL application).
    pub fn read_to_string(&self) -> Result<String> {
        std::fs::read_to_string(&self.path).with_context(|| format!("cannot read {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_paths_are_used_where_they_are() -> Result<()> {
        let file = AppFile::open("local:///opt/app.sql", &[]).await?;
        assert_eq!(file.path(), Path::new("/opt/app.sql"));
        assert_eq!(AppFile::open("job.sql", &[]).await?.path(), Path::new("job.sql"));
        Ok(())
    }
}
