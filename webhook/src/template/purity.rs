//! Which template functions may answer differently for the same arguments, and whether a
//! parsed template calls one. A template that calls none renders the same text for the same
//! data, which is what lets the server remember its admission decisions (`server::memo`).

use gotmpl::parse::{BranchNode, Expr, ListNode, Node, PipeNode};

/// Functions whose result is not fixed by their arguments: `env` reads the process
/// environment when it runs; Go's `call` runs whatever function value it is given.
pub(crate) const VARYING: &[&str] = &["env", "call"];

/// The first function of [`VARYING`] that `list` calls, if any.
pub(crate) fn varying_call(list: &ListNode) -> Option<String> {
    list.nodes.iter().find_map(in_node)
}

fn in_node(node: &Node) -> Option<String> {
    match node {
        Node::List(l) => varying_call(l),
        Node::Action(a) => in_pipe(&a.pipe),
        Node::If(b) | Node::With(b) | Node::Range(b) => in_branch(b),
        Node::Template(t) => t.pipe.as_ref().and_then(in_pipe),
        Node::Define(d) => varying_call(&d.body),
        Node::Text(_) | Node::Break(_) | Node::Continue(_) => None,
    }
}

fn in_branch(b: &BranchNode) -> Option<String> {
    in_pipe(&b.pipe)
        .or_else(|| varying_call(&b.body))
        .or_else(|| b.else_body.as_ref().and_then(varying_call))
}

fn in_pipe(p: &PipeNode) -> Option<String> {
    p.commands.iter().flat_map(|c| &c.args).find_map(in_expr)
}

fn in_expr(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(_, name) if VARYING.contains(&name.as_str()) => Some(name.to_string()),
        Expr::Pipe(_, p) => in_pipe(p),
        Expr::Chain(_, inner, _) => in_expr(inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::template::Templates;

    #[test]
    fn finds_varying_calls_anywhere_in_a_template() {
        let cases = [
            ("a: {{ .x }}\n", None),
            ("a: {{ toYaml .x | indent 2 }}\n", None),
            ("a: {{ env \"HOME\" \"/\" }}\n", Some("env")),
            (
                "{{ if .x }}{{ else }}{{ (env \"A\" \"b\") | quote }}{{ end }}",
                Some("env"),
            ),
            (
                "{{ define \"inner\" }}{{ env \"A\" \"b\" }}{{ end }}x",
                Some("env"),
            ),
            (
                "{{ range .l }}{{ with .m }}{{ call .f }}{{ end }}{{ end }}",
                Some("call"),
            ),
            ("a: {{ .env }} {{ .Values.env }}\n", None),
        ];
        for (src, want) in cases {
            let mut t = Templates::new();
            t.parse("t", src).unwrap();
            assert_eq!(t.varying_call(), want.map(|w| ("t", w)), "{src}");
            assert_eq!(t.deterministic(), want.is_none(), "{src}");
        }
    }
}
