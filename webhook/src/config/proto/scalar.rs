//! Scalars in proto-JSON, read as legacy Go jsonpb reads them: booleans only as JSON
//! booleans, strings only as JSON strings, integers as JSON numbers without a fraction or as
//! quoted integers, floats as numbers, quoted numbers or `"NaN"`/`"Infinity"`/`"-Infinity"`.

use serde_json::{Number, Value};

use super::decode::{type_error, ProtoError};
use super::schema::Scalar;

pub(crate) fn decode_scalar(s: Scalar, raw: &Value, path: &str) -> Result<Value, ProtoError> {
    match s {
        Scalar::Bool => match raw {
            Value::Bool(_) => Ok(raw.clone()),
            other => Err(type_error(path, "true or false", other)),
        },
        Scalar::String | Scalar::Bytes => match raw {
            Value::String(_) => Ok(raw.clone()),
            other => Err(type_error(path, "a string", other)),
        },
        Scalar::Int32 => {
            integer(raw, i64::from(i32::MIN), i64::from(i32::MAX), path, true).map(Value::from)
        }
        Scalar::Uint32 => integer(raw, 0, i64::from(u32::MAX), path, true).map(Value::from),
        Scalar::Int64 => integer(raw, i64::MIN, i64::MAX, path, true).map(Value::from),
        Scalar::Uint64 => unsigned64(raw, path).map(Value::from),
        Scalar::Double | Scalar::Float => float(raw, s == Scalar::Float, path),
    }
}

/// An integer within `[min, max]`: a JSON number with no fraction, or (when `quoted_ok`) a
/// string holding a JSON integer.
pub(crate) fn integer(
    raw: &Value,
    min: i64,
    max: i64,
    path: &str,
    quoted_ok: bool,
) -> Result<i64, ProtoError> {
    let out_of_range = || ProtoError {
        path: path.to_string(),
        reason: format!("{raw} is out of range [{min}, {max}]"),
    };
    let n: i128 = match raw {
        Value::Number(n) => number_as_integer(n).ok_or_else(|| ProtoError {
            path: path.to_string(),
            reason: format!("expected an integer, got {n}"),
        })?,
        Value::String(s) if quoted_ok => parse_json_integer(s).ok_or_else(|| ProtoError {
            path: path.to_string(),
            reason: format!("expected an integer, got string {s:?}"),
        })?,
        other => return Err(type_error(path, "an integer", other)),
    };
    if n < i128::from(min) || n > i128::from(max) {
        return Err(out_of_range());
    }
    Ok(n as i64)
}

fn unsigned64(raw: &Value, path: &str) -> Result<u64, ProtoError> {
    let n: i128 = match raw {
        Value::Number(n) => number_as_integer(n),
        Value::String(s) => parse_json_integer(s),
        other => return Err(type_error(path, "an integer", other)),
    }
    .ok_or_else(|| type_error(path, "an integer", raw))?;
    u64::try_from(n).map_err(|_| ProtoError {
        path: path.to_string(),
        reason: format!("{raw} is out of range [0, {}]", u64::MAX),
    })
}

/// A JSON number as an integer, if it has no fractional part. YAML floats such as `1.0` reach
/// jsonpb as `1` (Go prints integral floats without a fraction), so they count as integers.
fn number_as_integer(n: &Number) -> Option<i128> {
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u));
    }
    let f = n.as_f64()?;
    (f.fract() == 0.0 && f.abs() < 1e21).then_some(f as i128)
}

/// The body of a quoted integer, read as Go's `encoding/json` would read it bare.
fn parse_json_integer(s: &str) -> Option<i128> {
    let t = s.trim_matches([' ', '\t', '\n', '\r']);
    let digits = t.strip_prefix('-').unwrap_or(t);
    let valid = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !valid {
        return None;
    }
    t.parse().ok()
}

fn float(raw: &Value, single: bool, path: &str) -> Result<Value, ProtoError> {
    let f = match raw {
        Value::String(s) if ["NaN", "Infinity", "-Infinity"].contains(&s.as_str()) => {
            return Ok(raw.clone());
        }
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
    .ok_or_else(|| type_error(path, "a number", raw))?;
    if single && f.abs() > f64::from(f32::MAX) {
        return Err(ProtoError {
            path: path.to_string(),
            reason: format!("{f} is out of range for a float"),
        });
    }
    Ok(Number::from_f64(f).map_or(Value::Null, Value::Number))
}
