//! A quick reader for the plain YAML that templates and Kubernetes tools write: block
//! mappings and sequences indented with spaces, single-line plain and quoted scalars, and
//! flow collections (`{a: 1, b: [x]}`, JSON) that may span lines, literal block scalars
//! (`|`). It answers `None` for anything else (anchors, tags, folded scalars, multi-line
//! plain or quoted scalars, several documents, tabs, unusual escapes, syntax errors, …) and
//! the full parser reads the text instead.
//!
//! Plain scalars are typed only when the answer is certain: text that cannot be a number,
//! boolean, null or timestamp is a string, a plain decimal integer is an integer, `true`,
//! `false`, `null` and `~` are what they say; any other plain scalar is resolved by the full
//! parser on its own, so both paths type every scalar alike.

use serde_json::{Map, Value};

use super::{scalar_node, Node};

/// Reads `text`, or `None` when it is outside the subset (or not valid YAML).
pub(super) fn parse(text: &str) -> Option<Value> {
    if text.bytes().any(|b| b == b'\t' || b == b'\r') {
        return None;
    }
    let mut lines = Vec::with_capacity(text.len() / 24);
    for raw in text.split('\n') {
        if raw.starts_with(['%', '\u{feff}']) || raw.starts_with("---") || raw.starts_with("...") {
            return None;
        }
        let content = raw.trim_start_matches(' ');
        lines.push(Line {
            indent: raw.len() - content.len(),
            text: content.trim_end_matches(' '),
            raw,
        });
    }
    let mut reader = Reader { lines, pos: 0 };
    let first = reader.peek()?;
    let value = if first.text.starts_with(['{', '[']) {
        reader.inline_value(first.text, first.indent)?
    } else {
        reader.block(first.indent)?
    };
    reader.peek().is_none().then_some(value)
}

#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    /// The line without its indentation and trailing spaces.
    text: &'a str,
    raw: &'a str,
}

impl Line<'_> {
    fn is_blank(&self) -> bool {
        self.text.is_empty() || self.text.starts_with('#')
    }
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

fn is_seq_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

