//! Parse-tree pass that gives gotmpl's untyped engine the Go behaviours it lacks:
//!
//! - **method calls**: a field chain containing a Go method name — `String`, or `Get` followed by an
//!   upper-case letter (`GetValue`, `GetTracing`, …) — is evaluated by the `__gofield` function
//!   instead of plain map lookups ([`resolve_field`]);
//! - **printing**: the value of every printing action goes through `__goprint`, so numbers, lists and
//!   maps print with Go's `fmt` rules (a `float64` such as `1e+06`), while a missing value still prints
//!   `<no value>`;
//! - **undefined functions** are reported at parse time with their line, as Go's parser does.

use gotmpl::parse::{BranchNode, CommandNode, Expr, ListNode, Node, PipeNode, SmolStr};
use gotmpl::Value;
use std::collections::BTreeSet;

pub(crate) const FIELD_FN: &str = "__gofield";
pub(crate) const PRINT_FN: &str = "__goprint";

fn is_method(name: &str) -> bool {
    name == "String"
        || name
            .strip_prefix("Get")
            .and_then(|r| r.chars().next())
            .is_some_and(|c| c.is_ascii_uppercase())
}

/// Rewrites `list` in place; returns the first undefined function with its line.
pub(crate) fn rewrite_list(
    list: &mut ListNode,
    funcs: &BTreeSet<String>,
) -> Result<(), (String, usize)> {
    for node in &mut list.nodes {
        rewrite_node(node, funcs)?;
    }
    Ok(())
}

fn rewrite_node(node: &mut Node, funcs: &BTreeSet<String>) -> Result<(), (String, usize)> {
    match node {
        Node::List(l) => rewrite_list(l, funcs),
        Node::Action(a) => {
            rewrite_pipe(&mut a.pipe, funcs)?;
            if a.pipe.decl.is_empty() {
                let pos = a.pipe.pos;
                a.pipe.commands.push(CommandNode {
                    pos,
                    args: vec![Expr::Identifier(pos, SmolStr::new(PRINT_FN))],
                });
            }
            Ok(())
        }
        Node::If(b) | Node::With(b) | Node::Range(b) => rewrite_branch(b, funcs),
        Node::Template(t) => match &mut t.pipe {
            Some(p) => rewrite_pipe(p, funcs),
            None => Ok(()),
        },
        Node::Define(d) => rewrite_list(&mut d.body, funcs),
        Node::Text(_) | Node::Break(_) | Node::Continue(_) => Ok(()),
    }
}

fn rewrite_branch(b: &mut BranchNode, funcs: &BTreeSet<String>) -> Result<(), (String, usize)> {
    rewrite_pipe(&mut b.pipe, funcs)?;
    rewrite_list(&mut b.body, funcs)?;
    if let Some(e) = &mut b.else_body {
        rewrite_list(e, funcs)?;
    }
    Ok(())
}

fn rewrite_pipe(p: &mut PipeNode, funcs: &BTreeSet<String>) -> Result<(), (String, usize)> {
    for cmd in &mut p.commands {
        for arg in &mut cmd.args {
            rewrite_expr(arg, funcs)?;
        }
    }
    Ok(())
}

fn method_call(base: Expr, fields: &[SmolStr]) -> Expr {
    let pos = base.pos();
    let mut args = vec![Expr::Identifier(pos, SmolStr::new(FIELD_FN)), base];
    args.extend(fields.iter().map(|f| Expr::String(pos, f.as_str().into())));
    Expr::Pipe(
        pos,
        PipeNode {
            pos,
            decl: Vec::new(),
            commands: vec![CommandNode { pos, args }],
            is_assign: false,
        },
    )
}

fn rewrite_expr(e: &mut Expr, funcs: &BTreeSet<String>) -> Result<(), (String, usize)> {
    match e {
        Expr::Identifier(pos, name) if !funcs.contains(name.as_str()) => {
            return Err((name.to_string(), pos.line));
        }
        Expr::Pipe(_, p) => rewrite_pipe(p, funcs)?,
        Expr::Chain(_, inner, _) => rewrite_expr(inner, funcs)?,
        _ => {}
    }
    let replacement = match e {
        Expr::Field(pos, fields) if fields.iter().any(|f| is_method(f)) => {
            Some(method_call(Expr::Dot(*pos), fields))
        }
        Expr::Variable(pos, name, fields) if fields.iter().any(|f| is_method(f)) => Some(
            method_call(Expr::Variable(*pos, name.clone(), Vec::new()), fields),
        ),
        Expr::Chain(_, inner, fields) if fields.iter().any(|f| is_method(f)) => {
            Some(method_call((**inner).clone(), fields))
        }
        _ => None,
    };
    if let Some(r) = replacement {
        *e = r;
    }
    Ok(())
}

/// Evaluates one field or method step the way Go would on the typed value the data stands for:
/// a map key when present; `GetX` → field `X` (nil-safe: a missing receiver gives no value);
/// `String` on a string (an enum, held by name) → the string itself.
pub(crate) fn resolve_field(v: &Value, name: &str) -> Result<Value, String> {
    match v {
        Value::Map(m) => {
            if let Some(x) = m.get(name) {
                return Ok(x.clone());
            }
            if let Some(field) = name.strip_prefix("Get").filter(|_| is_method(name)) {
                return Ok(m.get(field).cloned().unwrap_or(Value::Nil));
            }
            Ok(Value::Nil)
        }
        Value::Nil => Ok(Value::Nil),
        Value::String(_) if name == "String" => Ok(v.clone()),
        other => Err(format!(
            "can't evaluate field {name} in type {}",
            other.type_name()
        )),
    }
}

/// Works around gotmpl treating a comment opened with `{{- ` as also trimming the text after it:
/// a comment `{{- /* … */}}` (trim on the left only) becomes the equivalent empty action
/// `{{- "" }}`, keeping the comment's line breaks inside the action so line numbers stay right.
pub(crate) fn left_trimmed_comments(src: &str) -> std::borrow::Cow<'_, str> {
    const OPEN: &str = "{{- /*";
    if !src.contains(OPEN) {
        return std::borrow::Cow::Borrowed(src);
    }
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(start) = rest.find(OPEN) {
        let after_open = &rest[start + OPEN.len()..];
        let Some(end) = after_open.find("*/") else {
            break;
        };
        let tail = &after_open[end + 2..];
        let close = tail.len() - tail.trim_start().len();
        if !tail[close..].starts_with("}}") {
            // right-trimmed (` -}}`) or malformed: left for the parser
            let keep = start + OPEN.len() + end + 2;
            out.push_str(&rest[..keep]);
            rest = &rest[keep..];
            continue;
        }
        let span = &rest[start..start + OPEN.len() + end + 2 + close + 2];
        out.push_str(&rest[..start]);
        out.push_str("{{- \"\"");
        out.extend(std::iter::repeat_n('\n', span.matches('\n').count()));
        out.push_str(" }}");
        rest = &rest[start + span.len()..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}
