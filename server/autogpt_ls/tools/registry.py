"""The set of tools a task may use, after DISABLED_COMMANDS and DISABLED_COMMAND_CATEGORIES."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autogpt_ls.tools import clone, commands, files, git, memory, search, staging, user
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
HIDDEN_TOOLS: list[Tool] = staging.TOOLS  # proposed by the driver, never offered to the LLM


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool], disabled: Iterable[str] = (), hidden: Iterable[Tool] = ()) -> None:
        self._offered = {t.name: t for t in tools}
        self._tools = {**{t.name: t for t in hidden}, **self._offered}
        self._disabled = set(disabled) - set(self._offered)  # known tools the user turned off
        self._specs = [
            {"name": t.name, "description": t.description, "parameters": t.schema()} for t in self._offered.values()
        ]

    @classmethod
    def default(cls, disabled: Iterable[str] = (), extra: Iterable[Tool] = ()) -> ToolRegistry:
        """Every tool except the disabled ones (by tool name or category); `finish` is always kept."""
        off = set(disabled)
        every = [*ALL_TOOLS, *extra]
        kept = [t for t in every if t.name == "finish" or not off & {t.name, t.category}]
        return cls(kept, disabled=(t.name for t in every if t not in kept), hidden=HIDDEN_TOOLS)

    def get(self, name: str) -> Tool | None:
        """Any tool a step may name, the hidden ones too."""
        return self._tools.get(name)

    def offered(self, name: str) -> Tool | None:
        """A tool the LLM may call."""
        return self._offered.get(name)

    def is_disabled(self, name: str) -> bool:
        """A tool that exists but the user's settings turned off: calling it is refused with that reason."""
        return name in self._disabled

    def names(self) -> list[str]:
        return list(self._offered)

    def specs(self) -> list[dict[str, Any]]:
        """Tool descriptions in the neutral shape {name, description, parameters} that providers adapt."""
        return self._specs