impl<'a> Reader<'a> {
    /// The next line with content, skipping blank and comment lines.
    fn peek(&mut self) -> Option<Line<'a>> {
        while self.lines.get(self.pos)?.is_blank() {
            self.pos += 1;
        }
        self.lines.get(self.pos).copied()
    }

    /// A block mapping or sequence whose first line is at `indent`.
    fn block(&mut self, indent: usize) -> Option<Value> {
        let line = self.peek()?;
        if is_seq_item(line.text) {
            self.sequence(indent)
        } else {
            self.mapping(indent)
        }
    }

    /// After an inline value, a more indented line would continue it: not handled here.
    fn ensure_no_continuation(&mut self, indent: usize) -> Option<()> {
        match self.peek() {
            Some(next) if next.indent > indent => None,
            _ => Some(()),
        }
    }

    fn mapping(&mut self, indent: usize) -> Option<Value> {
        let mut map = Map::new();
        while let Some(line) = self.peek() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent || is_seq_item(line.text) {
                return None;
            }
            let (key, rest) = split_key(line.text)?;
            let value = if rest.is_empty() {
                self.pos += 1;
                self.nested(indent, true)?
            } else {
                let v = self.inline_value(rest, indent)?;
                self.ensure_no_continuation(indent)?;
                v
            };
            map.insert(key, value);
        }
        Some(Value::Object(map))
    }

    fn sequence(&mut self, indent: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(line) = self.peek() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return None;
            }
            if !is_seq_item(line.text) {
                // The next key of the mapping this sequence is a value of.
                break;
            }
            let after_dash = &line.text[1..];
            let item = after_dash.trim_start_matches(' ');
            if item.is_empty() || item.starts_with('#') {
                self.pos += 1;
                items.push(self.nested(indent, false)?);
                continue;
            }
            if is_seq_item(item) {
                return None;
            }
            let column = indent + 1 + (after_dash.len() - item.len());
            if split_key(item).is_some() {
                // A compact mapping: its first entry starts on the dash's line.
                self.lines[self.pos] = Line {
                    indent: column,
                    text: item,
                    raw: line.raw,
                };
                items.push(self.mapping(column)?);
            } else {
                items.push(self.inline_value(item, indent)?);
                self.ensure_no_continuation(indent)?;
            }
        }
        Some(Value::Array(items))
    }

    /// The value of a key or dash with nothing after it: a more indented block, a sequence
    /// at the key's own indentation (mappings only), or null.
    fn nested(&mut self, indent: usize, same_indent_sequence: bool) -> Option<Value> {
        match self.peek() {
            Some(next) if next.indent > indent => self.block(next.indent),
            Some(next)
                if same_indent_sequence && next.indent == indent && is_seq_item(next.text) =>
            {
                self.sequence(indent)
            }
            _ => Some(Value::Null),
        }
    }

    /// A value written after `key: ` or `- ` on the current line of a block at `indent`:
    /// `text` is the rest of the line. Consumes the line, and the next ones a flow collection
    /// or a literal block scalar goes on over.
    fn inline_value(&mut self, text: &'a str, indent: usize) -> Option<Value> {
        if !text.starts_with(['{', '[']) {
            self.pos += 1;
        }
        match text.as_bytes()[0] {
            b'|' => self.literal(text, indent).map(Value::String),
            b'{' | b'[' => {
                let mut flow = Flow {
                    reader: self,
                    text,
                    at: 0,
                };
                let v = flow.value()?;
                flow.skip_space();
                if !flow.at_line_end() {
                    return None;
                }
                self.pos += 1;
                Some(v)
            }
            b'"' | b'\'' => {
                let (s, used) = quoted(text)?;
                rest_is_comment(&text[used..]).then_some(Value::String(s))
            }
            _ => {
                let plain = strip_comment(text);
                if !plain_start(plain) || plain.contains(": ") || plain.ends_with(':') {
                    return None;
                }
                plain_value(plain)
            }
        }
    }
    /// A literal block scalar (`|`, `|-`, `|+`) whose header `text` was on the line before
    /// `self.pos`, inside a block at `indent`. Folded scalars, explicit indentation, empty
    /// scalars, lines of spaces longer than the indentation and a scalar ending the text
    /// without a line break are left to the full parser.
    fn literal(&mut self, header: &str, indent: usize) -> Option<String> {
        let (chomp, comment) = match header.as_bytes().get(1) {
            Some(c @ (b'-' | b'+')) => (*c, &header[2..]),
            _ => (b' ', &header[1..]),
        };
        if !(comment.is_empty() || rest_is_comment(comment) && comment.starts_with(' ')) {
            return None;
        }
        let start = self.pos;
        let first = self.lines[start..]
            .iter()
            .position(|l| !l.text.is_empty())?
            + start;
        let body = self.lines[first].indent;
        if body <= indent || self.lines[start..first].iter().any(|l| l.raw.len() > body) {
            return None;
        }
        let mut end = first;
        let mut last = first;
        while let Some(line) = self.lines.get(end) {
            if line.text.is_empty() {
                if line.raw.len() > body {
                    return None;
                }
            } else if line.indent < body {
                break;
            } else {
                last = end;
            }
            end += 1;
        }
        if last + 1 == self.lines.len() {
            return None;
        }
        let mut out = String::new();
        for line in &self.lines[start..=last] {
            out.push_str(line.raw.get(body..).unwrap_or(""));
            out.push('\n');
        }
        match chomp {
            b'-' => {
                out.pop();
            }
            b'+' => {
                // Trailing empty lines, except the empty piece after the text's final break.
                let trailing = end - last - 1 - usize::from(end == self.lines.len());
                out.extend(std::iter::repeat_n('\n', trailing));
            }
            _ => {}
        }
        self.pos = last + 1;
        Some(out)
    }
}

