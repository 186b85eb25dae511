"""Runs approved commands in the workspace's own devcontainer: the container its devcontainer.json describes.

The Dev Containers CLI's `up` builds or reuses the container on the first command of a task (the one VS Code's
"Reopen in Container" uses too: the CLI labels it by the workspace folder) and reports its user and folder; each
command is then an exec through the Docker SDK, as that user, in that folder, with the config's remoteEnv. The
container is shared with other tasks and the user's editor, so it is never removed or stopped here: a timeout
kills the command's processes only (its process group, and every process that carries its token in its
environment, which also finds those that moved to a session of their own). Unless background jobs are allowed,
the same happens when a command returns. The file tools stay on the host, confined to the workspace.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from autogpt_ls.executors.base import CommandResult, OutputBuffer, OutputCallback, WorkspaceFiles, threadsafe_sink
from autogpt_ls.executors.devcontainer_cli import (
    Approvals,
    Container,
    DevcontainerError,
    cli_env,
    config_digest,
    config_file,
    ensure_cli,
    first_start,
    read_config,
    up,
)
from autogpt_ls.workspace import Workspace

if TYPE_CHECKING:
    from docker import DockerClient

TOKEN = "AUTOGPT_COMMAND"  # noqa: S105 (a name, not a secret); every process of a command inherits it: how the sweep finds them
# Kills the processes of the command whose token is $1 (and its process group $2, if known), until none is left.
SWEEP = r"""
sweep() {
  n=0
  [ -z "$2" ] || kill -9 -- "-$2" 2>/dev/null
  while [ $n -lt 10 ]; do
    found=
    for p in /proc/[0-9]*; do
      [ "${p#/proc/}" = $$ ] && continue
      grep -qz "^AUTOGPT_COMMAND=$1\$" "$p/environ" 2>/dev/null && kill -9 "${p#/proc/}" 2>/dev/null && found=1
    done
    [ -n "$found" ] || break
    n=$((n + 1))
  done
}
"""
# The command in a session of its own (setsid, where the image has it), its stderr into its stdout so the output
# keeps its order; the wrapper's stderr says the process group, for a kill from another exec.
WRAPPER = (
    SWEEP
    + r"""
keep=$1; shift
if command -v setsid >/dev/null 2>&1; then setsid "$@" 2>&1 & else "$@" 2>&1 & fi
pid=$!
echo "pgid=$pid" >&2
wait $pid
rc=$?
token=$AUTOGPT_COMMAND
unset AUTOGPT_COMMAND
[ "$keep" = 1 ] || sweep "$token" "$pid"
exit $rc
"""
)
_UP_LOCKS: dict[str, asyncio.Lock] = {}  # one `up` at a time per workspace in this process


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
    ) -> None:
        self.workspace = workspace
        self._secrets = secrets
        self._approvals = approvals
        self._shown = ""  # the digest of the configuration the last proposal showed in full
        self._max_output = max_output
        self.background_jobs = background_jobs
        self._container: Container | None = None
        self._client: DockerClient | None = None

    def where(self) -> str:
        if self._container is not None:
            return f'in the devcontainer "{self._container.name}" ({self._container.remote_folder})'
        try:
            config = read_config(self.workspace.root)
        except DevcontainerError as e:
            return f"in the devcontainer of {self.workspace.root} ({e})"
        return f'in the devcontainer "{config.name}" ({config.folder})' + self._first_start()

    def _first_start(self) -> str:
        """Until the user approved this configuration once: the code its first start runs, shown in full."""
        root = self.workspace.root
        try:
            digest = config_digest(root)
            if self._approvals is None or self._approvals.approved(root, digest):
                return ""
            self._shown = digest
            return f"; approving this also approves the devcontainer's first start, which runs:\n{first_start(root)}\n"
        except (DevcontainerError, OSError, ValueError):
            return ""  # `up` will say what is wrong with it

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
    async def _up(self, on_output: OutputCallback | None) -> str:
        """Bring the container up (once per task, and again when it was stopped): a note for the output."""
        show = on_output or (lambda _text: None)
        self._approve()
        lock = _UP_LOCKS.setdefault(str(self.workspace.root), asyncio.Lock())
        async with lock:
            cli = await ensure_cli(show)
            show("[devcontainer] starting the workspace's devcontainer (devcontainer up: build or reuse)...\n")
            container = await up(cli, self.workspace.root, cli_env(os.environ, self._secrets), show)
        env = await asyncio.to_thread(self._container_env, container.container_id)
        self._container = Container(
            container.container_id,
            container.remote_user,
            container.remote_folder,
            container.name,
            {k: _substitute(v, env) for k, v in container.remote_env.items()},
        )
        return (
            f"[devcontainer] commands run in {container.container_id[:12]} as {container.remote_user}, "
            f"in {container.remote_folder}\n"
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

    def _container_env(self, container_id: str) -> dict[str, str]:
        attrs = self._docker().api.inspect_container(container_id)
        return dict(v.split("=", 1) for v in attrs["Config"].get("Env") or [] if "=" in v)

    # -- commands
    def _create(self, argv: list[str], token: str) -> str:
        c = self._container
        assert c is not None
        env = {**c.remote_env, "PYTHONUNBUFFERED": "1", TOKEN: token}
        command = ["/bin/sh", "-c", WRAPPER, "sh", "1" if self.background_jobs else "0", *argv]
        exec_id: str = self._docker().api.exec_create(
            c.container_id, command, user=c.remote_user, workdir=c.remote_folder, environment=env
        )["Id"]
        return exec_id

    async def _prepare(self, argv: list[str], token: str, on_output: OutputCallback | None) -> tuple[str, str]:
        """The command's exec, bringing the container up first or again (stopped or removed meanwhile)."""
        import docker.errors

        note = ""
        for attempt in (1, 2):
            if self._container is None:
                note += await self._up(on_output)
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
        c = self._container
        if c is None:
            return
        api = self._docker().api
        script = SWEEP + 'sweep "$1" "$2"'
        exec_id = api.exec_create(c.container_id, ["/bin/sh", "-c", script, "sh", token, *pgid[:1]], user=c.remote_user)
        api.exec_start(exec_id["Id"])

    async def run(self, argv: list[str], *, timeout: float, on_output: OutputCallback | None = None) -> CommandResult:
        import docker.errors

        token = secrets.token_hex(12)
        try:  # outside the timeout: a first build may take minutes
            exec_id, before = await self._prepare(argv, token, on_output)
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

    async def close(self) -> None:
        """The container stays: it is the workspace's, shared with other tasks and the user's editor."""
        if self._client is not None:
            self._client.close()
            self._client = None


def _substitute(value: str, env: dict[str, str]) -> str:
    """`${containerEnv:NAME}` or `${containerEnv:NAME:default}` in a remoteEnv value, from the container's env."""
    return re.sub(r"\$\{containerEnv:([^}:]+)(?::([^}]*))?\}", lambda m: env.get(m.group(1), m.group(2) or ""), value)
