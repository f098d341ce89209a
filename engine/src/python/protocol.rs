//! The byte protocol between an executor and PySpark's own worker (`pyspark/worker.py`
//! `main()`), as Spark's `PythonRunner` and `PythonArrowInput`/`PythonArrowOutput`
//! speak it: a task header, the input as an Arrow IPC stream (one per group for the
//! grouped eval types), then the worker's output stream, its timing and accumulator
//! sections and the end-of-stream handshake that lets the worker take the next task.

use std::io::{self, Read, Write};

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;

use crate::python::error::PythonError;

/// The worker's markers (`pyspark.serializers.SpecialLengths`).
mod special {
    pub const END_OF_DATA_SECTION: i32 = -1;
    pub const PYTHON_EXCEPTION_THROWN: i32 = -2;
    pub const TIMING_DATA: i32 = -3;
    pub const END_OF_STREAM: i32 = -4;
    pub const START_ARROW_STREAM: i32 = -6;
}

/// What a worker needs to know about one task before its data: the function, how to
/// call it, and the configuration `RunnerConf`/`EvalConf` read.
#[derive(Debug, Clone)]
pub struct TaskHeader<'a> {
    /// The partition the task computes (`TaskContext.partitionId()`).
    pub partition: usize,
    /// The `major.minor` Python version the client pickled the function with.
    pub python_ver: &'a str,
    /// PySpark's `PythonEvalType` the worker evaluates the function as.
    pub eval_type: i32,
    /// `spark.*` settings for the worker's `RunnerConf`.
    pub runner_conf: &'a [(String, String)],
    /// Per-function settings for the worker's `EvalConf` (e.g. `input_type`).
    pub eval_conf: &'a [(String, String)],
    /// Argument offsets into the input batch's columns.
    pub arg_offsets: &'a [i32],
    /// The pickled `(function, return type)` the client sent.
    pub command: &'a [u8],
}

fn write_i32(out: &mut impl Write, value: i32) -> io::Result<()> {
    out.write_all(&value.to_be_bytes())
}

fn write_i64(out: &mut impl Write, value: i64) -> io::Result<()> {
    out.write_all(&value.to_be_bytes())
}

fn write_bytes(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    write_i32(out, bytes.len() as i32)?;
    out.write_all(bytes)
}

fn write_conf(out: &mut impl Write, conf: &[(String, String)]) -> io::Result<()> {
    write_i32(out, conf.len() as i32)?;
    for (key, value) in conf {
        write_bytes(out, key.as_bytes())?;
        write_bytes(out, value.as_bytes())?;
    }
    Ok(())
}

/// Writes the header `worker.py main()` reads before the data, in its order.
pub fn write_header(out: &mut impl Write, header: &TaskHeader<'_>) -> io::Result<()> {
    write_i32(out, header.partition as i32)?;
    write_bytes(out, header.python_ver.as_bytes())?;
    let context = format!(
        r#"{{"isBarrier":false,"stageId":0,"partitionId":{},"attemptNumber":0,"taskAttemptId":0,"cpus":1,"resources":{{}},"localProperties":{{}}}}"#,
        header.partition
    );
    write_bytes(out, context.as_bytes())?;
    // Spark files: the work directory and no Python includes.
    write_bytes(out, b"")?;
    write_i32(out, 0)?;
    // Broadcast variables: no decryption server, none sent.
    out.write_all(&[0])?;
    write_i32(out, 0)?;
    write_i32(out, header.eval_type)?;
    write_conf(out, header.runner_conf)?;
    write_conf(out, header.eval_conf)?;
    // One UDF: its positional arguments, one (unchained) command, result id 0.
    write_i32(out, 1)?;
    write_i32(out, header.arg_offsets.len() as i32)?;
    for offset in header.arg_offsets {
        write_i32(out, *offset)?;
        out.write_all(&[0])?;
    }
    write_i32(out, 1)?;
    write_bytes(out, header.command)?;
    write_i64(out, 0)
}

/// Writes `batches` as one Arrow IPC stream of `schema`.
pub fn write_arrow_stream(
    out: &mut impl Write,
    schema: &Schema,
    batches: impl IntoIterator<Item = Result<RecordBatch, PythonError>>,
) -> Result<(), PythonError> {
    let mut writer = StreamWriter::try_new(out, schema)?;
    for batch in batches {
        writer.write(&batch?)?;
    }
    writer.finish()?;
    Ok(())
}

