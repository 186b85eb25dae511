"""AUTO_APPROVE_COMMANDS: whether a shell line runs only commands the user named as prefixes (`pytest`, `ls`,
`git status`), read with the same bash grammar as the shell policy.

It approves without asking, so it fails towards asking: every command of the line must match a prefix, and the line
may hold nothing but plain commands joined by `;`, `&&`, `||`, `|` and newlines, with literal words. A redirection
to a file writes it (`ls > f`); only `/dev/null` and descriptor copies (`2>&1`) pass. Variables, substitutions,
assignments, subshells, control flow, functions, heredocs and background jobs ask. A command that another one runs
(`xargs rm`, `timeout 5 rm`, `find -exec rm`, `sh -c`), as the policy's analysis finds them, must match too.
Options before a subcommand are understood: `git -c x=y status` matches `git status`, unless the option is a git
setting that names a program to run (`-c core.pager=...`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from autogpt_ls.tools import shell_syntax as syntax
from autogpt_ls.tools.shell_policy import analyze
from autogpt_ls.tools.shell_syntax import ShellCommandDenied

if TYPE_CHECKING:
    from tree_sitter import Node

_NAMED = frozenset(
    ("program", "list", "pipeline", "command", "command_name", "word", "number", "raw_string", "string",
     "string_content", "comment", "redirected_statement", "file_redirect", "file_descriptor")
)  # fmt: skip
_JOINS = frozenset((";", "&&", "||", "|", "\n"))
_SAFE_TARGET = "/dev/null"
# Options taking a value before a subcommand, per command; other commands' options before one must be plain flags.
_VALUE_OPTIONS = {"git": frozenset(("-c", "-C", "--git-dir", "--work-tree", "--namespace", "--config-env"))}
_RUNS_PROGRAM = re.compile(
    r"(^alias\.|^pager\.|^filter\.|^credential|^gpg\.|program$|command$|editor$|pager$|fsmonitor$|hookspath$|"
    r"askpass$|external$|textconv$|helper$|^core\.sshcommand$|cmd$|^include|^url\.|proxy$)",
    re.IGNORECASE,
)


def matching_prefix(line: str, prefixes: Sequence[str]) -> str | None:
    """The prefix that approves `line` (the first command's, or all of them joined), or None: ask."""
    rules = [p.split() for p in prefixes if p.split()]
    try:
        root = syntax.parse(line)
        nested = analyze(line)
    except ShellCommandDenied:
        return None
    commands = _plain_commands(root)
    if not rules or commands is None or not commands:
        return None
    starts = {c.start_byte for c in commands}
    if any(found.pos not in starts for found in nested):  # a command run by another one, or a nested line
        return None
    matched = [_match(c, rules) for c in commands]
    if any(m is None for m in matched):
        return None
    return ", ".join(dict.fromkeys(m for m in matched if m))


def _plain_commands(root: Node) -> list[Node] | None:
    """The commands of a line made only of plain commands and safe redirections, or None."""
    commands: list[Node] = []
    for node in syntax.descendants(root):
        if node.is_named and node.type not in _NAMED:
            return None
        if node.type in ("program", "list", "pipeline") and any(
            not c.is_named and c.type not in _JOINS for c in node.children
        ):
            return None  # `&` (a background job), `|&`
        if node.type == "file_redirect" and not _safe_redirect(node):
            return None
        if node.type == "string" and any(c.is_named and c.type != "string_content" for c in node.children):
            return None
        if node.type == "command":
            commands.append(node)
    return commands


def _safe_redirect(node: Node) -> bool:
    target = node.child_by_field_name("destination")
    operator = next((syntax.text(c) for c in node.children if not c.is_named), "")
    if target is None:
        return False
    if operator in (">&", "<&"):
        return target.type == "number" or syntax.text(target) == "-"
    return operator in (">", ">>", "&>", "&>>", ">|") and syntax.text(target) == _SAFE_TARGET


def _match(command: Node, rules: list[list[str]]) -> str | None:
    nodes = [n for n in (command.child_by_field_name("name"), *command.children_by_field_name("argument")) if n]
    words = [syntax.word(n) for n in nodes]
    if not words or words[0].dynamic:
        return None
    argv = [posixpath.basename(words[0].text), *(w.text for w in words[1:])]
    return next((" ".join(rule) for rule in rules if _starts_with(argv, rule)), None)


def _starts_with(argv: list[str], rule: list[str]) -> bool:
    """`argv` runs `rule`: its command, then each further word of the rule after any options before it."""
    if argv[0] != rule[0]:
        return False
    takes_value = _VALUE_OPTIONS.get(rule[0], frozenset())
    i = 1
    for expected in rule[1:]:
        while i < len(argv) and argv[i] != expected and argv[i].startswith("-"):
            key, eq, value = argv[i].partition("=")
            if key in takes_value and not eq:
                i, value = i + 1, argv[i + 1] if i + 1 < len(argv) else ""
            elif eq and key not in takes_value:
                return False  # `--opt=value` we do not know before a subcommand
            if key in ("-c", "--config-env") and _RUNS_PROGRAM.search(value.partition("=")[0]):
                return False
            i += 1
        if i >= len(argv) or argv[i] != expected:
            return False
        i += 1
    return True
