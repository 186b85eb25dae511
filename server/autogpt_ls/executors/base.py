"""The Executor seam: where approved commands and file operations run (local folder now, a sandbox later)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel

from autogpt_ls.secrets_mask import looks_secret
from autogpt_ls.workspace import Workspace

if TYPE_CHECKING:
    from autogpt_ls.task_models import SavedShell

OutputCallback = Callable[[str], None]


class Progress(BaseModel):
    """The place a command runs is being made ready before it starts (a devcontainer's first build can take
    minutes): a first report, one per line of news, and a last one `done`."""

    title: str
    message: str = ""
    done: bool = False


ProgressCallback = Callable[[Progress], None]


class CommandResult(BaseModel):
    exit_code: int | None
    output: str
    timed_out: bool = False
    truncated: bool = False


class Executor(Protocol):
    """Runs commands and file operations for one task, confined to its workspace."""

    name: str
    python: str
    workspace: Workspace

    def where(self) -> str:
        """Where a command will run, in words a user can check before approving it."""
        ...

    def commands_allowed(self) -> str | None:
        """None when commands may run here, else the reason (told to the LLM) why not."""
        ...

    def first_start_unapproved(self) -> bool:
        """Whether the next command would first start something the user has not approved yet (a devcontainer's
        first start runs its initializeCommand on the host): an approval rule must not approve that unseen."""
        ...

    async def run(
        self,
        argv: list[str],
        *,
        timeout: float,
        on_output: OutputCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> CommandResult: ...

    def read_file(self, path: str) -> str: ...

    def write_file(self, path: str, contents: str) -> Path: ...

    def list_folder(self, path: str) -> list[str]: ...

    def resume(self, saved: SavedShell | None) -> None:
        """The shell state stored with the task, read when a driver starts: the last command may have run in
        another process (or before a restart), whose shell this one cannot take over."""
        ...

    def saved_shell(self) -> SavedShell | None:
        """The shell state to store with the task after a step; None when no command of this process changed it."""
        ...

    async def close(self, *, ended: bool = True) -> None:
        """The task ended (`ended`), or this process stops and another may drive the task on."""
        ...


def scrubbed_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment for agent commands, without anything that looks like a secret.

    A command's output goes back into the prompt, so `echo $OPENAI_API_KEY` must find nothing.
    """
    return {k: v for k, v in env.items() if not looks_secret(k)}


def still_running(processes: list[str]) -> str:
    """The note after a command's output that lists what it left running (when the task allows background jobs)."""
    if not processes:
        return ""
    listed = "".join(f"\n  {p}" for p in processes)
    return f"\n[background jobs are allowed for this task; still running until the task ends:{listed}]\n"


class OutputBuffer:
    """Keeps the head and tail of a command's output within a byte cap, so huge output cannot exhaust memory."""

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._head = bytearray()
        self._tail = bytearray()
        self.truncated = False

    def add(self, chunk: bytes) -> None:
        room = self._cap // 2 - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self._tail += chunk
            excess = len(self._tail) - (self._cap - self._cap // 2)
            if excess > 0:
                self.truncated = True
                del self._tail[:excess]

    def text(self) -> str:
        head = self._head.decode(errors="replace")
        tail = self._tail.decode(errors="replace")
        if self.truncated:
            return f"{head}\n[... output truncated to {self._cap} bytes ...]\n{tail}"
        return head + tail

    def result(self, exit_code: int | None, timed_out: bool, before: str = "", after: str = "") -> CommandResult:
        """The command's result: its output between our notes; no exit code when it timed out."""
        return CommandResult(
            exit_code=None if timed_out else exit_code,
            output=before + self.text() + after,
            timed_out=timed_out,
            truncated=self.truncated,
        )


def threadsafe_sink(buffer: OutputBuffer, on_output: OutputCallback | None) -> Callable[[bytes], None]:
    """Where a worker thread puts a command's output: into the buffer (read once the worker has finished), and
    streamed to `on_output` on the event loop."""
    loop = asyncio.get_running_loop()

    def sink(chunk: bytes) -> None:
        buffer.add(chunk)
        if on_output:
            loop.call_soon_threadsafe(on_output, chunk.decode(errors="replace"))

    return sink


class WorkspaceFiles:
    """File operations shared by every executor whose commands see the workspace at the same path."""

    workspace: Workspace

    def first_start_unapproved(self) -> bool:
        return False  # only a devcontainer starts the project's own code before a command

    def resume(self, saved: SavedShell | None) -> None:
        """Only the sandbox's shell state is stored with the task (one shell in one container per task)."""

    def saved_shell(self) -> SavedShell | None:
        return None

    def read_file(self, path: str) -> str:
        return self.workspace.read_text(path)

    def write_file(self, path: str, contents: str) -> Path:
        return self.workspace.root / self.workspace.write_bytes(path, contents.encode("utf-8"))

    def list_folder(self, path: str) -> list[str]:
        folder, entries = self.workspace.listdir(path or ".")
        return sorted(
            os.path.normpath(os.path.join(folder, name)) + ("/" if is_dir else "")
            for name, is_dir in entries
            if name != ".git"
        )
