"""Runs approved commands as child processes in the workspace folder on this machine."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys

from autogpt_ls.executors.base import (
    CommandResult,
    OutputBuffer,
    OutputCallback,
    WorkspaceFiles,
    scrubbed_env,
)
from autogpt_ls.workspace import Workspace


class LocalExecutor(WorkspaceFiles):
    """No isolation beyond the folder: commands only run when the user allowed local execution."""

    name = "local"
    python = sys.executable

    def __init__(self, workspace: Workspace, *, allow_commands: bool, max_output: int = 64_000) -> None:
        self.workspace = workspace
        self._allow_commands = allow_commands
        self._max_output = max_output

    def where(self) -> str:
        return f"on this machine, in {self.workspace.root}"

    def commands_allowed(self) -> str | None:
        if self._allow_commands:
            return None
        return (
            "Running commands on the local executor is disabled. The user can enable it with "
            "EXECUTE_LOCAL_COMMANDS=True, or run autogpt-ls inside its devcontainer or Docker sandbox. "
            "Use the file tools instead."
        )

    async def run(self, argv: list[str], *, timeout: float, on_output: OutputCallback | None = None) -> CommandResult:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=self.workspace.root,
            env=scrubbed_env(os.environ),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a timeout kills children too
        )
        buffer = OutputBuffer(self._max_output)
        assert proc.stdout is not None

        async def pump() -> None:
            assert proc.stdout is not None
            while chunk := await proc.stdout.read(8192):
                buffer.add(chunk)
                if on_output:
                    on_output(chunk.decode(errors="replace"))
            await proc.wait()

        timed_out = False
        try:
            await asyncio.wait_for(pump(), timeout)
        except TimeoutError:
            timed_out = True
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
        return CommandResult(
            exit_code=None if timed_out else proc.returncode,
            output=buffer.text(),
            timed_out=timed_out,
            truncated=buffer.truncated,
        )

    async def close(self) -> None:
        """Nothing to release: each command's process is reaped when it ends."""
