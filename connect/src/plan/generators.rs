//! Spark's generators in a select (`explode`, `explode_outer`, `posexplode`,
//! `posexplode_outer`, `inline`, `inline_outer`, `stack`): each is planned as lists
//! unnested together (zipped, the longest list setting the row count) and output columns
//! computed from the unnested values, with Spark's default column names.

use arrow::datatypes::DataType;
use datafusion::common::{Column, NullHandling, ScalarValue, UnnestOptions};
use datafusion::functions::core::expr_fn::get_field;
use datafusion::functions_nested::expr_fn::{cardinality, make_array, map_keys, map_values, range};
use datafusion::logical_expr::{Expr, ExprSchemable, cast, lit, when};
use flint_engine::DataFrame;
use spark_connect_proto::Expression;
use spark_connect_proto::expression::ExprType;

use crate::errors::{ConnectError, Result};
use crate::plan::expressions::ExprConverter;
use crate::plan::names::spark_name;
use crate::plan::relations::RelationPlanner;

/// The generator functions Spark allows in a select.
pub const GENERATORS: &[&str] =
    &["explode", "explode_outer", "posexplode", "posexplode_outer", "inline", "inline_outer", "stack", "json_tuple"];

/// The prefix of the temporary columns that hold the lists being unnested.
const LIST_PREFIX: &str = "__flint_generator_list_";

