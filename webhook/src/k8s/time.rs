//! `metav1.Time` as Go round-trips it: `time.Parse(time.RFC3339, s)` on the way in,
//! `t.UTC().Format(time.RFC3339)` on the way out (whole seconds, `Z`), and the zero time
//! (`0001-01-01T00:00:00Z`) printed as `null`.

/// Parses an RFC 3339 timestamp and returns it as Go prints it: `Some("…Z")`, or `None` for
/// the zero time. Errors describe what is wrong with the text.
pub(crate) fn normalize_rfc3339(s: &str) -> Result<Option<String>, String> {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>, what: &str| -> Result<i64, String> {
        let part = b.get(range).ok_or(format!("{what} missing"))?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(format!("{what} is not a number"));
        }
        Ok(part
            .iter()
            .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
    };
    let sep = |i: usize, c: u8| -> Result<(), String> {
        if b.get(i) == Some(&c) {
            Ok(())
        } else {
            Err(format!("expected {:?} at offset {i}", char::from(c)))
        }
    };
    let year = num(0..4, "year")?;
    sep(4, b'-')?;
    let month = num(5..7, "month")?;
    sep(7, b'-')?;
    let day = num(8..10, "day")?;
    sep(10, b'T')?;
    let hour = num(11..13, "hour")?;
    sep(13, b':')?;
    let minute = num(14..16, "minute")?;
    sep(16, b':')?;
    let second = num(17..19, "second")?;
    let mut pos = 19;
    let mut fraction_nonzero = false;
    if b.get(pos) == Some(&b'.') {
        let start = pos + 1;
        pos = start;
        while b.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        if pos == start {
            return Err("empty fractional second".to_string());
        }
        fraction_nonzero = b[start..pos].iter().any(|d| *d != b'0');
    }
    let offset_minutes = match b.get(pos) {
        Some(b'Z') if pos + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if pos + 6 == b.len() => {
            let oh = num(pos + 1..pos + 3, "offset hour")?;
            sep(pos + 3, b':')?;
            let om = num(pos + 4..pos + 6, "offset minute")?;
            if oh > 23 || om > 59 {
                return Err("time zone offset out of range".to_string());
            }
            let total = oh * 60 + om;
            if *sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return Err("expected a time zone (Z or ±hh:mm) at the end".to_string()),
    };
    if !(1..=12).contains(&month) {
        return Err("month out of range".to_string());
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err("day out of range".to_string());
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("clock time out of range".to_string());
    }
    let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    let utc = local - offset_minutes * 60;
    let zero = days_from_civil(1, 1, 1) * 86_400;
    if utc == zero && !fraction_nonzero {
        return Ok(None);
    }
    let days = utc.div_euclid(86_400);
    let secs = utc.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    Ok(Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::normalize_rfc3339;

    #[test]
    fn converts_to_utc_whole_seconds() {
        let ok = |s: &str| normalize_rfc3339(s).unwrap();
        assert_eq!(
            ok("2024-02-29T10:00:00Z").as_deref(),
            Some("2024-02-29T10:00:00Z")
        );
        assert_eq!(
            ok("2024-03-01T01:30:00+02:00").as_deref(),
            Some("2024-02-29T23:30:00Z")
        );
        assert_eq!(
            ok("2023-12-31T23:59:59.999-00:30").as_deref(),
            Some("2024-01-01T00:29:59Z")
        );
        assert_eq!(ok("0001-01-01T00:00:00Z"), None);
        assert_eq!(ok("0001-01-01T01:00:00+01:00"), None);
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [
            "2023-02-29T00:00:00Z",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00",
            "2024-1-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "yesterday",
        ] {
            assert!(normalize_rfc3339(bad).is_err(), "{bad}");
        }
    }
}
