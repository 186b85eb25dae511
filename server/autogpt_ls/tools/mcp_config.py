"""MCP servers from mcp.json: the `mcpServers` shape (Claude Desktop, Cursor, Cline) and VS Code's `servers`;
stdio (`command`, `args`, `env`, `cwd`) or streamable HTTP (`url`, `headers`). A workspace's own file is used
only once the user trusted that exact content (`autogpt-ls mcp trust`): its sha256 is kept in the data folder, so
a cloned repository cannot start programs on its own, and a changed file needs trusting again."""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autogpt_ls.settings import ConfigError

WORKSPACE_FILES = (".vscode/mcp.json", ".mcp.json")


@dataclass(frozen=True)
class ServerSpec:
    name: str
    command: str | None = None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def read_specs(path: Path) -> list[ServerSpec]:
    """The servers a config file names; a file that is not such a config is a ConfigError naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read the MCP config {path}: {e}") from None
    servers = data.get("mcpServers", data.get("servers")) if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise ConfigError(f"{path} has neither an `mcpServers` nor a `servers` object")
    return [_spec(path, name, entry) for name, entry in servers.items()]


def _spec(path: Path, name: str, entry: Any) -> ServerSpec:
    if not isinstance(entry, dict) or not (entry.get("command") or entry.get("url")):
        raise ConfigError(f"{path}: MCP server {name!r} needs a `command` (stdio) or a `url` (streamable HTTP)")
    if entry.get("type") == "sse":
        raise ConfigError(f"{path}: MCP server {name!r} uses the SSE transport; use streamable HTTP (`type: http`)")
    return ServerSpec(
        name=name,
        command=entry.get("command"),
        args=[str(a) for a in entry.get("args", [])],
        env={str(k): str(v) for k, v in (entry.get("env") or {}).items()},
        cwd=entry.get("cwd"),
        url=entry.get("url"),
        headers={str(k): str(v) for k, v in (entry.get("headers") or {}).items()},
    )


def workspace_config(workspace: Path) -> Path | None:
    return next((workspace / name for name in WORKSPACE_FILES if (workspace / name).is_file()), None)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def describe(spec: ServerSpec) -> str:
    """What trusting a server means: the program it runs (or the URL it reaches)."""
    return f"{spec.name}: {spec.url or shlex.join([spec.command or '', *spec.args])}"


def _trust_file(data_dir: Path) -> Path:
    return data_dir / "mcp-trusted.json"


def _trusted(data_dir: Path) -> dict[str, str]:
    try:
        data = json.loads(_trust_file(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def is_trusted(data_dir: Path, config: Path) -> bool:
    return _trusted(data_dir).get(str(config.resolve())) == digest(config)


def trust(data_dir: Path, config: Path, seen: str | None = None) -> None:
    """Record that the user approved this exact content of the workspace's MCP config (`seen`: the digest of the
    content the user was shown, when it was shown before this call)."""
    records = _trusted(data_dir) | {str(config.resolve()): seen or digest(config)}
    data_dir.mkdir(parents=True, exist_ok=True)
    _trust_file(data_dir).write_text(json.dumps(records, indent=2), encoding="utf-8")
