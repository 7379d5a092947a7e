//! `google.protobuf.Duration` in Istio's JSON: read with Go's `time.ParseDuration` grammar
//! (`"1h2m3.5s"`, `"300ms"`, `"0"`), printed the way jsonpb prints it (`"45s"`, `"0.500s"`,
//! `"1.000000001s"`: seconds with 0, 3, 6 or 9 fractional digits).

/// A duration as protobuf holds it: whole seconds and same-signed nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    pub seconds: i64,
    pub nanos: i32,
}

impl Duration {
    pub fn from_nanos(total: i128) -> Duration {
        Duration {
            seconds: (total / 1_000_000_000) as i64,
            nanos: (total % 1_000_000_000) as i32,
        }
    }

    pub fn total_nanos(&self) -> i128 {
        i128::from(self.seconds) * 1_000_000_000 + i128::from(self.nanos)
    }

    /// jsonpb's text: `"<s>.<9 digits>"` with trailing `000` groups trimmed, then `s`.
    pub fn to_json_string(&self) -> String {
        let (sign, s, ns) = if self.seconds < 0 || self.nanos < 0 {
            ("-", self.seconds.unsigned_abs(), self.nanos.unsigned_abs())
        } else {
            ("", self.seconds as u64, self.nanos as u32)
        };
        let mut x = format!("{sign}{s}.{ns:09}");
        for suffix in ["000", "000", ".000"] {
            if let Some(stripped) = x.strip_suffix(suffix) {
                x.truncate(stripped.len());
            }
        }
        format!("{x}s")
    }

    /// Parses either jsonpb's own text or anything Go's `time.ParseDuration` accepts.
    pub fn parse(s: &str) -> Result<Duration, String> {
        parse_go_duration(s).map(Duration::from_nanos)
    }
}

/// Go's `time.ParseDuration`, in nanoseconds (which must fit an int64).
fn parse_go_duration(input: &str) -> Result<i128, String> {
    let invalid = || format!("invalid duration {input:?}");
    let mut s = input;
    let mut neg = false;
    if let Some(rest) = s.strip_prefix('-') {
        neg = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: i128 = 0;
    while !s.is_empty() {
        // Integer part.
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &s[..int_len];
        s = &s[int_len..];
        let mut frac_part = "";
        if let Some(rest) = s.strip_prefix('.') {
            let frac_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &rest[..frac_len];
            s = &rest[frac_len..];
            if int_part.is_empty() && frac_part.is_empty() {
                return Err(invalid());
            }
        } else if int_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(s.len(), |(i, _)| i);
        if unit_len == 0 {
            return Err(format!("missing unit in duration {input:?}"));
        }
        let unit: i128 = match &s[..unit_len] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            other => return Err(format!("unknown unit {other:?} in duration {input:?}")),
        };
        s = &s[unit_len..];
        let whole: i128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| invalid())?
        };
        let mut value = whole.checked_mul(unit).ok_or_else(invalid)?;
        if !frac_part.is_empty() {
            // Go scales the fraction by the unit and truncates toward zero.
            let mut scale: i128 = 1;
            let mut frac: i128 = 0;
            for d in frac_part.bytes().take(30) {
                frac = frac * 10 + i128::from(d - b'0');
                scale *= 10;
            }
            value += frac * unit / scale;
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
        if total > i128::from(i64::MAX) + i128::from(neg) {
            return Err(invalid());
        }
    }
    Ok(if neg { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Duration {
        Duration::parse(s).unwrap()
    }

    #[test]
    fn parses_go_syntax() {
        assert_eq!(
            p("45s"),
            Duration {
                seconds: 45,
                nanos: 0
            }
        );
        assert_eq!(
            p("0"),
            Duration {
                seconds: 0,
                nanos: 0
            }
        );
        assert_eq!(
            p("0s"),
            Duration {
                seconds: 0,
                nanos: 0
            }
        );
        assert_eq!(
            p("1m30s"),
            Duration {
                seconds: 90,
                nanos: 0
            }
        );
        assert_eq!(
            p("1.5s"),
            Duration {
                seconds: 1,
                nanos: 500_000_000
            }
        );
        assert_eq!(
            p("300ms"),
            Duration {
                seconds: 0,
                nanos: 300_000_000
            }
        );
        assert_eq!(
            p("-1.5s"),
            Duration {
                seconds: -1,
                nanos: -500_000_000
            }
        );
        assert_eq!(
            p("2h"),
            Duration {
                seconds: 7200,
                nanos: 0
            }
        );
        assert_eq!(
            p(".5s"),
            Duration {
                seconds: 0,
                nanos: 500_000_000
            }
        );
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in ["", "10", "s", "1x", "1.s.", "-", "1e3s", "."] {
            assert!(Duration::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn prints_like_jsonpb() {
        assert_eq!(p("45s").to_json_string(), "45s");
        assert_eq!(p("0s").to_json_string(), "0s");
        assert_eq!(p("1.5s").to_json_string(), "1.500s");
        assert_eq!(p("1ns").to_json_string(), "0.000000001s");
        assert_eq!(p("1500us").to_json_string(), "0.001500s");
        assert_eq!(p("-1.5s").to_json_string(), "-1.500s");
    }
}
