//! Scalars for the quick reader: where a plain scalar may start and end, what its text is
//! (typed only when the answer is certain, else by the full parser on that scalar alone),
//! and single-line quoted scalars with the escapes JSON also has.

use serde_json::Value;

use super::super::{scalar_node, Node};
use super::scan::{find, line_end};

/// Whether a plain scalar may start with this text (no indicator character).
#[inline(always)]
pub(super) fn plain_start(text: &str) -> bool {
    let b = text.as_bytes();
    match b.first() {
        None
        | Some(
            b'[' | b']' | b'{' | b'}' | b',' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
            | b'"' | b'%' | b'@' | b'`',
        ) => false,
        Some(b'-' | b'?' | b':') => b.get(1).is_some_and(|c| *c != b' '),
        Some(_) => true,
    }
}

/// A plain scalar that is the rest of a block line, from `from` (not a space) in `text`: the
/// text up to a comment (` #`) or the line break, without trailing spaces, and the end of the
/// line. `None` when a `:` in it is followed by a space or the end of the line (a mapping
/// key, not handled here) or it cannot start a plain scalar.
#[inline(always)]
pub(super) fn block_plain(text: &str, from: usize) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    let mut at = from;
    let (mut end, eol) = loop {
        at = find(bytes, at, [b':', b'#', b'\n']);
        match bytes.get(at) {
            None | Some(b'\n') => break (at, at),
            Some(b'#') if at > from && bytes[at - 1] == b' ' => break (at, line_end(bytes, at)),
            Some(b':') if matches!(bytes.get(at + 1), None | Some(b' ' | b'\n')) => return None,
            _ => at += 1,
        }
    };
    while end > from && bytes[end - 1] == b' ' {
        end -= 1;
    }
    let plain = &text[from..end];
    (plain_start(plain) && !plain.ends_with(':')).then_some((plain, eol))
}

/// Whether what follows a quoted scalar on its line is nothing or a comment.
pub(super) fn rest_is_comment(rest: &str) -> bool {
    let trimmed = rest.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())
}

/// What the text of a plain scalar certainly is, if that is known without the full parser.
enum Plain<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
    Null,
    Unsure,
}

/// Whether `word` is one YAML 1.1 reads as a boolean, null, infinity or NaN (in any case):
/// `~`, `null`, `true`, `false`, `yes`, `no`, `on`, `off`, `y`, `n`, `inf`, `nan`, `infinity`.
#[inline(always)]
fn is_special(word: &[u8]) -> bool {
    let is = |w: &[u8]| word.eq_ignore_ascii_case(w);
    match word.len() {
        1 => word[0] == b'~' || matches!(word[0] | 0x20, b'y' | b'n'),
        2 => is(b"no") || is(b"on"),
        3 => is(b"yes") || is(b"off") || is(b"inf") || is(b"nan"),
        4 => is(b"null") || is(b"true"),
        5 => is(b"false"),
        8 => is(b"infinity"),
        _ => false,
    }
}

#[inline(always)]
fn classify(text: &str) -> Plain<'_> {
    let b = text.as_bytes();
    match b.first() {
        // A word is a string unless YAML 1.1 reads it otherwise.
        Some(c) if c.is_ascii_alphabetic() => {
            return match b {
                b"true" => Plain::Bool(true),
                b"false" => Plain::Bool(false),
                b"null" => Plain::Null,
                _ if is_special(b) => Plain::Unsure,
                _ => Plain::Str(text),
            };
        }
        Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'~') => {}
        // Nothing else starts a number, a timestamp or a special word.
        _ => return Plain::Str(text),
    }
    if b == b"~" {
        return Plain::Null;
    }
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    if !digits.is_empty()
        && digits.len() <= 18
        && digits.iter().all(u8::is_ascii_digit)
        && (digits[0] != b'0' || digits.len() == 1)
        && text != "-0"
    {
        return text.parse().map_or(Plain::Unsure, Plain::Int);
    }
    let bare = text.trim_start_matches(['+', '-', '.']);
    if is_special(bare.as_bytes()) {
        return Plain::Unsure;
    }
    // Numbers and timestamps start with a digit, a sign or a dot and use few letters.
    let numeric_start = matches!(b.first(), Some(b'0'..=b'9' | b'+' | b'-' | b'.'));
    let numeric_chars = || {
        b.iter().all(|c| {
            c.is_ascii_digit()
                || matches!(
                    c,
                    b'a'..=b'f' | b'A'..=b'F' | b'x' | b'X' | b'o' | b'O' | b't' | b'T' | b'z'
                        | b'Z' | b'_' | b'.' | b'+' | b'-' | b':' | b' '
                )
        })
    };
    if numeric_start && numeric_chars() {
        Plain::Unsure
    } else {
        Plain::Str(text)
    }
}

