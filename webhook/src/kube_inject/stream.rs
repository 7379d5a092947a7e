//! Splitting a multi-document YAML stream the way Kubernetes'
//! `YAMLReader` does: a line starting with `---` ends a document, only
//! spaces or a comment may follow the marker, and empty documents vanish.

/// A document separator followed by something other than a comment.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid yaml document separator on line {line}: {rest:?}")]
pub struct SeparatorError {
    pub line: usize,
    pub rest: String,
}

/// The documents of `input`, each with its original text (line endings
/// kept) so unknown kinds can be written back byte for byte.
pub fn split(input: &str) -> Result<Vec<&str>, SeparatorError> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for (n, line) in input.split_inclusive('\n').enumerate() {
        if let Some(rest) = line.strip_prefix("---") {
            let rest = rest.trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                return Err(SeparatorError {
                    line: n + 1,
                    rest: rest.to_string(),
                });
            }
            if offset > start {
                docs.push(&input[start..offset]);
            }
            start = offset + line.len();
        }
        offset += line.len();
    }
    if offset > start {
        docs.push(&input[start..offset]);
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_separator_lines_and_drops_empty_documents() {
        let input = "---\na: 1\n---\n---  # comment\nb: 2\n---\n";
        assert_eq!(split(input).unwrap(), vec!["a: 1\n", "b: 2\n"]);
    }

    #[test]
    fn separator_inside_a_line_is_content() {
        assert_eq!(split("a: '---'\n").unwrap(), vec!["a: '---'\n"]);
    }

    #[test]
    fn last_document_without_newline_is_kept() {
        assert_eq!(split("a: 1\n---\nb: 2").unwrap(), vec!["a: 1\n", "b: 2"]);
    }

    #[test]
    fn text_after_separator_is_an_error() {
        let e = split("a: 1\n--- b: 2\n").unwrap_err();
        assert_eq!(
            e,
            SeparatorError {
                line: 2,
                rest: "b: 2".into()
            }
        );
    }
}
