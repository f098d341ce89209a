//! `WithRelations`: a root relation with the relations it refers to. PySpark sends one for
//! `spark.sql(query, df=...)` (the references are the DataFrames named in the query) and
//! for subquery expressions (`df.scalar()`, `df.exists()`, `col.isin(df)`, whose
//! references carry the plan ids the expressions name).

use std::sync::Arc;

use datafusion::common::Spans;
use datafusion::logical_expr::expr::{Exists, InSubquery};
use datafusion::logical_expr::{Expr, Subquery};
use flint_engine::DataFrame;
use spark_connect_proto::SubqueryExpression;
use spark_connect_proto::subquery_expression::SubqueryType;
use spark_connect_proto::relation::RelType;
use spark_connect_proto::{Relation, Sql, WithRelations};

use crate::errors::{ConnectError, Result};
use crate::plan::expressions::ExprConverter;
use crate::plan::relations::RelationPlanner;

/// The DataFrame of `with`'s root, its references planned first.
pub(crate) async fn plan(planner: &RelationPlanner, with: &WithRelations) -> Result<DataFrame> {
    let root = with.root.as_deref().ok_or_else(|| ConnectError::InvalidPlan {
        reason: "WithRelations without a root relation".into(),
    })?;
    if let Some(RelType::Sql(sql)) = root.rel_type.as_ref() {
        return sql_with_views(planner, sql, &with.references).await;
    }
    for reference in &with.references {
        let plan_id = reference.common.as_ref().and_then(|c| c.plan_id).ok_or_else(|| ConnectError::InvalidPlan {
            reason: "WithRelations reference without a plan id".into(),
        })?;
        let df = planner.plan(reference).await?;
        planner.add_subquery(plan_id, df.inner().logical_plan().clone());
    }
    planner.plan(root).await
}

/// `spark.sql(query, name=df)`: each reference is `df` under the view name the query
/// uses, visible to this query only.
async fn sql_with_views(planner: &RelationPlanner, sql: &Sql, references: &[Relation]) -> Result<DataFrame> {
    let mut views = Vec::with_capacity(references.len());
    for reference in references {
        let Some(RelType::SubqueryAlias(alias)) = reference.rel_type.as_ref() else {
            return Err(ConnectError::InvalidPlan {
                reason: "a SQL query's reference must be a named subquery alias".into(),
            });
        };
        let df = planner.input(alias.input.as_deref(), "SQL query reference").await?;
        views.push((alias.alias.clone(), df));
    }
    let ctx = planner.session().context();
    let mut registered = Vec::with_capacity(views.len());
    let mut planned = Ok(());
    for (name, df) in views {
        match ctx.register_table(name.as_str(), df.inner().clone().into_view()) {
            Ok(_) => registered.push(name),
            Err(error) => {
                planned = Err(error.into());
                break;
            }
        }
    }
    let df = match planned {
        Ok(()) => crate::plan::sql_parameters::plan(planner, sql).await,
        Err(error) => Err(error),
    };
    // The planned query holds the views' plans; the names go with this query.
    for name in registered {
        ctx.deregister_table(name.as_str())?;
    }
    crate::plan::relations::spark_sql_names(planner, df?)
}

/// The subquery expression `expr` over the relation its plan id names.
pub(crate) fn subquery(converter: &ExprConverter<'_>, expr: &SubqueryExpression) -> Result<Expr> {
    let plan = converter.subqueries.get(&expr.plan_id).ok_or_else(|| ConnectError::InvalidPlan {
        reason: format!("subquery expression names plan {}, which the query does not carry", expr.plan_id),
    })?;
    let subquery = Subquery { subquery: Arc::clone(plan), outer_ref_columns: vec![], spans: Spans::new() };
    match SubqueryType::try_from(expr.subquery_type).unwrap_or(SubqueryType::Unknown) {
        SubqueryType::Scalar => Ok(Expr::ScalarSubquery(subquery)),
        SubqueryType::Exists => Ok(Expr::Exists(Exists::new(subquery, false))),
        SubqueryType::In => match expr.in_subquery_values.as_slice() {
            [value] => Ok(Expr::InSubquery(InSubquery::new(Box::new(converter.expr(value)?), subquery, false))),
            values => {
                Err(ConnectError::Unsupported { what: format!("an IN subquery over {} values", values.len()) })
            }
        },
        SubqueryType::TableArg => Err(ConnectError::Unsupported { what: "table arguments (DataFrame.asTable)".into() }),
        SubqueryType::Unknown => {
            Err(ConnectError::InvalidPlan { reason: "subquery expression without a subquery type".into() })
        }
    }
}
