"""A task's sandbox container, found again by whichever server process drives the task next, never started twice.

Its name comes from the task (and its workspace), so the engine's name uniqueness keeps one container per task:
a process that needs it adopts the running one when it was made with the settings it would use (else replaces
it, and says so), and of two processes that create it at once the engine refuses the second (409), which then
adopts the first's.

The engine cannot relabel a container, so its label keeps the process that made it and the process that drives
it now is written in a folder of the container's own uid in /tmp (commands run as another uid, without
capabilities, in a sticky /tmp: they cannot change it). A container is an orphan when both are dead. An idle
timer or a server's stop removes the container only while its process still owns it; the task's end removes it
whoever owns it.

A shell another process started there cannot be taken over: on adoption the commands' processes end (all of them,
or only the shells when background jobs are allowed: those the engine exec'd, whose parent is outside the
container) and the adopter starts its own shell with the task's stored state (folder and exported variables).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autogpt_ls.executors.sandbox_container import LABEL, OWNER, container_options
from autogpt_ls.executors.sandbox_jobs import keeper_user
from autogpt_ls.executors.shell_state import ShellState
from autogpt_ls.store import owner_alive

if TYPE_CHECKING:
    from docker import DockerClient
    from docker.models.containers import Container

    from autogpt_ls.executors.docker import DockerExecutor
    from autogpt_ls.task_models import SavedShell

SETTINGS_LABEL = "autogpt-ls.settings"  # what the container was made with (image id, workspace, network, limits)
OWNER_FILE = "/tmp/.autogpt-ls/owner"
# Run as the container's own uid: records the new owner, and prints the forks refused at the pids limit so far.
CLAIM = r"""umask 022; mkdir -p /tmp/.autogpt-ls && printf '%s\n' "$1" >/tmp/.autogpt-ls/owner.new &&
mv -f /tmp/.autogpt-ls/owner.new /tmp/.autogpt-ls/owner || exit 1
for f in /sys/fs/cgroup/pids.events /sys/fs/cgroup/pids/pids.events; do
  if [ -r "$f" ]; then while read -r key value; do [ "$key" = max ] && echo "$value"; done <"$f"; break; fi
done
"""
# Run as the commands' uid: ends the previous owner's shell (and, unless background jobs are allowed, all else).
END_SHELLS = r"""if [ "$1" != 1 ]; then
  for i in 1 2 3 4 5; do kill -9 -1 2>/dev/null || break; done
  exit 0
fi
for p in /proc/[0-9]*; do
  [ -O "$p" ] && [ "${p#/proc/}" != $$ ] || continue
  while read -r key value; do [ "$key" = PPid: ] && break; done <"$p/status" 2>/dev/null
  [ "$value" = 0 ] && kill -9 "${p#/proc/}" 2>/dev/null
done
exit 0
"""
SETTLING = ("created", "restarting", "removing")  # a racing process is starting or removing it: wait a little
RACE_SECONDS = 120.0  # how long another process may take to make it (a copying storage driver is slow)


@dataclass
class Found:
    container: Container
    pids_max: int  # forks refused at its pids limit before this process had it (settle compares with it)
    note: str  # for the command's output: the container it found could not be used
    adopted: bool  # made by another process (or before a restart): copy mode compares its files with the host's


def container_name(task_id: str, root: str) -> str:
    """The task's container name, the same in every process (the workspace in it: tasks of separate stores that
    share an engine cannot meet)."""
    slug = re.sub(r"[^a-zA-Z0-9_.-]", "-", task_id)[:24]
    digest = hashlib.sha256(f"{task_id}\0{root}".encode()).hexdigest()[:10]
    return f"autogpt-ls-{slug}-{digest}"


def _settings(client: DockerClient, sb: DockerExecutor) -> dict[str, str]:
    limits = sb.limits
    return {
        "image": str(client.images.get(sb.image).id),  # a rebuilt image is a new container
        "workspace": str(sb.workspace.root),
        "network": "on" if sb.network else "off",
        "limits": f"memory {limits.memory}, cpus {limits.cpus:g}, pids {limits.pids}, /tmp {limits.tmp_size}",
        "user": sb.user,
        "files": "copy" if sb.copy is not None else "bind",  # a volume filled by copies, or the workspace mounted
    }


def _existing(client: DockerClient, name: str) -> Container | None:
    import docker.errors

    deadline = time.monotonic() + 10
    while True:
        try:
            container = client.containers.get(name)
        except docker.errors.NotFound:
            return None
        if container.status not in SETTLING or time.monotonic() > deadline:
            return container
        time.sleep(0.05)


def _unusable(container: Container, wanted: dict[str, str]) -> str | None:
    """Why the found container cannot be adopted, or None."""
    if container.status != "running":
        return f"had stopped ({container.status})"
    try:
        made = json.loads(container.labels.get(SETTINGS_LABEL, ""))
    except ValueError:
        made = {}
    differ = [key for key, value in wanted.items() if made.get(key) != value]
    return f"was made with other settings ({', '.join(differ)})" if differ else None


def ensure(sb: DockerExecutor) -> Found:
    """The task's running container: adopted if one fits, else started (replacing one that does not)."""
    import docker.errors

    client = sb._docker()
    wanted = _settings(client, sb)
    name, note = container_name(sb.task_id, str(sb.workspace.root)), ""
    deadline, swept = time.monotonic() + RACE_SECONDS, False
    while time.monotonic() < deadline:
        container = _existing(client, name)
        if container is not None:
            why = _unusable(container, wanted)
            if why is None:
                try:
                    return Found(container, _claim(sb, container, adopted=True), note, adopted=True)
                except docker.errors.DockerException as e:  # it stopped meanwhile, or its /tmp is full
                    why = f"could not be taken over ({e})"
            note = (
                f"[sandbox] the task's container {why}; it was replaced, so background processes and files "
                "outside the workspace are gone.\n"
            )
            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                container.remove(force=True, v=True)
        if not swept:  # after the lookup: the task's own container, left by a dead process, is adopted above
            remove_orphans(client)
            swept = True
        options = container_options(
            sb.image, task_id=sb.task_id, root=str(sb.workspace.root), network=sb.network, limits=sb.limits,
            user=keeper_user(sb.user),  # not the commands' uid: their `kill -9 -1` spares it
            workspace_volume=sb.copy is not None,
        )  # fmt: skip
        options["name"], options["labels"][SETTINGS_LABEL] = name, json.dumps(wanted, sort_keys=True)
        try:
            container = _make(sb, options)
        except docker.errors.APIError as e:
            if e.status_code != 409:
                raise
            time.sleep(0.1)  # another process makes it (the engine knows its name before it can show it) or
            continue  # still removes an old one: look again
        return Found(container, _claim(sb, container, adopted=False), note, adopted=False)
    raise docker.errors.DockerException(f"the task's container {name} could neither be adopted nor started")


