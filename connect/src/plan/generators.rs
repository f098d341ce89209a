//! Spark's generators in a select (`explode`, `explode_outer`, `posexplode`,
//! `posexplode_outer`, `inline`, `inline_outer`, `stack`): each is planned as lists
//! unnested together (zipped, the longest list setting the row count) and output columns
//! computed from the unnested values, with Spark's default column names.

use arrow::datatypes::DataType;
use datafusion::common::{Column, NullHandling, ScalarValue, UnnestOptions};
use datafusion::functions::core::expr_fn::get_field;
use datafusion::functions_nested::expr_fn::{cardinality, make_array, map_keys, map_values, range};
use datafusion::logical_expr::{Expr, ExprSchemable, cast, lit};
use flint_engine::DataFrame;
use spark_connect_proto::Expression;
use spark_connect_proto::expression::ExprType;

use crate::errors::{ConnectError, Result};
use crate::plan::expressions::ExprConverter;
use crate::plan::names::spark_name;
use crate::plan::relations::RelationPlanner;

/// The generator functions Spark allows in a select.
const GENERATORS: &[&str] =
    &["explode", "explode_outer", "posexplode", "posexplode_outer", "inline", "inline_outer", "stack"];

/// The prefix of the temporary columns that hold the lists being unnested.
const LIST_PREFIX: &str = "__flint_generator_list_";

/// A generator call: the lists it unnests and the columns it outputs from them.
struct Generator {
    /// The lists unnested together; the `i`th is named `LIST_PREFIX{i}` while unnested.
    lists: Vec<Expr>,
    /// The output columns, as expressions over the unnested lists, with their names.
    outputs: Vec<(Expr, String)>,
    /// Whether a row whose lists are null or empty is kept as one row of nulls (`_outer`).
    outer: bool,
}

/// Whether `expr` is a generator call (possibly aliased), which a select plans apart.
pub fn is_generator(expr: &Expression) -> bool {
    call(expr).is_some()
}

/// The generator function call inside `expr` (under an alias or not), with the alias names.
fn call(expr: &Expression) -> Option<(&spark_connect_proto::expression::UnresolvedFunction, Vec<String>)> {
    match expr.expr_type.as_ref()? {
        ExprType::UnresolvedFunction(f) if GENERATORS.contains(&f.function_name.to_ascii_lowercase().as_str()) => {
            Some((f, Vec::new()))
        }
        ExprType::Alias(alias) => {
            let (f, _) = call(alias.expr.as_deref()?)?;
            Some((f, alias.name.clone()))
        }
        _ => None,
    }
}

/// `select(exprs)` over `input` where `exprs` holds one generator call: the other
/// expressions keep their places, the generator's output columns take its place.
pub fn select(planner: &RelationPlanner, input: &DataFrame, exprs: &[Expression]) -> Result<DataFrame> {
    let positions: Vec<usize> = exprs.iter().enumerate().filter(|(_, e)| is_generator(e)).map(|(i, _)| i).collect();
    let &[index] = positions.as_slice() else {
        let names: Vec<String> = positions.iter().map(|&i| format!("\"{}\"", spark_name(&exprs[i]))).collect();
        return Err(ConnectError::Analysis {
            condition: "UNSUPPORTED_GENERATOR.MULTI_GENERATOR",
            message: format!(
                "The generator is not supported: only one generator allowed per SELECT clause but found {}: {}.",
                positions.len(),
                names.join(", ")
            ),
        });
    };
    let (before, generator, after) = planner.with_exprs(input, |c| {
        let before = crate::plan::relations::projection(c, input, &exprs[..index])?;
        let after = crate::plan::relations::projection(c, input, &exprs[index + 1..])?;
        Ok((before, Generator::new(c, &exprs[index])?, after))
    })?;
    let list_names: Vec<String> = (0..generator.lists.len()).map(|i| format!("{LIST_PREFIX}{i}")).collect();
    let lists = generator.lists.into_iter().zip(&list_names).map(|(list, name)| list.alias(name));
    let (before_count, after_count) = (before.len(), after.len());
    let selected = input.inner().clone().select(before.into_iter().chain(lists).chain(after))?;
    let null_handling = if generator.outer { NullHandling::PreserveAndExpandEmpty } else { NullHandling::Drop };
    let names: Vec<&str> = list_names.iter().map(String::as_str).collect();
    let unnested =
        selected.unnest_columns_with_options(&names, UnnestOptions::new().with_null_handling(null_handling))?;
    let columns: Vec<Expr> = unnested
        .schema()
        .iter()
        .map(|(qualifier, field)| Expr::Column(Column::new(qualifier.cloned(), field.name())))
        .collect();
    let outputs = generator.outputs.into_iter().map(|(expr, name)| expr.alias(name));
    let projected: Vec<Expr> = columns[..before_count]
        .iter()
        .cloned()
        .chain(outputs)
        .chain(columns[columns.len() - after_count..].iter().cloned())
        .collect();
    Ok(planner.wrap(unnested.select(projected)?))
}

