"""The set of tools a task may use, after DISABLED_COMMANDS."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autogpt_ls.tools import commands, files, memory, search, user
from autogpt_ls.tools.base import Tool

ALL_TOOLS: list[Tool] = [*files.TOOLS, *search.TOOLS, *commands.TOOLS, *memory.TOOLS, *user.TOOLS]


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools = {t.name: t for t in tools}
        self._specs = [
            {"name": t.name, "description": t.description, "parameters": t.schema()} for t in self._tools.values()
        ]

    @classmethod
    def default(cls, disabled: Iterable[str] = ()) -> ToolRegistry:
        """Every tool except the disabled ones (by tool name or category); `finish` is always kept."""
        off = set(disabled)
        return cls(t for t in ALL_TOOLS if t.name == "finish" or not off & {t.name, t.category})

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return list(self._tools)

    def specs(self) -> list[dict[str, Any]]:
        """Tool descriptions in the neutral shape {name, description, parameters} that providers adapt."""
        return self._specs