/// Splits `key: rest` (rest may be empty); `None` when the line is not a mapping entry.
fn split_key(text: &str) -> Option<(String, &str)> {
    let (key, after) = if text.starts_with(['"', '\'']) {
        let (s, used) = quoted(text)?;
        (s, text[used..].strip_prefix(':')?)
    } else {
        let colon = text
            .match_indices(':')
            .map(|(i, _)| i)
            .find(|&i| matches!(text.as_bytes().get(i + 1), None | Some(b' ')))?;
        let raw = text[..colon].trim_end_matches(' ');
        if raw.is_empty() || raw.contains(" #") || raw == "<<" || !plain_start(raw) {
            return None;
        }
        (plain_key(raw)?, &text[colon + 1..])
    };
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    let rest = after.trim_start_matches(' ');
    Some((key, if rest.starts_with('#') { "" } else { rest }))
}

/// Whether a plain scalar may start with this text (no indicator character).
fn plain_start(text: &str) -> bool {
    let b = text.as_bytes();
    match b[0] {
        b'[' | b']' | b'{' | b'}' | b',' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => false,
        b'-' | b'?' | b':' => b.get(1).is_some_and(|c| *c != b' '),
        _ => true,
    }
}

/// A plain scalar without its trailing comment.
fn strip_comment(text: &str) -> &str {
    match text.find(" #") {
        Some(i) => text[..i].trim_end_matches(' '),
        None => text,
    }
}

/// Whether what follows a quoted scalar on its line is nothing or a comment.
fn rest_is_comment(rest: &str) -> bool {
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

fn classify(text: &str) -> Plain<'_> {
    match text {
        "true" => return Plain::Bool(true),
        "false" => return Plain::Bool(false),
        "null" | "~" => return Plain::Null,
        _ => {}
    }
    let b = text.as_bytes();
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    if !digits.is_empty()
        && digits.len() <= 18
        && digits.iter().all(u8::is_ascii_digit)
        && (digits[0] != b'0' || digits.len() == 1)
        && text != "-0"
    {
        return text.parse().map_or(Plain::Unsure, Plain::Int);
    }
    const SPECIAL: &[&str] = &[
        "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", "inf", "nan", "infinity",
    ];
    let bare = text.trim_start_matches(['+', '-', '.']);
    if SPECIAL.iter().any(|w| bare.eq_ignore_ascii_case(w)) {
        return Plain::Unsure;
    }
    // Numbers and timestamps start with a digit, a sign or a dot and use few letters.
    let numeric_start = matches!(b[0], b'0'..=b'9' | b'+' | b'-' | b'.');
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

/// The full parser's reading of one plain scalar, when it is a scalar.
fn resolve(text: &str) -> Option<Node> {
    match scalar_node(text)? {
        Node::Seq(_) | Node::Map(_) => None,
        n => Some(n),
    }
}

fn plain_value(text: &str) -> Option<Value> {
    match classify(text) {
        Plain::Str(s) => Some(Value::String(s.to_string())),
        Plain::Int(i) => Some(Value::from(i)),
        Plain::Bool(b) => Some(Value::Bool(b)),
        Plain::Null => Some(Value::Null),
        Plain::Unsure => resolve(text)?.into_json().ok(),
    }
}

fn plain_key(text: &str) -> Option<String> {
    match classify(text) {
        Plain::Str(s) => Some(s.to_string()),
        Plain::Int(i) => Some(i.to_string()),
        Plain::Bool(b) => Some(b.to_string()),
        Plain::Null => Some("null".to_string()),
        Plain::Unsure => resolve(text)?.into_key().ok(),
    }
}

/// A single-line quoted scalar at the start of `text`: its value and the bytes it used.
fn quoted(text: &str) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let q = b[0];
    let mut out = String::new();
    let mut i = 1;
    let mut run = 1;
    while i < b.len() {
        let c = b[i];
        if c == q {
            if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                out.push_str(&text[run..=i]);
                i += 2;
                run = i;
                continue;
            }
            out.push_str(&text[run..i]);
            return Some((out, i + 1));
        }
        if c == b'\\' && q == b'"' {
            out.push_str(&text[run..i]);
            let (ch, used) = escape(&text[i + 1..])?;
            out.push(ch);
            i += 1 + used;
            run = i;
            continue;
        }
        i += 1;
    }
    None
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

