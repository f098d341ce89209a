//! Table-valued functions as relations (`spark.tvf.explode(...)`, Connect's
//! `UnresolvedTableValuedFunction`): a generator over no input is Spark's
//! `SELECT generator(args)` over one row, planned as that projection.

use flint_engine::DataFrame;
use spark_connect_proto::expression::{ExprType, UnresolvedFunction};
use spark_connect_proto::relation::RelType;
use spark_connect_proto::{Expression, Project, Relation, UnresolvedTableValuedFunction};

use crate::errors::{ConnectError, Result};
use crate::plan::relations::RelationPlanner;

/// The rows of a table-valued function call.
pub async fn table_function(planner: &RelationPlanner, call: &UnresolvedTableValuedFunction) -> Result<DataFrame> {
    let name = call.function_name.to_ascii_lowercase();
    if !crate::plan::generators::GENERATORS.contains(&name.as_str()) {
        return Err(ConnectError::Unsupported { what: format!("the table-valued function {}", call.function_name) });
    }
    let generator = Expression {
        expr_type: Some(ExprType::UnresolvedFunction(UnresolvedFunction {
            function_name: name,
            arguments: call.arguments.clone(),
            ..Default::default()
        })),
        ..Default::default()
    };
    let project = Relation {
        rel_type: Some(RelType::Project(Box::new(Project { input: None, expressions: vec![generator] }))),
        ..Default::default()
    };
    planner.plan(&project).await
}
