//! Connect plans (relations, expressions, commands) as Flint DataFrames.

pub mod catalog;
pub mod catalog_rows;
pub mod expressions;
pub mod functions;
pub mod identifiers;
pub mod literals;
pub mod local_relation;
pub mod names;
pub mod python_relations;
pub mod python_udf;
pub mod relations;
pub mod sql_parameters;
pub mod statistics;
pub mod table_functions;
pub mod update_fields;
pub mod with_relations;
