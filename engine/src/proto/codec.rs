//! `FlintCodec`: the `PhysicalExtensionCodec` for Flint's shuffle, write and Python nodes.

use crate::ids::{ExecutorId, JobId, StageId};
use crate::python::{PythonAggregateUdf, PythonCoGroupExec, PythonFunction, PythonMapExec, PythonScalarUdf};
use crate::shuffle::{
    MapOutputLocation, ShuffleEnv, ShuffleOutput, ShuffleRead, ShuffleReaderExec, ShuffleWriterExec,
};
use crate::writer::WriteFilesExec;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::physical_plan::from_proto::parse_physical_expr;
use datafusion_proto::physical_plan::to_proto::serialize_physical_expr;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use datafusion_proto::protobuf::PhysicalExprNode;
use prost::Message;
use std::path::PathBuf;
use std::sync::Arc;

/// Encodes and decodes [`ShuffleWriterExec`], [`ShuffleReaderExec`], [`WriteFilesExec`] and
/// [`PythonMapExec`], [`PythonCoGroupExec`] (and Python UDFs). Decoded shuffle
/// nodes run in the codec's [`ShuffleEnv`]: writers write under its work directory and
/// readers read local blocks from disk and fetch the others through it.
#[derive(Debug, Clone, Default)]
pub struct FlintCodec {
    env: Option<ShuffleEnv>,
}

impl FlintCodec {
    /// A codec that encodes plans for executors (it cannot decode shuffle nodes).
    pub fn encoder() -> Self {
        Self::default()
    }

    /// A codec decoding plans for tasks that run in `env`.
    pub fn new(env: ShuffleEnv) -> Self {
        Self { env: Some(env) }
    }

    fn env(&self) -> Result<&ShuffleEnv> {
        self.env.as_ref().ok_or_else(|| codec_error("decoding shuffle nodes needs the executor's shuffle environment"))
    }
}

/// One Flint node; exactly one field is set.
#[derive(Clone, PartialEq, Message)]
struct FlintNode {
    #[prost(message, optional, tag = "1")]
    writer: Option<WriterNode>,
    #[prost(message, optional, tag = "2")]
    reader: Option<ReaderNode>,
    #[prost(message, optional, tag = "3")]
    write: Option<WriteNode>,
    #[prost(message, optional, tag = "4")]
    python_map: Option<PythonMapNode>,
    #[prost(message, optional, tag = "5")]
    python_cogroup: Option<PythonCoGroupNode>,
}

/// A [`PythonCoGroupExec`]: its function and both sides' grouping columns.
#[derive(Clone, PartialEq, Message)]
struct PythonCoGroupNode {
    #[prost(message, optional, tag = "1")]
    function: Option<PythonFunction>,
    #[prost(uint64, repeated, tag = "2")]
    left_keys: Vec<u64>,
    #[prost(uint64, repeated, tag = "3")]
    right_keys: Vec<u64>,
}

/// A [`PythonMapExec`]: its function and grouping columns.
#[derive(Clone, PartialEq, Message)]
struct PythonMapNode {
    #[prost(message, optional, tag = "1")]
    function: Option<PythonFunction>,
    #[prost(uint64, repeated, tag = "2")]
    keys: Vec<u64>,
}

/// A [`WriteFilesExec`]: its sink travels as DataFusion's own encoding of a
/// `DataSinkExec` over an empty input ([`WriteFilesExec::sink_template`]).
#[derive(Clone, PartialEq, Message)]
struct WriteNode {
    #[prost(bytes = "vec", tag = "1")]
    sink_template: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
struct WriterNode {
    #[prost(uint64, tag = "1")]
    job: u64,
    #[prost(uint64, tag = "2")]
    stage: u64,
    /// 0 single, 1 hash, 2 round-robin.
    #[prost(uint32, tag = "3")]
    kind: u32,
    #[prost(uint64, tag = "4")]
    partitions: u64,
    #[prost(message, repeated, tag = "5")]
    exprs: Vec<PhysicalExprNode>,
}

#[derive(Clone, PartialEq, Message)]
struct ReaderNode {
    #[prost(uint64, tag = "1")]
    job: u64,
    #[prost(uint64, tag = "2")]
    stage: u64,
    /// The schema as an Arrow IPC stream with no batches.
    #[prost(bytes = "vec", tag = "3")]
    schema: Vec<u8>,
    #[prost(uint64, tag = "4")]
    maps: u64,
    /// 0 means one partition per map task.
    #[prost(uint64, tag = "5")]
    reduce_partitions: u64,
    #[prost(message, repeated, tag = "6")]
    locations: Vec<LocationNode>,
}

#[derive(Clone, PartialEq, Message)]
struct LocationNode {
    /// Empty when the location is unknown.
    #[prost(string, tag = "1")]
    executor: String,
    #[prost(string, tag = "2")]
    work_dir: String,
    #[prost(string, tag = "3")]
    address: String,
}

/// Marks a DataFusion built-in scalar function.
const DATAFUSION_UDF: &[u8] = b"datafusion";
/// Prefixes a Python UDF's [`PythonFunction`] encoding.
const PYTHON_UDF: &[u8] = b"python:";

/// DataFusion's own scalar functions, the nested (array and map) ones included.
fn datafusion_functions() -> impl Iterator<Item = Arc<datafusion::logical_expr::ScalarUDF>> {
    datafusion::functions::all_default_functions()
        .into_iter()
        .chain(datafusion::functions_nested::all_default_nested_functions())
}

fn codec_error(what: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Internal(format!("flint plan codec: {what}"))
}

fn schema_to_bytes(schema: &Schema) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut writer = StreamWriter::try_new(&mut bytes, schema)?;
    writer.finish()?;
    drop(writer);
    Ok(bytes)
}

