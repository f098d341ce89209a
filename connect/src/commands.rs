//! Connect commands: `spark.sql` (SqlCommand), `df.write` (WriteOperation) and
//! `createOrReplaceTempView` (CreateDataFrameViewCommand), `spark.udf.register`
//! (RegisterFunction).

use std::sync::Arc;

use datafusion::catalog::MemorySchemaProvider;
use datafusion::datasource::MemTable;
use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use flint_engine::FlintSession;
use flint_engine::session::DEFAULT_CATALOG;
use spark_connect_proto::command::CommandType;
use spark_connect_proto::execute_plan_response::{ResponseType, SqlCommandResult};
use spark_connect_proto::relation::RelType;
use spark_connect_proto::write_operation::save_table::TableSaveMethod;
use spark_connect_proto::write_operation::{SaveMode, SaveType};
use spark_connect_proto::{Command, LocalRelation, Relation, Sql, SqlCommand};

use crate::arrow_batches::ipc_stream;
use crate::errors::{ConnectError, Result};
use crate::plan::relations::RelationPlanner;

/// Runs a command; returns the responses it produces before `ResultComplete`.
pub async fn run(session: &FlintSession, command: &Command) -> Result<Vec<ResponseType>> {
    let Some(command_type) = command.command_type.as_ref() else {
        return Err(ConnectError::InvalidPlan { reason: "command without a type".into() });
    };
    match command_type {
        CommandType::SqlCommand(sql) => {
            let relation = sql_command(session, sql).await?;
            Ok(vec![ResponseType::SqlCommandResult(SqlCommandResult { relation: Some(relation) })])
        }
        CommandType::WriteOperation(write) => {
            write_operation(session, write).await?;
            Ok(vec![])
        }
        CommandType::CreateDataframeView(view) => {
            create_view(session, view).await?;
            Ok(vec![])
        }
        CommandType::RegisterFunction(udf) => {
            crate::plan::python_udf::register(session, udf)?;
            Ok(vec![])
        }
        other => {
            let debug = format!("{other:?}");
            let name = debug.split('(').next().unwrap_or("unknown");
            Err(ConnectError::Unsupported { what: format!("command {name}") })
        }
    }
}

/// `spark.sql(query)`: queries come back as a lazy relation (the `SQL` relation, or the
/// client's own when it binds parameters or DataFrames); DDL, DML and `SET` run now and
/// come back as their (usually empty) result.
async fn sql_command(session: &FlintSession, command: &SqlCommand) -> Result<Relation> {
    let (query, bound) = match command.input.as_ref() {
        Some(input @ Relation { rel_type: Some(RelType::Sql(sql)), .. }) => {
            #[allow(deprecated)]
            let has_args = !(sql.pos_arguments.is_empty()
                && sql.named_arguments.is_empty()
                && sql.args.is_empty()
                && sql.pos_args.is_empty());
            (sql.query.clone(), has_args.then_some(input))
        }
        Some(input @ Relation { rel_type: Some(RelType::WithRelations(with)), .. }) => {
            match with.root.as_deref().and_then(|r| r.rel_type.as_ref()) {
                Some(RelType::Sql(sql)) => (sql.query.clone(), Some(input)),
                _ => return Err(ConnectError::InvalidPlan { reason: "a SQL command's WithRelations without a SQL root".into() }),
            }
        }
        #[allow(deprecated)]
        _ => (command.sql.clone(), None),
    };
    let statements = flint_engine::sql::parse_statements(&query)?;
    let is_query = statements.len() == 1
        && matches!(statements.front(), Some(Statement::Statement(s)) if matches!(s.as_ref(), SqlStatement::Query(_)));
    let df = match bound {
        Some(input) => RelationPlanner::new(session.clone()).plan(input).await?,
        None => session.sql(&query).await?,
    };
    if is_query {
        return Ok(match bound {
            Some(input) => input.clone(),
            None => Relation {
                common: None,
                rel_type: Some(RelType::Sql(Sql { query, ..Default::default() })),
            },
        });
    }
    let schema = df.schema();
    let batches = df.collect().await?;
    Ok(Relation {
        common: None,
        rel_type: Some(RelType::LocalRelation(LocalRelation {
            data: Some(ipc_stream(&schema, &batches)?.into()),
            schema: None,
        })),
    })
}

