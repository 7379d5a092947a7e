//! Edge cases of the quick reader, each checked against the full parser.

use super::super::full_parse;
use super::parse;
use serde_json::{json, Value};

/// The quick reader's answer, which must be the full parser's.
fn quick(text: &str) -> Option<Value> {
    let fast = parse(text)?;
    assert_eq!(full_parse(text).ok(), Some(fast.clone()), "{text:?}");
    Some(fast)
}

fn read(text: &str) -> Value {
    quick(text).unwrap_or_else(|| panic!("the quick reader should read {text:?}"))
}

#[test]
fn quoting_and_escapes() {
    assert_eq!(read("a: \"x # y\" # c\n"), json!({"a": "x # y"}));
    assert_eq!(read("a: 'it''s'   \n"), json!({"a": "it's"}));
    assert_eq!(read("a: 'back\\slash'\n"), json!({"a": "back\\slash"}));
    assert_eq!(
        read("a: \"\\u00e9\\t\\\\\\/\\\"\\n\"\n"),
        json!({"a": "\u{e9}\t\\/\"\n"})
    );
    assert_eq!(read("a: \"\"\nb: ''\n"), json!({"a": "", "b": ""}));
    assert_eq!(
        read("\"k\": v\n'l': w\n\"m\":\n  - 1\n"),
        json!({"k": "v", "l": "w", "m": [1]})
    );
    assert_eq!(
        read("a: \"long enough to need more than one word of scanning\"\n"),
        json!({"a": "long enough to need more than one word of scanning"})
    );
}

#[test]
fn comments_and_spaces() {
    assert_eq!(read("a:   b   \n"), json!({"a": "b"}));
    assert_eq!(read("a: b#c\n"), json!({"a": "b#c"}));
    assert_eq!(read("a: b # c: d\n"), json!({"a": "b"}));
    assert_eq!(read("a: {b: c}   # note\n"), json!({"a": {"b": "c"}}));
    assert_eq!(
        read("# top\na:\n\n  # inside\n  b: 1   # after\n# column 0\nc: 2\n   \n"),
        json!({"a": {"b": 1}, "c": 2})
    );
    assert_eq!(read("a: [1,\n  2, # c\n  3]\n"), json!({"a": [1, 2, 3]}));
    assert_eq!(read("- # nothing here\n- a\n"), json!([null, "a"]));
}

#[test]
fn empty_values_and_document_ends() {
    assert_eq!(read("a: 1\nb:\n"), json!({"a": 1, "b": null}));
    assert_eq!(read("a:"), json!({"a": null}));
    assert_eq!(read("a: x"), json!({"a": "x"}));
    assert_eq!(read("a: 'x'"), json!({"a": "x"}));
    assert_eq!(read("- \n- a\n-\n"), json!([null, "a", null]));
    assert_eq!(read("  a: 1\n  b: 2\n"), json!({"a": 1, "b": 2}));
}

#[test]
fn sequences_under_mappings() {
    assert_eq!(
        read("a:\n- 1\n- 2\nb:\n  - 3\nc: 4\n"),
        json!({"a": [1, 2], "b": [3], "c": 4})
    );
    assert_eq!(
        read("- a: 1\n  b: 2\n- c:\n    d: 3\n  e:\n  - 4\n"),
        json!([{"a": 1, "b": 2}, {"c": {"d": 3}, "e": [4]}])
    );
    assert_eq!(
        read("-   a: 1\n    b: 2\n- x\n"),
        json!([{"a": 1, "b": 2}, "x"])
    );
    assert_eq!(
        read("a:\n  - b: |\n      x\n    c: 1\n"),
        json!({"a": [{"b": "x\n", "c": 1}]})
    );
}

#[test]
fn literal_block_scalars() {
    assert_eq!(read("a: |\n  x\n\n\nb: 1\n"), json!({"a": "x\n", "b": 1}));
    assert_eq!(read("a: |+\n  x\n\n"), json!({"a": "x\n\n"}));
    assert_eq!(
        read("a: |+\n  x\n  \nb: 1\n"),
        json!({"a": "x\n\n", "b": 1})
    );
    assert_eq!(
        read("a: |-  \n  x\n   y\nb: 1\n"),
        json!({"a": "x\n y", "b": 1})
    );
    assert_eq!(read("a: |\n \n  x\n"), json!({"a": "\nx\n"}));
}