/// A flow collection, read character by character over as many lines as it takes.
struct Flow<'r, 'a> {
    reader: &'r mut Reader<'a>,
    text: &'a str,
    at: usize,
}

impl<'a> Flow<'_, 'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    /// Nothing but a comment (which needs a space before it) is left on this line.
    fn at_line_end(&self) -> bool {
        let rest = self.rest();
        rest.is_empty()
            || (rest.starts_with('#')
                && (self.at == 0 || self.text.as_bytes()[self.at - 1] == b' '))
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start_matches(' ').len();
    }

    /// Skips spaces and comments, moving to the next line when this one is done (indentation
    /// does not matter inside a flow collection).
    fn skip_blank(&mut self) -> Option<()> {
        loop {
            self.skip_space();
            if !self.at_line_end() {
                return Some(());
            }
            self.reader.pos += 1;
            let next = self.reader.lines.get(self.reader.pos)?;
            self.text = next.text;
            self.at = 0;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.rest().as_bytes().first() == Some(&c);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn value(&mut self) -> Option<Value> {
        self.skip_blank()?;
        match self.rest().as_bytes()[0] {
            b'{' => self.mapping(),
            b'[' => self.sequence(),
            b'"' | b'\'' => {
                let (s, used) = quoted(self.rest())?;
                self.at += used;
                Some(Value::String(s))
            }
            _ => {
                let text = self.plain()?;
                plain_value(text)
            }
        }
    }

    /// A plain scalar in flow context: up to a flow indicator, `: `, a comment or the end of
    /// the line.
    fn plain(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        let b = rest.as_bytes();
        let mut end = 0;
        while end < b.len() {
            match b[end] {
                b',' | b'[' | b']' | b'{' | b'}' => break,
                b':' if matches!(b.get(end + 1), None | Some(b' ' | b',' | b']' | b'}')) => break,
                b'#' if end > 0 && b[end - 1] == b' ' => break,
                _ => end += 1,
            }
        }
        let text = rest[..end].trim_end_matches(' ');
        if text.is_empty() || !plain_start(text) {
            return None;
        }
        self.at += end;
        // A scalar running on to the next line is not handled here.
        self.skip_space();
        if self.at_line_end() {
            let following = self.reader.lines[self.reader.pos + 1..]
                .iter()
                .find(|l| !l.is_blank())?;
            if !following.text.starts_with([',', ']', '}', ':']) {
                return None;
            }
        }
        Some(text)
    }

    fn key(&mut self) -> Option<String> {
        match self.rest().as_bytes()[0] {
            b'"' | b'\'' => {
                let (s, used) = quoted(self.rest())?;
                self.at += used;
                Some(s)
            }
            b'{' | b'[' => None,
            _ => {
                let text = self.plain()?;
                plain_key(text)
            }
        }
    }

    fn mapping(&mut self) -> Option<Value> {
        self.at += 1;
        let mut map = Map::new();
        loop {
            self.skip_blank()?;
            if self.eat(b'}') {
                return Some(Value::Object(map));
            }
            let key = self.key()?;
            self.skip_blank()?;
            if !self.eat(b':') {
                return None;
            }
            let value = self.value()?;
            map.insert(key, value);
            self.skip_blank()?;
            if !self.eat(b',') && !self.rest().starts_with('}') {
                return None;
            }
        }
    }

    fn sequence(&mut self) -> Option<Value> {
        self.at += 1;
        let mut items = Vec::new();
        loop {
            self.skip_blank()?;
            if self.eat(b']') {
                return Some(Value::Array(items));
            }
            items.push(self.value()?);
            self.skip_blank()?;
            if self.rest().starts_with(':') {
                return None;
            }
            if !self.eat(b',') && !self.rest().starts_with(']') {
                return None;
            }
        }
    }
}
