//! Spark SQL as Flint parses it: sqlparser's `SparkSqlDialect`, plus Spark's backslash
//! escapes in string literals (`'\t'` is a tab, `'\\d+'` the regex `\d+`, `'it\'s'` a
//! quote), which Spark applies by default (`spark.sql.parser.escapedStringLiterals` is
//! false) and sqlparser's Spark dialect does not; and Spark's typed numeric literals
//! (`1.5D` DOUBLE, `2L` BIGINT, `2F` FLOAT, `3S` SMALLINT, `4Y` TINYINT, `1.50BD` DECIMAL), which
//! sqlparser read as a number and a column alias (`1.5D` was the DECIMAL 1.5 named `D`).

use datafusion::sql::sqlparser::ast::{CastKind, DataType, ExactNumberInfo, Expr, Value};
use datafusion::sql::sqlparser::dialect::{Dialect, SparkSqlDialect};
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

/// sqlparser's Spark dialect with backslash escapes in string literals.
#[derive(Debug, Default, Clone, Copy)]
pub struct FlintSparkDialect(SparkSqlDialect);

impl Dialect for FlintSparkDialect {
    fn dialect(&self) -> std::any::TypeId {
        self.0.dialect()
    }

    fn supports_string_literal_backslash_escape(&self) -> bool {
        true
    }

    /// Spark's `trim(trimStr, str)`; `spark::sql_trim` puts its arguments in Spark's order.
    fn supports_comma_separated_trim(&self) -> bool {
        true
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        self.0.is_delimited_identifier_start(ch)
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        self.0.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        self.0.is_identifier_part(ch)
    }

    fn supports_filter_during_aggregation(&self) -> bool {
        self.0.supports_filter_during_aggregation()
    }

    fn supports_group_by_expr(&self) -> bool {
        self.0.supports_group_by_expr()
    }

    fn supports_group_by_with_modifier(&self) -> bool {
        self.0.supports_group_by_with_modifier()
    }

    fn supports_lambda_functions(&self) -> bool {
        self.0.supports_lambda_functions()
    }

    fn supports_select_wildcard_except(&self) -> bool {
        self.0.supports_select_wildcard_except()
    }

    fn supports_struct_literal(&self) -> bool {
        self.0.supports_struct_literal()
    }

    fn supports_nested_comments(&self) -> bool {
        self.0.supports_nested_comments()
    }

    fn supports_create_table_using(&self) -> bool {
        self.0.supports_create_table_using()
    }

    fn supports_long_type_as_bigint(&self) -> bool {
        self.0.supports_long_type_as_bigint()
    }

    fn supports_values_as_table_factor(&self) -> bool {
        self.0.supports_values_as_table_factor()
    }

    fn require_interval_qualifier(&self) -> bool {
        self.0.require_interval_qualifier()
    }

    fn supports_bang_not_operator(&self) -> bool {
        self.0.supports_bang_not_operator()
    }

    fn supports_select_item_multi_column_alias(&self) -> bool {
        self.0.supports_select_item_multi_column_alias()
    }

    fn supports_cte_without_as(&self) -> bool {
        self.0.supports_cte_without_as()
    }

    fn supports_map_literal_with_angle_brackets(&self) -> bool {
        self.0.supports_map_literal_with_angle_brackets()
    }

    fn parse_infix(&self, parser: &mut Parser, expr: &Expr, precedence: u8) -> Option<Result<Expr, ParserError>> {
        self.0.parse_infix(parser, expr, precedence)
    }

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        typed_number(parser)
    }
}

