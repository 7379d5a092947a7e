#!/usr/bin/env python3
"""Regenerates schema.json: the protobuf field tables meshinject needs to read
MeshConfig, ProxyConfig and the injector `values` the way Istio's jsonpb does.

The output holds only facts of the public API (message, field and enum names,
field types, declaration order, oneof membership), for every message reachable
from istio.mesh.v1alpha1.MeshConfig and istio.operator.v1alpha1.Values.

Usage:
    gen_schema.py <istio/api checkout or bare git dir> <istio/istio bare git dir> > schema.json

Both arguments may be bare git directories (files are read from HEAD with
`git show`) or plain checkouts.
"""
import json
import os
import re
import subprocess
import sys

ROOTS = ["istio.mesh.v1alpha1.MeshConfig", "istio.operator.v1alpha1.Values"]

# Fields of the istio/api revision pinned by the Istio commit of the corpus that
# the available istio/api snapshot predates. (message, insert-after field, field)
LATE_FIELDS = [
    ("istio.mesh.v1alpha1.MeshConfig", "default_http_retry_policy",
     {"name": "default_inbound_http_retry_policy",
      "type": "istio.networking.v1alpha3.HTTPRetry"}),
]

SCALARS = {"double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
           "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes"}


def read_file(root, path):
    if os.path.isdir(os.path.join(root, "objects")) or root.endswith(".git") or root.endswith("/repo"):
        try:
            return subprocess.run(["git", "--git-dir", root, "show", "HEAD:" + path],
                                  check=True, capture_output=True, text=True).stdout
        except subprocess.CalledProcessError:
            return None
    p = os.path.join(root, path)
    return open(p).read() if os.path.exists(p) else None


TOKEN = re.compile(r'''\s+|//[^\n]*|/\*.*?\*/|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z_.][A-Za-z0-9_.]*|-?[0-9][A-Za-z0-9_.+-]*|.''', re.S)


def tokens(text):
    out = []
    for m in TOKEN.finditer(text):
        t = m.group(0)
        if t.isspace() or t.startswith("//") or t.startswith("/*"):
            continue
        out.append(t)
    return out


class Parser:
    def __init__(self, toks):
        self.t = toks
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def next(self):
        tok = self.t[self.i]
        self.i += 1
        return tok

    def expect(self, want):
        tok = self.next()
        if tok != want:
            raise SystemExit("expected %r, got %r near token %d" % (want, tok, self.i))

    def skip_statement(self):
        depth = 0
        while True:
            tok = self.next()
            if tok in "{[(":
                depth += 1
            elif tok in "}])":
                depth -= 1
                if depth == 0 and tok == "}":
                    return
            elif tok == ";" and depth == 0:
                return

    def options(self):
        """Parses `[a = b, c = d]` if present; returns the json_name option."""
        json_name = None
        if self.peek() != "[":
            return json_name
        self.next()
        depth = 1
        cur = []
        while depth:
            tok = self.next()
            if tok == "[":
                depth += 1
            elif tok == "]":
                depth -= 1
            if depth == 1 and tok == ",":
                cur = []
                continue
            cur.append(tok)
            if len(cur) == 3 and cur[0] == "json_name" and cur[1] == "=":
                json_name = json.loads(cur[2])
        return json_name


def parse_file(text, pkg_holder):
    p = Parser(tokens(text))
    messages, enums, imports = {}, {}, []
    pkg = ""
    while p.peek() is not None:
        tok = p.next()
        if tok == "syntax" or tok == "option" or tok == "edition":
            p.i -= 1
            p.skip_statement()
        elif tok == "package":
            pkg = p.next()
            p.expect(";")
        elif tok == "import":
            nxt = p.next()
            if nxt in ("public", "weak"):
                nxt = p.next()
            imports.append(json.loads(nxt))
            p.expect(";")
        elif tok == "message":
            parse_message(p, pkg, messages, enums)
        elif tok == "enum":
            parse_enum(p, pkg, enums)
        elif tok in ("service", "extend"):
            p.next()
            p.skip_block()
        elif tok == ";":
            pass
        else:
            raise SystemExit("unexpected top-level token %r" % tok)
    pkg_holder.append(pkg)
    return messages, enums, imports


def skip_block(self):
    self.expect("{")
    depth = 1
    while depth:
        tok = self.next()
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1


Parser.skip_block = skip_block