#[test]
fn left_to_the_full_parser() {
    for text in [
        "a: [1,\n---\n]\n",
        "a: [1,\n...\n]\n",
        "a: [1,\n%x\n]\n",
        "a: |\n  x\n---\n",
        "a: x\u{7f}\n",
        "a: x\u{85}y\n",
        "a: \u{feff}x\n",
        "a: \"x\n  y\"\n",
        "a: 'x\n",
        "a: \"x\\\n",
        "a: b: c\n",
        "a #b: c\n",
        "a: b:\n",
        "- a: |\n  x\n",
        "a: |\n   \n  x\n",
        "a: |\n  x\n   \nb: 1\n",
        "a:\n  b: 1\n c: 2\n",
        "- a\n  - b\n",
        "a: [b]c\n",
    ] {
        assert_eq!(parse(text), None, "{text:?}");
    }
}

#[test]
fn scalars_like_document_markers_are_left_to_the_full_parser() {
    for text in [
        "a: ---\n",
        "a: --- x\n",
        "- ...\n",
        "---: a\n",
        "a: [---]\n",
        "a: {...: b}\n",
    ] {
        assert_eq!(parse(text), None, "{text:?}");
    }
    let v = super::super::parse_yaml("a: ---\nb: ... x\n").expect("valid");
    assert_eq!(v, json!({"a": "---", "b": "... x"}));
    assert_eq!(read("a: --x\nb: -.5\n"), json!({"a": "--x", "b": -0.5}));
}

#[test]
fn refused_characters_are_read_by_the_full_parser() {
    for text in [
        "a: x\u{7f}\n",
        "a: x\u{a0}y\n",
        "a: \u{fffe}\n",
        "k: \"\u{80}\"\n",
    ] {
        assert_eq!(parse(text), None, "{text:?}");
        let whole = super::super::parse_yaml(text).map_err(|e| e.to_string());
        let full = full_parse(text).map_err(|e| e.to_string());
        assert_eq!(whole, full, "{text:?}");
    }
    assert_eq!(
        read("a: \u{e9}\u{4e2d}\u{1f600}\n"),
        json!({"a": "\u{e9}\u{4e2d}\u{1f600}"})
    );
}

/// A small deterministic fuzzer: corpus documents with bytes and lines inserted, deleted,
/// re-indented and swapped; wherever the quick reader answers, the full parser must agree.
#[test]
fn quick_reader_agrees_on_mutated_documents() {
    const PIECES: &[&str] = &[
        " ", "\n", ":", ": ", "#", " #", "- ", "\"", "'", "|", "|-", "{", "}", "[", "]", ",", "\\",
        "\\u00e9", "a", "1", "\t", "&a", "!", "%", "~", "---", "...", "''", "\u{e9}", "\u{feff}",
        "\u{7f}", "\u{85}", "null", "yes", "0x1F", "1e3", ".5", "-", "\n  - ",
    ];
    let mut seeds =
        vec!["a: 1\nb: [x, {c: 'd'}]\ne: |\n  text\nf:\n- g: \"h\\n\"\n  i: ~\n".to_string()];
    if let Some(dir) = crate::corpus::dir() {
        for name in [
            "cases/hello.yaml",
            "cases/hello-probes.yaml",
            "base/mesh-effective.yaml",
        ] {
            seeds.push(std::fs::read_to_string(dir.join(name)).expect("corpus file"));
        }
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut below = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n.max(1) as u64) as usize
    };
    let mut answered = 0;
    for round in 0..3000 {
        let mut text = seeds[round % seeds.len()].clone();
        for _ in 0..=below(3) {
            let mut at = below(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
            let line = below(lines.len());
            match below(5) {
                0 | 1 => text.insert_str(at, PIECES[below(PIECES.len())]),
                2 => {
                    let end = (at + 1 + below(3)).min(text.len());
                    if text.is_char_boundary(end) {
                        text.replace_range(at..end, "");
                    }
                }
                3 => {
                    let trimmed = lines[line].trim_start().to_string();
                    lines[line] = format!("{}{trimmed}", " ".repeat(below(7)));
                    text = lines.join("\n");
                }
                _ => {
                    let other = below(lines.len());
                    lines.swap(line, other);
                    text = lines.join("\n");
                }
            }
        }
        if let Some(fast) = parse(&text) {
            answered += 1;
            assert_eq!(full_parse(&text).ok(), Some(fast), "{text:?}");
        }
    }
    assert!(
        answered > 300,
        "the quick reader answered only {answered} times"
    );
}
