//! Spark SQL as Flint parses it: sqlparser's `SparkSqlDialect`, plus Spark's backslash
//! escapes in string literals (`'\t'` is a tab, `'\\d+'` the regex `\d+`, `'it\'s'` a
//! quote), which Spark applies by default (`spark.sql.parser.escapedStringLiterals` is
//! false) and sqlparser's Spark dialect does not.

use datafusion::sql::sqlparser::ast::Expr;
use datafusion::sql::sqlparser::dialect::{Dialect, SparkSqlDialect};
use datafusion::sql::sqlparser::parser::{Parser, ParserError};

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
}
