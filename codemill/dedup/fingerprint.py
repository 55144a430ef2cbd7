"""Identifier- and literal-insensitive fingerprints of syntax trees (for `structural_dedup`).

Python (`ast`, with scope analysis): names *bound in the unit* (parameters, locals, functions,
classes, module globals) become their scope distance and order of first appearance, so any
consistent per-scope renaming gives the same fingerprint; names bound elsewhere (builtins,
imports, attributes, class members reached as attributes) stay literal, because they name
things outside the unit: `len(x)` and `sorted(x)` are different code. Literals become their
type (`True`, `False`, `None` and `...` stay, they are keywords); docstrings and other bare
string statements are dropped; keyword-argument names are ignored (they follow renamed
parameters).

Other languages (tree-sitter, no scope analysis): node types in pre-order with nesting,
comments dropped, literals as their node type, identifiers numbered by first appearance in
the file, so a consistent renaming across the file gives the same fingerprint. Other named
leaves keep their text (`int` vs `double`, a macro body), which only makes merges rarer.
"""

from __future__ import annotations

import ast
from typing import Any

import xxhash

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_KEYWORDS = (bool, type(None), type(Ellipsis))


def _bound_names(scope: ast.AST) -> set[str]:
    """Names bound in `scope` itself (not in nested scopes), minus global/nonlocal declarations."""
    bound: set[str] = set()
    declared: set[str] = set()
    if isinstance(scope, _FUNCS):
        a = scope.args
        bound |= {x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg) if x is not None}
    roots: list[ast.AST]
    if isinstance(scope, _COMPS):
        roots = list(scope.generators)
    elif isinstance(scope, ast.Lambda):
        roots = [scope.body]
    else:
        roots = list(getattr(scope, "body", []))
    stack = list(roots)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
            stack.extend(node.decorator_list)
            continue  # its body is another scope
        elif isinstance(node, ast.Global | ast.Nonlocal):
            declared.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
        elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name) and not isinstance(scope, _COMPS):
            bound.add(node.target.id)
        if isinstance(node, _SCOPES):
            if isinstance(node, _COMPS):  # walrus targets inside comprehensions bind out here
                stack.extend(n.target for n in ast.walk(node) if isinstance(n, ast.NamedExpr))
            continue
        stack.extend(ast.iter_child_nodes(node))
    return bound - declared


class _Scope:
    def __init__(self, node: ast.AST) -> None:
        self.is_class = isinstance(node, ast.ClassDef)
        self.bound = _bound_names(node)
        self.canon: dict[str, int] = {}


