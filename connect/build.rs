//! Generates the Spark Connect server trait (`SparkConnectService`) over the message
//! types of the `apache-spark-connect-proto` crate, which ships only the client.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    let include = protoc_bin_vendored::include_path()?;
    // Read at run time: a build script binary is reused by checkouts at other paths.
    let proto_root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("proto");
    let base = proto_root.join("spark").join("connect").join("service.proto");
    println!("cargo:rerun-if-changed={}", base.display());
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc);
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(false)
        // Every message is the crate's own type: only the service is generated here.
        .extern_path(".spark.connect", "::spark_connect_proto")
        .compile_with_config(config, &[base], &[proto_root, include])?;
    Ok(())
}
