//! Kubernetes resource quantities (`resource.Quantity` of k8s.io/apimachinery) as a pure value:
//! parsing exactly as `ParseQuantity` does and printing exactly as `Quantity.String()` /
//! `MarshalJSON` do after such a parse.
//!
//! Behaviour reproduced (from the apimachinery documentation and its documented examples):
//! - grammar `<sign><digits>[.<digits>]<suffix>` with suffixes `n u m "" k M G T P E` (decimal SI),
//!   `Ki Mi Gi Ti Pi Ei` (binary SI) or `e<int>`/`E<int>` (decimal exponent); the suffix family is
//!   remembered and used again when printing;
//! - values are exact (no floating point), rounded away from zero to a multiple of `1n`; a
//!   binary-SI value is capped at 2^63-1 and printed in decimal SI when it is below 1024 in
//!   magnitude or not an integer;
//! - canonical form: the largest suffix that keeps an integer mantissa (`2000m` → `2`,
//!   `1024Mi` → `1Gi`, `0.5` → `500m`, `1.5Gi` → `1536Mi`);
//! - like Go, a parse whose input is already in the (loosely checked) canonical form keeps the
//!   input text verbatim (`1e3` stays `1e3`, `+100m` stays `+100m`).

mod decimal;
mod scan;
#[cfg(test)]
mod tests;

use std::fmt;

use decimal::Decimal;
use scan::{interpret, parse_plain_decimal, scan, Scanned};

/// The suffix family of a quantity, kept from parsing for printing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `e<n>` / `E<n>` suffixes, e.g. `12e6`.
    DecimalExponent,
    /// `Ki`, `Mi`, … suffixes (powers of 1024).
    BinarySI,
    /// `n`, `u`, `m`, `k`, `M`, … suffixes (powers of 1000), or none.
    DecimalSI,
}

/// Why a string is not a quantity; every variant names the offending text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// Empty input, stray characters, or a dangling exponent sign.
    #[error("invalid quantity {value:?}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]
    Format {
        /// The rejected text.
        value: String,
    },
    /// The numeric part could not be read.
    #[error("invalid quantity {value:?}: unable to parse numeric part of quantity")]
    Numeric {
        /// The rejected text.
        value: String,
    },
    /// The suffix is not one of the known suffixes.
    #[error("invalid quantity {value:?}: unable to parse quantity's suffix")]
    Suffix {
        /// The rejected text.
        value: String,
    },
}

/// A parsed quantity: `±mantissa × 10^exponent` plus the suffix family to print it with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantity {
    negative: bool,
    mantissa: Decimal,
    exponent: i64,
    format: Format,
    /// The input text, kept when Go would keep it (already canonical).
    cached: Option<String>,
}

/// Largest number of decimal digits Go parses on its int64 fast path.
const MAX_INT64_FACTORS: i64 = 18;
/// `2^63 - 1`, the cap of binary-SI quantities.
const MAX_ALLOWED: u64 = i64::MAX as u64;

impl Quantity {
    /// Parses `s` as `resource.ParseQuantity` does (no surrounding whitespace allowed).
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        let format_err = || QuantityError::Format {
            value: s.to_string(),
        };
        if s.is_empty() {
            return Err(format_err());
        }
        if s == "0" {
            return Ok(Quantity::zero(Format::DecimalSI, Some(s.to_string())));
        }
        let sc = scan(s).ok_or_else(format_err)?;
        let (base, exponent, format) =
            interpret(sc.suffix).ok_or_else(|| QuantityError::Suffix {
                value: s.to_string(),
            })?;

        if let Some(q) = Self::fast_path(s, &sc, exponent, format) {
            return Ok(q);
        }

