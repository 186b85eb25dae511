"""What every container executor's persistent shell shares (sandbox_shell, devcontainer_shell): starting it,
running one command in it within its timeout (shell_session.converse), and telling the agent when it had to be
replaced.

A command that is not a shell line (Python code, a file) runs in a subshell of it from the workspace folder, so it
sees the shell's variables (an activated venv's python) and changes nothing of its state. A shell that ended
(killed from outside, `exit 3`, `set -e; false`, `exec prog`) or that an interrupt could not stop is replaced, and
its state reset: the command's output says so. A command whose shell had ended before it began runs in the next
one (it never ran); one that began never runs twice. An image without bash 4.4 runs each command in an exec of
its own instead (`available` False).
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import shlex
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from autogpt_ls.executors.base import CommandResult, OutputBuffer
from autogpt_ls.executors.shell_session import Outcome, ShellSession, converse
from autogpt_ls.executors.shell_state import shell_line

if TYPE_CHECKING:
    from docker import APIClient

NO_BASH = (98, 99)  # the shell's exit codes for "no bash" and "bash older than 4.4" (shell_session.START, PRELUDE)
RESET = "its state was reset: the next command starts in a new shell in the workspace folder"
PAST = {
    "": "",
    "interrupted": "past its timeout the command was interrupted (SIGINT); the shell keeps its state.",
    "killed": f"past its timeout the command did not end on SIGINT, so it was killed with the shell: {RESET}.",
    "lost": "past its timeout the command could not be ended, so its shell was abandoned: {lost}",
}


def as_line(argv: list[str], folder: str) -> str:
    """The line that runs an argv that is not a shell line: from the workspace folder, in a subshell."""
    line = shell_line(argv)
    if line is not None:
        return line
    return f"( builtin cd -- {shlex.quote(folder)} && exec {shlex.join(argv)} )"


def docker_error(message: str) -> Exception:
    import docker.errors

    return docker.errors.DockerException(message)


def exec_in(api: APIClient, container_id: str, argv: list[str], user: str) -> None:
    """Run a short exec (a signal, a kill) to its end; one that failed or could not start (the pids limit, the
    process gone) raises, so the timeout ladder takes its next step at once instead of waiting for nothing."""
    exec_id = api.exec_create(container_id, argv, user=user)["Id"]
    out = api.exec_start(exec_id)
    code = api.exec_inspect(exec_id).get("ExitCode")
    if code != 0:
        raise docker_error(f"{shlex.join(argv)} failed ({code}): {out.decode(errors='replace').strip()[:200]}")


class ContainerShell:
    """One executor's persistent shell (blocking hooks run in threads). Subclasses say how to start its
    container and exec, and how to interrupt, kill and abandon it."""

    tag = "[shell]"  # how its notes begin
    lost = "the container was removed with everything it ran."
    token_env: str | None = None  # a variable every process of a line carries, with the line's token

    def __init__(self) -> None:
        self.session: ShellSession | None = None
        self.available = True
        self.last_token = ""  # the last line's

    # -- the hooks
    def start(self) -> str:
        """Make the container ready and call `open`; a note for the command's output."""
        raise NotImplementedError

    def folder(self) -> str:
        raise NotImplementedError

    def keep(self) -> bool:
        """Whether a line's background jobs may keep running."""
        raise NotImplementedError

    def interrupt(self) -> None:
        raise NotImplementedError

    def interrupt_argv(self) -> list[str]:
        """SIGINT to the shell's process group (the line and what it started), for an exec in its container."""
        if self.session is None or not self.session.pid:
            raise docker_error("no shell to interrupt")
        return ["/bin/sh", "-c", 'kill -INT "-$1"', "sh", self.session.pid]

    def kill(self, token: str) -> None:
        raise NotImplementedError

    def abandon(self) -> None:
        raise NotImplementedError

    def ended(self, outcome: Outcome, code: int | None, since: float) -> str:
        """Notes after a line, from the executor's own checks (what it left running, a dead container)."""
        return ""

    def reset(self) -> None:
        """The shell's state is gone with it."""

    # -- the shell
    def open(
        self, api: APIClient, container_id: str, *, user: str, workdir: str, env: dict[str, str], after: str
    ) -> None:
        session, reply = ShellSession.start(api, container_id, user=user, workdir=workdir, environment=env, after=after)
        if reply.report is None:
            code = session.exit_code()
            session.close()
            if code in NO_BASH:
                self.available = False
                return
            why = session.errors.decode(errors="replace").strip()[-400:]
            raise docker_error(f"the shell did not start (exit code {code}): {why}")
        self.session = session

    def forget(self) -> None:
        """The shell goes (its container was removed, or it ended)."""
        session, self.session = self.session, None
        if session is not None:
            session.close()

    async def run(
        self, argv: list[str], timeout: float, buffer: OutputBuffer, sink: Callable[[bytes], None]
    ) -> CommandResult | None:
        """Run `argv` in the shell, starting one first (and again when it had ended before the line began);
        None when the image has no bash."""
        line, before = as_line(argv, self.folder()), ""
        if "\0" in line:
            return CommandResult(exit_code=None, output=f"{self.tag} a command line cannot contain a NUL byte")
        for attempt in (1, 2):
            if self.session is None:
                before += await asyncio.to_thread(self.start)
                if self.session is None:
                    return None
            session, since, token = self.session, time.time(), secrets.token_hex(8)
            self.last_token = token
            outcome = await converse(
                session, token, line, keep=self.keep(), timeout=timeout, sink=sink, interrupt=self.interrupt,
                kill=functools.partial(self.kill, token), abandon=self.abandon, token_env=self.token_env,
            )  # fmt: skip
            if outcome.reply.started or attempt == 2:
                break
            self.forget()  # it had ended between commands (killed from outside): this line never ran
            self.reset()
            before += f"{self.tag} the shell had ended since the last command (killed?); {RESET}.\n"
        code, after = await asyncio.to_thread(self._after, outcome, since)
        return buffer.result(code, bool(outcome.past_timeout), before, after)

    def _after(self, outcome: Outcome, since: float) -> tuple[int | None, str]:
        """The line's exit code and the notes after it."""
        past = PAST[outcome.past_timeout].format(lost=self.lost)
        note = f"\n{self.tag} {past}" if past else ""
        if outcome.reply.report is not None:
            code = outcome.reply.report.code
            return code, note + self.ended(outcome, code, since)
        session = self.session
        code = session.exit_code() if session is not None else None
        self.forget()
        self.reset()
        if outcome.past_timeout in ("", "interrupted"):
            note += f"\n{self.tag} the shell exited during the command (exit code {code}); {RESET}."
        return code, note + self.ended(outcome, code, since)
