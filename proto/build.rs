//! Generates the internal protocol's messages, clients and servers into `OUT_DIR`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // Read at run time: a build script binary is reused by checkouts at other paths.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let file = root.join("flint").join("v1").join("internal.proto");
    println!("cargo:rerun-if-changed={}", file.display());
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc);
    tonic_prost_build::configure().compile_with_config(config, &[file], &[root])?;
    Ok(())
}
