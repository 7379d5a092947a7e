//! Flow collections for the quick reader (`{a: 1, b: [x]}`, JSON), read byte by byte over as
//! many lines as they take; indentation does not matter inside them.

use serde_json::Value;

use super::scalar::{plain_key, plain_start, plain_value, quoted};
use super::scan::{line_end, spaces, starts_marker};
use super::Reader;

/// A flow collection being read, at byte `at` of the reader's text.
pub(super) struct Flow<'r, 'a> {
    pub reader: &'r mut Reader<'a>,
    pub at: usize,
}

impl<'a> Flow<'_, 'a> {
    fn byte(&self) -> Option<u8> {
        self.reader.bytes.get(self.at).copied()
    }

    /// Nothing but a comment (which needs a space before it) is left on this line.
    pub fn at_line_end(&self) -> bool {
        match self.byte() {
            None | Some(b'\n') => true,
            Some(b'#') => self.at == 0 || matches!(self.reader.bytes[self.at - 1], b' ' | b'\n'),
            Some(_) => false,
        }
    }

    pub fn skip_space(&mut self) {
        self.at += spaces(self.reader.bytes, self.at);
    }

    /// Skips spaces and comments, moving to the next line when this one is done.
    fn skip_blank(&mut self) -> Option<()> {
        loop {
            self.skip_space();
            if !self.at_line_end() {
                return Some(());
            }
            let end = line_end(self.reader.bytes, self.at);
            if end == self.reader.bytes.len() || starts_marker(self.reader.bytes, end + 1) {
                return None;
            }
            self.at = end + 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.byte() == Some(c);
        if hit {
            self.at += 1;
        }
        hit
    }

    pub fn value(&mut self) -> Option<Value> {
        self.skip_blank()?;
        match self.byte()? {
            b'{' => self.mapping(),
            b'[' => self.sequence(),
            b'"' | b'\'' => {
                let (s, end) = quoted(self.reader.text, self.at)?;
                self.at = end;
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
        let bytes = self.reader.bytes;
        let start = self.at;
        let mut end = start;
        while end < bytes.len() {
            match bytes[end] {
                b',' | b'[' | b']' | b'{' | b'}' | b'\n' => break,
                b':' if matches!(
                    bytes.get(end + 1),
                    None | Some(b' ' | b',' | b']' | b'}' | b'\n')
                ) =>
                {
                    break
                }
                b'#' if end > start && bytes[end - 1] == b' ' => break,
                _ => end += 1,
            }
        }
        let text = self.reader.text[start..end].trim_end_matches(' ');
        if !plain_start(text) {
            return None;
        }
        self.at = end;
        // A scalar running on to the next line is not handled here.
        self.skip_space();
        if self.at_line_end() && !self.next_content_closes() {
            return None;
        }
        Some(text)
    }

    /// Whether the next line with content after this one starts with `,`, `]`, `}` or `:`.
    fn next_content_closes(&self) -> bool {
        let bytes = self.reader.bytes;
        let mut end = line_end(bytes, self.at);
        while end < bytes.len() {
            let content = end + 1 + spaces(bytes, end + 1);
            match bytes.get(content) {
                None => return false,
                Some(b'\n' | b'#') => end = line_end(bytes, content),
                Some(c) => return matches!(c, b',' | b']' | b'}' | b':'),
            }
        }
        false
    }

    fn key(&mut self) -> Option<String> {
        match self.byte()? {
            b'"' | b'\'' => {
                let (s, end) = quoted(self.reader.text, self.at)?;
                self.at = end;
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
        let base = self.reader.entries.len();
        loop {
            self.skip_blank()?;
            if self.eat(b'}') {
                return Some(self.reader.take_map(base));
            }
            let key = self.key()?;
            self.skip_blank()?;
            if !self.eat(b':') {
                return None;
            }
            let value = self.value()?;
            self.reader.entries.push((key, value));
            self.skip_blank()?;
            if !self.eat(b',') && self.byte() != Some(b'}') {
                return None;
            }
        }
    }

    fn sequence(&mut self) -> Option<Value> {
        self.at += 1;
        let base = self.reader.items.len();
        loop {
            self.skip_blank()?;
            if self.eat(b']') {
                return Some(self.reader.take_seq(base));
            }
            let item = self.value()?;
            self.reader.items.push(item);
            self.skip_blank()?;
            if self.byte() == Some(b':') {
                return None;
            }
            if !self.eat(b',') && self.byte() != Some(b']') {
                return None;
            }
        }
    }
}
