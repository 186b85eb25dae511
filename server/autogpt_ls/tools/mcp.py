"""MCP servers' tools in the registry, through the official `mcp` SDK (pip install 'autogpt-ls[mcp]'). Each
server runs in its own asyncio task, which enters and leaves the SDK's contexts itself; its tools are registered
as `<server>__<tool>` (providers' names are `[A-Za-z0-9_-]{1,64}`) with their JSON schemas, category `mcp`, kind
`command` (a server can do anything: each call is approved and checkpointed like a command). A server that fails
to start is reported and the others go on; one that dies mid-task turns its calls into errors the agent reads."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict

from autogpt_ls.models import Result
from autogpt_ls.settings import Settings
from autogpt_ls.tools.base import Tool, ToolContext, ToolRefused
from autogpt_ls.tools.mcp_config import ServerSpec, is_trusted, read_specs, workspace_config

log = logging.getLogger(__name__)
START_SECONDS = 30.0
_INVALID = re.compile(r"[^A-Za-z0-9_-]")


class McpArguments(BaseModel):
    """Arguments of an MCP tool: kept as sent; the server validates them against its own schema."""

    model_config = ConfigDict(extra="allow")


def tool_name(server: str, tool: str) -> str:
    name = _INVALID.sub("_", f"{server}__{tool}")
    if len(name) <= 64:
        return name
    return f"{name[:55]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


@dataclass
class McpTool(Tool):
    input_schema: dict[str, Any] = field(default_factory=dict)

    def schema(self) -> dict[str, Any]:
        return self.input_schema or {"type": "object", "properties": {}}


@dataclass
class _Server:
    spec: ServerSpec
    session: Any = None
    tools: list[Any] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    error: str = ""
    task: asyncio.Task[None] | None = None


class McpHub:
    """The configured servers, connected; `failures` names each server that could not start, and why."""

    def __init__(self, logs: Path) -> None:
        self._servers: list[_Server] = []
        self._logs = logs  # each stdio server's stderr goes to logs/mcp-<server>.log, not the user's terminal

    async def start(self, specs: list[ServerSpec]) -> None:
        for spec in specs:
            server = _Server(spec)
            server.task = asyncio.create_task(self._serve(server), name=f"mcp {spec.name}")
            self._servers.append(server)
        await asyncio.gather(*(asyncio.wait_for(s.ready.wait(), START_SECONDS + 5) for s in self._servers))

    @property
    def failures(self) -> dict[str, str]:
        return {s.spec.name: s.error for s in self._servers if s.error}

    def tools(self) -> list[Tool]:
        return [_tool(server, t) for server in self._servers if not server.error for t in server.tools]

    async def _serve(self, server: _Server) -> None:
        try:
            async with AsyncExitStack() as stack:
                async with asyncio.timeout(START_SECONDS):
                    errlog = stack.enter_context(self._errlog(server.spec.name))
                    server.session = await _connect(stack, server.spec, errlog)
                    server.tools = list((await server.session.list_tools()).tools)
                server.ready.set()
                await server.stop.wait()
        except Exception as e:  # any failure of one server is reported; the others go on
            server.error = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            log.warning("MCP server %s: %s", server.spec.name, server.error)
        finally:
            server.session = None
            server.ready.set()

    def _errlog(self, name: str) -> TextIO:
        self._logs.mkdir(parents=True, exist_ok=True)
        return (self._logs / f"mcp-{_INVALID.sub('_', name)}.log").open("a", encoding="utf-8")

    async def aclose(self) -> None:
        for server in self._servers:
            server.stop.set()
        await asyncio.gather(*(s.task for s in self._servers if s.task), return_exceptions=True)


async def _connect(stack: AsyncExitStack, spec: ServerSpec, errlog: TextIO) -> Any:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.client.streamable_http import streamable_http_client

    if spec.url:
        import httpx2

        client = await stack.enter_async_context(httpx2.AsyncClient(headers=spec.headers, timeout=START_SECONDS))
        read, write = await stack.enter_async_context(streamable_http_client(spec.url, http_client=client))
    else:
        assert spec.command is not None
        params = StdioServerParameters(command=spec.command, args=spec.args, env=spec.env or None, cwd=spec.cwd)
        read, write = await stack.enter_async_context(stdio_client(params, errlog=errlog))
    session = await stack.enter_async_context(ClientSession(read, write))
    await session.initialize()
    return session


def _tool(server: _Server, spec: Any) -> Tool:
    async def run(ctx: ToolContext, **arguments: Any) -> Result:
        if server.session is None:
            raise ToolRefused(f"the MCP server {server.spec.name!r} is not running ({server.error or 'stopped'})")
        result = await server.session.call_tool(spec.name, arguments)
        text = "\n".join(getattr(part, "text", None) or f"({part.type} content)" for part in result.content)
        return Result(ok=not result.is_error, output=text or "(no content)")

    description = f"[MCP server {server.spec.name}] {spec.description or spec.name}"
    return McpTool(
        tool_name(server.spec.name, spec.name),
        description,
        "mcp",
        "command",
        McpArguments,
        run,
        input_schema=dict(spec.input_schema or {}),
    )


@dataclass
class McpStart:
    """What connecting found: the hub (None: no server configured), and a workspace config not trusted yet."""

    hub: McpHub | None = None
    untrusted: Path | None = None
    workspace: Path | None = None


async def connect(settings: Settings, workspace: Path | None) -> McpStart:
    """Start the user's MCP servers (MCP_CONFIG_FILE) and the workspace's own, once trusted."""
    if "mcp" in settings.disabled:
        return McpStart()
    user = settings.mcp_config_file
    specs = read_specs(user) if await asyncio.to_thread(user.is_file) else []
    config = workspace_config(workspace) if workspace is not None else None
    untrusted = None
    if config is not None and is_trusted(settings.data_dir, config):
        specs += read_specs(config)
    elif config is not None:
        untrusted = config
    if not specs:
        return McpStart(untrusted=untrusted, workspace=workspace)
    hub = McpHub(settings.data_dir / "logs")
    await hub.start(specs)
    return McpStart(hub, untrusted, workspace)
