//! What the scalar and the aggregate Python UDFs share: the function, the Arrow type of
//! its Spark return type and a DataFusion signature, compared and hashed by the function.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::error::Result;
use datafusion::logical_expr::Signature;
use prost::Message;

use crate::python::function::PythonFunction;

/// A Python function as DataFusion sees it.
#[derive(Debug, Clone)]
pub struct PythonCallable {
    /// The function the client sent.
    pub function: PythonFunction,
    /// Its result type.
    pub return_type: DataType,
    /// The arguments DataFusion may call it with.
    pub signature: Signature,
}

impl PythonCallable {
    /// `function` called with `signature`; fails when its return type has no Arrow type.
    pub fn new(function: PythonFunction, signature: Signature) -> Result<Self> {
        Ok(Self { return_type: function.return_type()?, function, signature })
    }

    /// `result` as the declared return type (workers may answer a wider or narrower type).
    pub fn as_return_type(&self, result: &ArrayRef) -> Result<ArrayRef> {
        if result.data_type() == &self.return_type { Ok(result.clone()) } else { Ok(cast(result, &self.return_type)?) }
    }
}

impl PartialEq for PythonCallable {
    fn eq(&self, other: &Self) -> bool {
        self.function == other.function
    }
}

impl Eq for PythonCallable {}

impl Hash for PythonCallable {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.function.encode_to_vec().hash(state);
    }
}

/// The batch a worker reads the arguments from: columns `_0`, `_1`, … of `rows` rows
/// (which a call without arguments needs).
pub fn argument_batch(columns: Vec<ArrayRef>, rows: usize) -> Result<RecordBatch> {
    let fields: Vec<Field> =
        columns.iter().enumerate().map(|(i, c)| Field::new(format!("_{i}"), c.data_type().clone(), true)).collect();
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), columns, &options)?)
}
