//! Python UDFs: PySpark's own worker (`pyspark/worker.py`, shipped in pyspark-client)
//! runs in pooled processes fed Arrow batches and the pickled function the client sent,
//! speaking the protocol of Spark's `PythonRunner`.

pub mod aggregate_udf;
pub mod callable;
pub mod cogroup;
pub mod error;
pub mod function;
pub mod map_exec;
pub mod map_node;
pub mod planner;
pub mod protocol;
pub mod runner;
pub mod scalar_udf;
pub mod settings;
pub mod worker;

pub use aggregate_udf::PythonAggregateUdf;
pub use cogroup::{PythonCoGroupExec, PythonCoGroupNode};
pub use error::{PYTHON_EXCEPTION_MESSAGE, PythonError};
pub use function::{PythonFunction, eval_type};
pub use map_exec::PythonMapExec;
pub use map_node::PythonMapNode;
pub use scalar_udf::PythonScalarUdf;
pub use settings::PythonSettings;