def parse_enum(p, scope, enums):
    name = p.next()
    full = scope + "." + name if scope else name
    p.expect("{")
    values = []
    while True:
        tok = p.next()
        if tok == "}":
            break
        if tok in ("option", "reserved"):
            p.i -= 1
            p.skip_statement()
            continue
        if tok == ";":
            continue
        p.expect("=")
        num = int(p.next(), 0)
        p.options()
        p.expect(";")
        values.append([tok, num])
    enums[full] = values


def parse_message(p, scope, messages, enums):
    name = p.next()
    full = scope + "." + name if scope else name
    fields = []
    messages[full] = fields
    p.expect("{")
    parse_body(p, full, full, messages, enums, fields, None)


def parse_body(p, scope, msg_full, messages, enums, fields, oneof):
    while True:
        tok = p.next()
        if tok == "}":
            return
        if tok == ";":
            continue
        if tok in ("option", "reserved", "extensions"):
            p.i -= 1
            p.skip_statement()
        elif tok == "message":
            parse_message(p, scope, messages, enums)
        elif tok == "enum":
            parse_enum(p, scope, enums)
        elif tok == "extend":
            p.next()
            p.skip_block()
        elif tok == "oneof":
            oname = p.next()
            p.expect("{")
            parse_body(p, scope, msg_full, messages, enums, fields, oname)
        else:
            field = {}
            if tok in ("repeated", "optional", "required"):
                if tok == "repeated":
                    field["repeated"] = True
                elif tok == "optional":
                    field["optional"] = True
                tok = p.next()
            if tok == "map":
                p.expect("<")
                key = p.next()
                p.expect(",")
                val = p.next()
                p.expect(">")
                field["map_key"] = key
                tok = val
            field["type"] = tok
            field["name"] = p.next()
            p.expect("=")
            p.next()  # field number: not needed, declaration order is what JSON uses
            jn = p.options()
            p.expect(";")
            if jn is not None:
                field["json_name"] = jn
            if oneof is not None:
                field["oneof"] = oneof
            field["_scope"] = scope
            fields.append(field)


def main():
    api_root, istio_root = sys.argv[1], sys.argv[2]
    messages, enums = {}, {}
    seen = set()
    queue = [(api_root, "mesh/v1alpha1/config.proto"), (istio_root, "operator/pkg/apis/values_types.proto")]
    while queue:
        root, path = queue.pop()
        if (root, path) in seen:
            continue
        seen.add((root, path))
        text = read_file(root, path)
        if text is None:
            raise SystemExit("cannot read %s from %s" % (path, root))
        m, e, imps = parse_file(text, [])
        messages.update(m)
        enums.update(e)
        for imp in imps:
            if imp.startswith("google/"):
                continue
            queue.append((api_root, imp))

    known = set(messages) | set(enums)

    def resolve(ref, scope):
        if ref in SCALARS:
            return ref
        if ref.startswith("."):
            return ref[1:]
        if ref.startswith("google.protobuf."):
            return ref
        parts = scope.split(".")
        while parts:
            cand = ".".join(parts) + "." + ref
            if cand in known:
                return cand
            parts.pop()
        if ref in known:
            return ref
        raise SystemExit("cannot resolve type %r in %s" % (ref, scope))

    for full, fields in messages.items():
        for f in fields:
            f["type"] = resolve(f["type"], f.pop("_scope"))

    for msg, after, field in LATE_FIELDS:
        fields = messages[msg]
        if any(f["name"] == field["name"] for f in fields):
            continue
        idx = next(i for i, f in enumerate(fields) if f["name"] == after)
        fields.insert(idx + 1, dict(field))

    # Keep what is reachable from the roots.
    keep_m, keep_e = {}, {}
    todo = list(ROOTS)
    while todo:
        name = todo.pop()
        if name in keep_m or name in keep_e or name.startswith("google.protobuf.") or name in SCALARS:
            continue
        if name in enums:
            keep_e[name] = enums[name]
            continue
        keep_m[name] = messages[name]
        for f in messages[name]:
            todo.append(f["type"])

    out = {
        "source": "generated by gen_schema.py from istio/api (mesh/v1alpha1/config.proto and its imports) "
                  "and istio/istio operator/pkg/apis/values_types.proto",
        "messages": {k: keep_m[k] for k in sorted(keep_m)},
        "enums": {k: keep_e[k] for k in sorted(keep_e)},
    }
    json.dump(out, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