/// A number written with Spark's type suffix right after it (`1.5D`), as a cast of the
/// number to that type; `None` (sqlparser's own parsing) for anything else.
fn typed_number(parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
    let token_after = |from: usize| (from..).find(|&n| !matches!(parser.peek_nth_token_no_skip(n).token, Token::Whitespace(_)));
    let mut at = token_after(0)?;
    // `-7Y` is one literal, as in Spark (`-128Y` is in range).
    let negative = parser.peek_nth_token_no_skip(at).token == Token::Minus;
    if negative {
        at = token_after(at + 1)?;
    }
    let (digits, long) = match parser.peek_nth_token_no_skip(at).token {
        Token::Number(digits, long) => (if negative { format!("-{digits}") } else { digits }, long),
        _ => return None,
    };
    let consume = |parser: &mut Parser| (0..1 + usize::from(negative)).for_each(|_| drop(parser.next_token()));
    if long {
        // `2L`: a cast, so that Flint's typing of integer literals as INT leaves it BIGINT.
        consume(parser);
        return Some(Ok(cast_number(digits, DataType::BigInt(None))));
    }
    let Token::Word(word) = parser.peek_nth_token_no_skip(at + 1).token else { return None };
    if word.quote_style.is_some() {
        return None;
    }
    let (data_type, digits) = match word.value.to_ascii_uppercase().as_str() {
        "D" => (DataType::Double(ExactNumberInfo::None), as_java_prints(digits, false)),
        "F" => (DataType::Float(ExactNumberInfo::None), as_java_prints(digits, true)),
        "S" => (DataType::SmallInt(None), digits),
        "Y" => (DataType::TinyInt(None), digits),
        "BD" => match decimal_type(digits.trim_start_matches('-')) {
            Some(data_type) => (data_type, digits),
            None => return Some(parser.expected("a decimal number before BD", parser.peek_nth_token_no_skip(at))),
        },
        _ => return None,
    };
    consume(parser);
    parser.next_token();
    if let Err(error) = fits(&digits, &data_type) {
        return Some(Err(error));
    }
    Some(Ok(cast_number(digits, data_type)))
}

/// `digits` as Java prints the floating-point number they read as (`2` is `2.0`, `1E3` is
/// `1000.0`: Spark names the column so), where Java prints it without an exponent.
fn as_java_prints(digits: String, single: bool) -> String {
    let value = if single { digits.parse::<f32>().map(f64::from) } else { digits.parse::<f64>() };
    match value {
        Ok(v) if v == 0.0 || (1e-3..1e7).contains(&v.abs()) => {
            if single { format!("{:?}", v as f32) } else { format!("{v:?}") }
        }
        _ => digits,
    }
}

/// `CAST(digits AS data_type)`.
fn cast_number(digits: String, data_type: DataType) -> Expr {
    let number = Expr::Value(Value::Number(digits, false).into());
    Expr::Cast { kind: CastKind::Cast, expr: Box::new(number), data_type, array: false, format: None }
}

/// The DECIMAL type Spark gives `digits` (`0.05` is DECIMAL(2, 2)), `None` for an exponent.
fn decimal_type(digits: &str) -> Option<DataType> {
    if !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let scale = fraction.len() as u64;
    let precision = (whole.trim_start_matches('0').len() as u64 + scale).max(scale).max(1);
    Some(DataType::Decimal(ExactNumberInfo::PrecisionAndScale(precision, scale as i64)))
}

/// An error as Spark's for a SMALLINT or TINYINT literal out of its type's range.
fn fits(digits: &str, data_type: &DataType) -> Result<(), ParserError> {
    let (name, low, high) = match data_type {
        DataType::SmallInt(_) => ("smallint", i64::from(i16::MIN), i64::from(i16::MAX)),
        DataType::TinyInt(_) => ("tinyint", i64::from(i8::MIN), i64::from(i8::MAX)),
        _ => return Ok(()),
    };
    match digits.parse::<i64>() {
        Ok(value) if (low..=high).contains(&value) => Ok(()),
        _ => Err(ParserError::ParserError(format!(
            "[INVALID_NUMERIC_LITERAL_RANGE] Numeric literal {digits} is outside the valid range for {name} with \
             minimum value of {low} and maximum value of {high}. Please adjust the value accordingly."
        ))),
    }
}
