"""Running the git CLI with an environment we choose, for the checkpoints and the git tools.

git is run as a child process rather than through GitPython: GitPython merges the caller's environment into every
call (a shell's exported GIT_DIR or GIT_INDEX_FILE would redirect it), and a clean environment is the point here.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path


class GitFailed(RuntimeError):
    """git is missing or exited non-zero; the message is git's own."""

    def __init__(self, message: str, returncode: int | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode


def clean_env(**variables: str) -> dict[str, str]:
    """This process's environment without any GIT_* variable, the user's global and system config ignored, no
    prompt for credentials, C locale (output we parse); then `variables`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    env.update(variables)
    return env


async def run_git(
    args: list[str], *, env: dict[str, str], cwd: Path, stdin: bytes | None = None, timeout: float | None = None
) -> str:
    """One git call in a worker thread (subprocess.run spawns faster than asyncio's child watcher); its stdout,
    or GitFailed with its stderr. Past `timeout` seconds git is killed."""
    try:
        proc = await asyncio.to_thread(
            subprocess.run,
            ["git", *args],
            env=env,
            cwd=cwd,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise GitFailed(f"git {_command(args)} timed out after {timeout:g} s and was killed") from None
    except OSError as e:
        raise GitFailed(f"git could not be run: {e}") from None
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip() or proc.stdout.decode(errors="replace").strip()
        raise GitFailed(f"git {_command(args)} failed: {err}", proc.returncode)
    return proc.stdout.decode(errors="surrogateescape")


def _command(args: list[str]) -> str:
    """The git subcommand among the options (`-c key=value` included)."""
    return next((a for a in args if not a.startswith("-") and "=" not in a), "")
