"""Runs approved commands in the workspace's own devcontainer: the container its devcontainer.json describes.

The Dev Containers CLI's `up` (devcontainer_start.py) builds or reuses the container on the first command of a task
(the one VS Code's "Reopen in Container" uses too: the CLI labels it by the workspace folder) and reports its user
and folder; each command is then a line for the task's persistent shell there (devcontainer_shell: `cd` and exports
carry over), an exec through the Docker SDK as that user, in that folder, with the user's shell environment
(userEnvProbe) and the config's remoteEnv on top, as the CLI's own exec would (devcontainer_env.py); an image
without bash gets an exec per command. The container is shared with other tasks and the user's editor, so it is
never removed or stopped here: a timeout interrupts the command, then kills its processes only (its process group,
and every process that carries its token in its environment, which also finds those that moved to a session of
their own). Unless background jobs are allowed, the same happens when a command returns; what a killed server left
running is ended at the next start (devcontainer_procs.py). DEVCONTAINER_NETWORK=none creates the container
without a network. The file tools stay on the host, confined to the workspace.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from autogpt_ls.executors import engine
from autogpt_ls.executors.base import (
    CommandResult,
    OutputBuffer,
    OutputCallback,
    ProgressCallback,
    WorkspaceFiles,
    threadsafe_sink,
)
from autogpt_ls.executors.devcontainer_cli import Container
from autogpt_ls.executors.devcontainer_config import Approvals, DevcontainerError, config_file
from autogpt_ls.executors.devcontainer_procs import OWNER, OWNER_ID, TOKEN, command, kill
from autogpt_ls.executors.devcontainer_shell import DevcontainerShell
from autogpt_ls.executors.devcontainer_start import Network, Startup
from autogpt_ls.workspace import Workspace

if TYPE_CHECKING:
    from docker import DockerClient


class DevcontainerExecutor(WorkspaceFiles):
    """The workspace's devcontainer, brought up by the CLI on the task's first command and left running."""

    name = "devcontainer"
    python = "python3"

    def __init__(
        self,
        workspace: Workspace,
        *,
        secrets: list[str],
        max_output: int = 64_000,
        background_jobs: bool = False,
        approvals: Approvals | None = None,  # None: no first-start approval asked (tests, benchmarks)
        network: Network = "config",
    ) -> None:
        self.workspace = workspace
        self._max_output = max_output
        self.background_jobs = background_jobs
        self._start = Startup(workspace, secrets, approvals, network, self._docker)
        self._container: Container | None = None
        self._network_mode = ""  # the container's, once it is up
        self._client: DockerClient | None = None
        self.shell = DevcontainerShell(self)  # the task's persistent shell in it, once it is up

    def where(self) -> str:
        if self._container is None:
            return self._start.where()
        c = self._container
        return f'in the devcontainer "{c.name}" ({c.remote_folder})' + self._start.network_note(self._network_mode)

    def first_start_unapproved(self) -> bool:
        return self._container is None and self._start.unapproved_digest() is not None

    def commands_allowed(self) -> str | None:
        if config_file(self.workspace.root) is not None:
            return None
        return (
            "The workspace has no devcontainer.json any more, so commands cannot run in its devcontainer. "
            "Use the file tools."
        )

    def _docker(self) -> DockerClient:
        if self._client is None:
            self._client = engine.client(timeout=None)
        return self._client

    async def _up(self, on_progress: ProgressCallback | None) -> str:
        """Bring the container up (once per task, and again when it was stopped): a note for the command's output."""
        self._container, self._network_mode, note = await self._start.bring_up(on_progress)
        return note

    # -- commands
    def _create(self, argv: list[str], token: str) -> str:
        c = self._container
        assert c is not None
        env = {**c.remote_env, "PYTHONUNBUFFERED": "1", TOKEN: token, OWNER: OWNER_ID}
        exec_id: str = self._docker().api.exec_create(
            c.container_id, command(argv, self.background_jobs), user=c.remote_user, workdir=c.remote_folder,
            environment=env,
        )["Id"]  # fmt: skip
        return exec_id

    async def _prepare(self, argv: list[str], token: str, on_progress: ProgressCallback | None) -> tuple[str, str]:
        """The command's exec, bringing the container up first or again (stopped or removed meanwhile)."""
        import docker.errors

        note = ""
        for attempt in (1, 2):
            if self._container is None:
                note += await self._up(on_progress)
            try:
                return await asyncio.to_thread(self._create, argv, token), note
            except docker.errors.APIError as e:  # 404: removed, 409: not running
                if attempt == 2 or e.status_code not in (404, 409):
                    raise
                self._container = None
        raise AssertionError("unreachable")

    def _exec(self, exec_id: str, sink: Callable[[bytes], None], pgid: list[str]) -> int | None:
        api = self._docker().api
        for out, err in api.exec_start(exec_id, stream=True, demux=True):
            if out:
                sink(out)
            if err:  # only the wrapper writes there
                pgid.extend(re.findall(r"pgid=(\d+)", err.decode(errors="replace")))
        code: int | None = api.exec_inspect(exec_id).get("ExitCode")
        return code

    def _kill(self, token: str, pgid: list[str]) -> None:
        """End the command's processes from a second exec; the container keeps running."""
        if self._container is not None:
            c = self._container
            kill(self._docker(), c.container_id, c.remote_user, token, *pgid[:1])

    async def run(
        self,
        argv: list[str],
        *,
        timeout: float,
        on_output: OutputCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> CommandResult:
        import docker.errors

        if self.shell.available:
            result = await self.shell.execute(argv, timeout, on_output, on_progress)
            if result is not None:
                return result
        token = secrets.token_hex(12)
        try:  # outside the timeout: a first build may take minutes
            exec_id, before = await self._prepare(argv, token, on_progress)
        except DevcontainerError as e:
            return CommandResult(exit_code=None, output=f"[devcontainer] {e}")
        except docker.errors.DockerException as e:
            return CommandResult(exit_code=None, output=f"[devcontainer] the Docker engine refused the command: {e}")
        buffer = OutputBuffer(self._max_output)
        sink = threadsafe_sink(buffer, on_output)
        pgid: list[str] = []

        worker = asyncio.ensure_future(asyncio.to_thread(self._exec, exec_id, sink, pgid))
        timed_out, exit_code, after = False, None, ""
        try:
            exit_code = await asyncio.wait_for(asyncio.shield(worker), timeout)
        except TimeoutError:
            timed_out = True
            after = "\n[devcontainer] the command and every process it started were killed; the container runs on."
        except docker.errors.DockerException as e:
            after = f"\n[devcontainer] the Docker engine failed during the command: {e}"
        finally:
            if not worker.done():  # timed out or cancelled
                with contextlib.suppress(docker.errors.DockerException):
                    await asyncio.to_thread(self._kill, token, pgid)
                with contextlib.suppress(Exception):
                    await worker
        return buffer.result(exit_code, timed_out, before, after)

    async def close(self, *, ended: bool = True) -> None:
        """The task's shell goes; the container stays: it is the workspace's, shared with other tasks and the
        user's editor."""
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.shell.close)
        if self._client is not None:
            self._client.close()
            self._client = None