fn schema_from_bytes(bytes: &[u8]) -> Result<SchemaRef> {
    Ok(StreamReader::try_new(bytes, None)?.schema())
}

impl PhysicalExtensionCodec for FlintCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let node = FlintNode::decode(buf).map_err(codec_error)?;
        if let Some(writer) = node.writer {
            let input = inputs.first().cloned().ok_or_else(|| codec_error("shuffle writer without input"))?;
            let partitions = writer.partitions as usize;
            let output = match writer.kind {
                0 => ShuffleOutput::Single,
                1 => {
                    let schema = input.schema();
                    let exprs = writer
                        .exprs
                        .iter()
                        .map(|e| parse_physical_expr(e, ctx, &schema, self))
                        .collect::<Result<Vec<_>>>()?;
                    ShuffleOutput::Hash { exprs, partitions }
                }
                2 => ShuffleOutput::RoundRobin { partitions },
                other => return Err(codec_error(format!("unknown shuffle output kind {other}"))),
            };
            let env = self.env()?;
            let exec =
                ShuffleWriterExec::new(input, JobId(writer.job), StageId(writer.stage as usize), output, env.work_dir.clone());
            return Ok(Arc::new(exec.with_compression(env.compress)));
        }
        if let Some(write) = node.write {
            let input = inputs.first().cloned().ok_or_else(|| codec_error("write without input"))?;
            let template = datafusion_proto::bytes::physical_plan_from_bytes_with_extension_codec(&write.sink_template, ctx, self)?;
            return Ok(Arc::new(WriteFilesExec::new(input, WriteFilesExec::sink_of_template(&template)?)));
        }
        if let Some(map) = node.python_map {
            let input = inputs.first().cloned().ok_or_else(|| codec_error("Python map without input"))?;
            let function = map.function.ok_or_else(|| codec_error("Python map without its function"))?;
            let keys = map.keys.iter().map(|&k| k as usize).collect();
            return Ok(Arc::new(PythonMapExec::try_new(input, function, keys)?));
        }
        if let Some(cogroup) = node.python_cogroup {
            let [left, right] = inputs else { return Err(codec_error("Python cogroup without its two inputs")) };
            let function = cogroup.function.ok_or_else(|| codec_error("Python cogroup without its function"))?;
            let keys = |k: &[u64]| k.iter().map(|&k| k as usize).collect();
            let exec = PythonCoGroupExec::try_new(left.clone(), right.clone(), function, keys(&cogroup.left_keys), keys(&cogroup.right_keys))?;
            return Ok(Arc::new(exec));
        }
        if let Some(reader) = node.reader {
            let read = match reader.reduce_partitions {
                0 => ShuffleRead::PerMap,
                n => ShuffleRead::Reduce { partitions: n as usize },
            };
            let exec = ShuffleReaderExec::new(
                schema_from_bytes(&reader.schema)?,
                JobId(reader.job),
                StageId(reader.stage as usize),
                reader.maps as usize,
                read,
            );
            let locations = reader
                .locations
                .into_iter()
                .map(|l| {
                    (!l.executor.is_empty()).then(|| MapOutputLocation {
                        executor: ExecutorId(l.executor),
                        work_dir: PathBuf::from(l.work_dir),
                        address: l.address,
                    })
                })
                .collect();
            return Ok(Arc::new(exec.with_locations(locations).with_env(self.env()?.clone())));
        }
        Err(codec_error("empty node"))
    }

    /// DataFusion's own scalar functions (its nested ones too) travel with a marker, so an
    /// executor does not resolve them by name to a Spark function registered under the
    /// same name (such as `date_part` or `array_sort`).
    fn try_encode_udf(&self, node: &datafusion::logical_expr::ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        if let Some(python) = node.inner().downcast_ref::<PythonScalarUdf>() {
            buf.extend_from_slice(PYTHON_UDF);
            python.function().encode(buf).map_err(codec_error)?;
        } else if datafusion_functions().any(|f| f.as_ref() == node) {
            buf.extend_from_slice(DATAFUSION_UDF);
        }
        Ok(())
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<datafusion::logical_expr::ScalarUDF>> {
        if let Some(function) = buf.strip_prefix(PYTHON_UDF) {
            let function = PythonFunction::decode(function).map_err(codec_error)?;
            return Ok(Arc::new(PythonScalarUdf::try_new(function)?.into_udf()));
        }
        if buf == DATAFUSION_UDF
            && let Some(udf) = datafusion_functions().find(|f| f.name() == name)
        {
            return Ok(udf);
        }
        Err(DataFusionError::NotImplemented(format!("decoding scalar function {name}")))
    }

    fn try_encode_udaf(&self, node: &datafusion::logical_expr::AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        if let Some(python) = node.inner().downcast_ref::<PythonAggregateUdf>() {
            buf.extend_from_slice(PYTHON_UDF);
            python.function().encode(buf).map_err(codec_error)?;
        }
        Ok(())
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<datafusion::logical_expr::AggregateUDF>> {
        match buf.strip_prefix(PYTHON_UDF) {
            Some(function) => {
                let function = PythonFunction::decode(function).map_err(codec_error)?;
                Ok(Arc::new(PythonAggregateUdf::try_new(function)?.into_udaf()))
            }
            None => Err(DataFusionError::NotImplemented(format!("decoding aggregate function {name}"))),
        }
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        let encoded = if let Some(writer) = node.downcast_ref::<ShuffleWriterExec>() {
            let (kind, partitions, exprs) = match writer.output() {
                ShuffleOutput::Single => (0, 1, Vec::new()),
                ShuffleOutput::Hash { exprs, partitions } => (
                    1,
                    *partitions,
                    exprs.iter().map(|e| serialize_physical_expr(e, self)).collect::<Result<Vec<_>>>()?,
                ),
                ShuffleOutput::RoundRobin { partitions } => (2, *partitions, Vec::new()),
            };
            FlintNode {
                writer: Some(WriterNode {
                    job: writer.job().0,
                    stage: writer.stage().0 as u64,
                    kind,
                    partitions: partitions as u64,
                    exprs,
                }),
                ..Default::default()
            }
        } else if let Some(write) = node.downcast_ref::<WriteFilesExec>() {
            let sink_template = datafusion_proto::bytes::physical_plan_to_bytes_with_extension_codec(write.sink_template(), self)?;
            FlintNode { write: Some(WriteNode { sink_template: sink_template.to_vec() }), ..Default::default() }
        } else if let Some(map) = node.downcast_ref::<PythonMapExec>() {
            let keys = map.keys().iter().map(|&k| k as u64).collect();
            FlintNode { python_map: Some(PythonMapNode { function: Some(map.function().clone()), keys }), ..Default::default() }
        } else if let Some(cogroup) = node.downcast_ref::<PythonCoGroupExec>() {
            let (left, right) = cogroup.keys();
            let keys = |k: &[usize]| k.iter().map(|&k| k as u64).collect();
            let function = Some(cogroup.function().clone());
            FlintNode {
                python_cogroup: Some(PythonCoGroupNode { function, left_keys: keys(left), right_keys: keys(right) }),
                ..Default::default()
            }
        } else if let Some(reader) = node.downcast_ref::<ShuffleReaderExec>() {
            let reduce_partitions = match reader.read() {
                ShuffleRead::PerMap => 0,
                ShuffleRead::Reduce { partitions } => partitions as u64,
            };
            let locations = reader
                .locations()
                .iter()
                .map(|l| match l {
                    Some(l) => LocationNode {
                        executor: l.executor.0.clone(),
                        work_dir: l.work_dir.to_string_lossy().into_owned(),
                        address: l.address.clone(),
                    },
                    None => LocationNode::default(),
                })
                .collect();
            FlintNode {
                reader: Some(ReaderNode {
                    job: reader.job().0,
                    stage: reader.stage().0 as u64,
                    schema: schema_to_bytes(&reader.schema())?,
                    maps: reader.maps() as u64,
                    reduce_partitions,
                    locations,
                }),
                ..Default::default()
            }
        } else {
            return Err(DataFusionError::NotImplemented(format!(
                "serialising {} for an executor",
                node.name()
            )));
        };
        encoded.encode(buf).map_err(codec_error)
    }
}
