"""A stage: one staged command's copy-on-write view of the workspace, and everything it needs from the engine.

Its folder (`DATA/stages/<task>/<stage>/`) holds the overlay's `upper` and `work` folders, `state` (mounted in the
container for the shell's state) and, once the command ran, `manifest.json` (what it changed). The engine mounts
the overlay as a `local` volume (`lowerdir` the live workspace) when the stage's container starts, and unmounts
it when the container stops, so a mount lasts one command. The container is created ahead (on this machine's
storage driver creating one is the slow part: it copies the image) and started only for its command. The
container, the volume and the folder carry this process as their owner (labels, an `owner` file), so a crash's
leftovers are found and removed by the next process that stages.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from autogpt_ls.executors import engine
from autogpt_ls.executors.overlay_scan import Entry, Scan
from autogpt_ls.executors.sandbox_container import LABEL, OWNER, TASK_LABEL, SandboxLimits, container_options
from autogpt_ls.executors.shell_state import STATE_MOUNT
from autogpt_ls.models import new_id
from autogpt_ls.store import owner_alive

if TYPE_CHECKING:
    from docker import DockerClient
    from docker.models.containers import Container

STAGE_LABEL = "autogpt-ls.stage"


def unavailable() -> str | None:
    """Why this machine's Docker engine cannot stage commands, or None (asked once per process and engine)."""
    return _unavailable(os.environ.get("DOCKER_HOST", ""))


@functools.cache
def _unavailable(host: str) -> str | None:
    if host and not host.startswith("unix://"):
        return f"the Docker engine is remote (DOCKER_HOST={host}) and cannot mount this machine's folders as overlays"
    try:
        client = engine.client(timeout=5)
        try:
            info = client.info()
        finally:
            client.close()
    except Exception as e:  # no SDK, no socket, a refused or hung engine
        return f"no Docker engine answers ({e})"
    if any("rootless" in option for option in info.get("SecurityOptions") or []):
        return "the Docker engine is rootless, and cannot mount an overlay over the workspace"
    try:
        filesystems = Path("/proc/filesystems").read_text()
    except OSError:
        filesystems = ""
    if "overlay" not in filesystems.split():
        return "this kernel offers no overlay filesystem (/proc/filesystems)"
    return None


@dataclass
class Stage:
    id: str
    folder: Path
    container: Container | None = None
    volume: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)  # a removal in the background and a discard race

    @property
    def upper(self) -> Path:
        return self.folder / "upper"

    @property
    def state(self) -> Path:
        return self.folder / "state" / "shell"


@dataclass(frozen=True)
class Recipe:
    """What every stage of one task is made of."""

    client: DockerClient
    root: Path  # the data folder's stages/<task>
    workspace: Path
    image: str
    task_id: str
    network: bool
    limits: SandboxLimits
    keeper: str  # uid:gid of the container's own processes
    user: tuple[int, int]  # the commands' uid:gid, the workspace owner's


def _folders(recipe: Recipe, folder: Path) -> None:
    """upper gets the workspace root's owner and mode (the overlay's root takes them from it); state, the user's."""
    for name in ("upper", "work", "state"):
        (folder / name).mkdir(parents=True)
    st = os.stat(recipe.workspace)
    os.chmod(folder / "upper", st.st_mode & 0o7777)
    if os.geteuid() == 0:
        os.chown(folder / "upper", st.st_uid, st.st_gid)
        os.chown(folder / "state", *recipe.user)
    (folder / "owner").write_text(OWNER)


def _escaped(folder: Path) -> str:
    """A folder in the overlay's options: `,` separates options and `:` lower folders, so both (and `\\`) are
    escaped with a backslash, which overlayfs reads back (checked with the engine's local driver here)."""
    return re.sub(r"([\\,:])", r"\\\1", str(folder))


def make(recipe: Recipe) -> Stage:
    """A new stage with its volume and its container created (not started)."""
    stage_id = new_id()[:12]
    stage = Stage(stage_id, recipe.root / stage_id)
    _folders(recipe, stage.folder)
    labels = {LABEL: OWNER, TASK_LABEL: recipe.task_id, STAGE_LABEL: stage.id}
    folders = (recipe.workspace, stage.upper, stage.folder / "work")
    opts = "lowerdir={},upperdir={},workdir={},userxattr".format(*map(_escaped, folders))
    try:
        volume = recipe.client.volumes.create(
            name=f"autogpt-ls-stage-{stage.id}",
            driver="local",
            driver_opts={"type": "overlay", "device": "overlay", "o": opts},
            labels=labels,
        )
        stage.volume = volume.name
        ws = str(recipe.workspace)
        options = container_options(
            recipe.image,
            task_id=recipe.task_id,
            root=ws,
            network=recipe.network,
            limits=recipe.limits,
            user=recipe.keeper,
            volumes={
                volume.name: {"bind": ws, "mode": "rw"},
                str(stage.folder / "state"): {"bind": STATE_MOUNT, "mode": "rw"},
            },
        )
        options["labels"] = labels
        stage.container = recipe.client.containers.create(**options)
    except BaseException:
        remove(recipe, stage)
        raise
    return stage