        let (negative, mut mantissa, mut exp) =
            parse_plain_decimal(sc.value).ok_or_else(|| QuantityError::Numeric {
                value: s.to_string(),
            })?;
        if base == 10 {
            exp += exponent;
        } else {
            mantissa.mul_pow2(exponent as u32);
        }
        // Round non-zero values away from zero to a multiple of 1n.
        if !mantissa.is_zero() && exp < -9 {
            let lost = mantissa.truncate_digits((-9 - exp) as usize);
            exp = -9;
            if lost {
                mantissa.increment();
            }
        }
        let mut format = format;
        if format == Format::BinarySI {
            let max = scaled(Decimal::from_u64(MAX_ALLOWED), exp);
            if mantissa > max {
                mantissa = max;
            }
            if !mantissa.is_zero() && mantissa < scaled(Decimal::from_u64(1), exp) {
                format = Format::DecimalSI;
            }
        }
        Ok(Quantity {
            negative: negative && !mantissa.is_zero(),
            mantissa,
            exponent: exp,
            format,
            cached: None,
        })
    }

    /// Go's int64 fast path; returns `None` when Go falls back to arbitrary precision.
    fn fast_path(s: &str, sc: &Scanned<'_>, exponent: i64, format: Format) -> Option<Quantity> {
        let fast = FastPath::of(sc, exponent, format)?;
        let mantissa = Decimal::from_u64(fast.product);
        Some(Quantity {
            negative: !sc.positive && !mantissa.is_zero(),
            mantissa,
            exponent: fast.scale,
            format,
            cached: fast.canonical_input.then(|| s.to_string()),
        })
    }

    /// Whether parsing `s` keeps `s` itself as the printed text, as Go does for input already
    /// in canonical form (`100m`, `2`, `1Gi`, `0`): then `parse(s)` prints exactly `s`. `false`
    /// for anything else, including texts whose recomputed form happens to equal them (`128Mi`)
    /// and invalid ones. Allocation-free, for callers checking that a value is already canonical.
    pub fn kept_verbatim(s: &str) -> bool {
        if s.is_empty() {
            return false;
        }
        if s == "0" {
            return true;
        }
        let Some(sc) = scan(s) else {
            return false;
        };
        let Some((_, exponent, format)) = interpret(sc.suffix) else {
            return false;
        };
        FastPath::of(&sc, exponent, format).is_some_and(|f| f.canonical_input)
    }
    fn zero(format: Format, cached: Option<String>) -> Quantity {
        Quantity {
            negative: false,
            mantissa: Decimal::default(),
            exponent: 0,
            format,
            cached,
        }
    }

    /// Parses a JSON value the way `Quantity.UnmarshalJSON` does: a string (trimmed of
    /// surrounding whitespace) or the text of a number; `null` is the zero quantity.
    pub fn from_json(value: &serde_json::Value) -> Result<Quantity, QuantityError> {
        match value {
            serde_json::Value::Null => Ok(Quantity::zero(Format::DecimalSI, None)),
            serde_json::Value::String(s) => Quantity::parse(s.trim()),
            serde_json::Value::Number(n) => Quantity::parse(&n.to_string()),
            other => Quantity::parse(&other.to_string()),
        }
    }

    /// The suffix family the quantity was parsed with.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.mantissa.is_zero()
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The canonical text, ignoring any text kept from parsing.
    fn canonical(&self) -> String {
        if self.mantissa.is_zero() {
            return "0".to_string();
        }
        let sign = if self.negative { "-" } else { "" };
        if self.format == Format::BinarySI {
            if let Some(binary) = self.binary_canonical() {
                return format!("{sign}{binary}");
            }
        }
        let mut mantissa = self.mantissa.clone();
        let tz = mantissa.trailing_zeros();
        mantissa.truncate_digits(tz);
        let mut exp = self.exponent + tz as i64;
        while exp % 3 != 0 {
            mantissa.shift_left(1);
            exp -= 1;
        }
        let format = if self.format == Format::BinarySI {
            Format::DecimalSI
        } else {
            self.format
        };
        let suffix = match (format, exp) {
            (Format::DecimalSI, -9) => "n".to_string(),
            (Format::DecimalSI, -6) => "u".to_string(),
            (Format::DecimalSI, -3) => "m".to_string(),
            (_, 0) => String::new(),
            (Format::DecimalSI, 3) => "k".to_string(),
            (Format::DecimalSI, 6) => "M".to_string(),
            (Format::DecimalSI, 9) => "G".to_string(),
            (Format::DecimalSI, 12) => "T".to_string(),
            (Format::DecimalSI, 15) => "P".to_string(),
            (Format::DecimalSI, 18) => "E".to_string(),
            (_, e) => format!("e{e}"),
        };
        format!("{sign}{}{suffix}", mantissa.to_string_digits())
    }

    /// Binary-SI text when the magnitude is an integer of at least 1024.
    fn binary_canonical(&self) -> Option<String> {
        let mut value = self.mantissa.clone();
        if self.exponent >= 0 {
            value.shift_left(self.exponent as usize);
        } else if value.truncate_digits((-self.exponent) as usize) {
            return None;
        }
        if value < Decimal::from_u64(1024) {
            return None;
        }
        let mut power = 0;
        loop {
            let mut probe = value.clone();
            if probe.divrem_small(1024) != 0 || probe.is_zero() {
                break;
            }
            value = probe;
            power += 1;
        }
        let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"].get(power)?;
        Some(format!("{}{suffix}", value.to_string_digits()))
    }
}

