"""A persistent shell in a container: one long-lived bash per task, fed one command line at a time, so `cd`,
exported variables and an activated venv carry over from one command to the next, as in a terminal.

The shell is an interactive bash (`-i`: an interrupt ends the line it runs and the shell reads the next one, as a
terminal's Ctrl-C does) without startup files, history, line editing, prompts or aliases, attached through the
engine's exec socket. Each line is sent as one `eval` of an ANSI-C quoted string, with its stdin /dev/null and its
stdout and stderr on the shell's stdout (both restored after it, whatever it redirected), between two markers
that carry a token of its own. After it the executor's cleanup runs first (see `after`: it ends what the line left
running), so nothing the line started can write into what follows: the end marker and the report, in the same
stream (so the output is delimited exactly): its exit code, the cleanup's words, and its state (working folder and
exported variables, in the format of shell_state). Everything the shell sends is builtins, so a full pids table
cannot stop a report. A line that makes the shell exit (`exit 3`, `set -e; false`, `exec prog`) ends the exec: the
reply says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autogpt_ls.executors.exec_socket import STDOUT, ExecSocket
from autogpt_ls.executors.sandbox_jobs import Report, parse_report
from autogpt_ls.executors.shell_state import ShellState, parse_state

if TYPE_CHECKING:
    from docker import APIClient

_NAMES = " ".join(f'"${{!{c}@}}"' for c in string.ascii_letters + "_")  # every variable's name
PRELUDE = (
    r"""
set +o history +H +m; unset HISTFILE; shopt -u expand_aliases; unalias -a; unset TMOUT MAIL MAILPATH PROMPT_COMMAND
PS0= PS1= PS2=
(( BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 404 )) || exit 99
__agls_done() {  # $1 the line's token, $2 its exit code, $3 1: what it started may keep running
  local o=$- IFS=$' \t\n' n
  set +eufx
  __agls_words=
  __agls_after "$1" "$3"
  builtin printf '\000agls-%s:end\000rc=%s pid=%s%s' "$1" "$2" "$$" "$__agls_words"
  builtin printf '\000%s\000' "$PWD"
  for n in """
    + _NAMES
    + r"""; do [[ ${!n@a} == *x* ]] && builtin printf '%s=%s\000' "$n" "${!n}"; done
  builtin printf '\000agls-%s:fin\000' "$1"
  [[ $o == *e* ]] && set -e; [[ $o == *u* ]] && set -u; [[ $o == *f* ]] && set -f; [[ $o == *x* ]] && set -x
  return 0
}
"""
)
# Starts the shell where the image has bash; BASH_ENV and ENV would source a file no one checked.
START = "unset BASH_ENV ENV; command -v bash >/dev/null 2>&1 || exit 98; exec bash --norc --noprofile --noediting -i"
HISTORY_OFF = {"HISTFILE": "/dev/null"}  # also for the prelude's own lines, read before it turns history off


def marker(token: str, what: str) -> bytes:
    return f"\0agls-{token}:{what}\0".encode()


def quoted(text: str) -> bytes:
    """`text` as one ANSI-C quoted word ($'...'): control bytes, quotes and backslashes as octal escapes."""
    out = bytearray(b"$'")
    for b in text.encode("utf-8", errors="surrogateescape"):
        out += b"\\%03o" % b if b < 0x20 or b in (0x27, 0x5C, 0x7F) else bytes([b])
    return bytes(out + b"'")


def line_input(token: str, line: str, keep: bool, token_env: str | None) -> bytes:
    """What the shell reads for one line: the begin marker, the line run by `eval`, then its report."""
    # The line's processes carry its token (devcontainer); an assignment before `eval` would miss its `&` jobs.
    prefix = f"export {token_env}={token}; " if token_env else ""
    return (
        f"builtin printf '\\000agls-%s:begin\\000' {token}; {prefix}builtin eval -- ".encode()
        + quoted(line)
        + f" 9>&1 >&9 2>&1 9>&- </dev/null; __agls_done {token} $? {int(keep)}\n".encode()
    )


def report_input(token: str, code: int, keep: bool) -> bytes:
    """A report without a line: after an interrupt ended one (its report never ran), or the shell's first."""
    return f"__agls_done {token} {code} {int(keep)}\n".encode()


@dataclass
class Reply:
    """How one line ended. `report` None: the shell ended before it reported (it died, or the line ended it)."""

    started: bool  # the line began: it must not run again
    report: Report | None = None
    state: ShellState | None = None
    pid: str = ""


def _held(data: bytes, mark: bytes) -> int:
    """How many bytes at the end of `data` may begin `mark` (held back from streaming until more comes)."""
    start = data.rfind(b"\0", max(0, len(data) - len(mark) + 1))
    return len(data) - start if start >= 0 and mark.startswith(data[start:]) else 0


