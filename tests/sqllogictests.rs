//! Runs every `slt/*.slt` file against Flint in `local[1]` and `local[4]`.
//! `cargo test -p flint-tests --test sqllogictests -- --complete` rewrites the expected
//! output from what Flint returns (review the diff before committing it).

use std::path::PathBuf;
use std::process::ExitCode;

use flint_tests::FlintSlt;
use sqllogictest::{Runner, default_column_validator, default_normalizer, default_validator};

const MASTERS: [&str; 2] = ["local[1]", "local[4]"];

fn slt_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())).join("slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "slt"));
    files.sort();
    files
}

#[tokio::main]
async fn main() -> ExitCode {
    let complete = std::env::args().any(|a| a == "--complete");
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let (mut passed, mut failed) = (0, 0);
    for file in slt_files() {
        let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let masters: &[&str] = if complete { &MASTERS[..1] } else { &MASTERS };
        for master in masters {
            let mut runner = Runner::new(|| async { FlintSlt::new(master) });
            let result = if complete {
                runner
                    .update_test_file(&file, " ", default_validator, default_normalizer, default_column_validator)
                    .await
                    .map_err(|e| e.to_string())
            } else {
                runner.run_file_async(&file).await.map_err(|e| e.display(true).to_string())
            };
            match result {
                Ok(()) => {
                    passed += 1;
                    println!("test {name} [{master}] ... ok");
                }
                Err(error) => {
                    failed += 1;
                    println!("test {name} [{master}] ... FAILED\n{error}");
                }
            }
        }
    }
    println!("\nsqllogictests: {passed} passed, {failed} failed");
    if failed == 0 && passed > 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
