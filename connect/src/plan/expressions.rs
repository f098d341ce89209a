//! Connect expressions (`spark.connect.Expression`) as DataFusion expressions, resolved
//! against the input's schema with Spark's rules (case-insensitive names by default).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::common::tree_node::TreeNode;
use datafusion::common::{Column, DFSchema, ScalarValue, TableReference};
use datafusion::execution::SessionState;
use datafusion::functions::core::expr_fn::get_field;
use datafusion::functions_aggregate::count::count_udaf;
use datafusion::logical_expr::expr::{Case, InList, Lambda, LambdaVariable, Like, WindowFunction};
use datafusion::logical_expr::{
    BinaryExpr, Expr, ExprFunctionExt, ExprSchemable, LogicalPlan, Operator, SortExpr, WindowFrame, WindowFrameBound,
    WindowFrameUnits, cast, lit,
};
use spark_connect_proto::Expression;
use spark_connect_proto::expression::cast::CastToType;
use spark_connect_proto::expression::sort_order::{NullOrdering, SortDirection};
use spark_connect_proto::expression::window::window_frame::{FrameBoundary, FrameType, frame_boundary};
use spark_connect_proto::expression::{ExprType, SortOrder, UnresolvedFunction};

use crate::errors::{ConnectError, Result};
use crate::plan::functions;
use crate::plan::identifiers::parse_identifier;
use crate::plan::literals;
use crate::plan::names::{spark_name, spark_sql_name};
use crate::types::{arrow_type, parse_type_name};

/// Converts expressions against one input schema.
pub struct ExprConverter<'a> {
    /// The schema names resolve against.
    pub schema: &'a DFSchema,
    /// The session state, for function lookup and SQL expression strings.
    pub state: &'a SessionState,
    /// Qualifiers of relations by their client plan id, for `df["col"]` references.
    pub plan_qualifiers: &'a HashMap<i64, String>,
    /// Plans of the relations subquery expressions refer to, by their client plan id.
    pub subqueries: &'a HashMap<i64, Arc<LogicalPlan>>,
}

