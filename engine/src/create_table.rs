//! Parsing Spark's data source DDL, which sqlparser does not read:
//! `CREATE [OR REPLACE] TABLE [IF NOT EXISTS] name [(columns)] USING format
//! [OPTIONS (...)] [PARTITIONED BY (...)] [LOCATION '...'] [COMMENT '...']
//! [TBLPROPERTIES (...)]` and `CREATE [OR REPLACE] TEMPORARY VIEW name [(columns)] USING
//! format OPTIONS (path '...')`, as DataFusion's `CREATE EXTERNAL TABLE` statement that
//! [`crate::managed_tables`] completes when it runs.

use datafusion::sql::parser::{CreateExternalTable, Statement};
use datafusion::sql::sqlparser::ast::Value;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

/// Options keys under this prefix carry `TBLPROPERTIES`; [`crate::managed_tables`] takes
/// them out before DataFusion sees the options.
pub const TABLE_PROPERTY_PREFIX: &str = "spark.tblproperty.";
/// The options key that marks a temporary view (`CREATE TEMPORARY VIEW … USING`).
pub const TEMPORARY_VIEW_OPTION: &str = "spark.temporaryview";

/// Parses a Spark `CREATE … USING` statement; `None`, consuming nothing, when the next
/// statement is not one (no `USING` before its end or before `AS`).
pub fn parse_spark_create_table(parser: &mut Parser) -> Option<Result<Statement, ParserError>> {
    if !is_spark_create(parser) {
        return None;
    }
    Some(parse_create(parser))
}

/// Whether the statement ahead is `CREATE [OR REPLACE] [TEMPORARY] TABLE|VIEW … USING`.
fn is_spark_create(parser: &Parser) -> bool {
    let word = |n: usize| match parser.peek_nth_token(n).token {
        Token::Word(w) => Some(w.keyword),
        _ => None,
    };
    if word(0) != Some(Keyword::CREATE) {
        return false;
    }
    let mut depth = 0usize;
    for n in 1.. {
        match parser.peek_nth_token(n).token {
            Token::SemiColon | Token::EOF => return false,
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Word(w) if depth == 0 && w.keyword == Keyword::AS => return false,
            Token::Word(w) if depth == 0 && w.keyword == Keyword::USING => return true,
            _ => {}
        }
    }
    false
}

fn parse_create(parser: &mut Parser) -> Result<Statement, ParserError> {
    parser.expect_keyword_is(Keyword::CREATE)?;
    let or_replace = parser.parse_keywords(&[Keyword::OR, Keyword::REPLACE]);
    let temporary = parser.parse_one_of_keywords(&[Keyword::TEMPORARY, Keyword::TEMP]).is_some();
    if temporary {
        parser.expect_keyword_is(Keyword::VIEW)?;
    } else {
        parser.expect_keyword_is(Keyword::TABLE)?;
    }
    let if_not_exists = parser.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = parser.parse_object_name(false)?;
    let columns = if parser.peek_token_ref().token == Token::LParen {
        let (columns, constraints) = parser.parse_columns()?;
        if !constraints.is_empty() {
            return parser.expected("column definitions without constraints", parser.peek_token());
        }
        columns
    } else {
        Vec::new()
    };
    let mut file_type = None;
    let mut options: Vec<(String, Value)> = Vec::new();
    let mut locations = Vec::new();
    let mut table_partition_cols = Vec::new();
    loop {
        if parser.parse_keyword(Keyword::USING) {
            file_type = Some(parser.parse_identifier()?.value.to_ascii_uppercase());
        } else if parser.parse_keyword(Keyword::OPTIONS) {
            for (key, value) in parse_key_values(parser)? {
                if key.eq_ignore_ascii_case("path") {
                    locations.push(value);
                } else {
                    options.push((key, Value::SingleQuotedString(value)));
                }
            }
        } else if parser.parse_keywords(&[Keyword::PARTITIONED, Keyword::BY]) {
            parser.expect_token(&Token::LParen)?;
            table_partition_cols = parser.parse_comma_separated(|p| p.parse_identifier())?;
            parser.expect_token(&Token::RParen)?;
        } else if parser.parse_keyword(Keyword::LOCATION) {
            locations.push(parser.parse_literal_string()?);
        } else if parser.parse_keyword(Keyword::COMMENT) {
            parser.parse_literal_string()?;
        } else if parser.parse_keyword(Keyword::TBLPROPERTIES) {
            for (key, value) in parse_key_values(parser)? {
                options.push((format!("{TABLE_PROPERTY_PREFIX}{key}"), Value::SingleQuotedString(value)));
            }
        } else {
            break;
        }
    }
    let next = parser.peek_token();
    if !matches!(next.token, Token::SemiColon | Token::EOF) {
        return parser.expected("OPTIONS, PARTITIONED BY, LOCATION, COMMENT, TBLPROPERTIES or the end of CREATE TABLE", next);
    }
    let Some(file_type) = file_type else {
        return parser.expected("USING format", next);
    };
    if temporary {
        options.push((TEMPORARY_VIEW_OPTION.to_string(), Value::SingleQuotedString("true".into())));
    }
    Ok(Statement::CreateExternalTable(CreateExternalTable {
        name,
        columns,
        file_type,
        locations,
        table_partition_cols: table_partition_cols.into_iter().map(|c| c.value).collect(),
        order_exprs: Vec::new(),
        if_not_exists,
        or_replace,
        temporary: false,
        unbounded: false,
        options,
        constraints: Vec::new(),
    }))
}

