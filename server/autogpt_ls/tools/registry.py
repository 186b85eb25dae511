"""The set of tools a task may use, after DISABLED_COMMANDS and DISABLED_COMMAND_CATEGORIES."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autogpt_ls.tools import clone, commands, files, git, memory, search, user
from autogpt_ls.tools.base import Tool

ALL_TOOLS: list[Tool] = [
    *files.TOOLS,
    *search.TOOLS,
    *commands.TOOLS,
    *git.TOOLS,
    *clone.TOOLS,
    *memory.TOOLS,
    *user.TOOLS,
]


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool], disabled: Iterable[str] = ()) -> None:
        self._tools = {t.name: t for t in tools}
        self._disabled = set(disabled) - set(self._tools)  # known tools the user turned off
        self._specs = [
            {"name": t.name, "description": t.description, "parameters": t.schema()} for t in self._tools.values()
        ]

    @classmethod
    def default(cls, disabled: Iterable[str] = (), extra: Iterable[Tool] = ()) -> ToolRegistry:
        """Every tool except the disabled ones (by tool name or category); `finish` is always kept."""
        off = set(disabled)
        every = [*ALL_TOOLS, *extra]
        kept = [t for t in every if t.name == "finish" or not off & {t.name, t.category}]
        return cls(kept, disabled=(t.name for t in every if t not in kept))

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def is_disabled(self, name: str) -> bool:
        """A tool that exists but the user's settings turned off: calling it is refused with that reason."""
        return name in self._disabled

    def names(self) -> list[str]:
        return list(self._tools)

    def specs(self) -> list[dict[str, Any]]:
        """Tool descriptions in the neutral shape {name, description, parameters} that providers adapt."""
        return self._specs
