//! Go's `strconv.FormatFloat(f, 'g', -1, …)` text of a float: how `fmt` prints a float64
//! (template output, go-yaml's float scalars) and how sigs.k8s.io/yaml turns a YAML number
//! into a string. The JSON text of a float is [`crate::gojson`]'s.

/// `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest float32 digits, exponent form when the
/// decimal exponent is below -4 or at least 6 (so 1000000 becomes `1e+06`).
pub fn format_float_g32(f: f64) -> String {
    let f32v = f as f32;
    format_g(f64::from(f32v), format!("{f32v:e}"), format!("{f32v}"))
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`, which is also how `fmt` prints a float64 with `%v`.
pub fn format_float_g64(f: f64) -> String {
    format_g(f, format!("{f:e}"), format!("{f}"))
}

fn format_g(f: f64, exp_form: String, plain: String) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let (mantissa, exp) = split_exponent(&exp_form);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        plain
    }
}

fn split_exponent(s: &str) -> (&str, i32) {
    let (m, e) = s.split_once('e').expect("{:e} output has an exponent");
    (m, e.parse().expect("exponent is an integer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float32_g_format() {
        assert_eq!(format_float_g32(1.5), "1.5");
        assert_eq!(format_float_g32(0.1), "0.1");
        assert_eq!(format_float_g32(100.0), "100");
        assert_eq!(format_float_g32(1e21), "1e+21");
        assert_eq!(format_float_g32(123456.0), "123456");
        assert_eq!(format_float_g32(1e6), "1e+06");
        assert_eq!(format_float_g32(0.00001), "1e-05");
    }

    #[test]
    fn float64_g_format() {
        assert_eq!(format_float_g64(1.2), "1.2");
        assert_eq!(format_float_g64(123456789.0), "1.23456789e+08");
        assert_eq!(format_float_g64(1e6), "1e+06");
        assert_eq!(format_float_g64(123456.0), "123456");
        assert_eq!(format_float_g64(0.0001), "0.0001");
        assert_eq!(format_float_g64(0.00001), "1e-05");
        assert_eq!(format_float_g64(1.5e300), "1.5e+300");
        assert_eq!(format_float_g64(-2.25), "-2.25");
        assert_eq!(format_float_g64(-0.0), "-0");
        assert_eq!(format_float_g64(f64::NAN), "NaN");
    }
}