class _Fingerprinter:
    """Pre-order emission of node types with canonical names; `nodes` counts the AST nodes seen."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.scopes: list[_Scope] = []
        self.nodes = 0

    def name(self, ident: str, binding_scope: int | None = None) -> str:
        """Canonical form of a name used (or bound) in the current scope."""
        levels = range(len(self.scopes) - 1, -1, -1) if binding_scope is None else [binding_scope]
        innermost = len(self.scopes) - 1
        for depth in levels:
            sc = self.scopes[depth]
            if sc.is_class and depth != innermost:
                continue  # class bodies are not visible from nested functions
            if ident in sc.bound:
                if sc.is_class:
                    return ident  # a class member: reached as an attribute elsewhere, keep it
                idx = sc.canon.setdefault(ident, len(sc.canon))
                return f"v{innermost - depth}.{idx}"
        return ident

    def visit(self, node: Any) -> None:
        if isinstance(node, list):
            self.out.append("[")
            for item in node:
                if not _is_bare_string(item):
                    self.visit(item)
            self.out.append("]")
            return
        if not isinstance(node, ast.AST):
            self.out.append(repr(node))
            return
        self.nodes += 1
        kind = type(node).__name__
        if isinstance(node, ast.Name):
            self.out.append(f"{kind}:{type(node.ctx).__name__}:{self.name(node.id)}")
        elif isinstance(node, ast.Constant):
            v = node.value
            self.out.append(f"C:{v!r}" if isinstance(v, _KEYWORDS) else f"C:{type(v).__name__}")
        elif isinstance(node, ast.arg):
            self.out.append(f"arg:{self.name(node.arg)}")
            self.visit(node.annotation)
        elif isinstance(node, ast.keyword):
            self.out.append("kw" if node.arg else "kw**")
            self.visit(node.value)
        elif isinstance(node, ast.Attribute):
            self.out.append(f"attr:{node.attr}")
            self.visit(node.value)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            self.out.append(kind + ":" + ",".join(self.name(n) for n in node.names))
        elif isinstance(node, ast.alias):  # imported names are outside the unit: literal
            self.out.append(f"alias:{node.name}:{node.asname}")
        elif isinstance(node, _SCOPES):
            self._scope(node, kind)
        else:
            self._generic(node, kind)

    def _generic(self, node: ast.AST, kind: str) -> None:
        self.out.append(kind)
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, str) and field in ("name", "rest"):  # except/match capture names
                value = self.name(value)
            self.visit(value)

    def _scope(self, node: ast.AST, kind: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.out.append(f"{kind}:{self.name(node.name)}")
            self.visit(node.decorator_list)
            if isinstance(node, ast.ClassDef):
                self.visit(node.bases)
                self.visit(node.keywords)
            else:
                self.visit(node.args.defaults)
                self.visit(node.args.kw_defaults)
                self.visit(node.returns)
        else:
            self.out.append(kind)
        self.scopes.append(_Scope(node))
        if isinstance(node, _FUNCS):
            a = node.args
            self.visit([*a.posonlyargs, *a.args])
            self.visit([a.vararg, *a.kwonlyargs, a.kwarg])
        if isinstance(node, _COMPS):
            self.visit(node.generators)
            for field in ("elt", "key", "value"):
                self.visit(getattr(node, field, None))
        else:
            self.visit(node.body)
        self.scopes.pop()


def _is_bare_string(stmt: Any) -> bool:
    """A docstring or any other string statement: documentation, not code."""
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def python_fingerprint(source: str) -> tuple[str, int]:
    """(fingerprint, AST nodes) of Python source; raises SyntaxError/ValueError when it does not parse."""
    tree = ast.parse(source)
    fp = _Fingerprinter()
    fp.scopes.append(_Scope(tree))
    fp.visit(tree.body)
    return xxhash.xxh3_128_hexdigest("\x00".join(fp.out).encode("utf-8", "surrogatepass")), fp.nodes


_LITERAL_PARTS = ("string", "char", "number", "integer", "float", "literal", "rune", "regex", "heredoc")


def tree_fingerprint(tree: Any, raw: bytes) -> tuple[str, int]:
    """(fingerprint, nodes) of a tree-sitter tree: node types with nesting, identifiers renumbered."""
    out: list[bytes] = []
    canon: dict[bytes, int] = {}
    nodes = 0
    cur = tree.walk()
    while True:
        node = cur.node
        kind = node.type
        if "comment" not in kind:
            nodes += 1
            if kind.endswith("identifier"):
                text = raw[node.start_byte : node.end_byte]
                out.append(b"id%d" % canon.setdefault(text, len(canon)))
            elif node.is_named and any(p in kind for p in _LITERAL_PARTS) and kind not in ("true", "false"):
                out.append(b"lit:" + kind.encode())
            elif node.child_count == 0 and node.is_named:  # `int`, `self`, a macro body: keep the text
                out.append(kind.encode() + b":" + raw[node.start_byte : node.end_byte])
            else:
                out.append(kind.encode())
                if node.child_count and cur.goto_first_child():
                    out.append(b"(")
                    continue
        while not cur.goto_next_sibling():
            if not cur.goto_parent():
                return xxhash.xxh3_128_hexdigest(b"\x00".join(out)), nodes
            out.append(b")")
