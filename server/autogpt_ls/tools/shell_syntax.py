"""The bash grammar under SHELL_COMMAND_CONTROL: parse a line with tree-sitter-bash, fail closed on errors, read a
word's value after quote removal, and tell which parts bash evaluates as arithmetic.

tree-sitter recovers from errors instead of stopping, so a tree with any ERROR or MISSING node is refused, and so is
a command named by a reserved word (`done`, `fi`, `}`), which is how its recovery misreads a construct the grammar
lacks. Two valid forms it lacks are rewritten before the tree is trusted: `coproc [NAME] COMMAND` (the keyword, and
the NAME before a compound command, are blanked so COMMAND is parsed as itself) and a brace expansion that names the
command (`{rm,-rf,x}`, read as a broken `{ ...; }` group; its brace is escaped so it reads as one word, which the
policy then refuses as a name computed at run time).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

REFUSED = "The line was refused; nothing ran."
_REWRITES = 16  # coproc keywords and brace-expanded names fixed per line; more is refused as unparsable
_RESERVED = frozenset(
    [
        "{", "}", "do", "done", "then", "else", "elif", "fi", "esac", "if",
        "while", "until", "for", "case", "select", "function", "[[", "]]", "((",
    ]
)  # fmt: skip
_COMPOUND = re.compile(rb"\s*(?:\(|(?:\{|while|until|for|if|case|select|\[\[)(?:\s|$))")
_VARIABLES = frozenset(("variable_name", "simple_expansion", "expansion", "command_substitution"))
_ARITHMETIC_TESTS = frozenset(("-eq", "-ne", "-lt", "-le", "-gt", "-ge"))
_GLOB = re.compile(r"[*?]|\[.*\]|\{.*[,.].*\}")  # globs and brace expansion, where bash expands them
_OPENERS = {
    '"': 'a "..." string',
    "'": "a '...' string",
    "$'": "a $'...' string",
    "$(": "a $(...) substitution",
    "`": "a `...` substitution",
    "${": "a ${...} expansion",
    "$((": "a $((...)) expression",
    "((": "a ((...)) expression",
    "(": "a ( ... ) subshell",
    "{": "a { ...; } group",
    "[[": "a [[ ... ]] test",
    "<<": "a heredoc",
    "<<-": "a heredoc",
    **{kw: f"{'an' if kw[0] in 'aeiou' else 'a'} `{kw}` block" for kw in ("if", "case", "for", "while", "until")},
}


class ShellCommandDenied(ValueError):
    """A shell line that the policy refuses; str(e) is a clear message meant for the LLM."""


class Word(NamedTuple):
    """A word of a command, or a command found (then `text` is the basename unless the name is dynamic)."""

    pos: int  # byte offset in the line, so that commands are reported in textual order
    text: str  # after quote removal
    dynamic: bool  # contains $x, $(...), a glob or a brace expansion: its run-time value is unknown
    opaque: bool = False  # code no parser sees (arithmetic evaluating a variable's value): refused by allowlists


@functools.cache
def _language() -> object:
    """The grammar, loaded on first use (importing the bindings costs ~17 ms, which a server start should not pay)."""
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Language(tree_sitter_bash.language())


def _parser() -> Parser:
    from tree_sitter import Language, Parser

    language = _language()
    assert isinstance(language, Language)
    return Parser(language)  # a parser per line: it is cheap, and one shared parser is not thread-safe


def parse(line: str) -> Node:
    """The syntax tree of `line`; ShellCommandDenied naming the construct when it is not valid bash."""
    source = line.encode()
    parser = _parser()
    for _ in range(_REWRITES):
        root = parser.parse(source).root_node
        fixed = _coproc(root, source) if not root.has_error else _brace_name(root, source)
        if fixed is None:
            break
        source = fixed
    else:
        raise _unparsable(line, "too many `coproc` keywords or brace-expanded command names")
    if root.has_error:
        raise _unparsable(line, _describe_error(root))
    return root


def _unparsable(line: str, detail: str) -> ShellCommandDenied:
    return ShellCommandDenied(
        f"could not parse the shell command {line!r}: {detail}. A line that cannot be parsed cannot be checked. "
        f"{REFUSED} Use simpler shell syntax."
    )


def reserved_name(line: str, name: Node) -> ShellCommandDenied | None:
    """A command named by a bare reserved word is the parser misreading a construct: refuse the line."""
    if name.type != "word" or (reserved := text(name)) not in _RESERVED:
        return None
    return _unparsable(line, f"unexpected {reserved!r} at {_where(name)}")


def _coproc(root: Node, source: bytes) -> bytes | None:
    """`source` with the first `coproc` keyword (and the NAME of `coproc NAME { ...; }`) blanked, or None."""
    for node in descendants(root):
        name = node.child_by_field_name("name") if node.type == "command" else None
        if name is None or text(name) != "coproc":
            continue
        end = name.end_byte
        after = node.children[1] if len(node.children) > 1 else None
        if after is not None and after.type == "word" and _COMPOUND.match(source, after.end_byte):
            end = after.end_byte  # `coproc NAME {`, `coproc NAME while`: NAME is the coprocess's name
        return source[: name.start_byte] + b" " * (end - name.start_byte) + source[end:]
    return None


def _brace_name(root: Node, source: bytes) -> bytes | None:
    """`source` with the brace of a brace-expanded command name (`{a,b}`, read as a broken group) escaped."""
    error = _first_error(root)
    for token in [] if error is None else error.children:
        start = token.start_byte
        if token.type == "{" and source[start + 1 : start + 2] not in (b"", b" ", b"\t", b"\n", b"}"):
            return source[:start] + b"\\" + source[start:]
    return None


def descendants(node: Node) -> list[Node]:
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(current.children))
    return out


def _first_error(root: Node) -> Node | None:
    return next((n for n in descendants(root) if n.is_error or n.is_missing), None)


def _describe_error(root: Node) -> str:
    node = _first_error(root)
    if node is None:  # has_error without an error node: never seen, refused all the same
        return "the parser reported an error"
    if node.is_missing:
        before = root.text[: node.start_byte].decode(errors="replace").rstrip() if root.text else ""
        return f"a {node.type!r} is missing after {before[-30:]!r} (at {_where(node)})"
    opener = next((c for c in node.children if not c.is_named and text(c) in _OPENERS), None)
    if opener is not None:
        return f"{_OPENERS[text(opener)]} is not closed or not complete (it starts at {_where(opener)})"
    snippet = text(node).strip().splitlines()[0] if text(node).strip() else text(node)
    return f"unexpected {snippet[:40]!r} at {_where(node)}"


def _where(node: Node) -> str:
    row, column = node.start_point
    return f"line {row + 1}, column {column + 1}"


def text(node: Node) -> str:
    return node.text.decode(errors="replace") if node.text is not None else ""


def heredoc_is_quoted(redirect: Node) -> bool:
    """`<<'EOF'`, `<<"EOF"` and `<<\\EOF` make the body data; unquoted, it is expanded like a "..." string."""
    start = next((c for c in redirect.children if c.type == "heredoc_start"), None)
    return start is not None and bool(re.search(r"[\"'\\]", text(start)))


def evaluates_variables(node: Node) -> bool:
    """Arithmetic that reads a variable evaluates its value as an expression, and `a[$(cmd)]` there runs cmd."""
    if _inside_arithmetic(node.parent):
        return False
    return any(
        n.type in _VARIABLES or (n.type == "word" and not text(n).isdigit() and text(n) not in ("@", "*"))
        for body in _arithmetic_parts(node)
        for n in descendants(body)
    )


def _arithmetic_parts(node: Node) -> list[Node]:
    """The parts of `node` that bash evaluates as arithmetic: $((...)), ((...)), for ((...)), an array index, and
    the operands of -eq/-lt/... inside [[ ]]."""
    kind, first = node.type, node.children[0].type if node.children else ""
    if kind in ("arithmetic_expansion", "c_style_for_statement") or (kind == "compound_statement" and first == "(("):
        return [node]
    if kind == "subscript":
        return [index] if (index := node.child_by_field_name("index")) is not None else []
    if kind != "test_command" or first != "[[":
        return []
    tests = [n for n in descendants(node) if n.type == "binary_expression"]
    arithmetic = [n for n in tests if _operator(n) in _ARITHMETIC_TESTS]
    operands = [n.child_by_field_name(side) for n in arithmetic for side in ("left", "right")]
    return [n for n in operands if n is not None]


def _operator(node: Node) -> str:
    operator = node.child_by_field_name("operator")
    return "" if operator is None else text(operator)


def _inside_arithmetic(node: Node | None) -> bool:
    while node is not None:
        if node.type in ("arithmetic_expansion", "c_style_for_statement") or (
            node.type == "compound_statement" and node.children[0].type == "(("
        ):
            return True
        node = node.parent
    return False


def word(node: Node) -> Word:
    """The value of a word node after quote removal, and whether it is known only at run time."""
    if node.type == "command_name" and node.named_children:
        node = node.named_children[0]
    text, dynamic = _value(node)
    placeholder = "{}" in text  # xargs -I {} / find -exec {}: replaced by what they read, quoted or not
    return Word(node.start_byte, text, dynamic or placeholder or bool(_GLOB.search(_unquoted(node))))


def _unquoted(node: Node) -> str:
    """The parts of a word bash globs: quoted ones (`eval '[[ -f x ]]'`, `'r*'`) are taken literally."""
    if node.type == "word":
        return text(node)
    return "".join(_unquoted(c) for c in node.children) if node.type == "concatenation" else ""


def _value(node: Node) -> tuple[str, bool]:
    kind, raw = node.type, text(node)
    if kind == "word":
        return re.sub(r"\\(.)", r"\1", raw, flags=re.S), False
    if kind == "number":
        return raw, False
    if kind == "raw_string":
        return raw[1:-1], False
    if kind == "ansi_c_string":  # $'...': escapes such as \x72 could spell any name, so one makes it dynamic
        return raw[2:-1], "\\" in raw
    if kind in ("string", "concatenation", "translated_string"):
        parts = [_string_part(c) if kind == "string" else _value(c) for c in node.children]
        return "".join(p for p, _ in parts), any(d for _, d in parts)
    return raw, True  # $x, ${x}, $(...), `...`, <(...), $((...)), {1..5}: known only at run time


def _string_part(node: Node) -> tuple[str, bool]:
    """A piece of a "..." string: its text (backslash escapes removed), or an expansion kept as written."""
    if node.type == "string_content":
        return re.sub(r'\\([$`"\\\n])', lambda m: "" if m[1] == "\n" else m[1], text(node)), False
    if not node.is_named:  # the quotes themselves, or a lone `$`
        return ("", False) if node.type == '"' else (text(node), False)
    return text(node), True
