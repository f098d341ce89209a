//! Shuffle: map tasks write partitioned Arrow IPC files, reduce tasks read them back.
//!
//! A stage boundary in a distributed plan is a [`ShuffleWriterExec`] at the root of the
//! map stage and a [`ShuffleReaderExec`] leaf in each consuming stage. Blocks live under
//! an executor's work directory in the layout of [`layout`]; a reducer reads its own
//! executor's blocks from disk and fetches other executors' through [`RemoteBlocks`].

pub mod block_file;
pub mod fetch;
pub mod layout;
pub mod reader;
pub mod writer;

pub use block_file::{BlockError, BlockStream, read_block_file};
pub use fetch::{BLOCK_BYTES_HEADER, BlockBytes, RemoteBlocks, ShuffleEnv};
pub use reader::{MapOutputLocation, ShuffleRead, ShuffleReadTotals, ShuffleReaderExec, shuffle_read};
pub use writer::{ShuffleOutput, ShuffleWriterExec};

use crate::ids::{ExecutorId, ShuffleBlockId};
use datafusion::error::DataFusionError;

/// What went wrong moving shuffle blocks.
#[derive(Debug, thiserror::Error)]
pub enum ShuffleError {
    /// A reduce task could not read a map output: the driver recomputes that map task.
    #[error("shuffle fetch failed for {block} on {executor}: {source}")]
    FetchFailed {
        /// The block that could not be read.
        block: ShuffleBlockId,
        /// The executor that wrote it.
        executor: ExecutorId,
        /// Why the read failed.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A map task could not write its output.
    #[error("shuffle write failed for {block}: {source}")]
    WriteFailed {
        /// The block being written.
        block: ShuffleBlockId,
        /// Why the write failed.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A reader ran before the driver told it where its map outputs are (a bug).
    #[error("shuffle reader for {block} has no map output location")]
    Unresolved {
        /// The block with no location.
        block: ShuffleBlockId,
    },
}

/// The lost map output named by a failed task's error, if the failure was a shuffle fetch.
pub fn fetch_failure(error: &DataFusionError) -> Option<(ShuffleBlockId, ExecutorId)> {
    match error {
        DataFusionError::External(inner) => match inner.downcast_ref::<ShuffleError>() {
            Some(ShuffleError::FetchFailed { block, executor, .. }) => Some((*block, executor.clone())),
            _ => inner.downcast_ref::<DataFusionError>().and_then(fetch_failure),
        },
        DataFusionError::Context(_, inner) => fetch_failure(inner),
        DataFusionError::Shared(inner) => fetch_failure(inner),
        DataFusionError::ArrowError(inner, _) => match inner.as_ref() {
            arrow::error::ArrowError::ExternalError(e) => e
                .downcast_ref::<DataFusionError>()
                .and_then(fetch_failure)
                .or_else(|| match e.downcast_ref::<ShuffleError>() {
                    Some(ShuffleError::FetchFailed { block, executor, .. }) => Some((*block, executor.clone())),
                    _ => None,
                }),
            _ => None,
        },
        _ => None,
    }
}
