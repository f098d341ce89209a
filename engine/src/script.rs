//! Running a SQL script statement by statement, as `spark-sql -f` does.

use std::sync::Arc;

use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;

use crate::error::Result;
use crate::progress::JobProgress;
use crate::session::FlintSession;
use crate::sql::{parse_statements, substitute_variables};

/// How query results are shown: Spark's `show(num_rows, truncate)`.
#[derive(Debug, Clone, Copy)]
pub struct ShowOptions {
    /// Rows shown per query.
    pub num_rows: usize,
    /// Cells are cut to this many characters; 0 shows them whole.
    pub truncate: usize,
}

impl Default for ShowOptions {
    fn default() -> Self {
        Self { num_rows: 20, truncate: 20 }
    }
}

/// What one statement of a script produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementOutput {
    /// A query's rows as a `show()` table.
    Table(String),
    /// An `EXPLAIN`'s plan text.
    Plan(String),
    /// A statement run for its effect (DDL, `SET`, `INSERT`).
    Done,
}

/// Runs every statement of `sql` in order, handing each output to `on_output` as soon
/// as it is ready; stops at the first failing statement. `${key}` is replaced by the
/// value of configuration key `key` first.
pub async fn run_script(
    session: &FlintSession,
    sql: &str,
    show: ShowOptions,
    progress: &Arc<JobProgress>,
    mut on_output: impl FnMut(StatementOutput),
) -> Result<()> {
    let conf = session.conf();
    let sql = substitute_variables(sql, |key| conf.get(key).map(str::to_string));
    for statement in parse_statements(&sql)? {
        on_output(run_statement(session, statement, show, progress).await?);
    }
    Ok(())
}

async fn run_statement(
    session: &FlintSession,
    statement: Statement,
    show: ShowOptions,
    progress: &Arc<JobProgress>,
) -> Result<StatementOutput> {
    match statement {
        Statement::Explain(explain) if !explain.options.analyze => {
            let df = session.execute(*explain.statement).await?;
            Ok(StatementOutput::Plan(df.explain(explain.options.verbose).await?))
        }
        statement => {
            let is_query = is_query(&statement);
            let df = session.execute(statement).await?;
            if is_query {
                Ok(StatementOutput::Table(df.show_string_with_progress(show.num_rows, show.truncate, progress).await?))
            } else {
                df.collect_with_progress(progress).await?;
                Ok(StatementOutput::Done)
            }
        }
    }
}

/// Whether a statement returns rows to show (a query, `SHOW`, `DESCRIBE`, `EXPLAIN ANALYZE`).
fn is_query(statement: &Statement) -> bool {
    match statement {
        Statement::Statement(inner) => matches!(
            inner.as_ref(),
            SqlStatement::Query(_)
                | SqlStatement::ShowTables { .. }
                | SqlStatement::ShowColumns { .. }
                | SqlStatement::ShowVariable { .. }
                | SqlStatement::ExplainTable { .. }
        ),
        Statement::Explain(_) => true,
        _ => false,
    }
}
