//! Spark's `raise_error(message)` and `assert_true(condition[, message])`: the query
//! fails with `[USER_RAISED_EXCEPTION] message` when a row reaches `raise_error`, or
//! when `condition` is false or NULL for a row; otherwise both give NULL. Both are
//! volatile so that the planner never folds them into an error before the query runs.

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, lit,
};

/// The `raise_error` and `assert_true` functions, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(RaiseError { signature: Signature::any(1, Volatility::Volatile) }),
        ScalarUDF::new_from_impl(AssertTrue {
            signature: Signature::one_of(
                vec![
                    datafusion::logical_expr::TypeSignature::Any(1),
                    datafusion::logical_expr::TypeSignature::Any(2),
                ],
                Volatility::Volatile,
            ),
        }),
    ]
}

/// The error Spark raises for `message`.
fn user_raised<T>(message: Option<String>) -> Result<T> {
    let message = message.unwrap_or_else(|| "null".into());
    exec_err!("[USER_RAISED_EXCEPTION] {message} SQLSTATE: P0001")
}

/// The message of row `row` of `messages`, as a string (NULL is `None`).
fn message_at(messages: &ColumnarValue, row: usize) -> Result<Option<String>> {
    let value = match messages {
        ColumnarValue::Scalar(scalar) => scalar.clone(),
        ColumnarValue::Array(array) => ScalarValue::try_from_array(array.as_ref(), row)?,
    };
    Ok((!value.is_null()).then(|| match value {
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => s,
        other => other.to_string(),
    }))
}

/// `raise_error(message)`: see the module documentation.
#[derive(Debug, PartialEq, Eq, Hash)]
struct RaiseError {
    signature: Signature,
}

impl ScalarUDFImpl for RaiseError {
    fn name(&self) -> &str {
        "raise_error"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Null)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [message] = args.args.as_slice() else {
            return plan_err!("raise_error takes one argument, the message, not {}", args.args.len());
        };
        if args.number_rows == 0 {
            return Ok(ColumnarValue::Scalar(ScalarValue::Null));
        }
        user_raised(message_at(message, 0)?)
    }
}

/// `assert_true(condition[, message])`: see the module documentation.
#[derive(Debug, PartialEq, Eq, Hash)]
struct AssertTrue {
    signature: Signature,
}

impl ScalarUDFImpl for AssertTrue {
    fn name(&self) -> &str {
        "assert_true"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        if !matches!(args.first(), Some(DataType::Boolean | DataType::Null)) {
            return plan_err!(
                "assert_true needs a BOOLEAN condition, not {}: compare the value, e.g. assert_true(x > 0)",
                args.first().map(ToString::to_string).unwrap_or_default()
            );
        }
        Ok(DataType::Null)
    }

    /// Spark's default message: `'(a < b)' is not true!`.
    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let [condition] = args.as_slice() else { return Ok(ExprSimplifyResult::Original(args)) };
        // Spark names columns without their table.
        let unqualified = condition
            .clone()
            .transform(|e| {
                Ok(match e {
                    Expr::Column(column) => Transformed::yes(Expr::Column(Column::new_unqualified(column.name))),
                    other => Transformed::no(other),
                })
            })?
            .data;
        let text = match &unqualified {
            Expr::BinaryExpr(_) => format!("({})", unqualified.human_display()),
            _ => unqualified.human_display().to_string(),
        };
        let message = lit(format!("'{text}' is not true!"));
        let call = Expr::ScalarFunction(datafusion::logical_expr::expr::ScalarFunction::new_udf(
            std::sync::Arc::new(ScalarUDF::new_from_impl(AssertTrue { signature: self.signature.clone() })),
            vec![condition.clone(), message],
        ));
        Ok(ExprSimplifyResult::Simplified(call))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (condition, message) = match args.args.as_slice() {
            [condition] => (condition, None),
            [condition, message] => (condition, Some(message)),
            _ => return plan_err!("assert_true takes a condition and an optional message"),
        };
        let conditions = condition.to_array(args.number_rows)?;
        let failed = match conditions.data_type() {
            DataType::Null => (!conditions.is_empty()).then_some(0),
            _ => {
                let conditions = conditions.as_boolean();
                (0..conditions.len()).find(|&row| conditions.is_null(row) || !conditions.value(row))
            }
        };
        match (failed, message) {
            (None, _) => Ok(ColumnarValue::Scalar(ScalarValue::Null)),
            (Some(row), Some(message)) => user_raised(message_at(message, row)?),
            (Some(_), None) => user_raised(Some("the condition is not true!".into())),
        }
    }
}
