//! Spark functions that are expressions over DataFusion's own functions: `year(d)` is
//! `CAST(date_part('year', d) AS INT)`, Spark's `regexp_replace` replaces every match.
//! Each is rewritten during optimisation (expression simplification), before execution.

use arrow::datatypes::DataType;
use datafusion::common::{Result, internal_err};
use datafusion::common::ScalarValue;
use datafusion::functions::expr_fn::{date_part, decode, regexp_replace, to_char};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility, cast,
    lit,
};

/// A Spark function defined by rewriting its call into other expressions. Two rewrites
/// are the same function when their names are.
#[derive(Debug)]
pub struct Rewrite {
    name: &'static str,
    signature: Signature,
    return_type: fn(&[DataType]) -> Result<DataType>,
    rewrite: fn(Vec<Expr>, &SimplifyContext) -> Result<Expr>,
}

impl Rewrite {
    /// A function `name` whose calls become `rewrite(args)`, typed by `return_type`.
    pub fn new(
        name: &'static str,
        signature: Signature,
        return_type: fn(&[DataType]) -> Result<DataType>,
        rewrite: fn(Vec<Expr>, &SimplifyContext) -> Result<Expr>,
    ) -> Self {
        Self { name, signature, return_type, rewrite }
    }
}

/// The arguments of a call to `name`, which must be `N`.
pub fn arguments<const N: usize>(name: &str, args: Vec<Expr>) -> Result<[Expr; N]> {
    <[Expr; N]>::try_from(args)
        .map_err(|args| datafusion::error::DataFusionError::Plan(format!(
            "[WRONG_NUM_ARGS] {name} takes {N} argument(s), not {}",
            args.len()
        )))
}

/// Every function Flint defines by rewriting, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    let date_field = |name: &'static str, rewrite| Rewrite {
        name,
        signature: Signature::any(1, Volatility::Immutable),
        return_type: |_| Ok(DataType::Int32),
        rewrite,
    };
    let rewrites = vec![
        date_field("year", |args, info| date_field_of("year", args, info)),
        date_field("quarter", |args, info| date_field_of("quarter", args, info)),
        date_field("month", |args, info| date_field_of("month", args, info)),
        date_field("day", |args, info| date_field_of("day", args, info)),
        date_field("dayofmonth", |args, info| date_field_of("day", args, info)),
        date_field("dayofyear", |args, info| date_field_of("doy", args, info)),
        date_field("weekofyear", |args, info| date_field_of("week", args, info)),
        // Spark numbers days from Sunday = 1; date_part's dow from Sunday = 0.
        date_field("dayofweek", |args, info| Ok(date_field_of("dow", args, info)? + lit(1))),
        // Spark's integer literals are INT; DataFusion's are BIGINT, which the date
        // arithmetic functions do not take.
        date_shift("date_add", |args, _| {
            let [start, days] = start_and_days("date_add", args)?;
            Ok(shifted_days(start, days))
        }),
        date_shift("date_sub", |args, _| {
            let [start, days] = start_and_days("date_sub", args)?;
            Ok(shifted_days(start, -days))
        }),
        // Spark's three-letter day names: Mon, Tue, …
        Rewrite {
            name: "dayname",
            signature: Signature::any(1, Volatility::Immutable),
            return_type: |_| Ok(DataType::Utf8),
            rewrite: |args, _| {
                let [date] = arguments("dayname", args)?;
                Ok(to_char(cast(date, DataType::Date32), lit("%a")))
            },
        },
        Rewrite {
            name: "e",
            signature: Signature::nullary(Volatility::Immutable),
            return_type: |_| Ok(DataType::Float64),
            rewrite: |args, _| {
                let [] = arguments("e", args)?;
                Ok(lit(std::f64::consts::E))
            },
        },
        Rewrite {
            name: "to_binary",
            signature: Signature::one_of(
                vec![TypeSignature::Any(1), TypeSignature::Any(2)],
                Volatility::Immutable,
            ),
            return_type: |_| Ok(DataType::Binary),
            rewrite: |args, _| to_binary(args),
        },
        Rewrite {
            name: "regexp_replace",
            signature: Signature::string(3, Volatility::Immutable),
            return_type: |_| Ok(DataType::Utf8),
            rewrite: |args, _| {
                let [text, pattern, replacement] = arguments("regexp_replace", args)?;
                Ok(cast(regexp_replace(text, pattern, replacement, Some(lit("g"))), DataType::Utf8))
            },
        },
    ];
    rewrites.into_iter().map(ScalarUDF::new_from_impl).map(with_spark_aliases).collect()
}