/// Starts one group of the grouped eval types (`ArrowStreamGroupSerializer`): the number of
/// data frames in it (1, or 2 for a cogroup); a stream per frame follows.
pub fn write_group_start(out: &mut impl Write, frames: i32) -> io::Result<()> {
    write_i32(out, frames)
}

/// Ends the input: for grouped eval types the zero group count, then the end of stream
/// the worker checks before it takes another task.
pub fn write_end(out: &mut impl Write, grouped: bool) -> io::Result<()> {
    if grouped {
        write_i32(out, 0)?;
    }
    write_i32(out, special::END_OF_STREAM)?;
    out.flush()
}

fn read_i32(input: &mut impl Read) -> io::Result<i32> {
    let mut buf = [0; 4];
    input.read_exact(&mut buf)?;
    Ok(i32::from_be_bytes(buf))
}

fn read_i64(input: &mut impl Read) -> io::Result<i64> {
    let mut buf = [0; 8];
    input.read_exact(&mut buf)?;
    Ok(i64::from_be_bytes(buf))
}

fn read_bytes(input: &mut impl Read) -> io::Result<Vec<u8>> {
    let len = read_i32(input)?;
    let mut buf = vec![0; len.max(0) as usize];
    input.read_exact(&mut buf)?;
    Ok(buf)
}

/// Reads a task's output: each batch goes to `sink` (which may stop the task by
/// returning an error); a Python exception becomes [`PythonError::Exception`] with the
/// traceback. Returns once the worker confirmed the end of stream, so it can be reused.
pub fn read_output(
    input: &mut impl Read,
    mut sink: impl FnMut(RecordBatch) -> Result<(), PythonError>,
) -> Result<(), PythonError> {
    loop {
        match read_i32(input)? {
            special::START_ARROW_STREAM => {
                let reader = StreamReader::try_new(&mut *input, None)?;
                for batch in reader {
                    sink(batch?)?;
                }
            }
            special::PYTHON_EXCEPTION_THROWN => {
                let traceback = String::from_utf8_lossy(&read_bytes(input)?).into_owned();
                return Err(PythonError::Exception { traceback });
            }
            special::TIMING_DATA => {
                // boot, init, finish, processing time; then memory and disk bytes spilled.
                for _ in 0..6 {
                    read_i64(input)?;
                }
            }
            special::END_OF_DATA_SECTION => {
                let accumulators = read_i32(input)?;
                for _ in 0..accumulators {
                    read_bytes(input)?;
                }
                return match read_i32(input)? {
                    special::END_OF_STREAM => Ok(()),
                    other => Err(PythonError::Protocol { what: format!("end of stream expected, got {other}") }),
                };
            }
            other => return Err(PythonError::Protocol { what: format!("unexpected marker {other}") }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_with_an_exception_carries_the_traceback() {
        let mut bytes = Vec::new();
        write_i32(&mut bytes, special::PYTHON_EXCEPTION_THROWN).unwrap();
        write_bytes(&mut bytes, b"Traceback: ZeroDivisionError").unwrap();
        let error = read_output(&mut bytes.as_slice(), |_| Ok(())).unwrap_err();
        assert!(matches!(error, PythonError::Exception { traceback } if traceback.contains("ZeroDivisionError")));
    }

    #[test]
    fn output_ends_with_the_end_of_stream_handshake() {
        let mut bytes = Vec::new();
        write_i32(&mut bytes, special::TIMING_DATA).unwrap();
        for _ in 0..6 {
            write_i64(&mut bytes, 1).unwrap();
        }
        write_i32(&mut bytes, special::END_OF_DATA_SECTION).unwrap();
        write_i32(&mut bytes, 0).unwrap();
        write_i32(&mut bytes, special::END_OF_STREAM).unwrap();
        read_output(&mut bytes.as_slice(), |_| Ok(())).unwrap();
        bytes.truncate(bytes.len() - 4);
        assert!(read_output(&mut bytes.as_slice(), |_| Ok(())).is_err());
    }
}