/// The full parser's reading of one plain scalar, when it is a scalar. Alone, a scalar
/// starting with `---` or `...` could read as a document marker: left to the full parser.
fn resolve(text: &str) -> Option<Node> {
    if text.starts_with("---") || text.starts_with("...") {
        return None;
    }
    match scalar_node(text)? {
        Node::Seq(_) | Node::Map(_) => None,
        n => Some(n),
    }
}

/// The value of plain scalar `text`.
#[inline(always)]
pub(super) fn plain_value(text: &str) -> Option<Value> {
    match classify(text) {
        Plain::Str(s) => Some(Value::String(s.to_string())),
        Plain::Int(i) => Some(Value::from(i)),
        Plain::Bool(b) => Some(Value::Bool(b)),
        Plain::Null => Some(Value::Null),
        Plain::Unsure => resolve(text)?.into_json().ok(),
    }
}

/// The mapping key plain scalar `text` makes (its value as text).
#[inline(always)]
pub(super) fn plain_key(text: &str) -> Option<String> {
    match classify(text) {
        Plain::Str(s) => Some(s.to_string()),
        Plain::Int(i) => Some(i.to_string()),
        Plain::Bool(b) => Some(b.to_string()),
        Plain::Null => Some("null".to_string()),
        Plain::Unsure => resolve(text)?.into_key().ok(),
    }
}

/// A single-line quoted scalar at `from` in `text`: its value and the index after its
/// closing quote.
pub(super) fn quoted(text: &str, from: usize) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let q = bytes[from];
    // What ends a run of plain characters: the quote, an escape, the end of the line.
    let stops = if q == b'"' {
        [q, b'\\', b'\n']
    } else {
        [q, q, b'\n']
    };
    let mut out = String::new();
    let mut run = from + 1;
    let mut at = run;
    loop {
        at = find(bytes, at, stops);
        match bytes.get(at) {
            None | Some(b'\n') => return None,
            Some(b'\\') => {
                out.push_str(&text[run..at]);
                let (ch, used) = escape(&text[at + 1..])?;
                out.push(ch);
                at += 1 + used;
                run = at;
            }
            Some(_) if q == b'\'' && bytes.get(at + 1) == Some(&b'\'') => {
                out.push_str(&text[run..=at]);
                at += 2;
                run = at;
            }
            Some(_) if out.is_empty() => return Some((text[run..at].to_owned(), at + 1)),
            Some(_) => {
                out.push_str(&text[run..at]);
                return Some((out, at + 1));
            }
        }
    }
}

/// A double-quoted escape after the backslash: the character and the bytes used.
fn escape(text: &str) -> Option<(char, usize)> {
    let c = *text.as_bytes().first()?;
    Some(match c {
        b'\\' => ('\\', 1),
        b'"' => ('"', 1),
        b'/' => ('/', 1),
        b'n' => ('\n', 1),
        b't' => ('\t', 1),
        b'u' => {
            let hex = text.get(1..5)?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return None;
            }
            (char::from_u32(u32::from_str_radix(hex, 16).ok()?)?, 5)
        }
        _ => return None,
    })
}
