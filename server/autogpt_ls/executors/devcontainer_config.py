"""A workspace's devcontainer.json, read without starting anything: what a proposal shows, what an approval
covers, and the variant of it `up` is given when DEVCONTAINER_NETWORK=none takes the network away."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import json5

if TYPE_CHECKING:
    from docker import DockerClient

CONFIG_FILES = (".devcontainer/devcontainer.json", ".devcontainer.json")  # the CLI's own order
LIFECYCLE = ("onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand", "postAttachCommand")
_NETWORK_FLAGS = ("--network", "--net")


class DevcontainerError(Exception):
    """The devcontainer cannot be used; the message says why and what to do (it goes into the command's output)."""


def config_file(root: Path) -> Path | None:
    """The workspace's devcontainer.json, as the CLI finds it; None when it has none."""
    return next((root / name for name in CONFIG_FILES if (root / name).is_file()), None)


@dataclass(frozen=True)
class DevcontainerConfig:
    """What a proposal says before the container is up: its name and the folder commands will run in."""

    path: Path
    name: str
    folder: str


def read_config(root: Path) -> DevcontainerConfig:
    """The workspace's devcontainer.json (JSON with comments), read without starting anything."""
    path = config_file(root)
    if path is None:
        raise DevcontainerError(f"{root} has no {' or '.join(CONFIG_FILES)}")
    try:
        data = json5.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DevcontainerError(f"cannot read {path}: {e}") from None
    if not isinstance(data, dict):
        raise DevcontainerError(f"{path} must hold a JSON object")
    name = str(data.get("name") or root.name)
    return DevcontainerConfig(path, name, str(data.get("workspaceFolder") or f"/workspaces/{root.name}"))


def _files(root: Path) -> tuple[Path, dict[str, Any], list[Path]]:
    """The devcontainer.json, its content, and the files it builds from (its Dockerfile, when it has one)."""
    config = read_config(root)
    data = json5.loads(config.path.read_text(encoding="utf-8"))
    build = data.get("build") or {}
    dockerfile = build.get("dockerfile") or data.get("dockerFile")
    return config.path, data, [config.path.parent / str(dockerfile)] if dockerfile else []


def config_digest(root: Path) -> str:
    """What an approval of the first start covers: the devcontainer.json and its Dockerfile, byte for byte."""
    path, _data, built_from = _files(root)
    digest = hashlib.sha256()
    for file in (path, *built_from):
        digest.update(file.name.encode() + b"\0" + (file.read_bytes() if file.is_file() else b"") + b"\0")
    return digest.hexdigest()


def first_start(root: Path) -> str:
    """The code a first start runs, in full: the image or the Dockerfile, initializeCommand (on this machine) and
    the lifecycle commands (in the container)."""
    path, data, built_from = _files(root)
    lines = [f"{path.relative_to(root)}: " + (f"image {data['image']}" if data.get("image") else "")]
    for file in built_from:
        text = file.read_text(encoding="utf-8", errors="replace") if file.is_file() else "(missing)"
        lines.append(f"{file.relative_to(root) if file.is_relative_to(root) else file}:\n{text.rstrip()}")
    for key in ("initializeCommand", *LIFECYCLE):
        if data.get(key):
            where = "on this machine" if key == "initializeCommand" else "in the container"
            lines.append(f"{key} ({where}): {json.dumps(data[key])}")
    return "\n".join(lines)


class Approvals:
    """The first starts the user approved: per workspace, the digest of the configuration they were shown."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def approved(self, root: Path, digest: str) -> bool:
        return self._read().get(str(root)) == digest

    def approve(self, root: Path, digest: str) -> None:
        data = self._read() | {str(root): digest}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f"{self.path.name}.{uuid.uuid4().hex[:8]}")
        partial.write_text(json.dumps(data, indent=1), encoding="utf-8")
        partial.replace(self.path)  # atomic: another task may approve another workspace at the same time


def without_network(root: Path, folder: Path) -> Path:
    """A copy of the devcontainer.json, in `folder`, whose container gets no network, for `up --override-config`.

    The CLI still labels the container by the workspace's own devcontainer.json and resolves its relative paths
    (Dockerfile, build context, local features) from there, so VS Code finds and shares the same container."""
    path, data, _built_from = _files(root)
    if "dockerComposeFile" in data:
        raise DevcontainerError(
            f"DEVCONTAINER_NETWORK=none cannot be applied to {path.relative_to(root)}: its containers come from a "
            "Docker Compose file, whose networks are the file's own; unset DEVCONTAINER_NETWORK or use another executor"
        )
    args = [str(a) for a in data.get("runArgs") or []]
    kept: list[str] = []
    for i, arg in enumerate(args):
        named = arg.split("=", 1)[0] in _NETWORK_FLAGS
        if not named and not (i and args[i - 1] in _NETWORK_FLAGS):  # `--network=x`, or `--network` then `x`
            kept.append(arg)
    override = folder / "devcontainer.json"
    override.write_text(json.dumps(data | {"runArgs": [*kept, "--network=none"]}), encoding="utf-8")
    return override


def existing_network(client: DockerClient, root: Path, config: Path) -> str | None:
    """The network of the workspace's container, if it has one: found by the labels the CLI gives it."""
    import docker.errors

    labels = [f"devcontainer.local_folder={root}", f"devcontainer.config_file={config}"]
    try:
        found = client.api.containers(all=True, filters={"label": labels})
    except docker.errors.DockerException:
        return None
    return str(found[0]["HostConfig"]["NetworkMode"]) if found else None


def network_note(existing: str | None) -> str:
    """What DEVCONTAINER_NETWORK=none does to the workspace's container (`existing`: its network, if it exists)."""
    if existing is None:
        return ", with no network (DEVCONTAINER_NETWORK=none)"
    if existing == "none":
        return ", with no network"
    return (
        f', which exists already and keeps its network ("{existing}"): DEVCONTAINER_NETWORK=none applies to the '
        "containers it creates (remove this one to have it made again without a network)"
    )
