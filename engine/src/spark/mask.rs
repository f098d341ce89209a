//! Spark's `mask(str[, upperChar[, lowerChar[, digitChar[, otherChar]]]])`: `str` with its
//! upper-case letters replaced by `upperChar` ('X'), lower-case ones by `lowerChar` ('x'),
//! digits by `digitChar` ('n') and other characters by `otherChar` (kept); a NULL
//! replacement keeps that class of characters.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StringArray};
use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};

/// The `mask` function, ready to register.
pub fn spark_mask() -> ScalarUDF {
    ScalarUDF::new_from_impl(Mask { signature: Signature::variadic_any(Volatility::Immutable) })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Mask {
    signature: Signature,
}

/// The replacement for each class of character; `None` keeps the character.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Replacements {
    upper: Option<char>,
    lower: Option<char>,
    digit: Option<char>,
    other: Option<char>,
}

impl Replacements {
    /// Spark's defaults: `X`, `x`, `n`, and other characters kept.
    const DEFAULT: Self = Self { upper: Some('X'), lower: Some('x'), digit: Some('n'), other: None };

    /// `text` masked. Digits are the ASCII ones.
    fn apply(&self, text: &str) -> String {
        text.chars()
            .map(|c| {
                let replacement = if c.is_uppercase() {
                    self.upper
                } else if c.is_lowercase() {
                    self.lower
                } else if c.is_ascii_digit() {
                    self.digit
                } else {
                    self.other
                };
                replacement.unwrap_or(c)
            })
            .collect()
    }
}

impl ScalarUDFImpl for Mask {
    fn name(&self) -> &str {
        "mask"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if arg_types.is_empty() || arg_types.len() > 5 {
            return plan_err!("[WRONG_NUM_ARGS] mask takes 1 to 5 arguments, not {}", arg_types.len());
        }
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let mut replacements = Replacements::DEFAULT;
        let slots = [&mut replacements.upper, &mut replacements.lower, &mut replacements.digit, &mut replacements.other];
        for (slot, (arg, name)) in slots.into_iter().zip(args.args[1..].iter().zip(["upperChar", "lowerChar", "digitChar", "otherChar"])) {
            *slot = replacement(arg, name)?;
        }
        let input = args.args[0].to_array(args.number_rows)?;
        let input = arrow::compute::cast(&input, &DataType::Utf8)?;
        let Some(strings) = input.as_any().downcast_ref::<StringArray>() else {
            return exec_err!("mask takes a string, not {}", input.data_type());
        };
        let masked: StringArray = strings.iter().map(|s| s.map(|s| replacements.apply(s))).collect();
        let masked: ArrayRef = Arc::new(masked);
        Ok(match &args.args[0] {
            ColumnarValue::Scalar(_) => ColumnarValue::Scalar(ScalarValue::try_from_array(&masked, 0)?),
            ColumnarValue::Array(_) => ColumnarValue::Array(masked),
        })
    }
}

/// The replacement character argument `name`: a constant string of one character, or NULL.
fn replacement(arg: &ColumnarValue, name: &str) -> Result<Option<char>> {
    let ColumnarValue::Scalar(value) = arg else {
        return plan_err!("[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] mask's {name} must be a constant");
    };
    let text = match value.cast_to(&DataType::Utf8)? {
        ScalarValue::Utf8(text) => text,
        other => return plan_err!("mask's {name} must be a string, not {other}"),
    };
    let Some(text) = text else { return Ok(None) };
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(Some(c)),
        _ => plan_err!(
            "[DATATYPE_MISMATCH.INPUT_SIZE_NOT_ONE] mask's {name} must be a single character, not '{text}'"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_of_characters_are_replaced() {
        assert_eq!(Replacements::DEFAULT.apply("AbCD123-@$#"), "XxXXnnn-@$#");
        let all = Replacements { upper: Some('Y'), lower: Some('y'), digit: Some('d'), other: Some('*') };
        assert_eq!(all.apply("abcd-EFGH-8765-4321"), "yyyy*YYYY*dddd*dddd");
        let keep_upper = Replacements { upper: None, ..Replacements::DEFAULT };
        assert_eq!(keep_upper.apply("Ab1"), "Axn");
    }
}
