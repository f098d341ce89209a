//! The write commit protocol: a job writes its files into a staging directory beside the
//! target, and only a job that finished is moved into place. A failed or killed job
//! leaves the target as it was (issue 10: `mode("overwrite")` deleted the target before
//! the query that read it ran, so overwriting a path with a query over it lost the data).
//!
//! The staging directory is a hidden sibling of the target (`.flint-staging-<name>-<id>`),
//! on the same file system so moving it in is a rename, and outside the target so no
//! reader of the target ever lists a partial file. A job killed outright leaves only that
//! hidden sibling behind, which readers of the target never see.

use std::path::{Path, PathBuf};

use crate::error::{FlintError, Result};

use super::SaveMode;

/// Where one write job puts its files until it commits.
#[derive(Debug)]
pub struct StagedWrite {
    target: PathBuf,
    staging: PathBuf,
}

impl StagedWrite {
    /// Creates an empty staging directory for a write to `target`.
    pub fn create(target: &Path) -> Result<Self> {
        let staging = sibling(target, "staging")?;
        std::fs::create_dir_all(&staging).map_err(io("creating staging directory", &staging))?;
        Ok(Self { target: target.to_path_buf(), staging })
    }

    /// The directory the job writes into.
    pub fn dir(&self) -> &Path {
        &self.staging
    }

    /// Keeps the files of the task attempts that finished, `attempt_dirs` (one folder per
    /// partition, under [`super::TASK_ATTEMPTS_DIR`]): moves them up into the staging
    /// directory, then removes every attempt folder, so what a killed or failed attempt
    /// wrote is never committed.
    pub fn adopt_task_attempts(&self, attempt_dirs: &[PathBuf]) -> Result<()> {
        let attempts = self.staging.join(super::TASK_ATTEMPTS_DIR);
        for dir in attempt_dirs {
            if !dir.starts_with(&attempts) {
                return Err(FlintError::Io {
                    action: "adopting a task's files from",
                    path: display(dir),
                    source: std::io::Error::other(format!("not a task attempt folder of {}", display(&attempts))),
                });
            }
            if dir.is_dir() {
                move_files_into(dir, &self.staging)?;
            }
        }
        remove(&attempts);
        Ok(())
    }

    /// Moves what the job wrote into the target as `mode` says, then marks it with
    /// `_SUCCESS`: `Overwrite` swaps the whole directory (the old data is removed only once
    /// the new data is in place); `Append` moves each file in beside the existing ones; any
    /// other mode expects no target and renames the staging directory to it.
    pub fn commit(self, mode: SaveMode) -> Result<()> {
        let target = self.target.clone();
        match mode {
            SaveMode::Append if target.is_dir() => move_files_into(&self.staging, &target)?,
            SaveMode::Overwrite if target.exists() => {
                let replaced = sibling(&target, "replaced")?;
                std::fs::rename(&target, &replaced).map_err(io("moving aside", &target))?;
                if let Err(source) = std::fs::rename(&self.staging, &target) {
                    // Put the old data back: the job's output stays in staging for `Drop`.
                    let _ = std::fs::rename(&replaced, &target);
                    return Err(FlintError::Io { action: "moving staged files to", path: display(&target), source });
                }
                remove(&replaced);
            }
            _ => {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(io("creating directory", parent))?;
                }
                std::fs::rename(&self.staging, &target).map_err(io("moving staged files to", &target))?;
            }
        }
        std::fs::write(target.join("_SUCCESS"), b"").map_err(io("marking success in", &target))
    }
}

impl Drop for StagedWrite {
    /// Removes what an uncommitted (failed or abandoned) job wrote; after a commit the
    /// staging directory is empty or gone.
    fn drop(&mut self) {
        remove(&self.staging);
    }
}

/// A hidden, unique sibling of `target` for `purpose`.
fn sibling(target: &Path, purpose: &str) -> Result<PathBuf> {
    let absolute = std::path::absolute(target).map_err(io("resolving", target))?;
    let name = absolute.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let parent = absolute.parent().unwrap_or(Path::new("/"));
    Ok(parent.join(format!(".flint-{purpose}-{name}-{}", uuid::Uuid::new_v4().simple())))
}