/// The unnested value of list `i`.
fn list(i: usize) -> Expr {
    Expr::Column(Column::from_name(format!("{LIST_PREFIX}{i}")))
}

impl Generator {
    /// The generator `expr` calls, its arguments resolved by `c`.
    fn new(c: &ExprConverter<'_>, expr: &Expression) -> Result<Self> {
        let Some((f, aliases)) = call(expr) else {
            return Err(ConnectError::InvalidPlan { reason: format!("{} is not a generator", spark_name(expr)) });
        };
        let name = f.function_name.to_ascii_lowercase();
        let args = f.arguments.iter().map(|a| c.expr(a)).collect::<Result<Vec<_>>>()?;
        let outer = name.ends_with("_outer");
        let mut generator = match (name.trim_end_matches("_outer"), args.as_slice()) {
            ("explode", [arg]) => collection(c, &name, arg.clone(), false)?,
            ("posexplode", [arg]) => collection(c, &name, arg.clone(), true)?,
            ("inline", [arg]) => inline(c, arg.clone())?,
            ("stack", [n, values @ ..]) if !values.is_empty() => stack(c, n, values)?,
            _ => {
                return Err(ConnectError::Analysis {
                    condition: "WRONG_NUM_ARGS.WITHOUT_SUGGESTION",
                    message: format!(
                        "The `{name}` requires {} parameters but the actual number is {}.",
                        if name == "stack" { "> 1" } else { "1" },
                        args.len()
                    ),
                });
            }
        };
        generator.outer = outer;
        if !aliases.is_empty() {
            if aliases.len() != generator.outputs.len() {
                return Err(ConnectError::Analysis {
                    condition: "UDTF_ALIAS_NUMBER_MISMATCH",
                    message: format!(
                        "The number of aliases supplied in the AS clause does not match the number of columns output by the UDTF. Expected {} aliases, but got {}. Please ensure that the number of aliases provided matches the number of columns output by the UDTF.",
                        generator.outputs.len(),
                        aliases.len()
                    ),
                });
            }
            for ((_, name), alias) in generator.outputs.iter_mut().zip(aliases) {
                *name = alias;
            }
        }
        Ok(generator)
    }
}

/// `explode(arg)` / `posexplode(arg)`: an array's elements as `col`, a map's entries as
/// `key` and `value`, after the 0-based position `pos` when `with_position`.
fn collection(c: &ExprConverter<'_>, name: &str, arg: Expr, with_position: bool) -> Result<Generator> {
    let (mut lists, mut outputs) = match arg.get_type(c.schema)? {
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            (vec![arg], vec![(list(0), "col".to_string())])
        }
        DataType::Map(..) => (
            vec![map_keys(arg.clone()), map_values(arg)],
            vec![(list(0), "key".to_string()), (list(1), "value".to_string())],
        ),
        other => return Err(type_mismatch(name, &arg, "\"ARRAY\" or \"MAP\"", &other)),
    };
    if with_position {
        let count = cast(cardinality(lists[0].clone()), DataType::Int64);
        let positions = lists.len();
        lists.push(range(lit(0i64), count, lit(1i64)));
        outputs.insert(0, (cast(list(positions), DataType::Int32), "pos".to_string()));
    }
    Ok(Generator { lists, outputs, outer: false })
}

