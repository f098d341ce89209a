//! The block service over a real loopback socket: a reducer in another executor streams a
//! block over Arrow Flight, and a missing block or a dead executor is a fetch failure
//! naming the block and the executor that wrote it.
#![allow(clippy::unwrap_used)]

use arrow::array::{Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::ipc::writer::FileWriter;
use arrow_flight::flight_service_server::FlightServiceServer;
use datafusion::error::DataFusionError;
use flint_engine::ids::{ExecutorId, JobId, ShuffleBlockId, StageId};
use flint_engine::shuffle::{MapOutputLocation, ShuffleEnv, fetch_failure, layout};
use flint_executor::block_manager::BlockManager;
use flint_executor::shuffle_client::FlightBlocks;
use flint_executor::shuffle_service::ShuffleService;
use flint_proto::auth::{AddSecret, AppSecret, RequireSecret};
use futures::TryStreamExt;
use std::sync::Arc;

fn block(map: usize) -> ShuffleBlockId {
    ShuffleBlockId { job: JobId(7), stage: StageId(2), map, reduce: 1 }
}

/// Writes `batches` batches of 1000 rows as `block` under `root`.
fn write_block(root: &std::path::Path, block: &ShuffleBlockId, batches: i64) {
    let path = layout::block_path(root, block);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
    let mut writer = FileWriter::try_new(std::fs::File::create(&path).unwrap(), &schema).unwrap();
    for b in 0..batches {
        let column = Arc::new(Int64Array::from_iter_values(b * 1000..(b + 1) * 1000));
        writer.write(&RecordBatch::try_new(Arc::clone(&schema), vec![column]).unwrap()).unwrap();
    }
    writer.finish().unwrap();
}

/// Serves the blocks under `root` on a loopback port; returns `host:port`.
async fn serve(root: std::path::PathBuf) -> String {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let service = ShuffleService::new(Arc::new(BlockManager::new(root).unwrap()));
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(FlightServiceServer::with_interceptor(service, RequireSecret::new(&secret(), "the executor")))
            .serve_with_incoming(flint_proto::incoming(listener)),
    );
    address
}

/// The application's secret both sides share.
fn secret() -> AppSecret {
    AppSecret::new("shuffle-test-secret").unwrap()
}

fn reducer_with(dir: &std::path::Path, secret: &AppSecret) -> ShuffleEnv {
    let blocks = FlightBlocks::new(AddSecret::new(secret).unwrap());
    ShuffleEnv::local(ExecutorId("reducer".into()), dir.join("reducer")).with_remote(Arc::new(blocks))
}

fn reducer(dir: &std::path::Path) -> ShuffleEnv {
    reducer_with(dir, &secret())
}

fn writer_at(dir: &std::path::Path, address: String) -> MapOutputLocation {
    MapOutputLocation { executor: ExecutorId("writer".into()), work_dir: dir.join("writer"), address }
}

fn lost(error: DataFusionError) -> (ShuffleBlockId, ExecutorId, String) {
    let (block, executor) = fetch_failure(&error).unwrap_or_else(|| panic!("not a fetch failure: {error}"));
    (block, executor, error.to_string())
}

#[tokio::test]
async fn a_remote_block_streams_over_flight_and_a_missing_one_is_a_fetch_failure() {
    let dir = tempfile::tempdir().unwrap();
    write_block(&dir.path().join("writer"), &block(0), 5);
    let address = serve(dir.path().join("writer")).await;
    let env = reducer(dir.path());
    let location = writer_at(dir.path(), address);

    let batches: Vec<RecordBatch> = env.open_block(block(0), &location).try_collect().await.unwrap();
    let values: Vec<i64> = batches
        .iter()
        .flat_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec())
        .collect();
    assert_eq!(values, (0..5000).collect::<Vec<i64>>());

    let error = env.open_block(block(1), &location).try_collect::<Vec<_>>().await.unwrap_err();
    let (failed, executor, message) = lost(error);
    assert_eq!((failed, executor), (block(1), ExecutorId("writer".into())));
    assert!(message.contains("is not on this executor"), "{message}");
}

#[tokio::test]
async fn a_block_on_a_dead_executor_is_a_fetch_failure_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let closed = {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let env = reducer(dir.path());
    let error = env.open_block(block(0), &writer_at(dir.path(), closed.clone())).try_collect::<Vec<_>>().await.unwrap_err();
    let (failed, executor, message) = lost(error);
    assert_eq!((failed, executor), (block(0), ExecutorId("writer".into())));
    assert!(message.contains(&closed), "{message}");
}

#[tokio::test]
async fn a_block_this_executor_wrote_is_read_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    write_block(&dir.path().join("reducer"), &block(3), 2);
    let env = reducer(dir.path());
    let location = MapOutputLocation {
        executor: ExecutorId("reducer".into()),
        work_dir: dir.path().join("reducer"),
        address: "no-service-needed:1".into(),
    };
    let batches: Vec<RecordBatch> = env.open_block(block(3), &location).try_collect().await.unwrap();
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 2000);
}

/// A reducer with another application's secret is refused the block, and the failure
/// says why instead of passing for a lost block.
#[tokio::test]
async fn a_fetch_with_a_wrong_secret_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_block(&dir.path().join("writer"), &block(0), 1);
    let address = serve(dir.path().join("writer")).await;
    let env = reducer_with(dir.path(), &AppSecret::new("another-application").unwrap());
    let error = env.open_block(block(0), &writer_at(dir.path(), address)).try_collect::<Vec<_>>().await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("refused a call") && message.contains("a wrong application secret"), "{message}");
}
