//! Go's spellings of the typed flag values pflag accepts: booleans (`strconv.ParseBool`),
//! unsigned 16-bit integers (`strconv.ParseUint(s, 0, 16)`: decimal, `0x`, `0o`, `0b`
//! or a leading-zero octal) and durations (`time.ParseDuration`, e.g. `5s`, `1m30s`).

use std::time::Duration;

/// `strconv.ParseBool`.
pub fn parse_go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err("not a boolean (true or false)".into()),
    }
}

/// `strconv.ParseUint(s, 0, 16)`, without Go's digit-separating underscores.
pub fn parse_go_uint16(s: &str) -> Result<u16, String> {
    let lower = s.to_ascii_lowercase();
    let (digits, radix) = if let Some(d) = lower.strip_prefix("0x") {
        (d, 16)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (d, 8)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (d, 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err("not an unsigned integer".into());
    }
    u16::from_str_radix(digits, radix).map_err(|_| "out of range (0-65535)".into())
}

/// `time.ParseDuration`, limited to non-negative durations.
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("not a duration (like 5s, 300ms, 1m30s): {s:?}");
    let body = s.strip_prefix('+').unwrap_or(s);
    if let Some(neg) = body.strip_prefix('-') {
        return if neg.chars().all(|c| c == '0') && !neg.is_empty() {
            Ok(Duration::ZERO)
        } else if parse_go_duration(neg).is_ok() {
            Err("must not be negative".into())
        } else {
            Err(bad())
        };
    }
    if body == "0" {
        return Ok(Duration::ZERO);
    }
    if body.is_empty() {
        return Err(bad());
    }
    let mut total: u128 = 0;
    let mut rest = body;
    while !rest.is_empty() {
        let int_len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (int, after) = rest.split_at(int_len);
        let (frac, after) = match after.strip_prefix('.') {
            Some(a) => {
                let n = a.find(|c: char| !c.is_ascii_digit()).unwrap_or(a.len());
                a.split_at(n)
            }
            None => ("", after),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        let unit_len = after
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let nanos_per: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(bad()),
        };
        let whole: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| bad())?
        };
        let mut value = whole.checked_mul(nanos_per).ok_or_else(bad)?;
        let mut scale = nanos_per;
        for d in frac.chars() {
            scale /= 10;
            value += u128::from(d.to_digit(10).unwrap_or(0)) * scale;
        }
        total = total.checked_add(value).ok_or_else(bad)?;
        rest = after;
    }
    if total > i64::MAX as u128 {
        return Err(bad());
    }
    Ok(Duration::from_nanos(total as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_follow_go() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_go_bool(t), Ok(true), "{t}");
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_go_bool(f), Ok(false), "{f}");
        }
        for bad in ["", "yes", "on", "tRUE", " true"] {
            assert!(parse_go_bool(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn uint16_accepts_go_prefixes() {
        assert_eq!(parse_go_uint16("15002"), Ok(15002));
        assert_eq!(parse_go_uint16("0x3a9a"), Ok(15002));
        assert_eq!(parse_go_uint16("0o35232"), Ok(15002));
        assert_eq!(parse_go_uint16("035232"), Ok(15002));
        assert_eq!(parse_go_uint16("0b11"), Ok(3));
        assert_eq!(parse_go_uint16("0"), Ok(0));
        for bad in ["", "65536", "-1", "+5", "12a", "0x", "09"] {
            assert!(parse_go_uint16(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_follow_go() {
        assert_eq!(parse_go_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_go_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_go_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_go_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_go_duration("2us"), Ok(Duration::from_micros(2)));
        assert_eq!(parse_go_duration("+1s"), Ok(Duration::from_secs(1)));
        for bad in ["", "5", "s", "5x", "1..5s", ".s", "-5s", "5 s"] {
            assert!(parse_go_duration(bad).is_err(), "{bad}");
        }
    }
}
