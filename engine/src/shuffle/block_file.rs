//! Streams the batches of one block file from local disk, a few at a time, so neither a
//! reducer nor the block service holds a whole block in memory.

use arrow::array::RecordBatch;
use arrow::ipc::reader::FileReader;
use futures::stream::BoxStream;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

/// Why a block could not be read or fetched.
pub type BlockError = Box<dyn std::error::Error + Send + Sync>;

/// A block's batches as they arrive, from disk or from another executor.
pub type BlockStream = BoxStream<'static, Result<RecordBatch, BlockError>>;

/// Batches read ahead of the consumer.
const READ_AHEAD: usize = 2;

/// Streams the batches of the block file at `path`. Reading happens on a blocking thread
/// that stays at most [`READ_AHEAD`] batches ahead; the stream ends with an error, never
/// silently, if that thread stops before the end of the file.
pub fn read_block_file(path: PathBuf) -> BlockStream {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Option<RecordBatch>, BlockError>>(READ_AHEAD);
    tokio::task::spawn_blocking(move || {
        let reader = File::open(&path)
            .map_err(|e| BlockError::from(format!("cannot open {}: {e}", path.display())))
            .and_then(|file| {
                FileReader::try_new(BufReader::new(file), None)
                    .map_err(|e| BlockError::from(format!("cannot read {}: {e}", path.display())))
            });
        let reader = match reader {
            Ok(reader) => reader,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        for batch in reader {
            let item = batch.map(Some).map_err(|e| BlockError::from(format!("cannot read {}: {e}", path.display())));
            let failed = item.is_err();
            if tx.blocking_send(item).is_err() || failed {
                return;
            }
        }
        let _ = tx.blocking_send(Ok(None));
    });
    Box::pin(futures::stream::unfold(Some(rx), |rx| async move {
        let mut rx = rx?;
        match rx.recv().await {
            Some(Ok(Some(batch))) => Some((Ok(batch), Some(rx))),
            Some(Ok(None)) => None,
            Some(Err(e)) => Some((Err(e), None)),
            None => Some((Err("the block reader stopped before the end of the block".into()), None)),
        }
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::ipc::writer::FileWriter;
    use futures::TryStreamExt;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_block_file_streams_every_batch_and_a_missing_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-0.arrow");
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        let mut writer = FileWriter::try_new(File::create(&path).unwrap(), &schema).unwrap();
        for start in 0..5_i64 {
            let column = Arc::new(Int64Array::from_iter_values(start * 10..start * 10 + 10));
            writer.write(&RecordBatch::try_new(Arc::clone(&schema), vec![column]).unwrap()).unwrap();
        }
        writer.finish().unwrap();
        let batches: Vec<RecordBatch> = read_block_file(path).try_collect().await.unwrap();
        assert_eq!(batches.len(), 5);
        assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 50);

        let missing = dir.path().join("part-1.arrow");
        let err = read_block_file(missing).try_collect::<Vec<_>>().await.unwrap_err();
        assert!(err.to_string().contains("cannot open") && err.to_string().contains("part-1.arrow"), "{err}");
    }
}
