//! Spark's `current_catalog()`, and `current_database()` / `current_schema()`: the
//! session's current catalog and database, as `USE` and `setCurrentDatabase` leave them.

use arrow::datatypes::DataType;
use datafusion::logical_expr::{ScalarUDF, Signature, Volatility, lit};

use crate::spark::rewrites::{Rewrite, arguments};

/// The three functions, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    let signature = || Signature::nullary(Volatility::Stable);
    let rewrites = [
        Rewrite::new("current_catalog", signature(), |_| Ok(DataType::Utf8), |args, info| {
            let [] = arguments("current_catalog", args)?;
            Ok(lit(info.config_options().catalog.default_catalog.clone()))
        }),
        Rewrite::new("current_database", signature(), |_| Ok(DataType::Utf8), |args, info| {
            let [] = arguments("current_database", args)?;
            Ok(lit(info.config_options().catalog.default_schema.clone()))
        }),
        Rewrite::new("current_schema", signature(), |_| Ok(DataType::Utf8), |args, info| {
            let [] = arguments("current_schema", args)?;
            Ok(lit(info.config_options().catalog.default_schema.clone()))
        }),
    ];
    rewrites.into_iter().map(ScalarUDF::new_from_impl).collect()
}
