"""The sandbox container itself: its isolation options, its labels, and the removal of those a crashed server left.

The container's own processes (docker-init, `sleep infinity`) run as a uid no command uses; commands arrive by
`exec` as the workspace owner (see sandbox_jobs). Finding it again from another process: sandbox_adopt.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autogpt_ls.executors import engine
from autogpt_ls.store import lease_owner_id

if TYPE_CHECKING:
    from docker import DockerClient

LABEL = "autogpt-ls.sandbox"  # value: the owner process (host:pid:nonce), as for the store's leases
TASK_LABEL = "autogpt-ls.task"
SANDBOX_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONUNBUFFERED": "1",  # output streams to the user as it is printed
}
OWNER = lease_owner_id()  # this process, as the labels name it


@dataclass(frozen=True)
class SandboxLimits:
    memory: str = "1g"
    cpus: float = 2.0
    pids: int = 256
    tmp_size: str = "256m"


def engine_answers(timeout: float = 3.0) -> bool:
    """Whether a Docker engine answers (DOCKER_HOST or the default socket); decides the `auto` executor."""
    try:
        client = engine.client(timeout=int(timeout))
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no SDK, no socket, a refused or hung engine: all mean "no engine"
        return False


def image_missing(client: DockerClient, image: str) -> str | None:
    """Why commands cannot run in the sandbox (its image not built, the engine silent), or None."""
    import docker.errors

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        return (
            f"The sandbox image {image} is not built. The user can build it with "
            "scripts/sandbox-image.sh, or choose EXECUTOR=local. Use the file tools meanwhile."
        )
    except docker.errors.DockerException as e:
        return f"The Docker engine does not answer ({e}); commands cannot run in the sandbox. Use the file tools."
    return None


def _mounts(volumes: dict[str, dict[str, str]]) -> list[Any]:
    """Structured mounts, not `src:dst:mode` binds, which cannot hold a path with a `:` in it."""
    from docker.types import Mount

    return [
        Mount(spec["bind"], source, type="bind" if source.startswith("/") else "volume", read_only=spec["mode"] == "ro")
        for source, spec in volumes.items()
    ]


def container_options(
    image: str,
    *,
    task_id: str,
    root: str,
    network: bool,
    limits: SandboxLimits,
    user: str,
    volumes: dict[str, dict[str, str]] | None = None,
    workspace_volume: bool = False,
) -> dict[str, Any]:
    """A task's container: the workspace at its own path (or what `volumes` mounts there, or, with
    `workspace_volume`, an empty volume of its own that copy mode fills) and nothing else of the host; no
    capabilities."""
    from docker.types import Mount

    workspace = {root: {"bind": root, "mode": "rw"}}
    return dict(
        image=image,
        command=["sleep", "infinity"],
        init=True,  # reaps the zombies of ended commands
        name=f"autogpt-ls-{task_id[:12]}-{secrets.token_hex(3)}",
        hostname="sandbox",
        labels={LABEL: OWNER, TASK_LABEL: task_id},
        network_mode=None if network else "none",
        read_only=True,
        tmpfs={"/tmp": f"rw,nosuid,nodev,size={limits.tmp_size}"},
        mounts=[Mount(root, None, type="volume")] if workspace_volume else _mounts(volumes or workspace),
        working_dir="/",  # commands get the workspace as their workdir; `user` may not be able to enter it
        user=user,
        environment=SANDBOX_ENV,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        mem_limit=limits.memory,
        memswap_limit=limits.memory,
        nano_cpus=int(limits.cpus * 1e9),
        pids_limit=limits.pids,
    )