impl ExprConverter<'_> {
    /// The DataFusion expression for `expr`, its lambda variables resolved.
    pub fn expr(&self, expr: &Expression) -> Result<Expr> {
        self.resolve(self.convert(expr)?)
    }

    /// `expr` with the variables of its lambdas typed from their functions' arguments.
    fn resolve(&self, expr: Expr) -> Result<Expr> {
        if expr.exists(|e| Ok(matches!(e, Expr::HigherOrderFunction(_))))? {
            return Ok(expr.resolve_lambda_variables(self.schema)?.data);
        }
        Ok(expr)
    }

    /// The DataFusion expression for `expr`; lambda variables are left to [`Self::expr`],
    /// as a lambda's body only resolves with its function.
    fn convert(&self, expr: &Expression) -> Result<Expr> {
        let Some(expr_type) = expr.expr_type.as_ref() else {
            return Err(ConnectError::InvalidPlan { reason: "expression without a type".into() });
        };
        match expr_type {
            ExprType::Literal(literal) => Ok(Expr::Literal(literals::scalar(literal)?, None)),
            ExprType::UnresolvedAttribute(attr) => match self.column(&attr.unparsed_identifier, attr.plan_id) {
                Ok(column) => Ok(Expr::Column(column)),
                Err(error) => self.struct_field(&attr.unparsed_identifier).ok_or(error),
            },
            ExprType::UnresolvedFunction(f) => self.function(f),
            ExprType::CallFunction(f) => self.function(&UnresolvedFunction {
                function_name: f.function_name.clone(),
                arguments: f.arguments.clone(),
                ..Default::default()
            }),
            ExprType::Alias(alias) => {
                let inner = self.required(alias.expr.as_deref(), "alias")?;
                Ok(inner.alias(alias.name.join(".")))
            }
            ExprType::Cast(c) => {
                let inner = self.required(c.expr.as_deref(), "cast")?;
                let data_type = match &c.cast_to_type {
                    Some(CastToType::Type(t)) => arrow_type(t),
                    Some(CastToType::TypeStr(s)) => parse_type_name(s),
                    None => None,
                }
                .ok_or_else(|| ConnectError::Unsupported { what: format!("cast to {:?}", c.cast_to_type) })?;
                Ok(cast(inner, data_type))
            }
            ExprType::ExpressionString(s) => Ok(self.state.create_logical_expr(&s.expression, self.schema)?),
            ExprType::UnresolvedStar(_) => Ok(Expr::Literal(ScalarValue::Int64(Some(1)), None)),
            ExprType::SortOrder(order) => self.required(order.child.as_deref(), "sort order"),
            ExprType::Window(window) => self.window(window),
            ExprType::UnresolvedExtractValue(e) => {
                let child = self.required(e.child.as_deref(), "extract value")?;
                let key = self.required(e.extraction.as_deref(), "extract value")?;
                functions::call(self.state, "extract_value", vec![child, key], false, self.schema)
            }
            ExprType::CommonInlineUserDefinedFunction(udf) => crate::plan::python_udf::scalar(self, udf),
            ExprType::LambdaFunction(lambda) => {
                let body = self.required(lambda.function.as_deref(), "lambda function")?;
                let params = lambda.arguments.iter().map(|v| v.name_parts.join(".")).collect();
                Ok(Expr::Lambda(Lambda::new(params, body)))
            }
            ExprType::UnresolvedNamedLambdaVariable(variable) => {
                Ok(Expr::LambdaVariable(LambdaVariable::new(variable.name_parts.join("."), None)))
            }
            ExprType::UpdateFields(update) => crate::plan::update_fields::convert(self, update),
            ExprType::SubqueryExpression(subquery) => crate::plan::with_relations::subquery(self, subquery),
            other => Err(ConnectError::Unsupported { what: format!("expression {}", expr_kind(other)) }),
        }
    }

    /// The expression, aliased with Spark's column name unless it already is an alias
    /// (what `select` and `agg` produce).
    ///
    /// As Spark's analyzer (`ResolveAliases`) does, a column keeps the query's spelling
    /// (`select("NAME")` of a column `name` is `NAME`), and a cast of a column or of an
    /// alias is named by it (`col("s").cast("int")` is `s`; `(col("a") + 1).cast("int")`
    /// is `CAST((a + 1) AS INT)`).
    pub fn named(&self, expr: &Expression) -> Result<Expr> {
        let converted = self.expr(expr)?;
        let name = match (&converted, expr.expr_type.as_ref()) {
            // DataFusion's SQL planner aliases `count(*)` itself, so an expression string's
            // alias is renamed too (a user's alias has no call in it and stays as written).
            (_, Some(ExprType::ExpressionString(_))) => {
                let planned = converted.schema_name().to_string();
                let spark = spark_sql_name(&planned);
                if spark != planned {
                    return Ok(converted.unalias().alias(spark));
                }
                None
            }
            (Expr::Alias(_), _) => None,
            (Expr::Column(column), Some(ExprType::UnresolvedAttribute(_))) => {
                let spelled = spark_name(expr);
                (spelled != column.name && spelled.eq_ignore_ascii_case(&column.name)).then_some(spelled)
            }
            // A function that returns its argument (`positive(x)`) is still named as a call.
            (Expr::Column(_), Some(ExprType::UnresolvedFunction(_))) => Some(spark_name(expr)),
            (Expr::Column(_), _) => None,
            // A struct field by a dotted name is named by the field, as in Spark.
            (Expr::ScalarFunction(f), Some(ExprType::UnresolvedAttribute(_))) if f.name() == "get_field" => {
                match f.args.last() {
                    Some(Expr::Literal(ScalarValue::Utf8(Some(field)), _)) => Some(field.clone()),
                    _ => Some(spark_name(expr)),
                }
            }
            (Expr::Cast(cast), Some(ExprType::Cast(c))) if matches!(*cast.expr, Expr::Column(_) | Expr::Alias(_)) => {
                c.expr.as_deref().map(spark_name)
            }
            _ => Some(spark_name(&self.with_stars_expanded(expr))),
        };
        Ok(match name {
            Some(name) => converted.alias(name),
            None => converted,
        })
    }

    /// `expr` with each `*` argument of a function call spelled as the input's columns, as
    /// Spark's analyzer names `hash(*)` `hash(c1, c2)`; `count(*)` stays as it is.
    fn with_stars_expanded(&self, expr: &Expression) -> Expression {
        let Some(ExprType::UnresolvedFunction(f)) = expr.expr_type.as_ref() else { return expr.clone() };
        if f.function_name == "count" || !f.arguments.iter().any(is_plain_star) {
            return expr.clone();
        }
        let column = |name: &str| Expression {
            expr_type: Some(ExprType::UnresolvedAttribute(spark_connect_proto::expression::UnresolvedAttribute {
                unparsed_identifier: format!("`{}`", name.replace('`', "``")),
                ..Default::default()
            })),
            ..Default::default()
        };
        let arguments = f
            .arguments
            .iter()
            .flat_map(|argument| {
                if is_plain_star(argument) {
                    self.schema.fields().iter().map(|field| column(field.name())).collect()
                } else {
                    vec![argument.clone()]
                }
            })
            .collect();
        let function = UnresolvedFunction { arguments, ..f.clone() };
        Expression { expr_type: Some(ExprType::UnresolvedFunction(function)), ..expr.clone() }
    }

    /// A sort key with Spark's null ordering (nulls first ascending, last descending).
    pub fn sort(&self, order: &SortOrder) -> Result<SortExpr> {
        let expr = self.resolve(self.required(order.child.as_deref(), "sort order")?)?;
        let asc = order.direction != SortDirection::Descending as i32;
        let nulls_first = match order.null_ordering {
            n if n == NullOrdering::SortNullsFirst as i32 => true,
            n if n == NullOrdering::SortNullsLast as i32 => false,
            _ => asc,
        };
        Ok(SortExpr::new(expr, asc, nulls_first))
    }

    /// A sort key from any expression: a `SortOrder`, or ascending otherwise.
    pub fn sort_any(&self, expr: &Expression) -> Result<SortExpr> {
        match expr.expr_type.as_ref() {
            Some(ExprType::SortOrder(order)) => self.sort(order),
            _ => Ok(SortExpr::new(self.expr(expr)?, true, true)),
        }
    }

    fn required(&self, expr: Option<&Expression>, what: &str) -> Result<Expr> {
        match expr {
            Some(expr) => self.convert(expr),
            None => Err(ConnectError::InvalidPlan { reason: format!("{what} without its input expression") }),
        }
    }

    /// Resolves a (possibly qualified) column name, case-insensitively unless exact.
    pub fn column(&self, identifier: &str, plan_id: Option<i64>) -> Result<Column> {
        let parts = parse_identifier(identifier);
        if let (Some(id), [name]) = (plan_id, parts.as_slice())
            && let Some(qualifier) = self.plan_qualifiers.get(&id)
            && let Some(column) = self.find(Some(qualifier), name)
        {
            return Ok(column);
        }
        let found = match parts.as_slice() {
            [name] => self.find(None, name),
            [qualifier, name] => self.find(Some(qualifier), name).or_else(|| self.find(None, identifier)),
            _ => self.find(None, identifier),
        };
        found.ok_or_else(|| ConnectError::UnresolvedColumn {
            name: identifier.to_string(),
            suggestions: suggestions(self.schema, identifier),
        })
    }

    /// `a.b.c` as field `c` of field `b` of the struct column `a` (or of column `b` of
    /// the relation aliased `a`), as Spark resolves a dotted name that is no column;
    /// field names match case-insensitively unless exact.
    fn struct_field(&self, identifier: &str) -> Option<Expr> {
        let parts = parse_identifier(identifier);
        let (column, fields) = match parts.as_slice() {
            [qualifier, name, fields @ ..] if !fields.is_empty() && self.find(Some(qualifier), name).is_some() => {
                (self.find(Some(qualifier), name)?, fields)
            }
            [name, fields @ ..] if !fields.is_empty() => (self.find(None, name)?, fields),
            _ => return None,
        };
        let mut expr = Expr::Column(column);
        for wanted in fields {
            let DataType::Struct(struct_fields) = expr.get_type(self.schema).ok()? else {
                return None;
            };
            let field = struct_fields
                .iter()
                .find(|f| f.name() == wanted)
                .or_else(|| struct_fields.iter().find(|f| f.name().eq_ignore_ascii_case(wanted)))?;
            expr = get_field(expr, field.name().as_str());
        }
        Some(expr)
    }

    fn find(&self, qualifier: Option<&String>, name: &str) -> Option<Column> {
        let candidates: Vec<(Option<&TableReference>, &Arc<arrow::datatypes::Field>)> = self
            .schema
            .iter()
            .filter(|(q, _)| match qualifier {
                None => true,
                Some(wanted) => q.is_some_and(|q| q.table().eq_ignore_ascii_case(wanted)),
            })
            .collect();
        let exact = candidates.iter().find(|(_, f)| f.name() == name);
        let chosen = exact.or_else(|| candidates.iter().find(|(_, f)| f.name().eq_ignore_ascii_case(name)))?;
        Some(Column::new(chosen.0.cloned(), chosen.1.name()))
    }

    fn function(&self, f: &UnresolvedFunction) -> Result<Expr> {
        let name = f.function_name.as_str();
        let star_count = name == "count"
            && f.arguments.len() == 1
            && matches!(f.arguments[0].expr_type, Some(ExprType::UnresolvedStar(_)));
        if star_count {
            return Ok(count_udaf().call(vec![lit(1i64)]));
        }
        let mut args = Vec::with_capacity(f.arguments.len());
        for argument in &f.arguments {
            if is_plain_star(argument) {
                args.extend(self.schema.columns().into_iter().map(Expr::Column));
            } else {
                args.push(self.convert(argument)?);
            }
        }
        self.call(name, args, f.is_distinct)
    }

    fn call(&self, name: &str, mut args: Vec<Expr>, distinct: bool) -> Result<Expr> {
        let lower = name.to_ascii_lowercase();
        let binary = |op: Operator, args: Vec<Expr>| -> Result<Expr> {
            let [left, right]: [Expr; 2] = args.try_into().map_err(|_| ConnectError::InvalidPlan {
                reason: format!("operator {op} takes two arguments"),
            })?;
            Ok(Expr::BinaryExpr(BinaryExpr::new(Box::new(left), op, Box::new(right))))
        };
        let expr = match (lower.as_str(), args.len()) {
            ("+", 2) => binary(Operator::Plus, args)?,
            ("-", 2) => binary(Operator::Minus, args)?,
            ("*", 2) => binary(Operator::Multiply, args)?,
            ("/", 2) => {
                let decimal = args.iter().all(|a| {
                    matches!(a.get_type(self.schema), Ok(DataType::Decimal128(..) | DataType::Decimal256(..)))
                });
                if decimal {
                    binary(Operator::Divide, args)?
                } else {
                    let args = args.into_iter().map(|a| cast(a, DataType::Float64)).collect();
                    binary(Operator::Divide, args)?
                }
            }
            ("%", 2) => binary(Operator::Modulo, args)?,
            ("==", 2) => binary(Operator::Eq, args)?,
            ("!=", 2) => Expr::Not(Box::new(binary(Operator::Eq, args)?)),
            ("<", 2) => binary(Operator::Lt, args)?,
            ("<=", 2) => binary(Operator::LtEq, args)?,
            (">", 2) => binary(Operator::Gt, args)?,
            (">=", 2) => binary(Operator::GtEq, args)?,
            ("<=>", 2) => binary(Operator::IsNotDistinctFrom, args)?,
            ("and", 2) => binary(Operator::And, args)?,
            ("or", 2) => binary(Operator::Or, args)?,
            ("&", 2) => binary(Operator::BitwiseAnd, args)?,
            ("|", 2) => binary(Operator::BitwiseOr, args)?,
            ("^", 2) => binary(Operator::BitwiseXor, args)?,
            ("not", 1) => Expr::Not(Box::new(args.remove(0))),
            ("negative", 1) => Expr::Negative(Box::new(args.remove(0))),
            // Spark's position(substr, str[, start]) is locate; DataFusion's `position` is
            // strpos(str, substr).
            ("position", 2 | 3) => functions::call(self.state, "locate", args, false, self.schema)?,
            // Spark's unary plus returns its numeric argument.
            ("positive", 1) => {
                let value = args.remove(0);
                match value.get_type(self.schema)? {
                    t if t.is_numeric() || t.is_null() => value,
                    t => return Err(ConnectError::InvalidPlan {
                        reason: format!("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] positive takes a number, not {t}"),
                    }),
                }
            }
            ("isnull", 1) => Expr::IsNull(Box::new(args.remove(0))),
            ("isnotnull", 1) => Expr::IsNotNull(Box::new(args.remove(0))),
            ("like" | "ilike", 2) => {
                let pattern = args.remove(1);
                let value = args.remove(0);
                Expr::Like(Like::new(false, Box::new(value), Box::new(pattern), None, lower == "ilike"))
            }
            ("rlike" | "regexp" | "regexp_like", 2) => binary(Operator::RegexMatch, args)?,
            ("in", n) if n >= 1 => {
                let value = args.remove(0);
                Expr::InList(InList::new(Box::new(value), args, false))
            }
            ("struct", n) if n >= 1 => {
                // Fields are named by their aliases or columns, the others col1, col2, …
                let pairs = args.into_iter().enumerate().flat_map(|(i, arg)| match arg {
                    Expr::Alias(alias) => [lit(alias.name), *alias.expr],
                    Expr::Column(column) => [lit(column.name.clone()), Expr::Column(column)],
                    other => [lit(format!("col{}", i + 1)), other],
                });
                functions::call(self.state, "named_struct", pairs.collect(), false, self.schema)?
            }
            ("when", n) if n >= 2 => {
                let otherwise = if n % 2 == 1 { args.pop().map(Box::new) } else { None };
                let mut pairs = Vec::new();
                let mut iter = args.into_iter();
                while let (Some(cond), Some(value)) = (iter.next(), iter.next()) {
                    pairs.push((Box::new(cond), Box::new(value)));
                }
                Expr::Case(Case::new(None, pairs, otherwise))
            }
            _ => functions::call(self.state, name, args, distinct, self.schema)?,
        };
        Ok(expr)
    }

    fn window(&self, window: &spark_connect_proto::expression::Window) -> Result<Expr> {
        let Some(function) = window.window_function.as_deref() else {
            return Err(ConnectError::InvalidPlan { reason: "window without a function".into() });
        };
        let Some(ExprType::UnresolvedFunction(f)) = function.expr_type.as_ref() else {
            return Err(ConnectError::Unsupported { what: "window over a non-function expression".into() });
        };
        let args = f.arguments.iter().map(|a| self.convert(a)).collect::<Result<Vec<_>>>()?;
        let definition = functions::window_definition(self.state, &f.function_name)?;
        let partition_by = window.partition_spec.iter().map(|e| self.convert(e)).collect::<Result<Vec<_>>>()?;
        let order_by = window.order_spec.iter().map(|o| self.sort(o)).collect::<Result<Vec<_>>>()?;
        let mut builder = Expr::from(WindowFunction::new(definition, args))
            .partition_by(partition_by)
            .order_by(order_by.clone());
        if f.is_distinct {
            builder = builder.distinct();
        }
        if let Some(frame) = window.frame_spec.as_deref() {
            builder = builder.window_frame(self.frame(frame)?);
        } else if order_by.is_empty() {
            builder = builder.window_frame(WindowFrame::new(None));
        }
        Ok(builder.build()?)
    }

    fn frame(&self, frame: &spark_connect_proto::expression::window::WindowFrame) -> Result<WindowFrame> {
        let units = if frame.frame_type == FrameType::Row as i32 { WindowFrameUnits::Rows } else { WindowFrameUnits::Range };
        let start = self.bound(frame.lower.as_deref(), true)?;
        let end = self.bound(frame.upper.as_deref(), false)?;
        Ok(WindowFrame::new_bounds(units, start, end))
    }

    fn bound(&self, boundary: Option<&FrameBoundary>, lower: bool) -> Result<WindowFrameBound> {
        let unbounded = if lower { WindowFrameBound::Preceding(ScalarValue::Null) } else { WindowFrameBound::Following(ScalarValue::Null) };
        let Some(boundary) = boundary.and_then(|b| b.boundary.as_ref()) else {
            return Ok(unbounded);
        };
        Ok(match boundary {
            frame_boundary::Boundary::CurrentRow(_) => WindowFrameBound::CurrentRow,
            frame_boundary::Boundary::Unbounded(_) => unbounded,
            frame_boundary::Boundary::Value(value) => {
                let Expr::Literal(scalar, _) = self.convert(value)? else {
                    return Err(ConnectError::Unsupported { what: "window frame bound that is not a literal".into() });
                };
                let offset = scalar_i64(&scalar).ok_or_else(|| ConnectError::Unsupported {
                    what: format!("window frame bound {scalar}"),
                })?;
                let magnitude = ScalarValue::UInt64(Some(offset.unsigned_abs()));
                match offset {
                    0 => WindowFrameBound::CurrentRow,
                    o if o < 0 => WindowFrameBound::Preceding(magnitude),
                    _ => WindowFrameBound::Following(magnitude),
                }
            }
        })
    }
}