/// Spark's other names of rewritten functions.
const SPARK_ALIASES: &[(&str, &[&str])] = &[("date_add", &["dateadd"])];

/// `function`, also called by the other names Spark gives it.
fn with_spark_aliases(function: ScalarUDF) -> ScalarUDF {
    match SPARK_ALIASES.iter().find(|(name, _)| *name == function.name()) {
        Some((_, aliases)) => function.with_aliases(aliases.iter().copied()),
        None => function,
    }
}

/// `to_binary(text[, format])`: text decoded as `hex` (the default), `utf-8` or `base64`.
fn to_binary(mut args: Vec<Expr>) -> Result<Expr> {
    let format = match args.len() {
        1 => "hex".to_string(),
        2 => match args.pop() {
            Some(Expr::Literal(
                ScalarValue::Utf8(Some(format)) | ScalarValue::Utf8View(Some(format)) | ScalarValue::LargeUtf8(Some(format)),
                _,
            )) => format.to_ascii_lowercase(),
            _ => return datafusion::common::plan_err!("[INVALID_PARAMETER_VALUE.BINARY_FORMAT] to_binary takes a format literal"),
        },
        n => return datafusion::common::plan_err!("[WRONG_NUM_ARGS] to_binary takes 1 or 2 arguments, not {n}"),
    };
    let [text] = arguments("to_binary", args)?;
    let text = cast(text, DataType::Utf8);
    match format.as_str() {
        "hex" | "base64" => Ok(decode(text, lit(format))),
        "utf-8" | "utf8" => Ok(cast(text, DataType::Binary)),
        other => datafusion::common::plan_err!(
            "[INVALID_PARAMETER_VALUE.BINARY_FORMAT] to_binary expects one of the binary formats 'base64', 'hex', 'utf-8', but got '{other}'"
        ),
    }
}

/// A `(start, days) -> DATE` function.
fn date_shift(name: &'static str, rewrite: fn(Vec<Expr>, &SimplifyContext) -> Result<Expr>) -> Rewrite {
    Rewrite { name, signature: Signature::any(2, Volatility::Immutable), return_type: |_| Ok(DataType::Date32), rewrite }
}

/// The arguments of a call to `name(start, days)`, as the DATE and INT Spark's date
/// arithmetic takes.
fn start_and_days(name: &str, args: Vec<Expr>) -> Result<[Expr; 2]> {
    let [start, days] = arguments(name, args)?;
    Ok([cast(start, DataType::Date32), cast(days, DataType::Int32)])
}

/// The date `days` after `start`, as day-number arithmetic: datafusion-spark's `date_add`
/// has the name of the rewrite, so an executor would read a call to it as the rewrite.
fn shifted_days(start: Expr, days: Expr) -> Expr {
    cast(cast(start, DataType::Int32) + days, DataType::Date32)
}

/// `CAST(date_part(field, arg) AS INT)`, reading a string argument as a date first.
fn date_field_of(field: &str, args: Vec<Expr>, info: &SimplifyContext) -> Result<Expr> {
    let Some(arg) = args.into_iter().next() else {
        return datafusion::common::plan_err!("{field} takes one argument");
    };
    let arg = match arg.get_type(info.schema())? {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => cast(arg, DataType::Date32),
        _ => arg,
    };
    Ok(cast(date_part(lit(field), arg), DataType::Int32))
}

impl PartialEq for Rewrite {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Rewrite {}

impl std::hash::Hash for Rewrite {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for Rewrite {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        (self.return_type)(arg_types)
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        Ok(ExprSimplifyResult::Simplified((self.rewrite)(args, info)?))
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        internal_err!("{} is rewritten during optimisation and never invoked", self.name)
    }
}
