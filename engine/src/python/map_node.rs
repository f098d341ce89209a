//! [`PythonMapNode`]: the logical plan node of `mapInPandas`, `mapInArrow` and
//! `groupBy().applyInPandas`/`applyInArrow`, planned as a [`super::map_exec::PythonMapExec`].

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::datatypes::{DataType, Schema};
use datafusion::common::{Column, DFSchema, DFSchemaRef};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};
use prost::Message;

use crate::python::function::PythonFunction;

/// A Python function applied to whole partitions, or to the groups of `keys`.
#[derive(Debug, Clone)]
pub struct PythonMapNode {
    /// The rows the function reads.
    pub input: LogicalPlan,
    /// The function; its return type is a struct of the output columns.
    pub function: PythonFunction,
    /// Grouping columns of the input; empty for a map over partitions.
    pub keys: Vec<Column>,
    schema: DFSchemaRef,
}

impl PythonMapNode {
    /// The node of `function` over `input`, grouped by `keys` when any are given.
    pub fn try_new(input: LogicalPlan, function: PythonFunction, keys: Vec<Column>) -> Result<Self> {
        let schema = Arc::new(DFSchema::try_from(output_schema(&function)?)?);
        Ok(Self { input, function, keys, schema })
    }

    /// The node as a logical plan.
    pub fn into_plan(self) -> LogicalPlan {
        LogicalPlan::Extension(datafusion::logical_expr::Extension { node: Arc::new(self) })
    }
}

/// The output columns of a map or grouped-map function: the fields of its struct result.
pub fn output_schema(function: &PythonFunction) -> Result<Schema> {
    match function.return_type()? {
        DataType::Struct(fields) => Ok(Schema::new(fields)),
        other => Err(DataFusionError::Plan(format!(
            "the schema of {} must be a struct of the output columns, not {other}",
            function.name
        ))),
    }
}

impl PartialEq for PythonMapNode {
    fn eq(&self, other: &Self) -> bool {
        self.input == other.input && self.function == other.function && self.keys == other.keys
    }
}

impl Eq for PythonMapNode {}

impl Hash for PythonMapNode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.input.hash(state);
        self.function.encode_to_vec().hash(state);
        self.keys.hash(state);
    }
}

impl PartialOrd for PythonMapNode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (self == other).then_some(Ordering::Equal)
    }
}

impl UserDefinedLogicalNodeCore for PythonMapNode {
    fn name(&self) -> &str {
        "PythonMap"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        self.keys.iter().cloned().map(Expr::Column).collect()
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let keys: Vec<String> = self.keys.iter().map(|k| k.to_string()).collect();
        write!(f, "PythonMap: {} (eval type {}) keys=[{}]", self.function.name, self.function.eval_type, keys.join(", "))
    }

    fn with_exprs_and_inputs(&self, exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> Result<Self> {
        let input = inputs.pop().ok_or_else(|| DataFusionError::Internal("PythonMap takes one input".into()))?;
        let keys = exprs
            .into_iter()
            .map(|e| match e {
                Expr::Column(c) => Ok(c),
                other => Err(DataFusionError::Internal(format!("PythonMap key {other} is not a column"))),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { input, function: self.function.clone(), keys, schema: self.schema.clone() })
    }
}
