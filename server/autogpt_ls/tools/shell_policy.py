"""SHELL_COMMAND_CONTROL: check every command a shell line would run against an allow- or denylist.

Checking only the first word is trivially bypassed (`ls; sudo x`, `echo $(rm -rf /)`, `xargs rm`), so the line
is parsed with a full bash grammar (shell_syntax.py) and every command position is collected: pipelines, lists,
subshells, groups, `if`/`case`/loops, function bodies and alias values (checked when defined, since a persistent
shell keeps them), substitutions, heredocs, commands run by wrappers (`sudo rm`, `coproc rm`) and nested shell
strings (`sh -c '...'`, literal `eval` strings). Whatever cannot be analysed is refused: parse errors, command names
computed at run time, and `eval` of computed strings. Code no parser sees (`source FILE`, and arithmetic, which
evaluates a variable's value as an expression) is refused by an allowlist and allowed by a denylist.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple

from autogpt_ls.tools import shell_syntax as syntax
from autogpt_ls.tools.shell_syntax import (
    REFUSED,
    ShellCommandDenied,
    Word,
    heredoc_is_quoted,
    parse,
    reserved_name,
)

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["ShellCommandDenied", "analyze", "check_shell_command"]

_MAX_DEPTH = 8  # nested `sh -c` / `eval` strings; deeper nesting is refused rather than followed


class _Spec(NamedTuple):
    """How a wrapper is laid out, so that the command it runs is found and checked too."""

    args: str = ""  # options taking an argument: `-n 5`, `-n5`, `-xn 5`, `--signal KILL`, `--signal=KILL`
    operands: int = 0  # operands before the command (`timeout DURATION`, `chroot NEWROOT`, `flock FILE`)
    lines: str = ""  # options whose argument is itself a shell line (`su -c`, `env -S`, `flock -c`)
    assigns: bool = False  # NAME=value words before the command are skipped (`env`, `sudo`)
    tail: Literal["argv", "join", "none"] = "argv"  # the rest: a command, a shell line (joined), or neither


_WRAPPERS: dict[str, _Spec] = {
    "xargs": _Spec("-a -d -E -I -L -n -P -s --arg-file --delimiter --max-args --max-procs --max-chars"),
    "timeout": _Spec("-k -s --kill-after --signal", operands=1),
    "env": _Spec("-u -C -P --unset --chdir", lines="-S --split-string", assigns=True),
    "nice": _Spec("-n --adjustment"),
    "time": _Spec("-f -o --format --output"),
    "exec": _Spec("-a"),
    "stdbuf": _Spec("-i -o -e --input --output --error"),
    "ionice": _Spec("-c -n -p -P -u --class --classdata --pid --pgid --uid"),
    "chroot": _Spec("--userspec --groups", operands=1),
    "sudo": _Spec("-C -D -g -p -R -r -T -t -U -u --chdir --group --prompt --user --other-user", assigns=True),
    "doas": _Spec("-u -C"),
    "su": _Spec("-g -G -w --group --supp-group", operands=1, lines="-c -s --command --shell", tail="none"),
    "watch": _Spec("-n -q --interval --equexit", tail="join"),
    "strace": _Spec("-a -b -e -E -I -O -o -p -P -s -S -u -U -X --output --attach --user --env --trace"),
    "flock": _Spec("-w -E --timeout --wait --conflict-exit-code", operands=1, lines="-c --command"),
    "parallel": _Spec("-a -C -d -E -I -j -L -n -N -P -S --arg-file --colsep --jobs --sshlogin", tail="join"),
    "eval": _Spec(tail="join"),
    **{name: _Spec() for name in ("nohup", "command", "builtin", "setsid", "unbuffer")},
}
_SHELLS = frozenset(("sh", "bash", "zsh", "dash", "ksh", "ash", "mksh"))
_FIND_EXEC = frozenset(("-exec", "-execdir", "-ok", "-okdir"))
_PARALLEL_SEPARATORS = frozenset((":::", "::::", ":::+", "::::+"))
_SOURCING = frozenset(("source", "."))
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def analyze(line: str, depth: int = 0) -> list[Word]:
    """Every command in `line`, in textual order; a nested shell line counts at the position of its word."""
    if not line.strip():
        raise ShellCommandDenied(f"The shell command is empty. {REFUSED}")
    if depth > _MAX_DEPTH:
        raise ShellCommandDenied(f"The shell command nests `sh -c`/`eval` too deeply to be checked. {REFUSED}")
    found: list[Word] = []
    _walk(parse(line), line, found, depth)
    return sorted(found, key=lambda c: c.pos)


def _walk(node: Node, line: str, found: list[Word], depth: int) -> None:
    kind = node.type
    if kind == "command":
        _command(node, line, found, depth)
        return
    if kind in ("test_command", "declaration_command", "unset_command") and node.children[0].type != "[[":
        found.append(Word(node.start_byte, syntax.text(node.children[0]), False))  # `[`, export, local, unset
    if syntax.evaluates_variables(node):
        header = syntax.text(node).partition("))")[0] + "))" if kind == "c_style_for_statement" else syntax.text(node)
        found.append(Word(node.start_byte, header, False, opaque=True))
    for child in node.named_children:
        if child.type != "heredoc_body":
            _walk(child, line, found, depth)
        elif not heredoc_is_quoted(node):  # a quoted heredoc's body is data
            _heredoc(child, line, found, depth)


def _heredoc(body: Node, line: str, found: list[Word], depth: int) -> None:
    """An unquoted heredoc's body is expanded like a "..." string. The grammar parses its `$(...)` and `${...}`
    parts, which are walked as they are (quoting them again would change what `$(eval "rm x")` runs); backquotes
    it does not see, so the literal text left around those parts is checked as a "..." string."""
    literal = bytearray(body.text or b"")
    for part in body.named_children:
        if part.type != "heredoc_content":
            _walk(part, line, found, depth)
            literal[part.start_byte - body.start_byte : part.end_byte - body.start_byte] = b" " * (
                part.end_byte - part.start_byte
            )
    if b"`" not in literal:
        return
    quoted = '"' + literal.decode(errors="replace").replace('"', '\\"') + '"'
    sub: list[Word] = []
    for part in parse(": " + quoted).named_children:
        _walk(part, quoted, sub, depth)
    found.extend(c._replace(pos=body.start_byte) for c in sub if c.pos > 0)  # not the `:` placeholder


def _command(node: Node, line: str, found: list[Word], depth: int) -> None:
    name = node.child_by_field_name("name")
    nodes = ([name] if name is not None else []) + node.children_by_field_name("argument")
    if name is not None and (misread := reserved_name(line, name.named_children[0] if name.named_children else name)):
        raise misread
    reparsed = _argv([syntax.word(n) for n in nodes], 0, found, depth)
    for child in node.named_children:  # assignments, redirections and the substitutions inside arguments
        if child.start_byte not in reparsed:
            _walk(child, line, found, depth)


def _nested(text: str, word: Word, found: list[Word], depth: int) -> int:
    if text.strip():  # `sh -c ''` runs nothing
        found.extend(c._replace(pos=word.pos) for c in analyze(text, depth + 1))
    return word.pos


def _argv(words: list[Word], i: int, found: list[Word], depth: int) -> set[int]:
    """Record the command at words[i] and what it runs; return positions of words parsed as shell lines."""
    if i >= len(words):
        return set()
    if words[i].dynamic:
        found.append(Word(words[i].pos, words[i].text, True))
        return set()
    if words[i].text == "!":  # `! ! rm x`: the grammar reads the second `!` as a command name; bash negates again
        return _argv(words, i + 1, found, depth)
    name = posixpath.basename(words[i].text.rstrip("/")) or words[i].text
    found.append(Word(words[i].pos, name, False))
    if name == "alias":  # alias NAME=VALUE: the value is a shell line, checked now since the alias outlives it
        values = [w for w in words[i + 1 :] if "=" in w.text and not w.text.startswith("-")]
        return {_nested(w.text.partition("=")[2], w, found, depth) for w in values}
    if name in _SHELLS:
        j = _shell_string(words, i + 1)
        return set() if j is None else {_nested(words[j].text, words[j], found, depth)}
    if name == "find":  # find ... -exec CMD ARGS \; (or +)
        reparsed: set[int] = set()
        for j in (j for j in range(i + 1, len(words)) if words[j].text in _FIND_EXEC):
            end = next((k for k in range(j + 1, len(words)) if words[k].text in (";", "+")), len(words))
            reparsed |= _argv(words[:end], j + 1, found, depth)
        return reparsed
    spec = _WRAPPERS.get(name)
    return set() if spec is None else _wrapped(words, i, spec, found, depth)


def _wrapped(words: list[Word], i: int, spec: _Spec, found: list[Word], depth: int) -> set[int]:
    """Skip the options and operands of the wrapper at words[i], then check the command (or line) it runs."""
    takes_value, lines = (spec.args + " " + spec.lines).split(), spec.lines.split()
    reparsed: set[int] = set()
    j, operands = i + 1, spec.operands
    while j < len(words):
        text = words[j].text
        if text == "--":
            j += 1 + operands
            break
        if text.startswith("-") and text != "-":
            key, value = _option(text, takes_value)
            if key in takes_value and value is None and j + 1 < len(words):
                j += 1
                value = words[j].text
            if key in lines and value is not None:
                reparsed.add(_nested(value, words[j], found, depth))
        elif not (text == "-" or (spec.assigns and _ASSIGNMENT.match(text))):  # `su -`, `env FOO=1 cmd`
            if not operands:
                break
            operands -= 1
        j += 1
    if spec.tail == "argv":
        return reparsed | _argv(words, j, found, depth)
    if spec.tail == "join":  # eval ARGS, watch 'LINE', parallel CMD ::: ARGS: the words form one shell line
        end = next((k for k in range(j, len(words)) if words[k].text in _PARALLEL_SEPARATORS), len(words))
        joined, wrapper = " ".join(w.text for w in words[j:end]), posixpath.basename(words[i].text)
        if end > j and wrapper == "eval" and any(w.dynamic for w in words[j:end]):
            found.append(Word(words[j].pos, f"eval {joined}", True))  # its $(...) still run first: walked as such
        elif end > j:
            _nested(joined, words[j], found, depth)
            reparsed |= {w.pos for w in words[j:end]}
        elif wrapper == "parallel":  # no command: it runs the lines it reads
            found.append(Word(words[i].pos, "(commands read by parallel from its input)", True))
    return reparsed


def _option(text: str, takes_value: list[str]) -> tuple[str, str | None]:
    """Split `--opt=value`, `-ovalue` or a cluster `-abo` into the option and its attached value, if any."""
    if text.startswith("--"):
        key, eq, value = text.partition("=")
        return key, value if eq else None
    for k, ch in enumerate(text[1:], 2):
        if f"-{ch}" in takes_value:
            return f"-{ch}", text[k:] or None
    return text, None


def _shell_string(words: list[Word], j: int) -> int | None:
    """Index of STRING in `sh [options] -c STRING` (options like -e, -lc, -o pipefail), or None."""
    has_c = False
    while j < len(words):
        text = words[j].text
        if text in ("-", "--"):
            j += 1
            break
        if text.startswith("--"):
            j += 2 if text in ("--rcfile", "--init-file") else 1
        elif text[:1] in "-+" and len(text) > 1:
            has_c = has_c or (text[0] == "-" and "c" in text)
            j += 1 + text.count("o") + text.count("O")
        else:
            break
    return j if has_c and j < len(words) else None


def check_shell_command(
    command_line: str,
    mode: Literal["allowlist", "denylist"],
    allowlist: Sequence[str],
    denylist: Sequence[str],
) -> None:
    """Raise ShellCommandDenied naming each command that is not allowed. Every command the line would run counts,
    in order: inside pipelines, lists (; && ||), subshells ( ), groups { }, control flow, function bodies, alias
    values, command substitution $(...) and `...`, process substitution <(...), the commands run by wrappers, and
    nested `sh -c '...'` / `bash -c '...'` / `eval '...'` strings (parsed recursively). A line that cannot be
    parsed, or is empty, is refused too (fail closed)."""
    found = analyze(command_line)
    setting = "SHELL_ALLOWLIST" if mode == "allowlist" else "SHELL_DENYLIST"
    listed = {posixpath.basename(n.strip()) for n in (allowlist if mode == "allowlist" else denylist)}
    sourced = [c.text for c in found if c.text in _SOURCING and not c.dynamic] if mode == "allowlist" else []
    arithmetic = [c.text for c in found if c.opaque] if mode == "allowlist" else []
    # allowlist: refuse the names not listed; denylist: refuse the names listed
    bad = [
        c.text
        for c in found
        if not (c.dynamic or c.opaque or c.text in sourced) and (c.text in listed) != (mode == "allowlist")
    ]
    problems = _problems([c.text for c in found if c.dynamic], bad, setting)
    if sourced:
        problems.append(
            f"{_names(sourced, 'Command')} refused with {setting}: it runs a file's code, which no parser sees; "
            "run the commands it holds directly."
        )
    if arithmetic:
        problems.append(
            f"{_names(arithmetic, 'Arithmetic')} refused with {setting}: it evaluates a variable's value as an "
            "expression, where `a[$(cmd)]` runs cmd; use literal numbers."
        )
    if problems:
        raise ShellCommandDenied(" ".join([*problems, REFUSED]))


def _problems(dynamic: list[str], bad: list[str], setting: str) -> list[str]:
    problems: list[str] = []
    if dynamic:
        problems.append(
            f"{_names(dynamic, 'Command name')} computed at run time, so it cannot be checked against "
            f"{setting}; write the command name literally."
        )
    if bad:
        why = "not in" if setting == "SHELL_ALLOWLIST" else "listed in"
        problems.append(f"{_names(bad, 'Command')} not allowed ({why} {setting}).")
    return problems


def _names(names: list[str], noun: str) -> str:
    unique = list(dict.fromkeys(names))
    quoted = ", ".join(repr(n) for n in unique)
    return f"{noun} {quoted} is" if len(unique) == 1 else f"{noun}s {quoted} are"
