//! Parsing SQL text in Spark's dialect into statements, with parse errors that point at the text.

use std::collections::VecDeque;

use datafusion::error::DataFusionError;
use datafusion::sql::parser::{DFParser, DFParserBuilder, Statement};
use datafusion::sql::sqlparser::ast::{Expr, Ident, ObjectName, Set, Statement as SqlStatement, Value};
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

use crate::error::{FlintError, Result};

/// Parses `sql` (one or more statements separated by `;`) with Spark's SQL dialect.
pub fn parse_statements(sql: &str) -> Result<VecDeque<Statement>> {
    let parsed = DFParserBuilder::new(sql)
        .with_dialect(&crate::spark::sql_dialect::FlintSparkDialect::default())
        .build()
        .and_then(|mut parser| parse_all(&mut parser));
    parsed.map_err(|error| parse_error(sql, error))
}

/// DataFusion's statement loop, with Spark's `CACHE TABLE` parsed here: sqlparser's reads
/// a query after the table name even when a `;` ends the statement, and wants `=` in
/// `OPTIONS ('storageLevel' 'DISK_ONLY')`.
fn parse_all(parser: &mut DFParser) -> std::result::Result<VecDeque<Statement>, DataFusionError> {
    let sql_error = |e: ParserError| DataFusionError::SQL(Box::new(e), None);
    let mut statements = VecDeque::new();
    let mut expecting_delimiter = false;
    loop {
        while parser.parser.consume_token(&Token::SemiColon) {
            expecting_delimiter = false;
        }
        let next = parser.parser.peek_token();
        if next.token == Token::EOF {
            return Ok(statements);
        }
        if expecting_delimiter {
            return parser.parser.expected("end of statement", next).map_err(sql_error);
        }
        let mut statement = if parser.parser.parse_keyword(Keyword::CACHE) {
            Statement::Statement(Box::new(parse_cache_table(&mut parser.parser).map_err(sql_error)?))
        } else if let Some(create) = crate::create_table::parse_spark_create_table(&mut parser.parser) {
            create.map_err(sql_error)?
        } else if let Some(set) = parse_spark_set(&mut parser.parser) {
            Statement::Statement(Box::new(set))
        } else {
            parser.parse_statement()?
        };
        crate::spark::sql_trim::spark_trim_arguments(&mut statement);
        statements.push_back(statement);
        expecting_delimiter = true;
    }
}

/// Spark's `SET spark.key = value`, whose value is the raw text up to the end of the
/// statement (`SET spark.sql.autoBroadcastJoinThreshold=10m`), which sqlparser would read
/// as an expression. `None`, consuming nothing, for any other statement.
fn parse_spark_set(parser: &mut Parser) -> Option<SqlStatement> {
    let is_word = |token: &Token, value: &str| matches!(token, Token::Word(w) if w.value.eq_ignore_ascii_case(value));
    let is_spark_key = |token: &Token| matches!(token, Token::Word(w) if w.value.to_ascii_lowercase().starts_with("spark"));
    if !is_word(&parser.peek_nth_token(0).token, "set") || !is_spark_key(&parser.peek_nth_token(1).token) {
        return None;
    }
    // `SET spark.key` alone (no `=`) shows the value in Spark: left to the usual parser.
    let assigns = (2..)
        .map(|n| parser.peek_nth_token(n).token)
        .take_while(|token| !matches!(token, Token::SemiColon | Token::EOF))
        .any(|token| token == Token::Eq);
    if !assigns {
        return None;
    }
    parser.next_token();
    let mut key = String::new();
    let mut value = String::new();
    let mut in_value = false;
    loop {
        match parser.peek_token_no_skip().token {
            Token::SemiColon | Token::EOF => break,
            Token::Eq if !in_value => in_value = true,
            Token::Whitespace(_) if !in_value => {}
            token if in_value => value.push_str(&token.to_string()),
            token => key.push_str(&token.to_string()),
        }
        parser.next_token_no_skip();
    }
    Some(SqlStatement::Set(Set::SingleAssignment {
        scope: None,
        hivevar: false,
        variable: ObjectName::from(vec![Ident::new(key)]),
        values: vec![Expr::value(Value::SingleQuotedString(unquoted(value.trim()).to_string()))],
    }))
}

/// `text` without one pair of surrounding quotes, `'` or `"`.
fn unquoted(text: &str) -> &str {
    ['\'', '"']
        .iter()
        .find_map(|quote| text.strip_prefix(*quote).and_then(|rest| rest.strip_suffix(*quote)))
        .unwrap_or(text)
}

/// The rest of `CACHE [LAZY] TABLE name [OPTIONS (key [=] value, ...)] [[AS] query]`.
/// Options (storage levels) are read and dropped: Flint keeps every cache one way.
fn parse_cache_table(parser: &mut Parser) -> std::result::Result<SqlStatement, ParserError> {
    let table_flag = match &parser.peek_token_ref().token {
        Token::Word(word) if word.value.eq_ignore_ascii_case("lazy") => Some(parser.parse_object_name(false)?),
        _ => None,
    };
    parser.expect_keyword_is(Keyword::TABLE)?;
    let table_name: ObjectName = parser.parse_object_name(false)?;
    if parser.parse_keyword(Keyword::OPTIONS) {
        parser.expect_token(&Token::LParen)?;
        loop {
            parser.parse_value()?;
            let _optional_equals = parser.consume_token(&Token::Eq);
            parser.parse_value()?;
            if !parser.consume_token(&Token::Comma) {
                break;
            }
        }
        parser.expect_token(&Token::RParen)?;
    }
    let ends = matches!(parser.peek_token_ref().token, Token::SemiColon | Token::EOF);
    let has_as = !ends && parser.parse_keyword(Keyword::AS);
    let query = if ends { None } else { Some(parser.parse_query()?) };
    Ok(SqlStatement::Cache { table_flag, table_name, has_as, options: Vec::new(), query })
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
    fn cache_table_ends_at_a_semicolon_and_takes_spark_options() {
        let parsed = parse_statements(
            "cache table t; cache lazy table u options ('storageLevel' 'DISK_ONLY') as select 1; uncache table t",
        );
        let texts: Vec<String> = parsed.unwrap_or_default().iter().map(|s| s.to_string()).collect();
        assert_eq!(texts, ["CACHE TABLE t", "CACHE lazy TABLE u AS SELECT 1", "UNCACHE TABLE t"]);
        assert!(parse_statements("cache table t select 1 select 2").is_err());
    }

    #[test]
    fn spark_set_takes_the_raw_text_up_to_the_end_of_the_statement() {
        let parsed = parse_statements(
            "SET spark.sql.autoBroadcastJoinThreshold=10m; set spark.sql.session.timeZone = 'UTC'; SET x = 1; select 1",
        );
        let texts: Vec<String> = parsed.unwrap_or_default().iter().map(|s| s.to_string()).collect();
        assert_eq!(texts, [
            "SET spark.sql.autoBroadcastJoinThreshold = '10m'",
            "SET spark.sql.session.timeZone = 'UTC'",
            "SET x = 1",
            "SELECT 1"
        ]);
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
