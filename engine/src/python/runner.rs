//! One Python task on a pooled worker: the header and input are written by a thread of
//! their own while this thread reads the output, so neither side blocks the other and
//! only the batches in flight are held in memory.

use std::io::{BufWriter, Write};
use std::os::unix::net::UnixStream;

use arrow::array::{ArrayRef, RecordBatch};

use crate::python::error::PythonError;
use crate::python::protocol::{self, TaskHeader};
use crate::python::function::PythonFunction;
use crate::python::worker;

/// Runs one task of `python`: writes `header`, then the input through `write_input`,
/// then the end of stream (with the zero group count when `grouped`); gives every
/// output batch to `sink`. A worker that finished cleanly goes back to the pool; on any
/// failure it is stopped.
pub fn run_task(
    python: &str,
    header: &TaskHeader<'_>,
    grouped: bool,
    write_input: impl FnOnce(&mut BufWriter<UnixStream>) -> Result<(), PythonError> + Send,
    sink: impl FnMut(RecordBatch) -> Result<(), PythonError>,
) -> Result<(), PythonError> {
    let mut worker = worker::take(python)?;
    let mut writer = worker.writer()?;
    let outcome = std::thread::scope(|scope| {
        let input = scope.spawn(move || {
            let written = write_task(&mut writer, header, grouped, write_input);
            if written.is_err() {
                // Unblocks the reader: the worker would wait for the rest of the input.
                let _ = writer.get_ref().shutdown(std::net::Shutdown::Both);
            }
            written
        });
        let output = protocol::read_output(&mut worker.reader, sink);
        if output.is_err() {
            // Unblocks the input thread if it waits on a full socket.
            worker.shut_down();
        }
        let input = input.join().unwrap_or_else(|_| Err(PythonError::Protocol { what: "the input thread panicked".into() }));
        (output, input)
    });
    match outcome {
        (Ok(()), Ok(())) => {
            worker::give_back(worker);
            Ok(())
        }
        (_, Err(error @ PythonError::DataFusion(_))) => Err(error),
        // The socket ended (or was reset, when the worker died with input unread).
        (Err(PythonError::Io(error)), _)
            if matches!(
                error.kind(),
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            ) =>
        {
            Err(worker.crashed())
        }
        // The input failed (its source, or a socket the worker closed): the worker's
        // own account comes first when it gave one.
        (Ok(()), Err(PythonError::Io(_))) => Err(worker.crashed()),
        (Err(error @ PythonError::Exception { .. }), _) => Err(error),
        (Err(error), _) | (Ok(()), Err(error)) => Err(error),
    }
}

fn write_task(
    writer: &mut BufWriter<UnixStream>,
    header: &TaskHeader<'_>,
    grouped: bool,
    write_input: impl FnOnce(&mut BufWriter<UnixStream>) -> Result<(), PythonError>,
) -> Result<(), PythonError> {
    protocol::write_header(writer, header)?;
    write_input(writer)?;
    protocol::write_end(writer, grouped)?;
    writer.flush()?;
    Ok(())
}

/// Runs `function` as `eval_type` on one batch whose columns are its arguments (as one
/// group when `grouped`), and returns the first column of each output batch.
pub fn run_one_batch(
    function: &PythonFunction,
    eval_type: i32,
    eval_conf: &[(String, String)],
    input: RecordBatch,
    grouped: bool,
) -> Result<Vec<ArrayRef>, PythonError> {
    let arg_offsets: Vec<i32> = (0..input.num_columns() as i32).collect();
    let runner_conf = function.runner_conf();
    let header = TaskHeader {
        partition: 0,
        python_ver: &function.python_ver,
        eval_type,
        runner_conf: &runner_conf,
        eval_conf,
        arg_offsets: &arg_offsets,
        command: &function.command,
    };
    let schema = input.schema();
    let mut results = Vec::new();
    run_task(
        &function.interpreter(),
        &header,
        grouped,
        |out| {
            if grouped {
                protocol::write_group_start(out, 1)?;
            }
            protocol::write_arrow_stream(out, &schema, [Ok(input)])
        },
        |batch| {
            results.push(batch.column(0).clone());
            Ok(())
        },
    )?;
    Ok(results)
}
