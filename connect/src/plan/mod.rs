//! Connect plans (relations, expressions, commands) as Flint DataFrames.

pub mod argument_order;
pub mod catalog;
pub mod catalog_rows;
pub mod expressions;
pub mod format_arguments;
pub mod functions;
pub mod generators;
pub mod identifiers;
pub mod json_tuple;
pub mod literals;
pub mod local_relation;
pub mod names;
pub mod python_relations;
pub mod python_udf;
pub mod relations;
pub mod sql_parameters;
pub mod stat_functions;
pub mod statistics;
pub mod table_functions;
pub mod update_fields;
pub mod with_relations;
