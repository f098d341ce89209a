//! How a reducer gets a block: straight from disk when the executor it runs in wrote the
//! block, otherwise from the writer's block service (Arrow Flight, served by executors).

use super::ShuffleError;
use super::block_file::{BlockStream, read_block_file};
use super::layout;
use super::reader::MapOutputLocation;
use crate::ids::{ExecutorId, ShuffleBlockId};
use arrow::array::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::metrics::Count;
use futures::stream::{BoxStream, StreamExt};
use std::path::PathBuf;
use std::sync::Arc;

/// The response header in which a block service gives the size of the block file it
/// streams, so that a reducer counts the bytes it read as the map task counted them.
pub const BLOCK_BYTES_HEADER: &str = "flint-block-bytes";

/// Fetches blocks that other executors wrote.
pub trait RemoteBlocks: std::fmt::Debug + Send + Sync {
    /// Streams `block` from the block service at `address` (`host:port`), adding the
    /// block's size ([`BLOCK_BYTES_HEADER`]) to `bytes`. Connection errors surface as the
    /// stream's first item.
    fn fetch(&self, block: ShuffleBlockId, address: &str, bytes: Count) -> BlockStream;
}

/// Where a reader counts the bytes of the blocks it opens (block file sizes, as map tasks
/// count what they write): read from its own executor's disk, or fetched from others'.
#[derive(Debug, Clone, Default)]
pub struct BlockBytes {
    /// Bytes of blocks read from local disk (Spark's `localBytesRead`).
    pub local: Count,
    /// Bytes of blocks fetched from other executors (Spark's `remoteBytesRead`).
    pub remote: Count,
}

/// The process a task's shuffle nodes run in: which executor it is, where its map tasks
/// write, and how it fetches other executors' blocks. Given to the plan decoder.
#[derive(Debug, Clone)]
pub struct ShuffleEnv {
    /// The executor running the tasks; blocks it wrote are read from disk.
    pub executor: ExecutorId,
    /// Where its map tasks write their blocks.
    pub work_dir: PathBuf,
    /// Fetches blocks other executors wrote; `None` in a process that runs every task
    /// itself (the driver's in-process runner).
    pub remote: Option<Arc<dyn RemoteBlocks>>,
    /// Whether map tasks compress the blocks they write (`spark.shuffle.compress`).
    pub compress: bool,
}

impl ShuffleEnv {
    /// A process that reads and writes every block under `work_dir` itself.
    pub fn local(executor: ExecutorId, work_dir: PathBuf) -> Self {
        Self { executor, work_dir, remote: None, compress: true }
    }

    /// The same environment with map tasks compressing their blocks or not.
    pub fn with_compression(self, compress: bool) -> Self {
        Self { compress, ..self }
    }

    /// The same environment fetching other executors' blocks through `remote`.
    pub fn with_remote(self, remote: Arc<dyn RemoteBlocks>) -> Self {
        Self { remote: Some(remote), ..self }
    }

    /// Streams `block`, which the map task at `location` wrote: from disk if this
    /// executor wrote it, else over the network. Every error, including one in the middle
    /// of the stream, is a [`ShuffleError::FetchFailed`] naming the block and its writer.
    pub fn open_block(&self, block: ShuffleBlockId, location: &MapOutputLocation) -> BoxStream<'static, Result<RecordBatch>> {
        self.open_counted(block, location, &BlockBytes::default())
    }

    /// [`ShuffleEnv::open_block`], adding the block's size to `bytes`.
    pub fn open_counted(
        &self,
        block: ShuffleBlockId,
        location: &MapOutputLocation,
        bytes: &BlockBytes,
    ) -> BoxStream<'static, Result<RecordBatch>> {
        let stream = if location.executor == self.executor {
            let path = layout::block_path(&location.work_dir, &block);
            // A missing file is the stream's error; its size then counts nothing.
            bytes.local.add(std::fs::metadata(&path).map_or(0, |meta| meta.len() as usize));
            read_block_file(path)
        } else if let Some(remote) = &self.remote {
            remote.fetch(block, &location.address, bytes.remote.clone())
        } else {
            let message = format!("{} cannot fetch blocks from other executors", self.executor);
            Box::pin(futures::stream::once(async move { Err(message.into()) }))
        };
        let executor = location.executor.clone();
        Box::pin(stream.map(move |item| {
            item.map_err(|source| {
                DataFusionError::External(Box::new(ShuffleError::FetchFailed { block, executor: executor.clone(), source }))
            })
        }))
    }
}
