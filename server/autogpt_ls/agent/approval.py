"""Approval rules (AUTO_APPROVE, AUTO_APPROVE_COMMANDS): the calls the user lets run without asking.

They come from the machine's or the user's settings only, never from the workspace (a cloned repository must not
approve its own commands). A rule's approval is a decision of its own (source `rule`): it spends no `y -N` credit
and every front end shows it as such. ask_user always asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from autogpt_ls.settings import DEFAULT_AUTO_APPROVE
from autogpt_ls.tools.base import Tool
from autogpt_ls.tools.command_prefixes import matching_prefix
from autogpt_ls.tools.commands import execute_shell


@dataclass(frozen=True)
class ApprovalRules:
    """`tools`: tool names, categories (`file_operations`) or kinds (`read`); `commands`: command prefixes."""

    tools: frozenset[str] = frozenset(DEFAULT_AUTO_APPROVE)
    commands: tuple[str, ...] = ()

    @classmethod
    def of(cls, tools: Iterable[str], commands: Iterable[str]) -> ApprovalRules:
        return cls(frozenset(tools), tuple(commands))

    def rule_for(self, tool: Tool, arguments: dict[str, Any]) -> str:
        """The rule that approves this call without asking, as the user wrote it; empty: none does."""
        if tool.kind == "ask_user":
            return ""
        if named := next((n for n in (tool.name, tool.category, tool.kind) if n in self.tools), None):
            return f"AUTO_APPROVE {named}"
        line = arguments.get("command_line")
        shell = tool.name == execute_shell.name and self.commands and isinstance(line, str)
        prefix = matching_prefix(line, self.commands) if shell and isinstance(line, str) else None
        return f"AUTO_APPROVE_COMMANDS {prefix}" if prefix else ""


NO_RULES = ApprovalRules(frozenset())