fn scalar_i64(scalar: &ScalarValue) -> Option<i64> {
    match scalar {
        ScalarValue::Int8(Some(v)) => Some(i64::from(*v)),
        ScalarValue::Int16(Some(v)) => Some(i64::from(*v)),
        ScalarValue::Int32(Some(v)) => Some(i64::from(*v)),
        ScalarValue::Int64(Some(v)) => Some(*v),
        _ => None,
    }
}

/// Whether `expr` is `*` without a target (not `t.*`).
fn is_plain_star(expr: &Expression) -> bool {
    matches!(&expr.expr_type, Some(ExprType::UnresolvedStar(star)) if star.unparsed_target.is_none())
}

/// Column names of `schema` close to `name`, as Spark lists them in its suggestion.
pub fn suggestions(schema: &DFSchema, name: &str) -> String {
    let mut names: Vec<(usize, String)> = schema
        .fields()
        .iter()
        .map(|f| (edit_distance(&f.name().to_lowercase(), &name.to_lowercase()), f.name().clone()))
        .collect();
    names.sort();
    names.into_iter().take(5).map(|(_, n)| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

fn expr_kind(expr: &ExprType) -> &'static str {
    match expr {
        ExprType::UnresolvedRegex(_) => "UnresolvedRegex (colRegex)",
        ExprType::LambdaFunction(_) => "LambdaFunction (higher-order functions)",
        ExprType::UpdateFields(_) => "UpdateFields (withField/dropFields)",
        ExprType::NamedArgumentExpression(_) => "NamedArgumentExpression",
        ExprType::SubqueryExpression(_) => "SubqueryExpression",
        _ => "of this kind",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("name", "nme"), 1);
        assert_eq!(edit_distance("id", "id"), 0);
    }
}