async fn write_operation(session: &FlintSession, write: &spark_connect_proto::WriteOperation) -> Result<()> {
    let input = write.input.as_ref().ok_or_else(|| ConnectError::InvalidPlan {
        reason: "write without an input relation".into(),
    })?;
    let df = RelationPlanner::new(session.clone()).plan(input).await?;
    let mode = match SaveMode::try_from(write.mode).unwrap_or(SaveMode::Unspecified) {
        SaveMode::Append => "append",
        SaveMode::Overwrite => "overwrite",
        SaveMode::Ignore => "ignore",
        SaveMode::ErrorIfExists | SaveMode::Unspecified => "error",
    };
    match write.save_type.as_ref() {
        Some(SaveType::Path(path)) => {
            let mut writer = df.write().format(write.source.as_deref().unwrap_or("parquet")).mode(mode);
            for (key, value) in &write.options {
                writer = writer.option(key, value);
            }
            let partitions: Vec<&str> = write.partitioning_columns.iter().map(String::as_str).collect();
            if !partitions.is_empty() {
                writer = writer.partition_by(&partitions);
            }
            writer.save(path).await?;
        }
        Some(SaveType::Table(table)) => {
            let ctx = session.context();
            let exists = ctx.table_exist(table.table_name.as_str())?;
            let (df, mode) = match TableSaveMethod::try_from(table.save_method) {
                Ok(TableSaveMethod::InsertInto) => {
                    let target = session.table(&table.table_name).await?;
                    // insertInto appends unless asked to overwrite, whatever the save mode.
                    (by_position(df, &target, &table.table_name)?, if mode == "overwrite" { mode } else { "append" })
                }
                _ => (df, mode),
            };
            let mut batches = df.collect().await?;
            if exists {
                match mode {
                    "error" => {
                        return Err(ConnectError::Engine(flint_engine::FlintError::DataFusion(
                            datafusion::error::DataFusionError::Plan(format!(
                                "[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view `{}` because it already exists.",
                                table.table_name
                            )),
                        )));
                    }
                    "ignore" => return Ok(()),
                    "append" => {
                        let old = ctx.table(table.table_name.as_str()).await?.collect().await?;
                        batches.splice(0..0, old);
                    }
                    _ => {}
                }
                ctx.deregister_table(table.table_name.as_str())?;
            }
            let memory = MemTable::try_new(df.schema(), vec![batches])?;
            ctx.register_table(table.table_name.as_str(), Arc::new(memory))?;
        }
        None => return Err(ConnectError::InvalidPlan { reason: "write without a path or table".into() }),
    }
    Ok(())
}

/// `df`'s columns as `target`'s, matched by position and cast to its types, as Spark's
/// `insertInto` takes them; a different number of columns is Spark's
/// INSERT_COLUMN_ARITY_MISMATCH.
fn by_position(df: flint_engine::DataFrame, target: &flint_engine::DataFrame, table: &str) -> Result<flint_engine::DataFrame> {
    let (data, wanted) = (df.schema(), target.schema());
    if data.fields().len() != wanted.fields().len() {
        let names = |schema: &arrow::datatypes::Schema| {
            schema.fields().iter().map(|f| format!("`{}`", f.name())).collect::<Vec<_>>().join(", ")
        };
        let reason = if data.fields().len() > wanted.fields().len() { "TOO_MANY" } else { "NOT_ENOUGH" };
        return Err(ConnectError::Analysis {
            condition: if reason == "TOO_MANY" {
                "INSERT_COLUMN_ARITY_MISMATCH.TOO_MANY_DATA_COLUMNS"
            } else {
                "INSERT_COLUMN_ARITY_MISMATCH.NOT_ENOUGH_DATA_COLUMNS"
            },
            message: format!(
                "[INSERT_COLUMN_ARITY_MISMATCH.{reason}_DATA_COLUMNS] Cannot write to `{table}`, the reason is {} data \
                 columns: Table columns: {}. Data columns: {}.",
                reason.to_ascii_lowercase().replace('_', " "),
                names(&wanted),
                names(&data)
            ),
        });
    }
    let columns = df.inner().schema().columns();
    let exprs = columns.into_iter().zip(wanted.fields()).map(|(column, field)| {
        datafusion::logical_expr::cast(datafusion::logical_expr::Expr::Column(column), field.data_type().clone())
            .alias(field.name())
    });
    let selected = df.inner().clone().select(exprs.collect::<Vec<_>>())?;
    Ok(flint_engine::DataFrame::new(df.session().clone(), selected))
}

async fn create_view(session: &FlintSession, view: &spark_connect_proto::CreateDataFrameViewCommand) -> Result<()> {
    let input = view.input.as_ref().ok_or_else(|| ConnectError::InvalidPlan {
        reason: "view without an input relation".into(),
    })?;
    let df = RelationPlanner::new(session.clone()).plan(input).await?;
    let ctx = session.context();
    let name = if view.is_global {
        if let Some(catalog) = ctx.catalog(DEFAULT_CATALOG)
            && catalog.schema("global_temp").is_none()
        {
            catalog.register_schema("global_temp", Arc::new(MemorySchemaProvider::new()))?;
        }
        format!("global_temp.{}", view.name)
    } else {
        view.name.clone()
    };
    if ctx.table_exist(name.as_str())? {
        if !view.replace {
            return Err(ConnectError::Engine(flint_engine::FlintError::DataFusion(
                datafusion::error::DataFusionError::Plan(format!(
                    "[TEMP_TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create the temporary view `{}` because it already exists.",
                    view.name
                )),
            )));
        }
        ctx.deregister_table(name.as_str())?;
    }
    ctx.register_table(name.as_str(), df.inner().clone().into_view())?;
    Ok(())
}