def _make(sb: DockerExecutor, options: dict[str, Any]) -> Container:
    """Create and start the container; in copy mode its workspace volume is given to the workspace owner between."""
    client = sb._docker()
    if sb.copy is None:
        return client.containers.run(detach=True, **options)
    container = client.containers.create(**options)
    try:
        sb.copy.own_volume(container)
        container.start()
    except BaseException:
        with contextlib.suppress(Exception):
            container.remove(force=True, v=True)
        raise
    return container


def _run(client: DockerClient, container: Container, script: str, *args: str, user: str = "") -> tuple[int, str]:
    api = client.api
    exec_id = api.exec_create(container.id, ["/bin/sh", "-c", script, "sh", *args], user=user)["Id"]
    out = api.exec_start(exec_id).decode(errors="replace")
    return int(api.exec_inspect(exec_id).get("ExitCode") or 0), out


def _claim(sb: DockerExecutor, container: Container, *, adopted: bool) -> int:
    """Record this process as the owner, end the previous owner's shell if adopted; the pids-limit count."""
    client = sb._docker()
    code, out = _run(client, container, CLAIM, OWNER)
    if code != 0:
        import docker.errors

        why = out[-300:].strip()
        raise docker.errors.DockerException(f"the sandbox container's owner could not be recorded: {why}")
    if adopted:
        _run(client, container, END_SHELLS, "1" if sb.background_jobs else "0", user=sb.user)
    return int(out.split()[-1]) if out.split() and out.split()[-1].isdigit() else 0


def owner_of(client: DockerClient, container: Container) -> str | None:
    """The process that drives the container now (None: not running, or made before owners were recorded)."""
    import docker.errors

    try:
        code, out = _run(client, container, f"cat {OWNER_FILE}")
    except docker.errors.APIError:
        return None
    return (out.strip() or None) if code == 0 else None


def remove_orphans(client: DockerClient) -> None:
    """Remove sandboxes whose server process died on this host (a crash or kill -9 skipped close()), unless a live
    process adopted them since."""
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        if owner_alive(container.labels.get(LABEL, "")):  # owners on other hosts count as alive
            continue
        adopter = owner_of(client, container) if container.status == "running" else None
        if adopter is not None and owner_alive(adopter):
            continue
        with contextlib.suppress(Exception):  # another server may be removing it at the same time
            container.remove(force=True, v=True)


def release(sb: DockerExecutor) -> bool:
    """Remove the task's container if this process still owns it (True); one another process adopted meanwhile
    is only forgotten here."""
    container = sb._container
    if container is not None and owner_of(sb._docker(), container) not in (None, OWNER):
        if sb.shell is not None:
            sb.shell.forget()
        sb._container = None
        return False
    sb._discard()
    return container is not None


def end(sb: DockerExecutor) -> None:
    """The task ended: its container goes, whichever process made or drives it."""
    import docker.errors
    import requests

    sb._discard()
    with contextlib.suppress(docker.errors.DockerException, requests.RequestException):
        sb._docker().containers.get(container_name(sb.task_id, str(sb.workspace.root))).remove(force=True, v=True)


def resume(sb: DockerExecutor, saved: SavedShell | None) -> None:
    """Take the task's stored shell state; when another process (or this one before a restart) ran the last
    command, this process's shell and container handle are stale: the next command adopts the container anew.
    None stored: no command step was ever claimed (agent/loop), so no process made the task a container."""
    sb._sandboxed = saved is not None or sb._container is not None
    if saved is None:
        return
    sb.state = ShellState(cwd=saved.cwd, env=dict(saved.env))
    if saved.by != OWNER:
        if sb.shell is not None:
            sb.shell.forget()
        sb._container = None