/// `(key [=] value, ...)` where a key is a name or a string and a value a string, a
/// number or a word (`header false`, `'compression' = 'snappy'`).
fn parse_key_values(parser: &mut Parser) -> Result<Vec<(String, String)>, ParserError> {
    parser.expect_token(&Token::LParen)?;
    let mut pairs = Vec::new();
    loop {
        let key = match parser.next_token().token {
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => s,
            Token::Word(first) => {
                let mut key = first.value;
                while parser.consume_token(&Token::Period) {
                    key.push('.');
                    key.push_str(&parser.parse_identifier()?.value);
                }
                key
            }
            _ => return parser.expected("an option name", parser.peek_token()),
        };
        let _optional_equals = parser.consume_token(&Token::Eq);
        let value = match parser.next_token().token {
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => s,
            Token::Number(n, _) => n,
            Token::Word(w) => w.value,
            _ => return parser.expected("an option value", parser.peek_token()),
        };
        pairs.push((key, value));
        if !parser.consume_token(&Token::Comma) {
            break;
        }
    }
    parser.expect_token(&Token::RParen)?;
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use crate::sql::parse_statements;

    use super::*;

    fn create(sql: &str) -> CreateExternalTable {
        match parse_statements(sql).ok().and_then(|mut s| s.pop_front()) {
            Some(Statement::CreateExternalTable(create)) => create,
            other => panic!("{sql} parsed as {other:?}"),
        }
    }

    #[test]
    fn reads_spark_data_source_tables() {
        let table = create("CREATE TABLE tbl (id INT, p INT) USING parquet PARTITIONED BY (p) TBLPROPERTIES ('k' = 'v')");
        assert_eq!((table.name.to_string().as_str(), table.file_type.as_str()), ("tbl", "PARQUET"));
        assert_eq!(table.columns.len(), 2);
        assert_eq!(table.table_partition_cols, ["p"]);
        assert!(table.locations.is_empty(), "managed: the warehouse decides");
        assert_eq!(table.options[0].0, "spark.tblproperty.k");
        let csv = create("CREATE TABLE t (key LONG) USING csv OPTIONS (header false, path '/tmp/x')");
        assert_eq!(csv.locations, ["/tmp/x"]);
        assert_eq!(csv.options[0].0, "header");
        let view = create("CREATE TEMPORARY VIEW v USING parquet OPTIONS (path '/d')");
        assert!(view.options.iter().any(|(k, _)| k == TEMPORARY_VIEW_OPTION));
    }

    #[test]
    fn leaves_other_create_statements_alone() {
        let parsed = parse_statements("CREATE TABLE t AS SELECT 1 AS a; CREATE VIEW v AS SELECT 'using' AS x");
        let texts: Vec<String> = parsed.unwrap_or_default().iter().map(|s| s.to_string()).collect();
        assert_eq!(texts, ["CREATE TABLE t AS SELECT 1 AS a", "CREATE VIEW v AS SELECT 'using' AS x"]);
        assert!(parse_statements("CREATE TABLE t (a INT) USING parquet CLUSTERED BY (a)").is_err());
    }
}
