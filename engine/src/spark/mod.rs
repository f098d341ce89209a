//! Spark semantics that differ from DataFusion's, kept in one place.

pub mod aggregate_rewrites;
pub mod avg;
pub mod cast_functions;
pub mod collections;
pub mod csv;
pub mod decimal_literals;
pub mod divide;
pub mod extract_value;
pub mod format;
pub mod higher_order;
pub mod integer_literals;
pub mod json;
pub mod json_functions;
pub mod json_path;
pub mod range;
pub mod regexp;
pub mod rewrites;
pub mod show;
pub mod split;
pub mod sql_dialect;
pub mod text_options;
pub mod type_names;
pub mod type_of;
