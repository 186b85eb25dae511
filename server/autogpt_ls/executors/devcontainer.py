"""Runs approved commands in the workspace's own devcontainer: the container its devcontainer.json describes.

The Dev Containers CLI's `up` builds or reuses the container on the first command of a task (the one VS Code's
"Reopen in Container" uses too: the CLI labels it by the workspace folder) and reports its user and folder; each
command is then a line for the task's persistent shell there (devcontainer_shell: `cd` and exports carry over),
an exec through the Docker SDK as that user, in that folder, with the user's shell environment (userEnvProbe)
and the config's remoteEnv on top, as the CLI's own exec would (devcontainer_env.py); an image without bash gets
an exec per command. The container is shared with other tasks and the user's editor, so it is never removed or
stopped here: a timeout interrupts the command, then kills its processes only (its process group, and every
process that carries its token in its environment, which also finds those that moved to a session of their own).
Unless background jobs are allowed, the same happens when a command returns; what a killed server left running
is ended at the next start (devcontainer_procs.py). DEVCONTAINER_NETWORK=none creates the container without a
network. The file tools stay on the host, confined to the workspace.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from autogpt_ls.executors.base import (
    CommandResult,
    OutputBuffer,
    OutputCallback,
    Progress,
    ProgressCallback,
    WorkspaceFiles,
    threadsafe_sink,
)
from autogpt_ls.executors.devcontainer_cli import Container, cli_env, ensure_cli, up
from autogpt_ls.executors.devcontainer_config import (
    Approvals,
    DevcontainerError,
    config_digest,
    config_file,
    existing_network,
    first_start,
    network_note,
    read_config,
    without_network,
)
from autogpt_ls.executors.devcontainer_env import PROBE_SECONDS, run_probe, substitute
from autogpt_ls.executors.devcontainer_procs import OWNER, OWNER_ID, TOKEN, command, kill, sweep_dead_owners
from autogpt_ls.executors.devcontainer_shell import DevcontainerShell
from autogpt_ls.workspace import Workspace

if TYPE_CHECKING:
    from docker import DockerClient

Network = Literal["config", "none"]  # DEVCONTAINER_NETWORK: what the devcontainer.json says, or none
_UP_LOCKS: dict[str, asyncio.Lock] = {}  # one `up` at a time per workspace in this process
_SWEPT: set[str] = set()  # the containers this process has cleared of dead servers' commands


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
        self._secrets = secrets
        self._approvals = approvals
        self._shown = ""  # the digest of the configuration the last proposal showed in full
        self._max_output = max_output
        self.background_jobs = background_jobs
        self._network = network
        self._container: Container | None = None
        self._network_mode = ""  # the container's, once it is up
        self._client: DockerClient | None = None
        self.shell = DevcontainerShell(self)  # the task's persistent shell in it, once it is up

    def where(self) -> str:
        if self._container is not None:
            c = self._container
            return f'in the devcontainer "{c.name}" ({c.remote_folder})' + self._network_note(self._network_mode)
        try:
            config = read_config(self.workspace.root)
        except DevcontainerError as e:
            return f"in the devcontainer of {self.workspace.root} ({e})"
        root = self.workspace.root
        found = existing_network(self._docker(), root, config.path) if self._network == "none" else None
        network = self._network_note(found)
        return f'in the devcontainer "{config.name}" ({config.folder})' + network + self._first_start()

    def _network_note(self, existing: str | None) -> str:
        return network_note(existing) if self._network == "none" else ""

    def _first_start(self) -> str:
        """Until the user approved this configuration once: the code its first start runs, shown in full."""
        digest = self._unapproved_digest()
        if digest is None:
            return ""
        try:
            text = first_start(self.workspace.root)
        except (DevcontainerError, OSError, ValueError):
            return ""  # `up` will say what is wrong with it
        self._shown = digest
        return f"; approving this also approves the devcontainer's first start, which runs:\n{text}\n"

    def first_start_unapproved(self) -> bool:
        return self._unapproved_digest() is not None

    def _unapproved_digest(self) -> str | None:
        """The digest of a configuration the user has not approved yet, which the next command would start."""
        if self._container is not None or self._approvals is None:
            return None
        try:
            digest = config_digest(self.workspace.root)
        except (DevcontainerError, OSError, ValueError):
            return None  # `up` will refuse it with the reason
        return None if self._approvals.approved(self.workspace.root, digest) else digest

    def commands_allowed(self) -> str | None:
        if config_file(self.workspace.root) is not None:
            return None
        return (
            "The workspace has no devcontainer.json any more, so commands cannot run in its devcontainer. "
            "Use the file tools."
        )

    def _docker(self) -> DockerClient:
        if self._client is None:
            import docker

            self._client = docker.from_env(timeout=None)  # type: ignore[arg-type]
        return self._client

    # -- the container
    async def _up(self, on_progress: ProgressCallback | None) -> str:
        """Bring the container up (once per task, and again when it was stopped), reporting its progress from the
        first line to the last (a first build can take minutes): a note for the command's output."""
        report = on_progress or (lambda _progress: None)
        title = f"Starting the devcontainer of {self.workspace.root.name}"
        self._approve()
        report(Progress(title=title, message="devcontainer up: build or reuse"))
        started, outcome = time.monotonic(), "failed"
        try:
            note = await self._start(lambda news: report(Progress(title=title, message=news)))
            outcome = f"up in {time.monotonic() - started:.1f} s"
            return f"[devcontainer] {outcome}; {note}"
        finally:
            report(Progress(title=title, message=outcome, done=True))

    async def _start(self, news: Callable[[str], None]) -> str:
        lock = _UP_LOCKS.setdefault(str(self.workspace.root), asyncio.Lock())
        async with lock:
            cli = await ensure_cli(news)
            container = await self._cli_up(cli, news)
            swept = await self._sweep(container)
        attrs = await asyncio.to_thread(self._docker().api.inspect_container, container.container_id)
        self._network_mode = attrs["HostConfig"]["NetworkMode"]
        env = dict(v.split("=", 1) for v in attrs["Config"].get("Env") or [] if "=" in v)
        probed, probe_note = await self._probe(container)
        remote_env = probed | {k: substitute(v, env) for k, v in container.remote_env.items()}
        self._container = Container(
            container.container_id, container.remote_user, container.remote_folder, container.name, remote_env
        )
        c = container
        return f"commands run in {c.container_id[:12]} as {c.remote_user}, in {c.remote_folder}\n{probe_note}{swept}"

    async def _cli_up(self, cli: list[str], show: Callable[[str], None]) -> Container:
        root, env = self.workspace.root, cli_env(os.environ, self._secrets)
        if self._network != "none":
            return await up(cli, root, env, show)
        with tempfile.TemporaryDirectory(prefix="autogpt-ls-devcontainer-") as folder:
            return await up(cli, root, env, show, without_network(root, Path(folder)))

    async def _sweep(self, container: Container) -> str:
        """Once per container and process: end the commands that servers killed earlier left running."""
        if container.container_id in _SWEPT:
            return ""
        _SWEPT.add(container.container_id)
        ended = await asyncio.to_thread(sweep_dead_owners, self._docker(), container.container_id)
        if not ended:
            return ""
        return f"[devcontainer] ended what {len(ended)} command(s) of a server that is gone had left running\n"

    async def _probe(self, container: Container) -> tuple[dict[str, str], str]:
        """The remote user's shell environment (userEnvProbe), as the CLI's own exec applies it; a note if the
        shell did not print it in time (a startup file waiting for input)."""
        c, token = container, secrets.token_hex(12)
        args = (self._docker(), c.container_id, c.remote_user, c.user_env_probe, token)
        work = asyncio.ensure_future(asyncio.to_thread(run_probe, *args))
        try:
            return await asyncio.wait_for(asyncio.shield(work), PROBE_SECONDS), ""
        except TimeoutError:
            await asyncio.to_thread(kill, self._docker(), c.container_id, c.remote_user, token)
            with contextlib.suppress(Exception):
                await work
            return {}, (
                f"[devcontainer] the user's shell did not start within {PROBE_SECONDS:g} s (userEnvProbe "
                f"{c.user_env_probe}), so commands run without what its startup files set\n"
            )

    def _approve(self) -> None:
        """The approved command approved the first start it showed; a configuration changed since is refused."""
        root = self.workspace.root
        if self._approvals is None or self._approvals.approved(root, config_digest(root)):
            return
        if config_digest(root) != self._shown:
            raise DevcontainerError(
                "the devcontainer.json or its Dockerfile changed since this command was proposed, so its first start "
                "was not approved; propose a command again to see it"
            )
        self._approvals.approve(root, self._shown)

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