/// A generator call: the lists it unnests and the columns it outputs from them.
struct Generator {
    /// The generator's place among the select's generators, which names its lists.
    id: usize,
    /// The lists unnested together; the `i`th is named `list_name(id, i)` while unnested.
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

/// `select(exprs)` over `input` where `exprs` holds generator calls: the other
/// expressions keep their places, each generator's output columns take its place. Several
/// generators nest as Spark 4.2 nests them: each row of the first is repeated for every
/// row of the second, and so on.
pub fn select(planner: &RelationPlanner, input: &DataFrame, exprs: &[Expression]) -> Result<DataFrame> {
    // Each item of the select: the columns it projects, or the generator it calls.
    let items = planner.with_exprs(input, |c| {
        let mut generators = 0;
        exprs
            .iter()
            .map(|expr| {
                if is_generator(expr) {
                    generators += 1;
                    Generator::new(c, expr, generators - 1).map(Item::Generator)
                } else {
                    crate::plan::relations::projection(c, input, std::slice::from_ref(expr)).map(Item::Columns)
                }
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let mut passed = Vec::new();
    let mut lists = Vec::new();
    for item in &items {
        match item {
            Item::Columns(columns) => passed.extend(columns.iter().cloned()),
            Item::Generator(generator) => lists.extend(generator.named_lists()),
        }
    }
    let passed_count = passed.len();
    let mut df = input.inner().clone().select(passed.into_iter().chain(lists))?;
    for item in &items {
        if let Item::Generator(generator) = item {
            let null_handling = if generator.outer { NullHandling::PreserveAndExpandEmpty } else { NullHandling::Drop };
            let names: Vec<String> = (0..generator.lists.len()).map(|i| list_name(generator.id, i)).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            df = df.unnest_columns_with_options(&names, UnnestOptions::new().with_null_handling(null_handling))?;
        }
    }
    let mut columns = df
        .schema()
        .iter()
        .take(passed_count)
        .map(|(qualifier, field)| Expr::Column(Column::new(qualifier.cloned(), field.name())))
        .collect::<Vec<_>>()
        .into_iter();
    let mut projected = Vec::new();
    for item in items {
        match item {
            Item::Columns(exprs) => projected.extend(columns.by_ref().take(exprs.len())),
            Item::Generator(generator) => {
                projected.extend(generator.outputs.into_iter().map(|(expr, name)| expr.alias(name)));
            }
        }
    }
    Ok(planner.wrap(df.select(projected)?))
}

/// One item of a select with generators.
enum Item {
    /// The columns a non-generator expression projects (`*` projects several).
    Columns(Vec<Expr>),
    /// A generator call.
    Generator(Generator),
}

/// The name of list `i` of generator `id` while it is unnested.
fn list_name(id: usize, i: usize) -> String {
    format!("{LIST_PREFIX}{id}_{i}")
}

/// The unnested value of list `i` of generator `id`.
fn list(id: usize, i: usize) -> Expr {
    Expr::Column(Column::from_name(list_name(id, i)))
}

impl Generator {
    /// The generator `expr` calls, its arguments resolved by `c`; `id` is its place among
    /// the select's generators.
    fn new(c: &ExprConverter<'_>, expr: &Expression, id: usize) -> Result<Self> {
        let Some((f, aliases)) = call(expr) else {
            return Err(ConnectError::InvalidPlan { reason: format!("{} is not a generator", spark_name(expr)) });
        };
        let name = f.function_name.to_ascii_lowercase();
        let args = f.arguments.iter().map(|a| c.expr(a)).collect::<Result<Vec<_>>>()?;
        let outer = name.ends_with("_outer");
        let mut generator = match (name.trim_end_matches("_outer"), args.as_slice()) {
            ("explode", [arg]) => collection(c, id, &name, arg.clone(), false)?,
            ("posexplode", [arg]) => collection(c, id, &name, arg.clone(), true)?,
            ("inline", [arg]) => inline(c, id, arg.clone())?,
            ("stack", [n, values @ ..]) if !values.is_empty() => stack(c, id, n, values)?,
            ("json_tuple", [_, fields @ ..]) if !fields.is_empty() => json_tuple(c, id, args.clone())?,
            _ => {
                return Err(ConnectError::Analysis {
                    condition: "WRONG_NUM_ARGS.WITHOUT_SUGGESTION",
                    message: format!(
                        "The `{name}` requires {} parameters but the actual number is {}.",
                        if matches!(name.as_str(), "stack" | "json_tuple") { "> 1" } else { "1" },
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

    /// The lists to unnest, each named as `list` refers to it.
    fn named_lists(&self) -> impl Iterator<Item = Expr> + '_ {
        self.lists.iter().enumerate().map(|(i, list)| list.clone().alias(list_name(self.id, i)))
    }
}

/// `explode(arg)` / `posexplode(arg)`: an array's elements as `col`, a map's entries as
/// `key` and `value`, after the 0-based position `pos` when `with_position`.
fn collection(c: &ExprConverter<'_>, id: usize, name: &str, arg: Expr, with_position: bool) -> Result<Generator> {
    let (mut lists, mut outputs) = match arg.get_type(c.schema)? {
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            (vec![arg], vec![(list(id, 0), "col".to_string())])
        }
        DataType::Map(..) => (
            vec![map_keys(arg.clone()), map_values(arg)],
            vec![(list(id, 0), "key".to_string()), (list(id, 1), "value".to_string())],
        ),
        other => return Err(type_mismatch(name, &arg, "\"ARRAY\" or \"MAP\"", &other)),
    };
    if with_position {
        let count = cast(cardinality(lists[0].clone()), DataType::Int64);
        let positions = lists.len();
        lists.push(range(lit(0i64), count, lit(1i64)));
        outputs.insert(0, (cast(list(id, positions), DataType::Int32), "pos".to_string()));
    }
    Ok(Generator { id, lists, outputs, outer: false })
}

/// `inline(arg)`: an array of structs as one row per struct, one column per field.
fn inline(c: &ExprConverter<'_>, id: usize, arg: Expr) -> Result<Generator> {
    let data_type = arg.get_type(c.schema)?;
    let fields = match &data_type {
        DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _) => match item.data_type() {
            DataType::Struct(fields) => fields.clone(),
            _ => return Err(type_mismatch("inline", &arg, "\"ARRAY<STRUCT>\"", &data_type)),
        },
        _ => return Err(type_mismatch("inline", &arg, "\"ARRAY<STRUCT>\"", &data_type)),
    };
    // A null struct's fields are null (Arrow keeps whatever its children hold there).
    let outputs = fields
        .iter()
        .map(|field| {
            let value = when(list(id, 0).is_not_null(), get_field(list(id, 0), field.name().as_str())).end()?;
            Ok((value, field.name().clone()))
        })
        .collect::<Result<_>>()?;
    Ok(Generator { id, lists: vec![arg], outputs, outer: false })
}

/// `json_tuple(json, f…)`: one row per input row, the string value of each field `f` of
/// the JSON object in columns `c0…` (nulls when `json` is null or not an object).
fn json_tuple(c: &ExprConverter<'_>, id: usize, args: Vec<Expr>) -> Result<Generator> {
    let width = args.len() - 1;
    let values = crate::plan::functions::call(c.state, "json_tuple", args, false, c.schema)?;
    let outputs = (0..width)
        .map(|i| {
            let name = format!("c{i}");
            let value = when(list(id, 0).is_not_null(), get_field(list(id, 0), name.as_str())).end()?;
            Ok((value, name))
        })
        .collect::<Result<_>>()?;
    Ok(Generator { id, lists: vec![make_array(vec![values])], outputs, outer: false })
}

/// `stack(n, v…)`: the values in `n` rows of `ceil(len / n)` columns `col0…`, the last
/// row padded with nulls; the values of one column must share a type, as in Spark.
fn stack(c: &ExprConverter<'_>, id: usize, n: &Expr, values: &[Expr]) -> Result<Generator> {
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
    let outputs = (0..width).map(|i| (list(id, i), format!("col{i}"))).collect();
    Ok(Generator { id, lists, outputs, outer: false })
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