/// Moves every file under `from` to the same relative place under `to`, creating
/// directories (`partitionBy` folders) as needed.
fn move_files_into(from: &Path, to: &Path) -> Result<()> {
    let entries = std::fs::read_dir(from).map_err(io("listing", from))?;
    for entry in entries {
        let entry = entry.map_err(io("listing", from))?;
        let source = entry.path();
        let destination = to.join(entry.file_name());
        if source.is_dir() {
            std::fs::create_dir_all(&destination).map_err(io("creating directory", &destination))?;
            move_files_into(&source, &destination)?;
        } else {
            std::fs::rename(&source, &destination).map_err(io("moving staged file to", &destination))?;
        }
    }
    Ok(())
}

/// Removes `path`, file or directory, if it is there.
fn remove(path: &Path) {
    let removed = if path.is_dir() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) };
    if let Err(error) = removed
        && error.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), %error, "could not remove a write's leftover files");
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> FlintError {
    let path = display(path);
    move |source| FlintError::Io { action, path, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, contents: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                found.extend(files(&path).into_iter().map(|f| format!("{name}/{f}")));
            } else {
                found.push(path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
        found.sort();
        found
    }

    fn siblings(dir: &Path) -> Vec<String> {
        files(dir.parent().unwrap()).into_iter().filter(|f| f.starts_with(".flint-")).collect()
    }

    #[test]
    fn overwrite_replaces_the_target_only_on_commit() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        write(&target, "old.parquet", "old");
        let staged = StagedWrite::create(&target).unwrap();
        write(staged.dir(), "new.parquet", "new");
        assert_eq!(files(&target), ["old.parquet"], "nothing changes before the commit");
        staged.commit(SaveMode::Overwrite).unwrap();
        assert_eq!(files(&target), ["_SUCCESS", "new.parquet"]);
        assert!(siblings(&target).is_empty(), "{:?}", siblings(&target));
    }

    #[test]
    fn an_uncommitted_write_leaves_the_target_as_it_was_and_no_staging() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        write(&target, "old.parquet", "old");
        let staged = StagedWrite::create(&target).unwrap();
        write(staged.dir(), "part-0.parquet", "partial");
        drop(staged);
        assert_eq!(files(&target), ["old.parquet"]);
        assert!(siblings(&target).is_empty());
    }

    #[test]
    fn append_moves_files_into_existing_partition_folders() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        write(&target, "k=1/a.parquet", "a");
        let staged = StagedWrite::create(&target).unwrap();
        write(staged.dir(), "k=1/b.parquet", "b");
        write(staged.dir(), "k=2/c.parquet", "c");
        staged.commit(SaveMode::Append).unwrap();
        assert_eq!(files(&target), ["_SUCCESS", "k=1/a.parquet", "k=1/b.parquet", "k=2/c.parquet"]);
        assert!(siblings(&target).is_empty());
    }

    #[test]
    fn only_the_files_of_finished_task_attempts_are_committed() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let staged = StagedWrite::create(&target).unwrap();
        let attempts = staged.dir().join(super::super::TASK_ATTEMPTS_DIR);
        write(&attempts.join("00000-a"), "k=1/a.parquet", "finished");
        write(&attempts.join("00001-b"), "b.parquet", "finished");
        write(&attempts.join("00001-killed"), "killed.parquet", "partial");
        staged.adopt_task_attempts(&[attempts.join("00000-a"), attempts.join("00001-b")]).unwrap();
        staged.commit(SaveMode::ErrorIfExists).unwrap();
        assert_eq!(files(&target), ["_SUCCESS", "b.parquet", "k=1/a.parquet"]);
    }

    #[test]
    fn a_folder_outside_the_attempts_is_not_adopted() {
        let root = tempfile::tempdir().unwrap();
        let staged = StagedWrite::create(&root.path().join("out")).unwrap();
        let error = staged.adopt_task_attempts(&[root.path().to_path_buf()]).unwrap_err().to_string();
        assert!(error.contains("not a task attempt folder"), "{error}");
    }

    #[test]
    fn a_new_target_is_the_staging_directory_renamed() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("nested/out");
        let staged = StagedWrite::create(&target).unwrap();
        write(staged.dir(), "a.json", "{}");
        staged.commit(SaveMode::ErrorIfExists).unwrap();
        assert_eq!(files(&target), ["_SUCCESS", "a.json"]);
    }
}
