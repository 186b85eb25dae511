"""Bringing a task's devcontainer up: its first start shown in full and approved once per configuration, the Dev
Containers CLI's `up` (one at a time per workspace in this process), what servers killed earlier left running
ended once per container, and the remote user's shell environment probed (userEnvProbe)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from autogpt_ls.executors.base import Progress, ProgressCallback
from autogpt_ls.executors.devcontainer_cli import Container, cli_env, ensure_cli, up
from autogpt_ls.executors.devcontainer_config import (
    Approvals,
    DevcontainerError,
    config_digest,
    existing_network,
    first_start,
    network_note,
    read_config,
    without_network,
)
from autogpt_ls.executors.devcontainer_env import PROBE_SECONDS, run_probe, substitute
from autogpt_ls.executors.devcontainer_procs import kill, sweep_dead_owners
from autogpt_ls.workspace import Workspace

if TYPE_CHECKING:
    from docker import DockerClient

Network = Literal["config", "none"]  # DEVCONTAINER_NETWORK: what the devcontainer.json says, or none
_UP_LOCKS: dict[str, asyncio.Lock] = {}  # one `up` at a time per workspace in this process
_SWEPT: set[str] = set()  # the containers this process has cleared of dead servers' commands


class Startup:
    """The start of one task's devcontainer, asked for by its executor until the container is up."""

    def __init__(
        self,
        workspace: Workspace,
        secrets: list[str],
        approvals: Approvals | None,
        network: Network,
        docker: Callable[[], DockerClient],
    ) -> None:
        self.workspace = workspace
        self._secrets = secrets
        self._approvals = approvals
        self._shown = ""  # the digest of the configuration the last proposal showed in full
        self._network = network
        self._docker = docker

    def where(self) -> str:
        """Where commands will run, before the container is up: the first start they would approve included."""
        try:
            config = read_config(self.workspace.root)
        except DevcontainerError as e:
            return f"in the devcontainer of {self.workspace.root} ({e})"
        root = self.workspace.root
        found = existing_network(self._docker(), root, config.path) if self._network == "none" else None
        network = self.network_note(found)
        return f'in the devcontainer "{config.name}" ({config.folder})' + network + self._first_start()

    def network_note(self, existing: str | None) -> str:
        return network_note(existing) if self._network == "none" else ""

    def _first_start(self) -> str:
        """Until the user approved this configuration once: the code its first start runs, shown in full."""
        digest = self.unapproved_digest()
        if digest is None:
            return ""
        try:
            text = first_start(self.workspace.root)
        except (DevcontainerError, OSError, ValueError):
            return ""  # `up` will say what is wrong with it
        self._shown = digest
        return f"; approving this also approves the devcontainer's first start, which runs:\n{text}\n"

    def unapproved_digest(self) -> str | None:
        """The digest of a configuration the user has not approved yet, which the next start would run."""
        if self._approvals is None:
            return None
        try:
            digest = config_digest(self.workspace.root)
        except (DevcontainerError, OSError, ValueError):
            return None  # `up` will refuse it with the reason
        return None if self._approvals.approved(self.workspace.root, digest) else digest

    async def bring_up(self, on_progress: ProgressCallback | None) -> tuple[Container, str, str]:
        """Bring the container up, reporting its progress from the first line to the last (a first build can take
        minutes): the container (its remote environment resolved), its network mode and a note for the output."""
        report = on_progress or (lambda _progress: None)
        title = f"Starting the devcontainer of {self.workspace.root.name}"
        self._approve()
        report(Progress(title=title, message="devcontainer up: build or reuse"))
        started, outcome = time.monotonic(), "failed"
        try:
            container, mode, note = await self._start(lambda news: report(Progress(title=title, message=news)))
            outcome = f"up in {time.monotonic() - started:.1f} s"
            return container, mode, f"[devcontainer] {outcome}; {note}"
        finally:
            report(Progress(title=title, message=outcome, done=True))

    async def _start(self, news: Callable[[str], None]) -> tuple[Container, str, str]:
        lock = _UP_LOCKS.setdefault(str(self.workspace.root), asyncio.Lock())
        async with lock:
            cli = await ensure_cli(news)
            container = await self._cli_up(cli, news)
            swept = await self._sweep(container)
        attrs = await asyncio.to_thread(self._docker().api.inspect_container, container.container_id)
        env = dict(v.split("=", 1) for v in attrs["Config"].get("Env") or [] if "=" in v)
        probed, probe_note = await self._probe(container)
        remote_env = probed | {k: substitute(v, env) for k, v in container.remote_env.items()}
        c = container
        started = Container(c.container_id, c.remote_user, c.remote_folder, c.name, remote_env)
        note = f"commands run in {c.container_id[:12]} as {c.remote_user}, in {c.remote_folder}\n{probe_note}{swept}"
        return started, attrs["HostConfig"]["NetworkMode"], note

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
