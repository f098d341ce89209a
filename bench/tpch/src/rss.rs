//! Peak resident memory of this process and of its children (a local-cluster's
//! executors), per query: Linux's `VmHWM`, reset before each query through `clear_refs`.

use std::path::PathBuf;

/// The processes measured: this one and its direct children.
fn processes() -> Vec<PathBuf> {
    let mut found = vec![PathBuf::from("/proc/self")];
    let tasks = std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten();
    for task in tasks {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        found.extend(children.split_whitespace().map(|pid| PathBuf::from(format!("/proc/{pid}"))));
    }
    found
}

/// Resets the peak of every measured process to its current resident size.
pub fn reset_peaks() {
    for process in processes() {
        if let Err(error) = std::fs::write(process.join("clear_refs"), "5") {
            eprintln!("cannot reset the peak memory of {}: {error}", process.display());
        }
    }
}

/// The peak resident MiB of this process and the largest peak of its children, since
/// [`reset_peaks`]; `None` where Linux does not say.
pub fn peaks_mib() -> (Option<u64>, Option<u64>) {
    let mut processes = processes().into_iter().map(|process| peak_mib(&process));
    let own = processes.next().flatten();
    let children = processes.flatten().max();
    (own, children)
}

fn peak_mib(process: &std::path::Path) -> Option<u64> {
    let status = std::fs::read_to_string(process.join("status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
