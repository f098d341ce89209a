//! Spark aggregates that are other aggregates in disguise: `count_if(p)` counts the rows
//! where `p` holds, `max_by(x, y)`/`min_by(x, y)` take `x` of the row with the largest
//! or smallest `y`, `listagg`/`string_agg` join strings, `every`/`some`/`any` are
//! `bool_and`/`bool_or`. Each is rewritten during optimisation.

use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue, internal_err, plan_err};
use datafusion::functions_aggregate::bool_and_or::{bool_and_udaf, bool_or_udaf};
use datafusion::functions_aggregate::count::count_udaf;
use datafusion::functions_aggregate::first_last::first_value_udaf;
use datafusion::functions_aggregate::string_agg::string_agg_udaf;
use datafusion::logical_expr::expr::{AggregateFunction, AggregateFunctionParams};
use datafusion::logical_expr::function::{AccumulatorArgs, AggregateFunctionSimplification};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility, cast, lit, when,
};

/// Every aggregate of this module, ready to register.
pub fn all() -> Vec<AggregateUDF> {
    let boolean = |_: &[DataType]| Ok(DataType::Boolean);
    let first = |types: &[DataType]| match types.first() {
        Some(t) => Ok(t.clone()),
        None => plan_err!("[WRONG_NUM_ARGS] the aggregate takes arguments"),
    };
    let rewrites = vec![
        AggregateRewrite::new("count_if", 1, |_| Ok(DataType::Int64), |params| {
            let [predicate] = arguments("count_if", params.args.clone())?;
            Ok(rebuild(count_udaf(), vec![when(predicate, lit(1i32)).end()?], params))
        }),
        AggregateRewrite::new("max_by", 2, first, |params| by_order("max_by", params, false)),
        AggregateRewrite::new("min_by", 2, first, |params| by_order("min_by", params, true)),
        AggregateRewrite::new("listagg", 2, |_| Ok(DataType::LargeUtf8), |params| join_strings("listagg", params)),
        AggregateRewrite::new("string_agg", 2, |_| Ok(DataType::LargeUtf8), |params| join_strings("string_agg", params)),
        AggregateRewrite::new("every", 1, boolean, |params| Ok(rebuild(bool_and_udaf(), params.args.clone(), params))),
        AggregateRewrite::new("some", 1, boolean, |params| Ok(rebuild(bool_or_udaf(), params.args.clone(), params))),
        AggregateRewrite::new("any", 1, boolean, |params| Ok(rebuild(bool_or_udaf(), params.args.clone(), params))),
    ];
    rewrites.into_iter().map(AggregateUDF::new_from_impl).collect()
}

/// An aggregate defined by rewriting its call into another aggregate.
#[derive(Debug)]
struct AggregateRewrite {
    name: &'static str,
    signature: Signature,
    return_type: fn(&[DataType]) -> Result<DataType>,
    rewrite: fn(&AggregateFunctionParams) -> Result<Expr>,
}

impl AggregateRewrite {
    /// `name` takes up to `arity` arguments.
    fn new(
        name: &'static str,
        arity: usize,
        return_type: fn(&[DataType]) -> Result<DataType>,
        rewrite: fn(&AggregateFunctionParams) -> Result<Expr>,
    ) -> Self {
        let signature = Signature::one_of(
            (1..=arity).map(datafusion::logical_expr::TypeSignature::Any).collect(),
            Volatility::Immutable,
        );
        Self { name, signature, return_type, rewrite }
    }
}

/// The arguments of `name`, which must be `N`.
fn arguments<const N: usize>(name: &str, args: Vec<Expr>) -> Result<[Expr; N]> {
    <[Expr; N]>::try_from(args).map_err(|args| {
        datafusion::error::DataFusionError::Plan(format!("[WRONG_NUM_ARGS] {name} takes {N} argument(s), not {}", args.len()))
    })
}

/// `udaf(args)` with the DISTINCT, FILTER and ORDER BY of the call it replaces.
fn rebuild(udaf: std::sync::Arc<AggregateUDF>, args: Vec<Expr>, params: &AggregateFunctionParams) -> Expr {
    Expr::AggregateFunction(AggregateFunction::new_udf(
        udaf,
        args,
        params.distinct,
        params.filter.clone(),
        params.order_by.clone(),
        params.null_treatment,
    ))
}

/// `first_value(x ORDER BY y)` over the rows where `y` is not null.
fn by_order(name: &str, params: &AggregateFunctionParams, ascending: bool) -> Result<Expr> {
    let [value, order] = arguments(name, params.args.clone())?;
    let known = order.clone().is_not_null();
    let filter = match &params.filter {
        Some(filter) => filter.as_ref().clone().and(known),
        None => known,
    };
    Ok(Expr::AggregateFunction(AggregateFunction::new_udf(
        first_value_udaf(),
        vec![value],
        false,
        Some(Box::new(filter)),
        vec![order.sort(ascending, false)],
        None,
    )))
}

/// `string_agg(x, delimiter)`, the delimiter empty when missing or null.
fn join_strings(name: &str, params: &AggregateFunctionParams) -> Result<Expr> {
    let mut args = params.args.clone();
    let delimiter = match args.get(1) {
        None | Some(Expr::Literal(ScalarValue::Null, _)) => lit(""),
        Some(Expr::Literal(delimiter, _)) if delimiter.is_null() => lit(""),
        Some(Expr::Literal(ScalarValue::Binary(Some(bytes)), _)) => lit(String::from_utf8_lossy(bytes).into_owned()),
        Some(Expr::Literal(delimiter, _)) => lit(delimiter.clone()),
        Some(_) => return plan_err!("{name}: the delimiter must be a literal"),
    };
    args.truncate(1);
    let [value] = arguments(name, args)?;
    Ok(rebuild(string_agg_udaf(), vec![cast(value, DataType::Utf8), delimiter], params))
}

impl PartialEq for AggregateRewrite {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for AggregateRewrite {}

impl std::hash::Hash for AggregateRewrite {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl AggregateUDFImpl for AggregateRewrite {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        (self.return_type)(arg_types)
    }

    fn accumulator(&self, _acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        internal_err!("{} is rewritten during optimisation and never accumulated", self.name)
    }

    fn state_fields(&self, _args: datafusion::logical_expr::function::StateFieldsArgs) -> Result<Vec<FieldRef>> {
        internal_err!("{} is rewritten during optimisation and has no state", self.name)
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        let rewrite = self.rewrite;
        Some(Box::new(move |function, _info| rewrite(&function.params)))
    }
}
