"""Per-grammar node roles for the complexity metrics: which tree-sitter node kinds are functions,
classes, decision points, nesting blocks and comments.

Measured on the benchmark corpus, a tree-sitter query costs about as much as a cursor walk over
every node in Python (~250 ns a node either way), and the AST depth needs that walk anyway, so
roles are matched during the walk (`treewalk.walk`). Reading a node's kind there costs as much
again, so the walk reads it only for the 30% of nodes that have children (on its way back up);
the leaves that play a role are found otherwise: operator tokens (`&&`) by scanning the children
of their parents (`binary_expression`), leaf comments at the byte offsets where the grammar's
comment markers (`comment_starts`) occur. Decision points follow McCabe as radon
(Python) and lizard (C family, JavaScript, ...) count them: each `if`/`elif`/loop/`case`/`catch`/
ternary and each short-circuit operator adds one; `else` and `default` add nothing.

A spec entry is a node kind, `"kind@parent|parent"` (only under those parents; a quoted kind such
as `'"&&"@binary_expression'` is an anonymous token), or `"kind?check"` with a named check
below. A kind a grammar version does not know is skipped, so a grammar update loses a detail
instead of crashing a run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

ROLES = ("function", "class", "branch", "nest", "comment")
#: node -> does the node play the role
Check = Callable[[Any], bool]


def _has_field(name: str) -> Check:
    return lambda n: n.child_by_field_name(name) is not None


def docstrings(root: Any, owners: list[Any]) -> list[Any]:
    """String nodes that are the first statement (comments aside) of the module or of a
    function/class body: found from the few owners instead of testing every string in the walk."""
    out = []
    for body in (root, *(o.child_by_field_name("body") for o in owners)):
        if body is None:
            continue
        for i in range(body.named_child_count):  # one child at a time: `named_children` builds them all
            child = body.named_child(i)
            kind = child.type
            if kind == "comment":
                continue
            if kind == "expression_statement" and child.named_child_count:
                child = child.named_child(0)
            if child.type == "string":
                out.append(child)
            break
    return out


def _child_kinds(*kinds: str) -> Check:
    return lambda n: set(kinds) <= {c.type for c in n.children}


CHECKS: dict[str, Check] = {
    "body": _has_field("body"), "value": _has_field("value"),
    "named_child": lambda n: n.named_child_count > 0,
    "struct_or_interface": lambda n: (t := n.child_by_field_name("type")) is not None
    and t.type in ("struct_type", "interface_type"),
    "fn_decl": _child_kinds("FnProto", "Block"),
    "valued_prong": lambda n: any(c.type == "SwitchCase" and c.named_child_count for c in n.children),
}


@dataclass(frozen=True)
class Spec:
    functions: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()
    nesting: tuple[str, ...] = ()
    comments: tuple[str, ...] = ("comment",)
    docstrings: bool = False  # Python: the first string of a module, class or function is a comment
    #: byte strings every comment of the grammar starts with (a superset is fine: each occurrence is checked)
    comment_starts: tuple[bytes, ...] = (b"//", b"/*")


def _w(s: str) -> tuple[str, ...]:
    return tuple(s.split())


def _logic(parent: str, *tokens: str) -> tuple[str, ...]:
    return tuple(f'"{t}"@{parent}' for t in tokens)


_C_LOGIC = _logic("binary_expression", "&&", "||")
_PY = Spec(
    functions=_w("function_definition"), classes=_w("class_definition"),
    branches=_w("if_statement elif_clause conditional_expression except_clause for_statement while_statement "
                "for_in_clause if_clause boolean_operator assert_statement case_clause "
                "else_clause@for_statement|while_statement|try_statement"),
    nesting=_w("if_statement for_statement while_statement try_statement with_statement match_statement"),
    docstrings=True, comment_starts=(b"#",),
)
_JS = Spec(
    functions=_w("function_declaration function_expression arrow_function method_definition "
                 "generator_function_declaration generator_function"),
    classes=_w("class_declaration class abstract_class_declaration"),
    branches=_w("if_statement for_statement for_in_statement while_statement do_statement switch_case "
                "catch_clause ternary_expression") + _logic("binary_expression", "&&", "||", "??"),
    nesting=_w("if_statement for_statement for_in_statement while_statement do_statement switch_statement "
               "try_statement"),
    comments=_w("comment html_comment"), comment_starts=(b"//", b"/*", b"<!--", b"-->"),
)
_C = Spec(
    functions=_w("function_definition"),
    classes=_w("struct_specifier?body union_specifier?body enum_specifier?body class_specifier?body"),
    branches=_w("if_statement for_statement for_range_loop while_statement do_statement catch_clause "
                "conditional_expression case_statement?value") + _C_LOGIC,
    nesting=_w("if_statement for_statement for_range_loop while_statement do_statement switch_statement "
               "try_statement"),
)
_JAVA = Spec(
    functions=_w("method_declaration constructor_declaration compact_constructor_declaration"),
    classes=_w("class_declaration interface_declaration enum_declaration record_declaration"),
    branches=_w("if_statement for_statement enhanced_for_statement while_statement do_statement catch_clause "
                "ternary_expression switch_label?named_child") + _C_LOGIC,
    nesting=_w("if_statement for_statement enhanced_for_statement while_statement do_statement switch_expression "
               "try_statement try_with_resources_statement"),
    comments=_w("line_comment block_comment"),
)
_GO = Spec(
    functions=_w("function_declaration method_declaration"), classes=_w("type_spec?struct_or_interface"),
    branches=_w("if_statement for_statement expression_case type_case communication_case") + _C_LOGIC,
    nesting=_w("if_statement for_statement expression_switch_statement type_switch_statement select_statement"),
)
_RUST = Spec(
    functions=_w("function_item"), classes=_w("struct_item enum_item trait_item union_item"),
    branches=_w("if_expression for_expression while_expression match_arm") + _C_LOGIC,
    nesting=_w("if_expression for_expression while_expression loop_expression match_expression"),
    comments=_w("line_comment block_comment"),
)
_ZIG = Spec(
    functions=_w("Decl?fn_decl TestDecl"), classes=_w("ContainerDecl"),
    branches=_w("IfPrefix WhilePrefix ForPrefix SwitchProng?valued_prong") + _logic("BinaryExpr", "and", "or"),
    nesting=_w("IfStatement IfExpr WhileStatement WhileExpr ForStatement ForExpr SwitchExpr"),
    comments=_w("line_comment doc_comment container_doc_comment"),
)
_BASH = Spec(
    functions=_w("function_definition"),
    branches=_w("if_statement elif_clause for_statement c_style_for_statement while_statement case_item "
                "ternary_expression") + _logic("list", "&&", "||"),
    nesting=_w("if_statement for_statement c_style_for_statement while_statement case_statement"),
    comment_starts=(b"#",),
)
_CSHARP = Spec(
    functions=_w("method_declaration constructor_declaration destructor_declaration local_function_statement"),
    classes=_w("class_declaration struct_declaration interface_declaration enum_declaration record_declaration"),
    branches=_w("if_statement for_statement foreach_statement while_statement do_statement catch_clause "
                "conditional_expression switch_section switch_expression_arm")
    + _logic("binary_expression", "&&", "||", "??"),
    nesting=_w("if_statement for_statement foreach_statement while_statement do_statement switch_statement "
               "try_statement"),
)
_RUBY = Spec(
    functions=_w("method singleton_method"), classes=_w("class module"),
    branches=_w("if elsif unless while until for when rescue conditional if_modifier unless_modifier "
                "while_modifier until_modifier") + _logic("binary", "&&", "||", "and", "or"),
    nesting=_w("if unless while until for case begin"), comment_starts=(b"#", b"=begin"),
)
_PHP = Spec(
    functions=_w("function_definition method_declaration"),
    classes=_w("class_declaration interface_declaration trait_declaration enum_declaration"),
    branches=_w("if_statement else_if_clause for_statement foreach_statement while_statement do_statement "
                "case_statement catch_clause conditional_expression match_conditional_expression")
    + _logic("binary_expression", "&&", "||", "and", "or", "??"),
    nesting=_w("if_statement for_statement foreach_statement while_statement do_statement switch_statement "
               "try_statement"),
    comment_starts=(b"#", b"//", b"/*"),
)
_KOTLIN = Spec(
    functions=_w("function_declaration"), classes=_w("class_declaration object_declaration"),
    branches=_w("if_expression for_statement while_statement do_while_statement when_entry catch_block"),
    nesting=_w("if_expression for_statement while_statement do_while_statement when_expression try_expression"),
    comments=_w("line_comment multiline_comment"),
)
_SWIFT = Spec(
    functions=_w("function_declaration"), classes=_w("class_declaration protocol_declaration"),
    branches=_w("if_statement guard_statement for_statement while_statement repeat_while_statement switch_entry "
                "catch_block ternary_expression"),
    nesting=_w("if_statement guard_statement for_statement while_statement repeat_while_statement "
               "switch_statement do_statement"),
    comments=_w("comment multiline_comment"),
)
_SCALA = Spec(
    functions=_w("function_definition"), classes=_w("class_definition object_definition trait_definition"),
    branches=_w("if_expression for_expression while_expression case_clause catch_clause"),
    nesting=_w("if_expression for_expression while_expression match_expression try_expression"),
    comments=_w("comment block_comment"),
)
_LUA = Spec(
    functions=_w("function_declaration function_definition"),
    branches=_w("if_statement elseif_statement for_statement while_statement repeat_statement")
    + _logic("binary_expression", "and", "or"),
    nesting=_w("if_statement for_statement while_statement repeat_statement"), comment_starts=(b"--",),
)

#: grammar name (tree-sitter-language-pack) -> spec
SPECS: dict[str, Spec] = {
    "python": _PY, "javascript": _JS, "typescript": _JS, "tsx": _JS, "c": _C, "cpp": _C, "cuda": _C,
    "java": _JAVA, "go": _GO, "rust": _RUST, "zig": _ZIG, "bash": _BASH, "csharp": _CSHARP, "ruby": _RUBY,
    "php": _PHP, "kotlin": _KOTLIN, "swift": _SWIFT, "scala": _SCALA, "lua": _LUA,
}


@dataclass(frozen=True)
class Rule:
    roles: tuple[str, ...]
    parents: frozenset[int] | None = None  # kind ids of the parents it must sit under
    check: Check | None = None


@dataclass(frozen=True)
class Roles:
    """Kind id -> roles it always plays (`plain`), kind id -> conditional rules (`rules`), parent
    kind id -> token kind id -> roles of those anonymous children (`tokens`), the comment kinds and
    the bytes comments start with."""

    plain: dict[int, tuple[str, ...]]
    rules: dict[int, tuple[Rule, ...]]
    docstrings: bool
    tokens: dict[int, dict[int, tuple[str, ...]]] = field(default_factory=dict)
    comment_kinds: frozenset[int] = frozenset()
    comment_starts: tuple[bytes, ...] = ()

    @cached_property
    def table(self) -> dict[int, tuple[tuple[str, ...], tuple[Rule, ...] | None, dict[int, tuple[str, ...]] | None]]:
        """What the walk looks up per inner node: kind id -> (roles it always plays, conditional
        rules, token child kind -> roles), one dict lookup per node."""
        return {k: (self.plain.get(k, ()), self.rules.get(k), self.tokens.get(k))
                for k in {*self.plain, *self.rules, *self.tokens}}


def _parse_entry(entry: str) -> tuple[str, bool, frozenset[str] | None, Check | None]:
    """`kind`, `kind@p1|p2`, `kind?check`, `"tok"@parent` -> (kind, named, parents, check)."""
    if entry.startswith('"'):  # an anonymous token: `"&&"@binary_expression`
        token, _, parents = entry[1:].partition('"@')
        return token, False, frozenset(parents.split("|")) if parents else None, None
    kind, _, check = entry.partition("?")
    kind, _, parents = kind.partition("@")
    return kind, True, frozenset(parents.split("|")) if parents else None, CHECKS[check] if check else None


@cache
def roles_for(grammar: str) -> Roles | None:
    """The compiled roles of a grammar, or None without a spec or grammar."""
    spec = SPECS.get(grammar)
    if spec is None:
        return None
    from tree_sitter_language_pack import get_language

    try:
        language = get_language(grammar)  # type: ignore[arg-type]
    except (LookupError, ValueError, OSError):
        return None
    ids: dict[tuple[str, bool], list[int]] = {}
    by_name: dict[str, set[int]] = {}
    for i in range(language.node_kind_count):
        name = language.node_kind_for_id(i) or ""
        ids.setdefault((name, language.node_kind_is_named(i)), []).append(i)
        by_name.setdefault(name, set()).add(i)
    plain: dict[int, list[str]] = {}
    rules: dict[int, list[Rule]] = {}
    tokens: dict[int, dict[int, list[str]]] = {}
    for role, entries in (("function", spec.functions), ("class", spec.classes), ("branch", spec.branches),
                          ("nest", spec.nesting), ("comment", spec.comments)):
        for entry in entries:
            kind, named, parents, check = _parse_entry(entry)
            parent_ids = frozenset(i for p in parents for i in by_name.get(p, ())) if parents else None
            for i in ids.get((kind, named), ()):
                if not named:  # a token is a leaf: found from its parent (the walk reads only inner nodes)
                    if parent_ids is None:
                        raise ValueError(f"{grammar}: token {entry!r} needs a parent (`\"tok\"@parent`)")
                    for p in parent_ids:
                        tokens.setdefault(p, {}).setdefault(i, []).append(role)
                elif parent_ids is None and check is None:
                    plain.setdefault(i, []).append(role)
                else:
                    rules.setdefault(i, []).append(Rule((role,), parent_ids, check))
    comment_kinds = frozenset(i for kind in spec.comments for i in ids.get((kind, True), ()))
    return Roles({i: tuple(v) for i, v in plain.items()}, {i: tuple(v) for i, v in rules.items()}, spec.docstrings,
                 {p: {t: tuple(r) for t, r in toks.items()} for p, toks in tokens.items()}, comment_kinds,
                 spec.comment_starts)