/// `inline(arg)`: an array of structs as one row per struct, one column per field.
fn inline(c: &ExprConverter<'_>, arg: Expr) -> Result<Generator> {
    let data_type = arg.get_type(c.schema)?;
    let fields = match &data_type {
        DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _) => match item.data_type() {
            DataType::Struct(fields) => fields.clone(),
            _ => return Err(type_mismatch("inline", &arg, "\"ARRAY<STRUCT>\"", &data_type)),
        },
        _ => return Err(type_mismatch("inline", &arg, "\"ARRAY<STRUCT>\"", &data_type)),
    };
    let outputs = fields.iter().map(|field| (get_field(list(0), field.name().as_str()), field.name().clone())).collect();
    Ok(Generator { lists: vec![arg], outputs, outer: false })
}

/// `stack(n, v…)`: the values in `n` rows of `ceil(len / n)` columns `col0…`, the last
/// row padded with nulls; the values of one column must share a type, as in Spark.
fn stack(c: &ExprConverter<'_>, n: &Expr, values: &[Expr]) -> Result<Generator> {
    let rows = match n {
        Expr::Literal(value, _) => match value {
            ScalarValue::Int8(Some(v)) => i64::from(*v),
            ScalarValue::Int16(Some(v)) => i64::from(*v),
            ScalarValue::Int32(Some(v)) => i64::from(*v),
            ScalarValue::Int64(Some(v)) => *v,
            _ => 0,
        },
        _ => 0,
    };
    let rows = usize::try_from(rows).ok().filter(|r| *r > 0).ok_or_else(|| ConnectError::Analysis {
        condition: "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT",
        message: "Cannot resolve \"stack\": the first argument (the number of rows) must be a positive integer literal.".into(),
    })?;
    let width = values.len().div_ceil(rows);
    let mut lists = Vec::with_capacity(width);
    for column in 0..width {
        let cells: Vec<&Expr> = (0..rows).filter_map(|row| values.get(row * width + column)).collect();
        let mut column_type: Option<DataType> = None;
        for cell in &cells {
            let cell_type = cell.get_type(c.schema)?;
            match &column_type {
                _ if cell_type == DataType::Null => {}
                Some(t) if *t != cell_type => {
                    return Err(ConnectError::Analysis {
                        condition: "DATATYPE_MISMATCH.STACK_COLUMN_DIFF_TYPES",
                        message: format!(
                            "Cannot resolve \"stack\": the data type of column ({column}) do not have the same type: {t} and {cell_type}."
                        ),
                    });
                }
                _ => column_type = Some(cell_type),
            }
        }
        let null = Expr::Literal(ScalarValue::try_from(column_type.as_ref().unwrap_or(&DataType::Null))?, None);
        let padded = (0..rows).map(|row| values.get(row * width + column).cloned().unwrap_or_else(|| null.clone()));
        lists.push(make_array(padded.collect()));
    }
    let outputs = (0..width).map(|i| (list(i), format!("col{i}"))).collect();
    Ok(Generator { lists, outputs, outer: false })
}

/// Spark's error for a generator argument of the wrong type.
fn type_mismatch(function: &str, arg: &Expr, expected: &str, actual: &DataType) -> ConnectError {
    ConnectError::Analysis {
        condition: "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
        message: format!(
            "Cannot resolve \"{function}({arg})\" due to data type mismatch: the first parameter requires the {expected} type, however \"{arg}\" has the type {actual}."
        ),
    }
}
