//! Reading YAML like sigs.k8s.io/yaml, and the quick reader agreeing with the full parser.

use super::*;
use serde_json::json;

#[test]
fn scalars_and_keys() {
    let v = parse_yaml("a: 1\nb: true\n2: x\nc: null\nd: 1.5\ne: '7'\nf: [1, two]\n").unwrap();
    assert_eq!(
        v,
        json!({"a": 1, "b": true, "2": "x", "c": null, "d": 1.5, "e": "7", "f": [1, "two"]})
    );
}

#[test]
fn json_is_yaml() {
    let v = parse_yaml(r#"{"global": {"hub": "docker.io/istio", "n": [1, 2]}}"#).unwrap();
    assert_eq!(
        v,
        json!({"global": {"hub": "docker.io/istio", "n": [1, 2]}})
    );
}

#[test]
fn empty_document_is_null() {
    assert_eq!(parse_yaml("").unwrap(), Value::Null);
    assert_eq!(parse_yaml("  \n").unwrap(), Value::Null);
}

#[test]
fn yaml_1_1_scalars_like_go_yaml_v2() {
    let v = parse_yaml("a: yes\nb: off\nc: y\nd: 0755\ne: 0x1F\nf: 1_000\ng: 'yes'\n").unwrap();
    assert_eq!(
        v,
        json!({"a": true, "b": false, "c": true, "d": 493, "e": 31, "f": 1000, "g": "yes"})
    );
    assert!(matches!(parse_yaml("a: .inf"), Err(YamlError::Syntax(_))));
}

#[test]
fn string_targets_read_scalars_as_text() {
    assert_eq!(string_target(&json!(8080)).as_deref(), Some("8080"));
    assert_eq!(string_target(&json!(true)).as_deref(), Some("true"));
    assert_eq!(string_target(&json!(1.5)).as_deref(), Some("1.5"));
    assert_eq!(string_target(&json!(1000000.0)).as_deref(), Some("1e+06"));
    assert_eq!(string_target(&Value::Null).as_deref(), Some(""));
    assert_eq!(string_target(&json!([1])), None);
}

#[test]
fn later_duplicate_key_wins() {
    assert_eq!(parse_yaml("a: 1\na: 2\n").unwrap(), json!({"a": 2}));
}

#[test]
fn syntax_errors_are_reported() {
    let err = parse_yaml("a: [1, 2\n").unwrap_err();
    assert!(matches!(err, YamlError::Syntax(_)), "{err}");
}

/// The quick reader's answer, checked against the full parser when it has one.
fn quick(text: &str) -> Option<Value> {
    let fast = block::parse(text)?;
    assert_eq!(full_parse(text).ok(), Some(fast.clone()), "{text:?}");
    Some(fast)
}

#[test]
fn quick_reader_reads_rendered_template_shapes() {
    let text = r#"
# comment
metadata:
  labels:
    security.istio.io/tlsMode: "istio"
    service.istio.io/canonical-name: hello   # trailing comment
  annotations: {
    istio.io/rev: "default",
    'quoted key': 'it''s',
  }
spec:
  initContainers:

  - name: istio-init
    args:
    - istio-iptables
    -  "1337"
    - "--log_output_level=default:info"
    - -u
    resources:
      limits: {cpu: 2000m, memory: 1024Mi}
      requests: {}
    ports:
    - containerPort: 15090
      protocol: TCP
  containers:
  -
    name: x
    env: []
    value: "a\"b\\c\u00e9\n"
    url: http://x:80/p#frag
    empty:
    list:
    - [1, two, "3", {a: b}]
"#;
    let v = quick(text).expect("quick reader takes template output");
    assert_eq!(v["metadata"]["annotations"]["quoted key"], json!("it's"));
    assert_eq!(v["spec"]["initContainers"][0]["args"][1], json!("1337"));
    assert_eq!(
        v["spec"]["initContainers"][0]["ports"][0]["containerPort"],
        json!(15090)
    );
    assert_eq!(
        v["spec"]["containers"][0]["value"],
        json!("a\"b\\c\u{e9}\n")
    );
    assert_eq!(v["spec"]["containers"][0]["empty"], Value::Null);
    assert_eq!(
        v["spec"]["containers"][0]["list"],
        json!([[1, "two", "3", {"a": "b"}]])
    );
}

#[test]
fn quick_reader_reads_json_and_odd_flow_indentation() {
    quick("{\n\"a\": {\"b\": [1, 2.5, true, null, \"x\"]}\n}\n").expect("json");
    quick("a:\n  b: {\nx: 1,\n}\nc: [1,\n2]\n").expect("flow lines ignore indentation");
    quick("a:\n- 1\n- 2\nb: 3\n").expect("sequence at its key's indentation");
}

#[test]
fn quick_reader_reads_literal_block_scalars() {
    let cases = [
        ("a: |\n  text\n", "text\n"),
        (
            "a: |-\n  [\n    {\"x\": 1}\n  ]\nb: 1\n",
            "[\n  {\"x\": 1}\n]",
        ),
        ("a: |+\n  x\n\n\nb: 1\n", "x\n\n\n"),
        ("a: |+\n  x\n\n", "x\n\n"),
        (
            "a: | # note\n\n  x\n\n  # not a comment\n  y\n\n",
            "\nx\n\n# not a comment\ny\n",
        ),
        ("- |\n   {}\n- b\n", "{}\n"),
    ];
    for (text, want) in cases {
        let v = quick(text).unwrap_or_else(|| panic!("{text:?}"));
        let got = v.get("a").or_else(|| v.get(0)).and_then(Value::as_str);
        assert_eq!(got, Some(want), "{text:?}");
    }
}

#[test]
fn quick_reader_leaves_the_rest_to_the_full_parser() {
    for text in [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: |2\n  text\n",
        "a: |\n  text",
        "a: |\n\nb: 1\n",
        "a: |\n    \n  text\n",
        "a: >\n  text\n",
        "a: plain\n  continued\n",
        "a: \"two\n  lines\"\n",
        "--- \na: 1\n",
        "a: 1\n---\nb: 2\n",
        "a:\tb\n",
        "a: 1\r\n",
        "? a\n: b\n",
        "<<: {a: 1}\n",
        "- - a\n",
        "a: [b\n c]\n",
        "a: \"\\x41\"\n",
        "just a scalar\n",
        "a: b: c\n",
        "a: \"x\"#c\n",
        "- a\n-b\n",
        "a: 1\n b: 2\n",
        "a: [1, 2\n",
    ] {
        assert_eq!(block::parse(text), None, "{text:?}");
    }
}

#[test]
fn quick_reader_types_scalars_as_the_full_parser_does() {
    for scalar in [
        "1",
        "-1",
        "0",
        "-0",
        "+1",
        "007",
        "0755",
        "0x1F",
        "0o17",
        "1_000",
        "1e3",
        "1.5",
        ".5",
        "1.",
        "-.inf",
        ".NaN",
        "Infinity",
        "nan",
        "yes",
        "No",
        "ON",
        "off",
        "y",
        "N",
        "true",
        "False",
        "null",
        "Null",
        "~",
        "2001-12-14t21:59:43.10-05:00",
        "2002-12-14",
        "190:20:30",
        "2000m",
        "1024Mi",
        "100m",
        "0.5Gi",
        "--domain",
        "-u",
        "$(POD_NAMESPACE).svc",
        "=",
        "<<",
        "a#b",
        "abc",
        "deadbeef",
        "e",
        "1-2",
        "12345678901234567890",
        "-",
        "+",
        "1 2",
    ] {
        let doc = format!("k: {scalar}\n{scalar}: v\n");
        if let Some(v) = quick(&doc) {
            assert_eq!(v.as_object().map(|m| m.len()), Some(2), "{doc:?}");
        }
    }
}

#[test]
fn quick_reader_agrees_on_the_corpus() {
    let Some(dir) = crate::corpus::dir() else {
        return;
    };
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("corpus dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "json") {
                files.push(path);
            }
        }
    }
    let mut quick_docs = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("corpus file");
        for doc in text.split("\n---\n") {
            if quick(doc).is_some() {
                quick_docs += 1;
            }
        }
    }
    assert!(
        quick_docs > files.len() / 2,
        "quick reader took only {quick_docs} documents"
    );
}
