//! Results as Arrow IPC streams, in the types a Spark server sends (see [`wire_type`]).

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::cast;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::ipc::writer::StreamWriter;

use crate::errors::Result;
use crate::types::{wire_field, wire_type};

/// `schema` with every field in its wire type.
pub fn wire_schema(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new(schema.fields().iter().map(|f| wire_field(f)).collect::<Vec<_>>()))
}

/// A batch cast to the wire schema.
pub fn to_wire(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .map(|column| {
            let target = wire_type(column.data_type());
            if &target == column.data_type() { Ok(Arc::clone(column)) } else { cast(column, &target) }
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )?)
}

/// One complete IPC stream (schema, batches, end marker), as PySpark reads each
/// `ArrowBatch.data` with `pa.ipc.open_stream`.
pub fn ipc_stream(schema: &Schema, batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let wire = wire_schema(schema);
    let mut writer = StreamWriter::try_new(Vec::new(), &wire)?;
    for batch in batches {
        writer.write(&to_wire(batch, &wire)?)?;
    }
    writer.finish()?;
    Ok(writer.into_inner()?)
}