class ShellSession:
    """One shell's exec and its attached socket (blocking: run it in a thread)."""

    def __init__(self, api: APIClient, exec_id: str, sock: Any) -> None:
        self._api = api
        self.exec_id = exec_id
        self._sock = ExecSocket(sock)
        self._frames = self._sock.frames()
        self.pid = ""  # the shell's pid in the container, for an interrupt of its process group
        self.errors = b""  # the end of what bash wrote on its own stderr (why it could not start, say)

    @classmethod
    def start(
        cls, api: APIClient, container_id: str, *, user: str, workdir: str, environment: dict[str, str], after: str
    ) -> tuple[ShellSession, Reply]:
        """Start the shell and read its first report; `after` defines `__agls_after TOKEN KEEP` (the executor's
        cleanup after each line, adding its report's words to `__agls_words`). The reply has no report when it
        failed."""
        exec_id = api.exec_create(
            container_id, ["/bin/sh", "-c", START], stdin=True, user=user, workdir=workdir,
            environment={**environment, **HISTORY_OFF},
        )["Id"]  # fmt: skip
        session = cls(api, exec_id, api.exec_start(exec_id, socket=True))
        token = secrets.token_hex(8)
        session._write((PRELUDE + after + "\n").encode() + report_input(token, 0, True))
        return session, session.read(token, lambda _chunk: None)

    def run(self, token: str, line: str, keep: bool, sink: Callable[[bytes], None], token_env: str | None) -> Reply:
        """Run one line: its output goes to `sink` as it comes; returns once the shell reported or ended."""
        self._write(line_input(token, line, keep, token_env))
        return self.read(token, sink)

    def after_interrupt(self, token: str, keep: bool) -> None:
        """Ask for the report an interrupted line skipped (the shell reads it once the line has ended)."""
        self._write(report_input(token, 130, keep))

    def _write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):  # the shell is gone: reading finds the end of its stream
            self._sock.send(data)

    def read(self, token: str, sink: Callable[[bytes], None]) -> Reply:
        begin, end, fin = marker(token, "begin"), marker(token, "end"), marker(token, "fin")
        pending, phase = b"", 0  # 0: before the line (stale output of earlier jobs), 1: its output, 2: its report
        for stream, data in self._frames:
            if stream != STDOUT:
                self.errors = (self.errors + data)[-2000:]
                continue
            pending += data
            if phase == 0:
                found = pending.find(begin)
                if found >= 0:
                    pending, phase = pending[found + len(begin) :], 1
                elif end in pending:  # a report without a line (the first, or one asked after an interrupt)
                    pending, phase = pending[pending.find(end) :], 1
                else:
                    pending = pending[-len(begin) :]
                    continue
            if phase == 1:
                found = pending.find(end)
                if found < 0:
                    cut = len(pending) - _held(pending, end)
                    if cut:
                        sink(pending[:cut])
                    pending = pending[cut:]
                    continue
                if found:
                    sink(pending[:found])
                pending, phase = pending[found + len(end) :], 2
            found = pending.find(fin)
            if found >= 0:
                return self._reply(pending[:found])
        return Reply(started=phase > 0)

    def _reply(self, data: bytes) -> Reply:
        text, _, state = data.partition(b"\0")
        report = parse_report(text.decode(errors="replace"))
        words = dict(w.split("=", 1) for w in text.decode(errors="replace").split("\n")[0].split() if "=" in w)
        self.pid = words.get("pid", self.pid)
        return Reply(started=True, report=report, state=parse_state(state, ShellState()), pid=self.pid)

    def exit_code(self) -> int | None:
        """The shell's exit code once it ended (None while it runs, or when the engine lost it)."""
        import docker.errors

        try:
            found = self._api.exec_inspect(self.exec_id)
        except docker.errors.DockerException:
            return None
        return None if found.get("Running") else found.get("ExitCode")

    def close(self) -> None:
        """Close its stdin and socket: bash exits at the end of its input."""
        self._sock.close()


GRACE = 2.0  # seconds an interrupted line, then a killed shell, has to end before the next step of the ladder


@dataclass
class Outcome:
    """A line's reply, and how it ended past its timeout: "" (it did not), "interrupted" (SIGINT ended it and the
    shell lives on), "killed" (the shell and the line were killed) or "lost" (even that failed: abandoned)."""

    reply: Reply
    past_timeout: str = ""


async def converse(
    session: ShellSession,
    token: str,
    line: str,
    *,
    keep: bool,
    timeout: float,
    sink: Callable[[bytes], None],
    interrupt: Callable[[], None],
    kill: Callable[[], None],
    abandon: Callable[[], None],
    token_env: str | None = None,
) -> Outcome:
    """Run one line within its timeout. Past it: `interrupt` (SIGINT to the shell's process group) so the shell
    survives; if the line has not ended within GRACE, `kill` the shell and what it ran; then `abandon` it (remove
    its container). The blocking callables run in threads; a cancelled run kills and abandons."""
    worker = asyncio.ensure_future(asyncio.to_thread(session.run, token, line, keep, sink, token_env))
    try:
        with contextlib.suppress(TimeoutError):
            return Outcome(await asyncio.wait_for(asyncio.shield(worker), timeout))
        done = await asyncio.to_thread(_quietly, interrupt)
        await asyncio.to_thread(session.after_interrupt, token, keep)
        for past, step in (("interrupted", kill), ("killed", abandon)):
            if done:  # else the step could not even be taken (no process left to take it, say): the next one
                await asyncio.wait({worker}, timeout=GRACE)
            if worker.done():
                return Outcome(worker.result(), past)
            done = await asyncio.to_thread(_quietly, step)
        return Outcome(await worker, "lost")
    finally:
        if not worker.done():  # cancelled: nothing of the line may go on
            await asyncio.to_thread(_quietly, kill)
            await asyncio.to_thread(_quietly, abandon)
            with contextlib.suppress(Exception):
                await worker


def _quietly(step: Callable[[], None]) -> bool:
    """A step of the ladder; False when it failed (the container is gone, no process could start in it)."""
    import docker.errors

    try:
        step()
    except (docker.errors.DockerException, OSError):
        return False
    return True
