"""MCP servers for tasks started from the editor: the user's (MCP_CONFIG_FILE) and the workspace's own once
trusted, started with the first task in a workspace. An untrusted workspace config is asked about with
window/showMessageRequest, naming the programs it would run; the task starts without its servers meanwhile, and
trusting that exact content (its hash kept in the data folder, as `autogpt-ls mcp trust` does) starts them for
the tasks after."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from autogpt_ls.settings import ConfigError
from autogpt_ls.tools.mcp import McpStart
from autogpt_ls.tools.mcp_config import describe, digest, read_specs, trust

if TYPE_CHECKING:
    from autogpt_ls.lsp.server import AutogptLanguageServer

log = logging.getLogger(__name__)
TRUST, NOT_NOW = "Trust and start", "Not now"


class McpServers:
    def __init__(self, ls: AutogptLanguageServer) -> None:
        self.ls = ls
        self._seen: set[Path] = set()
        self._lock = asyncio.Lock()

    async def ready(self, workspace: Path) -> None:
        """Before the first task in `workspace`: start the servers, say which failed, ask about an untrusted one."""
        async with self._lock:
            if workspace in self._seen:
                return
            self._seen.add(workspace)
            started = await self.ls.runtime.wiring.connect_mcp(workspace)
        self._report(started)
        if started.untrusted is not None:
            self.ls.background(self._ask(started.untrusted, workspace))

    def _report(self, started: McpStart) -> None:
        if started.hub is None:
            return
        for name, error in started.hub.failures.items():
            self._tell(types.MessageType.Warning, f"MCP server {name} failed to start: {error}")
        if names := [t.name for t in started.hub.tools()]:
            log.info("MCP tools: %s", ", ".join(names))

    async def _ask(self, config: Path, workspace: Path) -> None:
        try:
            shown, specs = digest(config), read_specs(config)
        except (ConfigError, OSError) as e:
            self._tell(types.MessageType.Warning, f"The workspace's MCP config is not used: {e}")
            return
        message = (
            f"The workspace's MCP config {config} would start: {'; '.join(describe(s) for s in specs)}. These run "
            "with your rights on this machine. Trust it as it is now? Tasks run without its servers until you do."
        )
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Warning,
            message=message,
            actions=[types.MessageActionItem(title=TRUST), types.MessageActionItem(title=NOT_NOW)],
        )
        try:
            chosen = await self.ls.window_show_message_request_async(params)
        except JsonRpcException as e:
            log.warning("the editor could not ask about %s: %s", config, e)
            return
        if chosen is None or chosen.title != TRUST:
            return
        if digest(config) != shown:
            self._tell(types.MessageType.Warning, f"{config} changed after it was shown, so it is not trusted.")
            return
        trust(self.ls.settings.data_dir, config, shown)
        async with self._lock:
            started = await self.ls.runtime.wiring.connect_mcp(workspace)
        self._report(started)
        names = ", ".join(t.name for t in started.hub.tools()) if started.hub else "none"
        self._tell(types.MessageType.Info, f"Trusted {config}: the next tasks get its tools ({names}).")

    def _tell(self, kind: types.MessageType, message: str) -> None:
        self.ls.window_show_message(types.ShowMessageParams(type=kind, message=message))
