//! Literal block scalars (`|`, `|-`, `|+`) for the quick reader. Folded scalars, explicit
//! indentation, empty scalars, lines of spaces longer than the indentation and a scalar
//! ending the text without a line break are left to the full parser.

use super::scalar::rest_is_comment;
use super::scan::{line_end, spaces};
use super::Reader;

impl Reader<'_> {
    /// The literal block scalar whose header (`|` up to the end of its line) is `header`, in a
    /// block at `indent`; its body starts at the reader's next line.
    pub(super) fn literal(&mut self, header: &str, indent: usize) -> Option<String> {
        let (chomp, comment) = match header.as_bytes().get(1) {
            Some(c @ (b'-' | b'+')) => (*c, &header[2..]),
            _ => (b' ', &header[1..]),
        };
        if !(comment.is_empty() || rest_is_comment(comment) && comment.starts_with(' ')) {
            return None;
        }
        let bytes = self.bytes;
        let start = self.at;

        // The first line with content sets the body's indentation; lines of spaces before it
        // may not be longer.
        let mut line = start;
        let mut longest_blank = 0;
        let (first, body) = loop {
            if line >= bytes.len() {
                return None;
            }
            let end = line_end(bytes, line);
            let n = spaces(bytes, line);
            if line + n < end {
                break (line, n);
            }
            longest_blank = longest_blank.max(end - line);
            line = end + 1;
        };
        if body <= indent || longest_blank > body {
            return None;
        }

        // The body runs to the first less indented line with content, or the text's end.
        let mut last_end = first;
        let mut trailing_blank = 0usize;
        let mut line = first;
        let ran_off_the_end = loop {
            let end = line_end(bytes, line);
            let n = spaces(bytes, line);
            if line + n == end {
                if end - line > body {
                    return None;
                }
                trailing_blank += 1;
            } else if n < body {
                break false;
            } else {
                last_end = end;
                trailing_blank = 0;
            }
            if end == bytes.len() {
                break true;
            }
            line = end + 1;
        };
        if last_end == bytes.len() {
            return None;
        }

        let mut out = String::with_capacity(last_end + 1 - start);
        let mut line = start;
        while line <= last_end {
            let end = line_end(bytes, line);
            out.push_str(self.text.get(line + body..end).unwrap_or(""));
            out.push('\n');
            line = end + 1;
        }
        match chomp {
            b'-' => {
                out.pop();
            }
            b'+' => {
                // Trailing blank lines, except the empty one after the text's final break.
                let kept = trailing_blank.saturating_sub(usize::from(ran_off_the_end));
                out.extend(std::iter::repeat_n('\n', kept));
            }
            _ => {}
        }
        self.at = last_end + 1;
        Some(out)
    }
}