def blank(root: Path) -> Stage:
    """A stage of copy mode (sandbox_copy): only the folder its downloads go in, the command ran in the task's own
    container (no overlay, no container of its own)."""
    stage_id = new_id()[:12]
    stage = Stage(stage_id, root / stage_id)
    stage.upper.mkdir(parents=True)
    (stage.folder / "owner").write_text(OWNER)
    return stage


def stop(stage: Stage) -> None:
    """End the container: the engine unmounts the overlay, and the upper folder holds what the command did."""
    import docker.errors

    if stage.container is not None:
        with contextlib.suppress(docker.errors.APIError):
            stage.container.kill()
        with contextlib.suppress(docker.errors.APIError):
            stage.container.wait(condition="not-running")


def release(recipe: Recipe, stage: Stage) -> None:
    """Remove the stage's container and volume (the engine's part); its folder stays for the decision."""
    with stage.lock:
        _release(recipe, stage)


def _release(recipe: Recipe, stage: Stage) -> None:
    import docker.errors

    container, stage.container = stage.container, None
    if container is not None:
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True)
    if stage.volume:
        try:
            recipe.client.volumes.get(stage.volume).remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError:  # still in use: the container's removal is still under way
            if container is not None:
                with contextlib.suppress(docker.errors.APIError):
                    recipe.client.api.wait(str(container.id), condition="removed")
            with contextlib.suppress(docker.errors.APIError):
                recipe.client.volumes.get(stage.volume).remove(force=True)
        stage.volume = ""


def remove(recipe: Recipe, stage: Stage) -> None:
    release(recipe, stage)
    rmtree(recipe.client, recipe.image, stage.folder)


def rmtree(client: DockerClient, image: str, folder: Path) -> None:
    """Remove a stage's folder; what the overlay made root's (its work folder, whiteouts in a user's folder) is
    removed through the engine when we are not root."""
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:
        return
    except PermissionError:
        client.containers.run(
            image,
            ["rm", "-rf", f"/stages/{folder.name}"],
            remove=True,
            network_mode="none",
            user="0:0",
            volumes={str(folder.parent): {"bind": "/stages", "mode": "rw"}},
            labels={LABEL: OWNER},
        )


def save(stage: Stage, command: str, scan: Scan) -> None:
    """What the command changed, kept with the stage: a later process can show and apply it."""
    manifest = {
        "command": command,
        "entries": [[e.path, e.change, e.before, e.note] for e in scan.entries],
        "folders": [[e.path, e.change, e.before] for e in scan.folders],
        "left_out": scan.left_out,
    }
    (stage.folder / "manifest.json").write_text(json.dumps(manifest))  # ASCII: names with newlines kept whole


def load(root: Path, stage_id: str) -> tuple[str, Scan] | None:
    """A stage's command and changes; None when the stage is gone (discarded, or removed after a crash)."""
    folder = root / os.path.basename(stage_id)
    try:
        owner = (folder / "owner").read_text()
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    if not owner_alive(owner):
        return None
    entries = [Entry(*row) for row in manifest["entries"]]
    folders = [Entry(*row) for row in manifest.get("folders", [])]
    return manifest["command"], Scan(entries, folders, manifest.get("left_out", {}))


def sweep(client: DockerClient, image: str, stages: Path) -> None:
    """Remove the stages whose process died on this host (a crash or kill -9 skipped their removal)."""
    for volume in client.volumes.list(filters={"label": STAGE_LABEL}):
        if not owner_alive(volume.attrs.get("Labels", {}).get(LABEL, "")):
            for container in client.containers.list(all=True, filters={"volume": volume.name}):
                with contextlib.suppress(Exception):  # it may be under removal already (the dead process began it)
                    container.remove(force=True)
                with contextlib.suppress(Exception):
                    client.api.wait(str(container.id), condition="removed")
            with contextlib.suppress(Exception):  # still in use: a container the dead process had the engine
                volume.remove(force=True)  # create is not made yet; the next sweep (at the latest, close) takes it
    for owner_file in stages.glob("*/*/owner"):
        with contextlib.suppress(OSError):
            if not owner_alive(owner_file.read_text()):
                rmtree(client, image, owner_file.parent)
    for task_folder in stages.glob("*"):
        with contextlib.suppress(OSError):
            task_folder.rmdir()  # only when empty
