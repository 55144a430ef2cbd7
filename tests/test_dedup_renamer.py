"""A scope-aware renamer for real code, independent of codemill's fingerprint (it uses `symtable`,
the compiler's own scope analysis), and the tests that it preserves behaviour.

`rename(src, seed)` gives every parameter, local variable, nested function and the unit's own
top-level functions a fresh random name, consistently within each scope (the same old name gets
different new names in different scopes), leaving globals, builtins, imports and attributes
alone, and re-prints the code with `ast.unparse` (so layout and comments change too).
`canonical(src)` is the same machinery with names numbered by first appearance and literals
replaced by their type: two units are type-2 clones exactly when their canonical forms match.
"""

from __future__ import annotations

import ast
import random
import symtable
import textwrap
from collections.abc import Callable
from pathlib import Path

from tests.conftest import STDLIB

_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
                ast.DictComp, ast.GeneratorExp)
_COMP_NAMES = {ast.ListComp: "listcomp", ast.SetComp: "setcomp", ast.DictComp: "dictcomp", ast.GeneratorExp: "genexpr"}


def _table_name(node: ast.AST) -> str:
    if isinstance(node, ast.Lambda):
        return "lambda"
    return _COMP_NAMES.get(type(node)) or node.name  # type: ignore[attr-defined]


class _Renamer(ast.NodeTransformer):
    """Walks the AST and the symbol tables together; `fresh(scope, old)` names a local of scope
    number `scope` (scopes are numbered in the order they are entered, the module is 0)."""

    def __init__(self, table: symtable.SymbolTable, fresh: Callable[[int, str], str], top_level: list[str]) -> None:
        self.stack = [table]
        self.maps: list[dict[str, str]] = [{n: fresh(0, n) for n in top_level}]
        self.fresh = fresh
        self.entered = 0
        self.pending: list[list[symtable.SymbolTable]] = []  # per stack level
        self.params: dict[str, dict[str, str]] = {}

    def _child(self, node: ast.AST) -> symtable.SymbolTable:
        if len(self.pending) < len(self.stack):  # children of the current scope, not yet matched
            self.pending.append(list(self.stack[-1].get_children()))
        pending = self.pending[len(self.stack) - 1]
        for i, t in enumerate(pending):
            if t.get_name() == _table_name(node) and t.get_lineno() == node.lineno:  # type: ignore[attr-defined]
                return pending.pop(i)
        for i, t in enumerate(pending):  # f-string expressions: symtable may report another line
            if t.get_name() == _table_name(node):
                return pending.pop(i)
        raise LookupError(f"no symbol table for {_table_name(node)} at line {node.lineno}")  # type: ignore[attr-defined]

    def _mapping(self, table: symtable.SymbolTable) -> dict[str, str]:
        self.entered += 1
        if table.get_type() == "class":
            return {}
        out = {}
        for s in table.get_symbols():
            n = s.get_name()
            if s.is_local() and not s.is_imported() and not s.is_global() and not n.startswith("."):
                out[n] = self.fresh(self.entered, n)
        return out

    def resolve(self, name: str) -> str:
        """New name of `name` as seen from the current scope (closures and globals included)."""
        for depth in range(len(self.stack) - 1, 0, -1):
            table, mapping = self.stack[depth], self.maps[depth]
            try:
                sym = table.lookup(name)
            except KeyError:
                continue
            if sym.is_free() or sym.is_global() or (table.get_type() == "class" and depth < len(self.stack) - 1):
                continue
            return mapping.get(name, name)
        return self.maps[0].get(name, name)

    def _visit_list(self, nodes: list) -> list:
        return [self.visit(n) if isinstance(n, ast.AST) else n for n in nodes]

    def visit_scope(self, node: ast.AST) -> ast.AST:
        table = self._child(node)  # before the name changes
        # what the enclosing scope evaluates: decorators, defaults, bases, the first iterable
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            node.name = self.resolve(node.name)
            node.decorator_list = self._visit_list(node.decorator_list)
        if isinstance(node, ast.ClassDef):
            node.bases, node.keywords = self._visit_list(node.bases), self._visit_list(node.keywords)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            node.args.defaults = self._visit_list(node.args.defaults)
            node.args.kw_defaults = self._visit_list(node.args.kw_defaults)
        if isinstance(node, tuple(_COMP_NAMES)):
            node.generators[0].iter = self.visit(node.generators[0].iter)
        self.stack.append(table)
        self.maps.append(self._mapping(table))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self.params[node.name] = self.maps[-1]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            a = node.args
            for arg in (*a.posonlyargs, *a.args, a.vararg, *a.kwonlyargs, a.kwarg):
                if arg is not None:
                    self.visit(arg)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            node.returns = self.visit(node.returns)
        if isinstance(node, tuple(_COMP_NAMES)):
            for i, gen in enumerate(node.generators):
                gen.target = self.visit(gen.target)
                if i:
                    gen.iter = self.visit(gen.iter)
                gen.ifs = self._visit_list(gen.ifs)
            for field in ("elt", "key", "value"):
                if hasattr(node, field):
                    setattr(node, field, self.visit(getattr(node, field)))
        else:
            body = node.body  # type: ignore[attr-defined]
            node.body = self._visit_list(body) if isinstance(body, list) else self.visit(body)  # type: ignore[attr-defined]
        self.stack.pop()
        self.maps.pop()
        del self.pending[len(self.stack) :]
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_scope
    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_scope

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.resolve(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self.resolve(node.arg)
        if node.annotation:
            node.annotation = self.visit(node.annotation)
        return node

    def visit_Nonlocal(self, node: ast.Nonlocal) -> ast.Nonlocal:
        node.names = [self.resolve(n) for n in node.names]
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.ExceptHandler:
        if node.name:
            node.name = self.resolve(node.name)
        self.generic_visit(node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.Call:
        callee = node.func.id if isinstance(node.func, ast.Name) else None
        self.generic_visit(node)
        params = self.params.get(node.func.id) if isinstance(node.func, ast.Name) else None
        if callee is not None and params:  # keyword arguments follow renamed parameters
            for kw in node.keywords:
                if kw.arg in params:
                    kw.arg = params[kw.arg]
        return node


def _top_level_functions(tree: ast.Module) -> list[str]:
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def rename(src: str, seed: int) -> str:
    """`src` with every local, parameter and top-level function renamed at random, per scope."""
    tree = ast.parse(src)
    rng = random.Random(seed)
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}

    def fresh(scope: int, old: str) -> str:
        new = f"{rng.choice('abcdefghijklmnopqrstuvwxyz')}{rng.getrandbits(40):x}"
        while new in taken:
            new += "_"
        taken.add(new)
        return new

    table = symtable.symtable(src, "<unit>", "exec")
    new_tree = _Renamer(table, fresh, _top_level_functions(tree)).visit(tree)
    return ast.unparse(ast.fix_missing_locations(new_tree))


def canonical(src: str) -> str:
    """Names numbered by first appearance per scope, literals as their type, docstrings dropped."""
    tree = ast.parse(src)
    counters: dict[int, int] = {}

    def fresh(scope: int, old: str) -> str:
        counters[scope] = counters.get(scope, 0) + 1
        return f"n{scope}_{counters[scope]}"

    tree = _Renamer(symtable.symtable(src, "<unit>", "exec"), fresh, _top_level_functions(tree)).visit(tree)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            node.body = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                                 and isinstance(s.value.value, str))] or [ast.Pass()]
        if isinstance(node, ast.Constant) and not isinstance(node.value, bool | type(None) | type(Ellipsis)):
            node.value = type(node.value).__name__
        if isinstance(node, ast.keyword) and node.arg:
            node.arg = "kw"
    return ast.dump(tree, annotate_fields=False)


