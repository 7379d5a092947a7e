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
//!
//! It reads the text in one pass by byte offsets ([`scan`] looks at eight bytes at a time),
//! and builds each mapping and sequence once at its final size.

use serde_json::{Map, Value};

mod flow;
mod literal;
mod scalar;
mod scan;

use flow::Flow;
use scalar::{block_plain, plain_key, plain_start, plain_value, quoted, rest_is_comment};
use scan::{find, line_end, spaces};

/// Reads `text`, or `None` when it is outside the subset (or not valid YAML).
pub(super) fn parse(text: &str) -> Option<Value> {
    if scan::has_refused_byte(text.as_bytes()) {
        return None;
    }
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        peeked: None,
        refused: false,
        entries: Vec::with_capacity(32),
        items: Vec::with_capacity(32),
    };
    let first = reader.peek()?;
    let value = if matches!(reader.bytes[first.content], b'{' | b'[') {
        reader.inline_value(first.content, first.indent)?
    } else {
        reader.block(first.indent)?
    };
    (reader.peek().is_none() && !reader.refused).then_some(value)
}

/// A line with content: where it starts, its indentation, and where its content starts.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    indent: usize,
    content: usize,
}

/// The reader's state: the text, the start of the next line to read, and the entries and
/// items of the collections being read (a stack shared by all levels, so that each
/// collection is built once at its final size).
struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    /// The line [`Reader::peek`] last found, while `at` is its start.
    peeked: Option<Line>,
    /// A line the quick reader does not read was seen (see [`scan::starts_marker`]); `peek`
    /// then ends the text early, and the answer is `None`.
    refused: bool,
    entries: Vec<(String, Value)>,
    items: Vec<Value>,
}

impl<'a> Reader<'a> {
    /// The next line with content, skipping blank and comment lines.
    #[inline(always)]
    fn peek(&mut self) -> Option<Line> {
        match self.peeked {
            Some(line) if line.start == self.at => Some(line),
            _ => self.find_line(),
        }
    }

    /// [`Reader::peek`] when the line at `at` is not known yet. (The reader's small steps are
    /// inlined into the collection loops: that measured a tenth faster than leaving it to
    /// the compiler.)
    #[inline(always)]
    fn find_line(&mut self) -> Option<Line> {
        loop {
            if scan::starts_marker(self.bytes, self.at) {
                self.refused = true;
                return None;
            }
            let content = self.at + spaces(self.bytes, self.at);
            match self.bytes.get(content) {
                None => return None,
                Some(b'\n') => self.at = content + 1,
                Some(b'#') => self.next_line(content),
                Some(_) => {
                    let line = Line {
                        start: self.at,
                        indent: content - self.at,
                        content,
                    };
                    self.peeked = Some(line);
                    return Some(line);
                }
            }
        }
    }

    /// Moves on to the line after the one `at` is in.
    #[inline(always)]
    fn next_line(&mut self, at: usize) {
        self.at = (line_end(self.bytes, at) + 1).min(self.bytes.len());
    }

    /// Whether nothing but a comment follows on the line from `at` (which is not a space, and
    /// follows a space if it is `#`).
    #[inline(always)]
    fn is_rest_empty(&self, at: usize) -> bool {
        matches!(self.bytes.get(at), None | Some(b'\n' | b'#'))
    }

    /// Whether a sequence entry (`-` alone or followed by a space) starts at `at`.
    #[inline(always)]
    fn is_seq_item(&self, at: usize) -> bool {
        self.bytes[at] == b'-' && matches!(self.bytes.get(at + 1), None | Some(b' ' | b'\n'))
    }

    /// The mapping of the entries pushed since `base`, which it removes.
    #[inline(always)]
    fn take_map(&mut self, base: usize) -> Value {
        let mut map = Map::with_capacity(self.entries.len() - base);
        for (key, value) in self.entries.drain(base..) {
            // The later of two equal keys wins, in the position of the first.
            map.insert(key, value);
        }
        Value::Object(map)
    }

    /// The sequence of the items pushed since `base`, which it removes.
    fn take_seq(&mut self, base: usize) -> Value {
        Value::Array(self.items.drain(base..).collect())
    }

    /// A block mapping or sequence whose first line is at `indent`.
    fn block(&mut self, indent: usize) -> Option<Value> {
        let line = self.peek()?;
        if self.is_seq_item(line.content) {
            self.sequence(indent)
        } else {
            self.mapping(indent, None)
        }
    }

    /// After an inline value, a more indented line would continue it: not handled here.
    #[inline(always)]
    fn ensure_no_continuation(&mut self, indent: usize) -> Option<()> {
        match self.peek() {
            Some(next) if next.indent > indent => None,
            _ => Some(()),
        }
    }

