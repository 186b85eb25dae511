"""The shell's state between commands that run in fresh containers: its working folder and exported variables.

A staged command runs in a container of its own, so a `cd` or an `export` would be lost with it. The line runs
with a trap that writes the state when the shell exits (to a folder mounted for it, see staging); the next
command's exec starts in that folder with those variables. A line that replaces the trap or `exec`s another
program leaves the state as it was.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# The policy reads a line with bash's grammar, so bash runs it wherever it is installed (`[[ ]]`, arrays, `$'...'`
# work as the LLM meant); elsewhere sh runs it, whose grammar is a subset, so it runs no command the policy missed.
# BASH_ENV and ENV would source a file no one checked before the line.
BASH_OR_SH = 'unset BASH_ENV ENV; command -v bash >/dev/null 2>&1 && exec bash -c "$1"; exec /bin/sh -c "$1"'
STATE_MOUNT = "/autogpt-state"
CAPTURE = f'trap \'{{ printf "%s\\0" "$PWD"; env -0; }} >{STATE_MOUNT}/shell 2>/dev/null\' EXIT\n'
_NOT_KEPT = {"PWD", "OLDPWD", "SHLVL", "_"}
MAX_STATE_BYTES = 256_000


def shell_argv(line: str) -> list[str]:
    """The argv that runs one shell line (execute_shell)."""
    return ["/bin/sh", "-c", BASH_OR_SH, "sh", line]


def shell_line(argv: list[str]) -> str | None:
    """The line of a shell_argv, or None for any other command (Python code, a file)."""
    return argv[4] if len(argv) == 5 and argv[:4] == shell_argv("")[:4] else None


@dataclass
class ShellState:
    cwd: str | None = None  # None: the workspace root
    env: dict[str, str] = field(default_factory=dict)  # empty: the sandbox's own environment

    def workdir(self, root: Path) -> tuple[str, str]:
        """Where the next command starts, and a note when the saved folder is gone (back at the root)."""
        if self.cwd is None:
            return str(root), ""
        inside = self.cwd == str(root) or self.cwd.startswith(str(root) + os.sep)
        if inside and os.path.isdir(self.cwd):
            return self.cwd, ""
        where, self.cwd = self.cwd, None
        return str(root), f"[staging] the working folder {where} does not exist here; back at {root}.\n"


def read_state(path: Path, previous: ShellState) -> ShellState:
    """The state a shell line left in `path`, or the previous one when it wrote none (or nonsense)."""
    try:
        data = path.read_bytes()
    except OSError:
        return previous
    return parse_state(data, previous)


def parse_state(data: bytes, previous: ShellState) -> ShellState:
    """A state as a shell writes it (its folder, then its exported variables, NUL-separated: `env -0`'s format),
    or `previous` for nonsense. The persistent shell reports it after each line in the same format."""
    fields = data[:MAX_STATE_BYTES].decode(errors="surrogateescape").split("\0")
    if len(fields) < 2 or not fields[0].startswith("/"):
        return previous
    env = dict(f.split("=", 1) for f in fields[1:] if "=" in f)
    return ShellState(cwd=fields[0], env={k: v for k, v in env.items() if k not in _NOT_KEPT})
