//! Spark's array and map accessors that are expressions over DataFusion's:
//! `array_size`, `get`, `element_at`/`try_element_at` (arrays and maps),
//! `array_remove`, `array_position`, `map_contains_key` and `sequence`.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::functions::expr_fn::coalesce;
use datafusion::functions_nested::expr_fn::{
    array_element, array_has, array_length, array_position, array_remove_all, gen_series, map_extract, map_keys,
};
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{Expr, ExprSchemable, ScalarUDF, Signature, Volatility, cast, lit, when};

use crate::spark::element_at::checked_index;
use crate::spark::rewrites::{Rewrite, arguments};

/// Every function of this module, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    let any = |n| Signature::any(n, Volatility::Immutable);
    let rewrites = vec![
        Rewrite::new("array_size", any(1), |_| Ok(DataType::Int32), |args, _| {
            let [array] = arguments("array_size", args)?;
            Ok(cast(array_length(array), DataType::Int32))
        }),
        // get(array, i): the element at 0-based i, null when i is out of bounds.
        Rewrite::new("get", any(2), |types| element_type("get", types), |args, _| {
            let [array, index] = arguments("get", args)?;
            let index = cast(index, DataType::Int64);
            let position = when(index.clone().lt(lit(0i64)), lit(ScalarValue::Int64(None))).otherwise(index + lit(1i64))?;
            Ok(array_element(array, position))
        }),
        Rewrite::new("element_at", any(2), |types| element_type("element_at", types), |args, info| {
            element_at("element_at", args, info)
        }),
        Rewrite::new("try_element_at", any(2), |types| element_type("try_element_at", types), |args, info| {
            element_at("try_element_at", args, info)
        }),
        // Spark's array_remove removes every match.
        Rewrite::new("array_remove", any(2), |types| Ok(types[0].clone()), |args, info| {
            let [array, element] = arguments("array_remove", args)?;
            let element = as_element_of(&array, element, info)?;
            Ok(array_remove_all(array, element))
        }),
        // Spark's array_position is 1-based, and 0 when the element is missing.
        Rewrite::new("array_position", any(2), |_| Ok(DataType::Int64), |args, info| {
            let [array, element] = arguments("array_position", args)?;
            let element = as_element_of(&array, element, info)?;
            let found = cast(array_position(array.clone(), element, lit(1i64)), DataType::Int64);
            when(array.is_null(), lit(ScalarValue::Int64(None))).otherwise(coalesce(vec![found, lit(0i64)]))
        }),
        Rewrite::new("map_contains_key", any(2), |_| Ok(DataType::Boolean), |args, info| {
            let [map, key] = arguments("map_contains_key", args)?;
            let keys = map_keys(map);
            let key = as_element_of(&keys, key, info)?;
            Ok(array_has(keys, key))
        }),
        Rewrite::new(
            "sequence",
            Signature::variadic_any(Volatility::Immutable),
            |types| match types.first() {
                Some(start) if start.is_integer() => Ok(DataType::List(Arc::new(Field::new_list_field(start.clone(), true)))),
                Some(other) => plan_err!("[DATATYPE_MISMATCH.SEQUENCE_WRONG_INPUT_TYPES] sequence of {other} is not supported yet; use integers"),
                None => plan_err!("[WRONG_NUM_ARGS] sequence takes 2 or 3 arguments"),
            },
            sequence,
        ),
    ];
    rewrites.into_iter().map(ScalarUDF::new_from_impl).collect()
}

/// The element type of an array, or the value type of a map, in `types[0]`.
fn element_type(name: &str, types: &[DataType]) -> Result<DataType> {
    match types.first() {
        Some(DataType::List(element) | DataType::LargeList(element) | DataType::FixedSizeList(element, _)) => {
            Ok(element.data_type().clone())
        }
        Some(DataType::Map(entries, _)) => match entries.data_type() {
            DataType::Struct(fields) if fields.len() == 2 => Ok(fields[1].data_type().clone()),
            other => plan_err!("map entries of type {other}"),
        },
        Some(other) => plan_err!("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] {name} takes an ARRAY or a MAP, not {other}"),
        None => plan_err!("[WRONG_NUM_ARGS] {name} takes 2 arguments"),
    }
}

/// `value` cast to the element type of `array` (Spark's coercion of the searched value).
fn as_element_of(array: &Expr, value: Expr, info: &SimplifyContext) -> Result<Expr> {
    let element = element_type("array function", &[array.get_type(info.schema())?])?;
    Ok(if value.get_type(info.schema())? == element { value } else { cast(value, element) })
}

/// `element_at(array, i)`: the element at 1-based `i`, counted from the end when
/// negative, with Spark's index checks; `element_at(map, key)`: the key's value.
fn element_at(name: &str, args: Vec<Expr>, info: &SimplifyContext) -> Result<Expr> {
    let [base, key] = arguments(name, args)?;
    Ok(match base.get_type(info.schema())? {
        DataType::Map(..) => map_value(base, key),
        _ => {
            let index = checked_index(name == "element_at", base.clone(), cast(key, DataType::Int64));
            array_element(base, index)
        }
    })
}

/// The value of `key` in `map`, null when missing.
pub fn map_value(map: Expr, key: Expr) -> Expr {
    array_element(map_extract(map, key), lit(1i64))
}

/// `sequence(start, stop[, step])`: the integers from start to stop (both included),
/// stepping by 1 or -1 when no step is given.
fn sequence(args: Vec<Expr>, info: &SimplifyContext) -> Result<Expr> {
    let (start, stop, step) = match <[Expr; 3]>::try_from(args) {
        Ok([start, stop, step]) => (start, stop, Some(step)),
        Err(args) => {
            let [start, stop] = arguments("sequence", args)?;
            (start, stop, None)
        }
    };
    let element = start.get_type(info.schema())?;
    let (start, stop) = (cast(start, DataType::Int64), cast(stop, DataType::Int64));
    let step = match step {
        Some(step) => cast(step, DataType::Int64),
        None => when(start.clone().lt_eq(stop.clone()), lit(1i64)).otherwise(lit(-1i64))?,
    };
    Ok(cast(gen_series(start, stop, step), DataType::List(Arc::new(Field::new_list_field(element, true)))))
}