    /// A block mapping at `indent`; `first` is its first entry when that was already split
    /// off the current line (a compact mapping starting after a sequence dash).
    fn mapping(&mut self, indent: usize, mut first: Option<(String, usize)>) -> Option<Value> {
        let base = self.entries.len();
        loop {
            let (key, rest) = match first.take() {
                Some(entry) => entry,
                None => {
                    let Some(line) = self.peek() else { break };
                    if line.indent < indent {
                        break;
                    }
                    if line.indent > indent || self.is_seq_item(line.content) {
                        return None;
                    }
                    self.split_key(line.content)?
                }
            };
            let value = if self.is_rest_empty(rest) {
                self.next_line(rest);
                self.nested(indent, true)?
            } else {
                let v = self.inline_value(rest, indent)?;
                self.ensure_no_continuation(indent)?;
                v
            };
            self.entries.push((key, value));
        }
        Some(self.take_map(base))
    }

    fn sequence(&mut self, indent: usize) -> Option<Value> {
        let base = self.items.len();
        while let Some(line) = self.peek() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return None;
            }
            if !self.is_seq_item(line.content) {
                // The next key of the mapping this sequence is a value of.
                break;
            }
            let item = line.content + 1 + spaces(self.bytes, line.content + 1);
            let value = if self.is_rest_empty(item) {
                self.next_line(item);
                self.nested(indent, false)?
            } else if self.is_seq_item(item) {
                return None;
            } else if let Some(entry) = self.split_key(item) {
                // A compact mapping: its first entry starts on the dash's line.
                self.mapping(item - line.start, Some(entry))?
            } else {
                let v = self.inline_value(item, indent)?;
                self.ensure_no_continuation(indent)?;
                v
            };
            self.items.push(value);
        }
        Some(self.take_seq(base))
    }

    /// The value of a key or dash with nothing after it: a more indented block, a sequence
    /// at the key's own indentation (mappings only), or null.
    fn nested(&mut self, indent: usize, same_indent_sequence: bool) -> Option<Value> {
        match self.peek() {
            Some(next) if next.indent > indent => self.block(next.indent),
            Some(next)
                if same_indent_sequence
                    && next.indent == indent
                    && self.is_seq_item(next.content) =>
            {
                self.sequence(indent)
            }
            _ => Some(Value::Null),
        }
    }

    /// A value written after `key: ` or `- ` on the current line of a block at `indent`,
    /// starting at `at`. Consumes the line, and the next ones a flow collection or a literal
    /// block scalar goes on over.
    #[inline(always)]
    fn inline_value(&mut self, at: usize, indent: usize) -> Option<Value> {
        let text = self.text;
        match self.bytes[at] {
            b'|' => {
                let eol = line_end(self.bytes, at);
                self.next_line(eol);
                self.literal(&text[at..eol], indent).map(Value::String)
            }
            b'{' | b'[' => {
                let mut flow = Flow { reader: self, at };
                let v = flow.value()?;
                flow.skip_space();
                if !flow.at_line_end() {
                    return None;
                }
                let end = flow.at;
                self.next_line(end);
                Some(v)
            }
            b'"' | b'\'' => {
                let (s, end) = quoted(text, at)?;
                let eol = line_end(self.bytes, end);
                self.next_line(eol);
                rest_is_comment(&text[end..eol]).then_some(Value::String(s))
            }
            _ => {
                let (plain, eol) = block_plain(text, at)?;
                self.next_line(eol);
                plain_value(plain)
            }
        }
    }

    /// Splits the mapping entry `key: rest` starting at `at` into the key and where the rest
    /// starts (past the spaces after the colon); `None` when the line is not a mapping entry.
    #[inline(always)]
    fn split_key(&self, at: usize) -> Option<(String, usize)> {
        let bytes = self.bytes;
        let (key, after) = if matches!(bytes[at], b'"' | b'\'') {
            let (s, end) = quoted(self.text, at)?;
            if bytes.get(end) != Some(&b':') {
                return None;
            }
            (s, end + 1)
        } else {
            // The first `:` followed by a space or the line's end; a comment before it (a `#`
            // after a space) spoils the line.
            let mut i = at;
            let colon = loop {
                i = find(bytes, i, [b':', b'#', b'\n']);
                match bytes.get(i) {
                    None | Some(b'\n') => return None,
                    Some(b':') if matches!(bytes.get(i + 1), None | Some(b' ' | b'\n')) => break i,
                    Some(b'#') if i > at && bytes[i - 1] == b' ' => return None,
                    _ => i += 1,
                }
            };
            let mut end = colon;
            while end > at && bytes[end - 1] == b' ' {
                end -= 1;
            }
            let raw = &self.text[at..end];
            if raw == "<<" || !plain_start(raw) {
                return None;
            }
            (plain_key(raw)?, colon + 1)
        };
        match bytes.get(after) {
            None | Some(b'\n') => Some((key, after)),
            Some(b' ') if bytes.get(after + 1) != Some(&b' ') => Some((key, after + 1)),
            Some(b' ') => Some((key, after + spaces(bytes, after))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
