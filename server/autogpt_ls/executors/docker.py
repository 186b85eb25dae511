"""Runs approved commands in one long-lived sandbox container per task, through the Docker engine.

A command is a line sent to the task's persistent shell in its warm container (sandbox_shell: `cd`, exports and
a venv carry over), not a container start. The container sees the workspace (bind-
mounted at the same path, so paths mean the same inside and out) and nothing else of the host: no network unless
the task asked for it, no docker.sock, a read-only root with a tmpfs /tmp, no capabilities, the workspace owner's
uid:gid, and CPU, memory and pids limits. Every process a command started ends when it returns, unless the task
allows background jobs (sandbox_jobs); a command that hit the pids limit gets the container replaced. A container
that dies (killed, OOM, timed out) is reported in the command's output and replaced on the next command. A
container left idle (its task waits on a user who went away) is removed after a while and replaced on the next
command, so a long editor session does not collect them. For an engine on another machine the workspace is copied
into a volume of the container instead of mounted, and each command's changes come back (sandbox_copy). Whichever
server process drives the task next finds its container again by its name and adopts it, with a shell of its own
in the task's stored folder and variables (sandbox_adopt); those whose owner crashed are removed when a sandbox
next starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from autogpt_ls.executors import engine, sandbox_adopt, sandbox_ends
from autogpt_ls.executors.base import (
    CommandResult,
    OutputBuffer,
    OutputCallback,
    ProgressCallback,
    WorkspaceFiles,
    threadsafe_sink,
)
from autogpt_ls.executors.exec_socket import STDERR, ExecSocket
from autogpt_ls.executors.sandbox_container import LABEL as LABEL
from autogpt_ls.executors.sandbox_container import OWNER, SANDBOX_ENV, image_missing
from autogpt_ls.executors.sandbox_container import TASK_LABEL as TASK_LABEL
from autogpt_ls.executors.sandbox_container import SandboxLimits as SandboxLimits
from autogpt_ls.executors.sandbox_container import engine_answers as engine_answers
from autogpt_ls.executors.sandbox_copy import CopySync, WorkspaceMode
from autogpt_ls.executors.sandbox_jobs import parse_report, wrapped
from autogpt_ls.executors.sandbox_shell import SandboxShell
from autogpt_ls.executors.shell_state import ShellState
from autogpt_ls.task_models import SavedShell
from autogpt_ls.workspace import Workspace

T = TypeVar("T")

if TYPE_CHECKING:
    from docker import DockerClient
    from docker.models.containers import Container

    from autogpt_ls.executors.staging import Stager


class DockerExecutor(WorkspaceFiles):
    """The task's sandbox container, started on its first command and removed by close()."""

    name = "docker"
    python = "python3"

    def __init__(
        self,
        workspace: Workspace,
        *,
        task_id: str,
        image: str,
        network: bool = False,
        limits: SandboxLimits | None = None,
        max_output: int = 64_000,
        idle_seconds: float = 900.0,
        background_jobs: bool = False,
        persistent_shell: bool = True,  # False: an exec per command (bench/sandbox_exec.py compares both)
        workspace_mode: WorkspaceMode = "bind",  # copy: for an engine elsewhere (sandbox_copy)
    ) -> None:
        self.workspace = workspace
        self.task_id = task_id
        self.image = image
        self.network = network
        self.limits = limits or SandboxLimits()
        self._max_output = max_output
        stat = os.stat(workspace.root)
        self.user = f"{stat.st_uid}:{stat.st_gid}"  # files it writes belong to the workspace's owner
        self._client: DockerClient | None = None
        self._container: Container | None = None
        self._ready = False
        self._idle_seconds = idle_seconds
        self._idle_timer: asyncio.TimerHandle | None = None
        self._retiring: asyncio.Future[bool] | None = None  # True: it removed the container
        self.background_jobs = background_jobs  # else every process a command started ends when it returns
        self._pids_max = 0  # the container's count of forks refused at its pids limit, after the last command
        self.stager: Stager | None = None  # the task stages its commands' changes for review (executors/staging)
        self.state = ShellState()  # the shell's folder and exported variables after the last command
        self.shell = SandboxShell(self) if persistent_shell else None
        self._ran = False  # whether a command ran since the driver resumed the task's stored state
        self._sandboxed = True  # whether the task may have a container, here or elsewhere (resume() knows better)
        self.copy = CopySync(self) if workspace_mode == "copy" else None

    def where(self) -> str:
        net = "network on" if self.network else "no network"
        staged = ", on a staged copy: its file changes come back for review" if self.stager else ""
        staged += ", on a copy of the workspace: its file changes come back after each command" if self.copy else ""
        return (
            f"in a Docker sandbox ({self.image}, {net}, uid:gid {self.user}, {self.limits.memory} memory{staged}), "
            f"in {self.state.cwd or self.workspace.root}"  # the folder the shell is in
        )

    def _docker(self) -> DockerClient:
        if self._client is None:
            # No client-side read timeout: a command may be silent for long; run() bounds it and kills the container.
            self._client = engine.client(timeout=None)
        return self._client

    def commands_allowed(self) -> str | None:
        if self._ready:
            return None
        why = image_missing(self._docker(), self.image)
        self._ready = why is None
        return why

    # -- the container
    def _start(self) -> tuple[Container, str]:
        """The task's container, adopted from the process that drove it last or started (sandbox_adopt)."""
        self._sandboxed = True
        found = sandbox_adopt.ensure(self)
        if self.copy is not None:
            self.copy.attach(found.container, found.adopted)
        self._pids_max = found.pids_max
        return found.container, found.note

    def _ensure_container(self) -> str:
        if self._container is not None:
            return ""
        self._pids_max = 0
        self._container, note = self._start()
        return note

    def _discard(self) -> None:
        if self.shell is not None:
            self.shell.forget()
        container, self._container = self._container, None
        if container is not None:
            import docker.errors

            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                container.remove(force=True, v=True)  # copy mode's workspace volume goes with it

    # -- idleness
    def _arm_idle(self) -> None:
        if self._idle_seconds > 0 and self._container is not None:
            self._idle_timer = asyncio.get_running_loop().call_later(self._idle_seconds, self._retire)

    def _retire(self) -> None:
        self._idle_timer = None  # another process that adopted the container meanwhile keeps it
        self._retiring = asyncio.ensure_future(asyncio.to_thread(sandbox_adopt.release, self))

    async def _wake(self) -> str:
        """Stop the idle clock; a note for the command's output when the idle container was removed meanwhile."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if self._retiring is None:
            return ""
        retiring, self._retiring = self._retiring, None
        with contextlib.suppress(Exception):
            if not await retiring:
                return ""
        return (
            f"[sandbox] the container was removed after {self._idle_seconds:g} s without commands; a new one was "
            "started, so background processes and files outside the workspace are gone (the shell's folder and "
            "exported variables were kept).\n"
        )

    # -- commands
    def _prepare(self, argv: list[str]) -> tuple[str, str]:
        """Create the command's exec, starting the container first or replacing a dead one: (exec id, note)."""
        return self.on_live_container(lambda: self._create(wrapped(argv, keep=self.background_jobs)))

    def on_live_container(self, act: Callable[[], T]) -> tuple[T, str]:
        """`act()` on the task's container, started if needed, and on a new one when it had stopped meanwhile (the
        engine answers 404: removed, 409: not running), with the note that tells the agent so."""
        import docker.errors

        note = ""
        for attempt in (1, 2):
            note += self._ensure_container()
            try:
                return act(), note
            except docker.errors.APIError as e:
                if attempt == 2 or e.status_code not in (404, 409):
                    raise
                self._discard()
                note = (
                    "[sandbox] the previous container had stopped (killed or crashed); a new one was started, "
                    "so background processes and files outside the workspace are gone.\n"
                )
        raise AssertionError("unreachable")

    def _create(self, argv: list[str]) -> str:
        assert self._container is not None
        exec_id: str = self._docker().api.exec_create(
            self._container.id, argv, workdir=str(self.workspace.root), environment=SANDBOX_ENV, user=self.user
        )["Id"]
        return exec_id

    def _exec(self, exec_id: str, sink: Callable[[bytes], None]) -> tuple[int | None, str]:
        """Run a prepared exec to its end: its exit code, and notes on how it ended and what it left."""
        api = self._docker().api
        since = time.time()
        report = bytearray()
        with ExecSocket(api.exec_start(exec_id, socket=True)) as stream:  # streams over TLS too (exec_socket)
            for kind, data in stream.frames():
                if kind == STDERR:  # only the wrapper writes there
                    report += data
                else:
                    sink(data)
        exit_code = api.exec_inspect(exec_id).get("ExitCode")
        death = sandbox_ends.death(self, exit_code, since)
        return exit_code, death + sandbox_ends.settle(self, parse_report(report.decode(errors="replace")))

    async def run(
        self,
        argv: list[str],
        *,
        timeout: float,
        on_output: OutputCallback | None = None,
        on_progress: ProgressCallback | None = None,  # its container starts in a second
    ) -> CommandResult:
        self._ran = True  # the shell's state after it is stored with the task (saved_shell)
        if self.stager is not None and self.copy is None:  # each staged command has a container of its own
            if self.shell is not None:
                self.shell.forget()
            return await self.stager.run(argv, timeout=timeout, on_output=on_output)
        woke = await self._wake()
        if self.copy is not None:
            return await self.copy.run(argv, woke, lambda note: self._command(argv, timeout, note, on_output))
        return await self._command(argv, timeout, woke, on_output)

    async def _command(
        self, argv: list[str], timeout: float, woke: str, on_output: OutputCallback | None
    ) -> CommandResult:
        import docker.errors

        if self.shell is not None and self.shell.available:
            buffer = OutputBuffer(self._max_output)
            try:
                result = await self.shell.run(argv, timeout, buffer, threadsafe_sink(buffer, on_output))
            except docker.errors.DockerException as e:
                return CommandResult(exit_code=None, output=f"{woke}[sandbox] the Docker engine failed: {e}")
            finally:
                self._arm_idle()
            if result is not None:
                return result.model_copy(update={"output": woke + result.output})
        try:  # outside the timeout: starting a container is the sandbox's cost, not the command's
            exec_id, before = await asyncio.to_thread(self._prepare, argv)
        except docker.errors.DockerException as e:
            return CommandResult(exit_code=None, output=f"[sandbox] the Docker engine refused the command: {e}")
        before = woke + before
        buffer = OutputBuffer(self._max_output)
        sink = threadsafe_sink(buffer, on_output)

        worker = asyncio.ensure_future(asyncio.to_thread(self._exec, exec_id, sink))
        timed_out, exit_code, after = False, None, ""
        try:
            exit_code, after = await asyncio.wait_for(asyncio.shield(worker), timeout)
        except TimeoutError:
            timed_out = True
            after = "\n[sandbox] the container was removed with everything it ran; the next command gets a new one."
        except docker.errors.DockerException as e:
            after = f"\n[sandbox] the Docker engine failed during the command: {e}"
        finally:
            if not worker.done():  # timed out or cancelled: removing the container ends the command and its children
                await asyncio.to_thread(self._discard)
                with contextlib.suppress(Exception):
                    await worker
            self._arm_idle()
        return buffer.result(exit_code, timed_out, before, after)

    def resume(self, saved: SavedShell | None) -> None:
        self._ran = False
        sandbox_adopt.resume(self, saved)

    def saved_shell(self) -> SavedShell | None:
        return SavedShell(cwd=self.state.cwd, env=dict(self.state.env), by=OWNER) if self._ran else None

    async def close(self, *, ended: bool = True) -> None:
        """Remove the task's stages and its container: when the task ended (no engine call if it never had one),
        or, when this process stops, unless another process adopted it."""
        if self.stager is not None:
            await self.stager.close()
        await self._wake()
        if not ended:
            await asyncio.to_thread(sandbox_adopt.release, self)
        elif self._sandboxed:
            await asyncio.to_thread(sandbox_adopt.end, self)
        if self._client is not None:
            self._client.close()
            self._client = None
