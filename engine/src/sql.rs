//! Parsing SQL text in Spark's dialect into statements, with parse errors that point at the text.

use std::collections::VecDeque;

use datafusion::error::DataFusionError;
use datafusion::sql::parser::{DFParserBuilder, Statement};
use datafusion::sql::sqlparser::dialect::SparkSqlDialect;
use datafusion::sql::sqlparser::parser::ParserError;

use crate::error::{FlintError, Result};

/// Parses `sql` (one or more statements separated by `;`) with Spark's SQL dialect.
pub fn parse_statements(sql: &str) -> Result<VecDeque<Statement>> {
    let parsed = DFParserBuilder::new(sql)
        .with_dialect(&SparkSqlDialect {})
        .build()
        .and_then(|mut parser| parser.parse_statements());
    parsed.map_err(|error| parse_error(sql, error))
}

/// Replaces `${key}` with the value of configuration key `key`, as Spark's variable
/// substitution does (`spark.sql.variable.substitute`); unknown keys stay as written.
pub fn substitute_variables(sql: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}').and_then(|end| lookup(&after[..end]).map(|value| (end, value))) {
            Some((end, value)) => {
                out.push_str(&value);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Turns a parser error into [`FlintError::Parse`] with its line and column when the
/// parser reported them.
fn parse_error(sql: &str, error: DataFusionError) -> FlintError {
    let message = match &error {
        DataFusionError::SQL(inner, _) => match inner.as_ref() {
            ParserError::ParserError(m) | ParserError::TokenizerError(m) => m.clone(),
            ParserError::RecursionLimitExceeded => return error.into(),
        },
        _ => return error.into(),
    };
    match split_location(&message) {
        Some((message, line, column)) => FlintError::Parse {
            message: message.to_string(),
            sql: sql.to_string(),
            line,
            column,
        },
        None => FlintError::Parse {
            message,
            sql: sql.to_string(),
            line: 0,
            column: 0,
        },
    }
}

/// Splits `"... at Line: L, Column: C"` into the message and its location.
fn split_location(message: &str) -> Option<(&str, usize, usize)> {
    let at = message.rfind(" at Line: ")?;
    let (text, location) = message.split_at(at);
    let location = location.trim_start_matches(" at Line: ");
    let (line, column) = location.split_once(", Column: ")?;
    Some((text, line.trim().parse().ok()?, column.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_known_variables_only() {
        let lookup = |key: &str| (key == "spark.data").then(|| "/d".to_string());
        assert_eq!(
            substitute_variables("select * from parquet.`${spark.data}/t` where x = '${other}'", lookup),
            "select * from parquet.`/d/t` where x = '${other}'"
        );
        assert_eq!(substitute_variables("${spark.data", lookup), "${spark.data");
    }

    #[test]
    fn splits_many_statements() {
        let statements = parse_statements("select 1; select 2;").ok();
        assert_eq!(statements.map(|s| s.len()), Some(2));
    }

    #[test]
    fn reports_where_parsing_failed() {
        let error = parse_statements("select a from t\nwhere x = = 1").err();
        match error {
            Some(FlintError::Parse { line, column, message, .. }) => {
                assert_eq!((line, column), (2, 11), "{message}");
                assert!(message.contains("found: ="), "{message}");
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }
}