def stdlib_functions(modules: list[str], min_lines: int = 3) -> list[tuple[str, str]]:
    """(qualified name, dedented source) of the top-level functions and methods of stdlib modules."""
    out = []
    for mod in modules:
        path = STDLIB / (mod.replace(".", "/") + ".py")
        src = path.read_text(encoding="utf-8")
        lines = src.splitlines(keepends=True)
        tree = ast.parse(src)
        defs = [(n.name, n) for n in tree.body if isinstance(n, ast.FunctionDef)]
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            defs += [(f"{cls.name}.{m.name}", m) for m in cls.body if isinstance(m, ast.FunctionDef)]
        for name, node in defs:
            if node.end_lineno - node.lineno + 1 >= min_lines and not node.decorator_list:
                out.append((f"{mod}.{name}", textwrap.dedent("".join(lines[node.lineno - 1 : node.end_lineno]))))
    return out


MODULES = ["textwrap", "heapq", "bisect", "shlex", "fnmatch", "glob", "posixpath", "ntpath", "csv", "difflib",
           "statistics", "json.decoder", "json.encoder", "colorsys", "base64", "quopri", "string", "calendar",
           "tokenize", "ast", "inspect", "argparse", "configparser", "urllib.parse", "email.utils", "gettext",
           "pprint", "reprlib", "locale", "fractions"]


def test_renamed_code_behaves_the_same() -> None:
    import heapq
    import statistics
    import textwrap as tw

    cases = [(tw, "dedent", ("    a\n      b\n",)), (tw, "wrap", ("lorem ipsum dolor sit amet " * 9, 30)),
             (heapq, "nlargest", (3, [5, 1, 9, 3, 7])), (statistics, "median", ([3, 1, 4, 1, 5],)),
             (tw, "indent", ("a\n\nb\n", "> "))]
    for module, fname, args in cases:
        src = textwrap.dedent(ast.get_source_segment(Path(module.__file__).read_text(),
                                                     next(n for n in ast.parse(Path(module.__file__).read_text()).body
                                                          if isinstance(n, ast.FunctionDef) and n.name == fname)))
        renamed = rename(src, seed=7)
        new_name = ast.parse(renamed).body[0].name
        assert new_name != fname  # the function itself was renamed
        ns = dict(vars(module))
        exec(compile(renamed, "<renamed>", "exec"), ns)  # noqa: S102 - our own stdlib copy
        assert ns[new_name](*args) == getattr(module, fname)(*args)


def test_renamer_changes_every_local_consistently_per_scope() -> None:
    src = "def f(a, b=1):\n    x = [a * i for i in range(b)]\n    def g(y):\n        return x + [y, a]\n    return g(len(x))\n"
    out = rename(src, seed=1)
    names = {n.id for n in ast.walk(ast.parse(out)) if isinstance(n, ast.Name)}
    assert not names & {"a", "b", "x", "i", "g", "y"} and {"range", "len"} <= names
    ns: dict = {}
    exec(out, ns)  # noqa: S102
    fn = next(v for k, v in ns.items() if k != "__builtins__")
    assert fn(2, 3) == [0, 2, 4, 3, 2]
    assert canonical(src) == canonical(out) != canonical(src.replace("len(x)", "sum(x)"))


def test_renamer_runs_on_real_functions() -> None:
    funcs = stdlib_functions(MODULES)
    assert len(funcs) > 900
    for _, src in funcs[:300]:
        assert canonical(rename(src, seed=3)) == canonical(src)
