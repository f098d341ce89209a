//! Spark's `hash(expr, ...)`: the 32-bit Murmur3 (x86) hash of its arguments chained from
//! the seed 42, each argument hashed as Spark's `Murmur3Hash` hashes its type (an INT as
//! `hashInt`, a BIGINT as `hashLong`, a string's UTF-8 bytes as `hashUnsafeBytes`); NULL
//! arguments leave the hash as it was.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int32Array, PrimitiveArray};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Decimal128Type, Field, FieldRef, Float32Type, Float64Type, Int8Type,
    Int16Type, Int32Type, Int64Type, TimeUnit,
};
use datafusion::common::{Result, ScalarValue, not_impl_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// Spark's seed for `hash`.
const SEED: u32 = 42;

/// The `hash` function, ready to register.
pub fn spark_hash() -> ScalarUDF {
    ScalarUDF::new_from_impl(Murmur3Hash { signature: Signature::variadic_any(Volatility::Immutable) })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Murmur3Hash {
    signature: Signature,
}

impl ScalarUDFImpl for Murmur3Hash {
    fn name(&self) -> &str {
        "hash"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        // NULL arguments are skipped, so the hash is never NULL.
        Ok(Arc::new(Field::new(self.name(), DataType::Int32, false)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalars = args.args.iter().all(|arg| matches!(arg, ColumnarValue::Scalar(_)));
        let rows = if all_scalars { 1 } else { args.number_rows };
        let mut hashes = vec![SEED; rows];
        for arg in &args.args {
            hash_column(&arg.to_array(rows)?, &mut hashes)?;
        }
        let hashes: Int32Array = hashes.into_iter().map(|h| h as i32).collect();
        Ok(if all_scalars {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&hashes, 0)?)
        } else {
            ColumnarValue::Array(Arc::new(hashes))
        })
    }
}

/// Chains each row of `column` into `hashes`.
fn hash_column(column: &ArrayRef, hashes: &mut [u32]) -> Result<()> {
    match column.data_type() {
        DataType::Null => {}
        DataType::Boolean => {
            let values = column.as_boolean();
            for (row, hash) in hashes.iter_mut().enumerate() {
                if values.is_valid(row) {
                    *hash = hash_int(i32::from(values.value(row)), *hash);
                }
            }
        }
        DataType::Int8 => each::<Int8Type>(column, hashes, |v, h| hash_int(v.into(), h)),
        DataType::Int16 => each::<Int16Type>(column, hashes, |v, h| hash_int(v.into(), h)),
        DataType::Int32 => each::<Int32Type>(column, hashes, hash_int),
        DataType::Date32 => each::<Date32Type>(column, hashes, hash_int),
        DataType::Int64 => each::<Int64Type>(column, hashes, hash_long),
        // Spark hashes -0.0 as 0 and every NaN as Java's one NaN.
        DataType::Float32 => each::<Float32Type>(column, hashes, |v, h| {
            let bits = if v == 0.0 { 0 } else if v.is_nan() { f32::NAN.to_bits() } else { v.to_bits() };
            hash_int(bits as i32, h)
        }),
        DataType::Float64 => each::<Float64Type>(column, hashes, |v, h| {
            let bits = if v == 0.0 { 0 } else if v.is_nan() { f64::NAN.to_bits() } else { v.to_bits() };
            hash_long(bits as i64, h)
        }),
        DataType::Timestamp(..) => {
            let micros = arrow::compute::cast(column, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
            let micros = arrow::compute::cast(&micros, &DataType::Int64)?;
            each::<Int64Type>(&micros, hashes, hash_long);
        }
        DataType::Decimal128(precision, _) if *precision <= 18 => {
            each::<Decimal128Type>(column, hashes, |v, h| hash_long(v as i64, h))
        }
        // Wider decimals hash the bytes of Java's `BigInteger.toByteArray` of the unscaled value.
        DataType::Decimal128(..) => each::<Decimal128Type>(column, hashes, |v, h| hash_bytes(&big_integer_bytes(v), h)),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let strings = arrow::compute::cast(column, &DataType::Utf8)?;
            let strings = strings.as_string::<i32>();
            for (row, hash) in hashes.iter_mut().enumerate() {
                if strings.is_valid(row) {
                    *hash = hash_bytes(strings.value(row).as_bytes(), *hash);
                }
            }
        }
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            let bytes = arrow::compute::cast(column, &DataType::Binary)?;
            let bytes = bytes.as_binary::<i32>();
            for (row, hash) in hashes.iter_mut().enumerate() {
                if bytes.is_valid(row) {
                    *hash = hash_bytes(bytes.value(row), *hash);
                }
            }
        }
        other => return not_impl_err!("hash of a {other} is not supported yet"),
    }
    Ok(())
}

/// Chains the non-null values of `column`, an array of `T`, into `hashes` with `hash`.
fn each<T: ArrowPrimitiveType>(column: &ArrayRef, hashes: &mut [u32], hash: impl Fn(T::Native, u32) -> u32) {
    let values: &PrimitiveArray<T> = column.as_primitive::<T>();
    for (row, seed) in hashes.iter_mut().enumerate() {
        if values.is_valid(row) {
            *seed = hash(values.value(row), *seed);
        }
    }
}

/// The minimal big-endian two's complement bytes of `value`, as Java's `BigInteger` has them.
fn big_integer_bytes(value: i128) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let sign = if value < 0 { 0xff } else { 0 };
    // Drop leading sign bytes while the next byte still carries the sign bit.
    let start = (0..15).take_while(|&i| bytes[i] == sign && (bytes[i + 1] & 0x80) == (sign & 0x80)).count();
    bytes[start..].to_vec()
}

