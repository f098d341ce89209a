//! Spark semantics that differ from DataFusion's, kept in one place.

pub mod aggregate_rewrites;
pub mod avg;
pub mod cast_functions;
pub mod collections;
pub mod datetime;
pub mod datetime_parse;
pub mod datetime_patterns;
pub mod decimal_literals;
pub mod divide;
pub mod extract_value;
pub mod format;
pub mod higher_order;
pub mod integer_literals;
pub mod intervals;
pub mod make_timestamp;
pub mod months_between;
pub mod range;
pub mod regexp;
pub mod rewrites;
pub mod show;
pub mod split;
pub mod timestamp_units;
pub mod sql_dialect;
pub mod type_names;
pub mod type_of;
