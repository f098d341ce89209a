//! `spark.sql(query, args)`: the query's parameter markers, `?` (positional) and `:name`
//! (named), bound to the expressions the client sent, as Spark binds them before it
//! analyzes the query.

use std::collections::HashMap;
use std::ops::ControlFlow;

use arrow::datatypes::DataType;
use datafusion::common::DFSchema;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{Expr, cast};
use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::{self, Value, ValueWithSpan, visit_expressions, visit_expressions_mut};
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Location;
use datafusion::sql::unparser::expr_to_sql;
use flint_engine::DataFrame;
use spark_connect_proto::expression::ExprType;
use spark_connect_proto::{Expression, Sql};

use crate::errors::{ConnectError, Result};
use crate::plan::expressions::ExprConverter;
use crate::plan::relations::RelationPlanner;

/// The DataFrame of the SQL relation `sql`, its parameters bound.
pub(crate) async fn plan(planner: &RelationPlanner, sql: &Sql) -> Result<DataFrame> {
    let literal = |l: &spark_connect_proto::expression::Literal| Expression {
        expr_type: Some(ExprType::Literal(l.clone())),
        ..Default::default()
    };
    #[allow(deprecated)]
    let positional: Vec<Expression> = sql.pos_arguments.iter().cloned().chain(sql.pos_args.iter().map(literal)).collect();
    #[allow(deprecated)]
    let named: Vec<(&String, Expression)> = sql
        .named_arguments
        .iter()
        .map(|(name, e)| (name, e.clone()))
        .chain(sql.args.iter().map(|(name, l)| (name, literal(l))))
        .collect();
    let session = planner.session();
    if positional.is_empty() && named.is_empty() {
        return Ok(session.sql(&sql.query).await?);
    }
    let state = session.context().state();
    let empty = DFSchema::empty();
    let (qualifiers, subqueries) = (HashMap::new(), HashMap::new());
    let converter =
        ExprConverter { schema: &empty, state: &state, plan_qualifiers: &qualifiers, subqueries: &subqueries };
    let positional = positional.iter().map(|e| argument_sql(&converter, e)).collect::<Result<Vec<_>>>()?;
    let named = named
        .into_iter()
        .map(|(name, e)| Ok((name.clone(), argument_sql(&converter, &e)?)))
        .collect::<Result<HashMap<_, _>>>()?;
    let mut statements = flint_engine::sql::parse_statements(&sql.query)?;
    let mut statement = match (statements.pop_front(), statements.is_empty()) {
        (Some(statement), true) => statement,
        _ => {
            return Err(ConnectError::InvalidPlan { reason: "spark.sql with parameters takes one statement".into() });
        }
    };
    bind(&mut statement, &positional, &named)?;
    Ok(session.execute(statement).await?)
}

/// A parameter's value as SQL: a collection constructor (`map(...)`, `array(...)`) as the
/// Spark SQL call it names, so that the query's analysis resolves it as Spark's does; a
/// literal typed as the client typed it (a SQL `1.5` is a decimal, a Python float a double).
fn argument_sql(converter: &ExprConverter<'_>, argument: &Expression) -> Result<ast::Expr> {
    if let Some(ExprType::UnresolvedFunction(f)) = argument.expr_type.as_ref() {
        let args = f.arguments.iter().map(|a| argument_sql(converter, a)).collect::<Result<Vec<_>>>()?;
        let call = format!("{}({})", f.function_name, args.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "));
        let dialect = flint_engine::spark::sql_dialect::FlintSparkDialect::default();
        let parsed = Parser::new(&dialect).try_with_sql(&call).and_then(|mut parser| parser.parse_expr());
        return parsed.map_err(|e| ConnectError::InvalidPlan { reason: format!("parameter {call}: {e}") });
    }
    let expr = match converter.expr(argument)? {
        Expr::Literal(value, _) => {
            let data_type = value.data_type();
            let reads_back = matches!(data_type, DataType::Int32 | DataType::Utf8 | DataType::Boolean) || value.is_null();
            let literal = Expr::Literal(value, None);
            if reads_back { literal } else { cast(literal, data_type) }
        }
        other => other,
    };
    Ok(expr_to_sql(&expr)?)
}

/// Replaces each parameter marker of `statement` by its value: the n-th `?` of the text by
/// `positional[n]`, `:name` by `named[name]`.
fn bind(statement: &mut Statement, positional: &[ast::Expr], named: &HashMap<String, ast::Expr>) -> Result<()> {
    let Statement::Statement(inner) = statement else {
        return Err(ConnectError::Unsupported { what: "parameters in this kind of SQL statement".into() });
    };
    let marker = |e: &ast::Expr| match e {
        ast::Expr::Value(ValueWithSpan { value: Value::Placeholder(p), span }) => Some((p.clone(), span.start)),
        _ => None,
    };
    let mut question_marks: Vec<Location> = Vec::new();
    let _ = visit_expressions(inner.as_ref(), |e| {
        if let Some(("?", start)) = marker(e).as_ref().map(|(p, start)| (p.as_str(), *start)) {
            question_marks.push(start);
        }
        ControlFlow::<()>::Continue(())
    });
    question_marks.sort();
    let unbound = visit_expressions_mut(inner.as_mut(), |e| {
        if let Some((p, start)) = marker(e) {
            let value = match p.strip_prefix(':') {
                Some(name) => named.get(name),
                None if p == "?" => question_marks.binary_search(&start).ok().and_then(|i| positional.get(i)),
                None => None,
            };
            match value {
                Some(value) => *e = ast::Expr::Nested(Box::new(value.clone())),
                None => return ControlFlow::Break(p),
            }
        }
        ControlFlow::Continue(())
    });
    match unbound {
        ControlFlow::Break(name) => Err(DataFusionError::Plan(format!(
            "[UNBOUND_SQL_PARAMETER] Found the unbound parameter: {}. Please, fix `args` and provide a mapping of \
             the parameter to either a SQL literal or collection constructor functions such as `map()`, `array()`, \
             `struct()`.",
            name.trim_start_matches(':')
        ))
        .into()),
        ControlFlow::Continue(()) => Ok(()),
    }
}
