"""SHELL_COMMAND_CONTROL: check every command a shell line would run against an allow- or denylist.

Checking only the first word is trivially bypassed (`ls; sudo x`, `echo $(rm -rf /)`, `xargs rm`), so the line
is parsed with bashlex and every command position is collected: pipelines, lists, subshells, groups,
substitutions, commands run by wrappers (`sudo rm`) and nested shell strings (`sh -c '...'`, `eval`).
Whatever cannot be analysed (parse errors, command names computed at run time) is refused: fail closed.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

_REFUSED = "The line was refused; nothing ran."
_MAX_DEPTH = 8  # nested `sh -c` / `eval` strings; deeper nesting is refused rather than followed


class ShellCommandDenied(ValueError):
    """A shell line that the policy refuses; str(e) is a clear message meant for the LLM."""


class _Word(NamedTuple):
    """A word of a command, or a command found (then `text` is the basename unless the name is dynamic)."""

    pos: int  # offset in the line, so that commands are reported in textual order
    text: str  # after quote removal, as bashlex gives it
    dynamic: bool  # contains $x, $(...), a glob or a brace expansion: its run-time value is unknown


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
_EXPANDING = frozenset(("parameter", "commandsubstitution", "processsubstitution"))
_GLOB = re.compile(r"[*?]|\[.*\]|\{.*[,.].*\}|\{\}")  # globs, brace expansion, xargs/find `{}` placeholders
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_SUBSTITUTION = re.compile(r"\$\(|`")


@functools.cache
def _bashlex() -> Any:
    """bashlex, imported on first use (its parser tables take ~80 ms to load) and patched once.

    Work around two bashlex 0.18 gaps that would otherwise refuse common, harmless lines.

    A quoted heredoc delimiter (`cat <<'EOF'`) is matched with its quotes still on (idank/bashlex#99), and the
    `time` keyword raises NotImplementedError; as a plain word, `time` is checked like any other wrapper.
    """
    import bashlex
    import bashlex.heredoc
    import bashlex.tokenizer

    original = bashlex.heredoc.makeheredoc

    def makeheredoc(tokenizer: Any, redirnode: Any, lineno: int, killleading: bool) -> Any:
        word = redirnode.output.word
        redirnode.output.word = re.sub(r"[\"'\\]", "", word)
        try:
            return original(tokenizer, redirnode, lineno, killleading)
        finally:
            redirnode.output.word = word  # keep the quotes: they say the body is not expanded

    bashlex.heredoc.makeheredoc = makeheredoc
    bashlex.tokenizer.valid_reserved_first_command.pop("time", None)
    return bashlex


def _parse(line: str) -> list[Any]:
    try:
        return list(_bashlex().parse(line))
    except Exception as exc:  # ParsingError, NotImplementedError, and plain crashes on odd input
        raise ShellCommandDenied(
            f"could not parse the shell command {line!r}: {exc}. A line that cannot be parsed cannot be "
            f"checked. {_REFUSED} Use simpler shell syntax."
        ) from exc


def _analyze(line: str, depth: int = 0) -> list[_Word]:
    """Every command in `line`, in textual order; a nested shell line counts at the position of its word."""
    if not line.strip():
        raise ShellCommandDenied(f"The shell command is empty. {_REFUSED}")
    if depth > _MAX_DEPTH:
        raise ShellCommandDenied(f"The shell command nests `sh -c`/`eval` too deeply to be checked. {_REFUSED}")
    found: list[_Word] = []
    for tree in _parse(line):
        _walk(tree, found, depth)
    return sorted(found, key=lambda c: c.pos)


def _walk(node: Any, found: list[_Word], depth: int) -> None:
    kind = node.kind
    if kind == "command":
        _command(node, found, depth)
    elif kind in ("commandsubstitution", "processsubstitution"):
        _walk(node.command, found, depth)
    elif kind == "parameter" and _SUBSTITUTION.search(getattr(node, "value", None) or ""):
        raise ShellCommandDenied(f"A $(...) inside ${{...}} cannot be checked; use a plain $(...). {_REFUSED}")
    elif kind == "redirect":
        if isinstance(node.output, _bashlex().ast.node):
            _walk(node.output, found, depth)
        if node.heredoc is not None:
            _heredoc(node, found, depth)
    else:  # list, pipeline, compound, if/for/while/until, function, word, assignment
        for attr in ("parts", "list", "redirects"):
            for child in getattr(node, attr, []):
                _walk(child, found, depth)


def _heredoc(node: Any, found: list[_Word], depth: int) -> None:
    """The body of `<<EOF` (unquoted delimiter) is expanded like a "..." string, so its $(...) runs too."""
    body = node.heredoc.value.rpartition("\n")[0]
    if re.search(r"[\"'\\]", node.output.word) or not _SUBSTITUTION.search(body):
        return
    sub: list[_Word] = []
    for tree in _parse(': "' + body.replace('"', '\\"') + '"'):
        for part in tree.parts[1:]:  # skip the `:` placeholder command
            _walk(part, sub, depth)
    found.extend(c._replace(pos=node.heredoc.pos[0]) for c in sub)


def _command(node: Any, found: list[_Word], depth: int) -> None:
    words = [
        _Word(p.pos[0], p.word, any(c.kind in _EXPANDING for c in p.parts) or bool(_GLOB.search(p.word)))
        for p in node.parts
        if p.kind == "word"
    ]
    reparsed = _argv(words, 0, found, depth)
    for part in node.parts:  # assignments, redirections and the substitutions inside arguments
        if part.kind != "word" or part.pos[0] not in reparsed:
            _walk(part, found, depth)


def _nested(text: str, word: _Word, found: list[_Word], depth: int) -> int:
    if text.strip():  # `sh -c ''` runs nothing
        found.extend(c._replace(pos=word.pos) for c in _analyze(text, depth + 1))
    return word.pos


def _argv(words: list[_Word], i: int, found: list[_Word], depth: int) -> set[int]:
    """Record the command at words[i] and what it runs; return positions of words parsed as shell lines."""
    if i >= len(words):
        return set()
    if words[i].dynamic:
        found.append(_Word(words[i].pos, words[i].text, True))
        return set()
    name = posixpath.basename(words[i].text.rstrip("/")) or words[i].text
    found.append(_Word(words[i].pos, name, False))
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


def _wrapped(words: list[_Word], i: int, spec: _Spec, found: list[_Word], depth: int) -> set[int]:
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
        if end > j:
            _nested(" ".join(w.text for w in words[j:end]), words[j], found, depth)
            reparsed |= {w.pos for w in words[j:end]}
        elif posixpath.basename(words[i].text) == "parallel":  # no command: it runs the lines it reads
            found.append(_Word(words[i].pos, "(commands read by parallel from its input)", True))
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


def _shell_string(words: list[_Word], j: int) -> int | None:
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
    in order: inside pipelines, lists (; && ||), subshells ( ), groups { }, command substitution $(...) and `...`,
    process substitution <(...), the commands run by wrappers, and nested `sh -c '...'` / `bash -c '...'` strings
    (parsed recursively). A line that cannot be parsed, or is empty, is refused too (fail closed)."""
    found = _analyze(command_line)
    setting = "SHELL_ALLOWLIST" if mode == "allowlist" else "SHELL_DENYLIST"
    listed = {posixpath.basename(n.strip()) for n in (allowlist if mode == "allowlist" else denylist)}
    dynamic = [c.text for c in found if c.dynamic]
    # allowlist: refuse the names not listed; denylist: refuse the names listed
    bad = [c.text for c in found if not c.dynamic and (c.text in listed) != (mode == "allowlist")]
    problems: list[str] = []
    if dynamic:
        problems.append(
            f"{_names(dynamic, 'Command name')} computed at run time, so it cannot be checked against "
            f"{setting}; write the command name literally."
        )
    if bad:
        why = "not in" if mode == "allowlist" else "listed in"
        problems.append(f"{_names(bad, 'Command')} not allowed ({why} {setting}).")
    if problems:
        raise ShellCommandDenied(" ".join([*problems, _REFUSED]))


def _names(names: list[str], noun: str) -> str:
    unique = list(dict.fromkeys(names))
    quoted = ", ".join(repr(n) for n in unique)
    return f"{noun} {quoted} is" if len(unique) == 1 else f"{noun}s {quoted} are"
