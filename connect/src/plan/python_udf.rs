//! Python UDFs in Connect plans (`CommonInlineUserDefinedFunction` with a `PythonUDF`):
//! scalar ones become DataFusion scalar functions; `spark.udf.register` adds them to the
//! session's functions for SQL.

use std::sync::Arc;

use datafusion::execution::SessionState;
use datafusion::logical_expr::expr::{AggregateFunction, ScalarFunction};
use datafusion::logical_expr::{Expr, ScalarUDF};
use flint_engine::FlintSession;
use flint_engine::python::{PythonAggregateUdf, PythonFunction, PythonScalarUdf, PythonSettings, eval_type};
use spark_connect_proto::CommonInlineUserDefinedFunction;
use spark_connect_proto::common_inline_user_defined_function::Function;

use crate::errors::{ConnectError, Result};
use crate::plan::expressions::ExprConverter;
use crate::types::arrow_type;

/// The Python function of `udf`, with the session's Python settings.
pub fn python_function(state: &SessionState, udf: &CommonInlineUserDefinedFunction) -> Result<PythonFunction> {
    let Some(Function::PythonUdf(python)) = udf.function.as_ref() else {
        return Err(ConnectError::Unsupported {
            what: format!("user-defined function {} that is not a Python function (Scala and Java UDFs need a JVM)", udf.function_name),
        });
    };
    let output = python
        .output_type
        .as_ref()
        .and_then(arrow_type)
        .ok_or_else(|| ConnectError::Unsupported { what: format!("the return type of Python UDF {}", udf.function_name) })?;
    let function = PythonFunction {
        name: udf.function_name.clone(),
        command: python.command.to_vec(),
        eval_type: python.eval_type,
        python_ver: python.python_ver.clone(),
        deterministic: udf.deterministic,
        ..Default::default()
    }
    .with_return_type(&output)?;
    Ok(PythonSettings::of(state).apply(function))
}

fn scalar_udf(state: &SessionState, udf: &CommonInlineUserDefinedFunction) -> Result<ScalarUDF> {
    Ok(PythonScalarUdf::try_new(python_function(state, udf)?)?.into_udf())
}

/// The expression calling a Python UDF on its converted arguments; a
/// A grouped-aggregate pandas UDF becomes an aggregate function call.
pub fn scalar(converter: &ExprConverter<'_>, udf: &CommonInlineUserDefinedFunction) -> Result<Expr> {
    let args = udf.arguments.iter().map(|a| converter.expr(a)).collect::<Result<Vec<_>>>()?;
    let function = python_function(converter.state, udf)?;
    if function.eval_type == eval_type::GROUPED_AGG_PANDAS_UDF {
        let aggregate = PythonAggregateUdf::try_new(function)?.into_udaf();
        return Ok(Expr::AggregateFunction(AggregateFunction::new_udf(Arc::new(aggregate), args, false, None, vec![], None)));
    }
    let function = PythonScalarUdf::try_new(function)?.into_udf();
    Ok(Expr::ScalarFunction(ScalarFunction::new_udf(Arc::new(function), args)))
}

/// `spark.udf.register(name, f)`: makes the function callable by name from SQL and
/// `expr()` in this session.
pub fn register(session: &FlintSession, udf: &CommonInlineUserDefinedFunction) -> Result<()> {
    let state = session.context().state();
    session.context().register_udf(scalar_udf(&state, udf)?);
    Ok(())
}
