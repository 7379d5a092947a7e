//! Table tests built from apimachinery's documented quantity examples (parse → String()).

use super::{canonicalize, Format, Quantity, QuantityError};

fn canon(s: &str) -> String {
    canonicalize(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn non_canonical_inputs_are_rewritten() {
    let table = [
        ("2000m", "2"),
        ("1024Mi", "1Gi"),
        ("307200Ki", "300Mi"),
        ("1025024Mi", "1001Gi"),
        ("1024Gi", "1Ti"),
        ("5000m", "5"),
        ("0.5", "500m"),
        ("1000M", "1G"),
        ("0.001T", "1G"),
        ("1000u", "1m"),
        ("1.08", "1080m"),
        ("1080000000n", "1080m"),
        ("1000E", "1e21"),
        (".001e12", "1e9"),
        ("0.001e0", "1e-3"),
        ("1000e-12", "1e-9"),
        ("00", "0"),
        ("0m", "0"),
        ("0Ki", "0"),
        ("-0", "0"),
        ("1.0", "1"),
        ("12000m", "12"),
        ("1.5Gi", "1536Mi"),
        ("0.5Mi", "512Ki"),
        ("1000e0", "1e3"),
    ];
    for (input, want) in table {
        assert_eq!(canon(input), want, "input {input}");
    }
}

#[test]
fn canonical_inputs_are_kept_verbatim() {
    let table = [
        "1Gi", "300Mi", "6Ki", "1001Gi", "1Ti", "5", "500m", "1G", "1m", "80m", "1080m", "300M",
        "1T", "1E", "1e21", "5e21", "1e24", "1234567M", "1234567m", "3k", "1025", "0", "1e9",
        "1e-3", "1e-9", "80e-3", "300e6", "1e12", "1e3", "3e3", "1n", "80n", "1080n", "1u", "80u",
        "1080u", "100m", "128Mi", "1E-3",
    ];
    for input in table {
        assert_eq!(canon(input), input, "input {input}");
    }
}

#[test]
fn go_keeps_loosely_canonical_text() {
    // Go reuses the input text whenever its fast path deems it canonical, even when the text
    // carries a sign or a fraction; MarshalJSON then prints it unchanged.
    for input in ["+100m", "1.200", "1.", "1.G", "10e3", "100.035k"] {
        assert_eq!(canon(input), input, "input {input}");
    }
}

#[test]
fn parse_emit_with_sign() {
    let table = [
        ("1Ki", "1Ki"),
        ("1Mi", "1Mi"),
        ("1Gi", "1Gi"),
        ("1024Mi", "1Gi"),
        ("1000M", "1G"),
        (".001Ki", "1024m"),
        (".000001Ki", "1024u"),
        (".000000001Ki", "1024n"),
        (".000000000001Ki", "2n"),
    ];
    for (input, want) in table {
        assert_eq!(canon(input), want, "input {input}");
        assert_eq!(
            canon(&format!("-{input}")),
            format!("-{want}"),
            "input -{input}"
        );
    }
}

#[test]
fn rounding_and_saturation() {
    let table = [
        ("3.001n", "4n"),
        ("1.1E-9", "2e-9"),
        ("0.0000000001", "1n"),
        ("0.0000000005", "1n"),
        ("0.00000000050", "1n"),
        ("0.5e-9", "1e-9"),
        ("0.9n", "1n"),
        ("0.00000012345", "124n"),
        ("0.00000012354", "124n"),
        ("-0.0000000001", "-1n"),
        ("9Ei", "9223372036854775807"),
        ("9223372036854775807Ki", "9223372036854775807"),
        ("12E", "12E"),
        ("100.035Ki", "102435840m"),
        ("0.05Gi", "53687091200m"),
        ("0.025Ti", "27487790694400m"),
        ("0.000000000001Ki", "2n"),
        (".001", "1m"),
        (".0001k", "100m"),
        ("1.01E", "1010P"),
        ("18446744073709551616", "18446744073709551616"),
        ("1.2345", "1234500u"),
    ];
    for (input, want) in table {
        assert_eq!(canon(input), want, "input {input}");
    }
}

#[test]
fn formats_are_remembered() {
    let table = [
        ("1Ki", Format::BinarySI),
        ("1e3", Format::DecimalExponent),
        ("1E-3", Format::DecimalExponent),
        ("5n", Format::DecimalSI),
        ("1E", Format::DecimalSI),
        ("0.000000000001Ki", Format::DecimalSI),
        ("0.5Mi", Format::BinarySI),
    ];
    for (input, want) in table {
        assert_eq!(
            Quantity::parse(input).unwrap().format(),
            want,
            "input {input}"
        );
    }
}

#[test]
fn malformed_quantities_are_rejected_naming_the_value() {
    let invalid = [
        "", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", " 1",
        "1 ", "2x", "1e", "100 m",
    ];
    for input in invalid {
        let err = Quantity::parse(input).expect_err(input);
        assert!(
            err.to_string().contains(&format!("{input:?}")),
            "{err} should name {input:?}"
        );
    }
    assert!(matches!(
        Quantity::parse("1i"),
        Err(QuantityError::Suffix { .. })
    ));
    assert!(matches!(
        Quantity::parse("aoeu"),
        Err(QuantityError::Format { .. })
    ));
}

#[test]
fn json_values_follow_unmarshal_json() {
    use serde_json::json;
    let q = |v: serde_json::Value| Quantity::from_json(&v).map(|q| q.to_string());
    assert_eq!(q(json!(" 1 ")).unwrap(), "1");
    assert_eq!(q(json!(2)).unwrap(), "2");
    assert_eq!(q(json!(0.5)).unwrap(), "500m");
    assert_eq!(q(json!(-1)).unwrap(), "-1");
    assert_eq!(q(json!(null)).unwrap(), "0");
    assert!(q(json!(true)).is_err());
    assert!(q(json!({"a": 1})).is_err());
}

#[test]
fn kept_verbatim_means_parse_prints_the_text_itself() {
    let kept = [
        "0", "1", "2", "100m", "250m", "1Gi", "1025Mi", "7Ki", "1e3", "+100m", "12e6", "999", "1k",
        "5u", "3n", "01",
    ];
    for s in kept {
        assert!(Quantity::kept_verbatim(s), "{s} is kept");
        assert_eq!(canon(s), s, "{s}");
    }
    // Rewritten, recomputed (even when the result is the same text) or invalid.
    let not_kept = [
        "",
        " 1",
        "1 ",
        "2000m",
        "0.5",
        "1.0",
        "128Mi",
        "1024Mi",
        "00",
        "-0",
        "0m",
        "1000",
        "x",
        "1Zi",
        "1e",
        "1.5Gi",
        "1234567890123456789",
    ];
    for s in not_kept {
        assert!(!Quantity::kept_verbatim(s), "{s} is not kept");
    }
    assert_eq!(canon("128Mi"), "128Mi");
    // Every example in this file agrees with parse.
    for s in [
        "2000m", "1024Mi", "0.001T", "1000e-12", "1.5Gi", "3Gi", "100", "1e-3",
    ] {
        let q = Quantity::parse(s).unwrap();
        assert_eq!(
            Quantity::kept_verbatim(s),
            q.cached.as_deref() == Some(s),
            "{s}"
        );
    }
}