/// Murmur3's `mixK1`.
fn mix_k1(k1: u32) -> u32 {
    k1.wrapping_mul(0xcc9e_2d51).rotate_left(15).wrapping_mul(0x1b87_3593)
}

/// Murmur3's `mixH1`.
fn mix_h1(h1: u32, k1: u32) -> u32 {
    (h1 ^ k1).rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64)
}

/// Murmur3's finalisation of a hash of `length` bytes.
fn fmix(h1: u32, length: usize) -> u32 {
    let mut h1 = h1 ^ length as u32;
    h1 ^= h1 >> 16;
    h1 = h1.wrapping_mul(0x85eb_ca6b);
    h1 ^= h1 >> 13;
    h1 = h1.wrapping_mul(0xc2b2_ae35);
    h1 ^ (h1 >> 16)
}

/// Spark's `Murmur3_x86_32.hashInt`.
fn hash_int(value: i32, seed: u32) -> u32 {
    hash_bytes(&value.to_le_bytes(), seed)
}

/// Spark's `Murmur3_x86_32.hashLong`: the low and then the high word.
fn hash_long(value: i64, seed: u32) -> u32 {
    hash_bytes(&value.to_le_bytes(), seed)
}

/// Spark's `Murmur3_x86_32.hashUnsafeBytes`: little-endian words, then each remaining
/// byte (sign-extended) mixed as a word of its own, which is not standard Murmur3.
fn hash_bytes(bytes: &[u8], seed: u32) -> u32 {
    let mut words = bytes.chunks_exact(4);
    let mut h1 = seed;
    for word in words.by_ref() {
        h1 = mix_h1(h1, mix_k1(u32::from_le_bytes([word[0], word[1], word[2], word[3]])));
    }
    for byte in words.remainder() {
        h1 = mix_h1(h1, mix_k1(i32::from(*byte as i8) as u32));
    }
    fmix(h1, bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string_hash(texts: &[&str]) -> i32 {
        texts.iter().fold(SEED, |hash, text| hash_bytes(text.as_bytes(), hash)) as i32
    }

    #[test]
    fn strings_hash_as_in_spark_doctests() {
        assert_eq!(string_hash(&["ABC"]), -757_602_832);
        assert_eq!(string_hash(&["ABC", "DEF"]), 599_895_104);
    }

    #[test]
    fn integers_hash_as_in_spark() {
        // spark.sql("SELECT hash(1)")
        assert_eq!(hash_int(1, SEED) as i32, -559_580_957);
    }

    #[test]
    fn big_integers_are_minimal() {
        assert_eq!(big_integer_bytes(0), vec![0]);
        assert_eq!(big_integer_bytes(255), vec![0, 255]);
        assert_eq!(big_integer_bytes(-1), vec![255]);
        assert_eq!(big_integer_bytes(-129), vec![255, 127]);
    }
}
