"""Runs approved commands as child processes in the workspace folder on this machine.

On Linux each command runs under a subreaper wrapper (subreaper.py), so every process it started ends when it
returns, wherever it moved to (unless background jobs are allowed for the task: then they end with the executor).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from autogpt_ls.executors.base import (
    CommandResult,
    OutputBuffer,
    OutputCallback,
    ProgressCallback,
    WorkspaceFiles,
    scrubbed_env,
    still_running,
)
from autogpt_ls.workspace import Workspace

TRACKED = sys.platform == "linux"  # elsewhere: no subreaper; a timeout kills the command's process group only
_SUBREAPER = str(Path(__file__).with_name("subreaper.py"))


class LocalExecutor(WorkspaceFiles):
    """No isolation beyond the folder: commands only run when the user allowed local execution."""

    name = "local"
    python = sys.executable

    def __init__(
        self,
        workspace: Workspace,
        *,
        allow_commands: bool,
        max_output: int = 64_000,
        background_jobs: bool = False,
        place: str = "on this machine",  # or "in this devcontainer", when autogpt-ls itself runs in one
    ) -> None:
        self.workspace = workspace
        self._place = place
        self._allow_commands = allow_commands
        self._max_output = max_output
        self._background_jobs = background_jobs  # else every process a command started ends when it returns
        self._holders: list[asyncio.subprocess.Process] = []

    def where(self) -> str:
        return f"{self._place}, in {self.workspace.root}"

    def commands_allowed(self) -> str | None:
        if self._allow_commands:
            return None
        return (
            "Running commands on the local executor is disabled. The user can enable it with "
            "EXECUTE_LOCAL_COMMANDS=True, or run autogpt-ls inside its devcontainer or Docker sandbox. "
            "Use the file tools instead."
        )

    async def run(
        self,
        argv: list[str],
        *,
        timeout: float,
        on_output: OutputCallback | None = None,
        on_progress: ProgressCallback | None = None,  # nothing to make ready here
    ) -> CommandResult:
        keep = self._background_jobs and TRACKED
        proc = await asyncio.create_subprocess_exec(
            *(_wrapper(keep) + argv),
            cwd=self.workspace.root,
            env=scrubbed_env(os.environ),
            stdin=asyncio.subprocess.PIPE if keep else asyncio.subprocess.DEVNULL,  # the wrapper's lifeline
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE if TRACKED else asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a timeout kills children too
        )
        buffer = OutputBuffer(self._max_output)
        timed_out, code, left = True, None, list[str]()
        try:
            code, left = await asyncio.wait_for(_collect(proc, buffer, on_output), timeout)
            timed_out = False
        except TimeoutError:
            pass
        finally:
            if left:  # the wrapper stays, keeping them, until close()
                self._holders.append(proc)
            else:  # killed when it timed out, was cancelled, or the command killed its wrapper (no status)
                await _end(proc, timed_out or code is None)
        lost = (
            "" if timed_out or code is not None else "\n[the command killed its wrapper; its process group was killed]"
        )
        return CommandResult(
            exit_code=code,
            output=buffer.text() + still_running(left) + lost,
            timed_out=timed_out,
            truncated=buffer.truncated,
        )

    async def close(self, *, ended: bool = True) -> None:
        """End the background jobs that commands left (only when they are allowed)."""
        holders, self._holders = self._holders, []
        for proc in holders:
            if proc.stdin is not None:
                proc.stdin.close()  # the wrapper kills what it keeps and exits
            await _end(proc, False)


async def _collect(
    proc: asyncio.subprocess.Process, buffer: OutputBuffer, on_output: OutputCallback | None
) -> tuple[int | None, list[str]]:
    """Read the command's output to its end (the wrapper ends it when the command returns), then its status."""
    assert proc.stdout is not None
    while chunk := await proc.stdout.read(8192):
        buffer.add(chunk)
        if on_output:
            on_output(chunk.decode(errors="replace"))
    if proc.stderr is None:  # no wrapper
        return await proc.wait(), []
    return _status(await proc.stderr.read())


def _status(report: bytes) -> tuple[int | None, list[str]]:
    """The wrapper's report: the command's exit code and the processes it keeps; no code if it was killed."""
    first, *left = report.decode(errors="replace").splitlines() or [""]
    if not first.startswith("rc="):
        return None, []
    return int(first.removeprefix("rc=")), left


def _wrapper(keep: bool) -> list[str]:
    """The subreaper that ends a command's processes when it returns, where the kernel has subreapers."""
    return [sys.executable, "-I", "-S", _SUBREAPER, "1" if keep else "0"] if TRACKED else []


async def _end(proc: asyncio.subprocess.Process, kill: bool) -> None:
    """Wait for a command's process to end; when told to kill it, end what it started too.

    The wrapper takes SIGTERM as "kill everything you track". SIGKILL to the process group follows, for what is
    left if the wrapper itself was killed (and it is the only way without the wrapper): it misses what left the group.
    """
    if kill and TRACKED and proc.returncode is None:
        proc.terminate()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(proc.wait()), 10 if TRACKED or not kill else 0)
    if kill or proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