/// What Go's int64 fast path computes from a scanned quantity.
struct FastPath {
    /// The integer digits then the fraction digits, as one integer, times `2^exponent` for
    /// binary-SI suffixes.
    product: u64,
    /// The decimal exponent of `product`.
    scale: i64,
    /// Whether Go keeps the input text (it is in canonical form).
    canonical_input: bool,
}

impl FastPath {
    /// `None` when Go falls back to arbitrary precision.
    fn of(sc: &Scanned<'_>, exponent: i64, format: Format) -> Option<FastPath> {
        let digits_len = (sc.num.len() + sc.denom.len()) as i64;
        let (precision, mut scale, pow2) = match format {
            Format::DecimalExponent | Format::DecimalSI => {
                (MAX_INT64_FACTORS - digits_len, exponent, 0)
            }
            Format::BinarySI => {
                if exponent >= 0 && sc.denom.is_empty() {
                    let approx = (exponent as f32 * 3.0 / 10.0) as i64;
                    (15 - sc.num.len() as i64 - approx - 1, 0, exponent as u32)
                } else {
                    (-1, 0, 0)
                }
            }
        };
        if precision < 0 {
            return None;
        }
        scale -= sc.denom.len() as i64;
        if scale < -9 {
            return None;
        }
        // The digits of `num` then `denom` read as one int64 (Go parses their concatenation).
        let mut value: i64 = 0;
        let mut trailing_zeros = 0;
        for b in sc.num.bytes().chain(sc.denom.bytes()) {
            let digit = i64::from(b.wrapping_sub(b'0'));
            if digit > 9 {
                return None;
            }
            value = value.checked_mul(10)?.checked_add(digit)?;
            trailing_zeros = if b == b'0' { trailing_zeros + 1 } else { 0 };
        }
        let leading_zero =
            sc.num.starts_with('0') || (sc.num.is_empty() && sc.denom.starts_with('0'));
        if digits_len == 0 {
            return None;
        }
        let product = i128::from(value) << pow2;
        if product > i128::from(i64::MAX) {
            return None;
        }
        let canonical_input = match format {
            Format::BinarySI => exponent % 10 == 0 && (value & 0x07) != 0,
            _ => scale % 3 == 0 && trailing_zeros < 3 && !leading_zero,
        };
        Some(FastPath {
            product: product as u64,
            scale,
            canonical_input,
        })
    }
}

/// `value × 10^(-exp)` for `exp ≤ 0`, i.e. `value` expressed in units of `10^exp`.
fn scaled(mut value: Decimal, exp: i64) -> Decimal {
    if exp < 0 {
        value.shift_left((-exp) as usize);
    }
    value
}

impl fmt::Display for Quantity {
    /// What Go's `String()` and `MarshalJSON` print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cached {
            Some(text) => f.write_str(text),
            None => f.write_str(&self.canonical()),
        }
    }
}

/// Parses `s` and returns the text Kubernetes serialises it as (`"2000m"` → `"2"`).
pub fn canonicalize(s: &str) -> Result<String, QuantityError> {
    Quantity::parse(s).map(|q| q.to_string())
}
