"""What an editor adds to a task, as the LLM reads it: the context the user sent with the goal (kept with it, never
summarised), and the errors and warnings the user's other tools report after an approved edit.

The diagnostics come through a seam a front end fills (`DiagnosticsSource`); the core knows no editor and no
protocol. The driver asks it once after each approved edit, waiting at most `DIAGNOSTICS_WAIT_MS`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from autogpt_ls.models import Diagnostic, EditorContext, Step, StepStatus, ToolKind

# What the editor's tools report for the files a step edited; the front end knows how to ask its editor.
DiagnosticsSource = Callable[[Step], Awaitable[list[Diagnostic]]]
MAX_SELECTION_CHARS = 20_000
MAX_DIAGNOSTICS = 20
MAX_MESSAGE_CHARS = 300
SHOWN = ("error", "warning")  # information and hints are not worth a prompt's tokens


@dataclass(frozen=True)
class DiagnosticsFeed:
    """A front end's diagnostics, waited for after an approved file edit, before the next LLM call."""

    source: DiagnosticsSource
    wait_seconds: float

    async def after(self, step: Step, kind: ToolKind) -> list[Diagnostic]:
        """The new errors and warnings of an edit that ran; nothing for any other step, or when none came in time."""
        if kind != "write" or step.status != StepStatus.DONE or not (step.result and step.result.ok):
            return []
        try:
            async with asyncio.timeout(self.wait_seconds):
                found = await self.source(step)
        except TimeoutError:
            return []
        return [d for d in found if d.severity in SHOWN]


def _line(d: Diagnostic) -> str:
    message = " ".join(d.message.split())[:MAX_MESSAGE_CHARS]
    source = f" ({d.source})" if d.source else ""
    return f"- {d.path}:{d.line}:{d.column} {d.severity}{source}: {message}"


def _listed(diagnostics: list[Diagnostic]) -> str:
    lines = [_line(d) for d in diagnostics[:MAX_DIAGNOSTICS]]
    if len(diagnostics) > MAX_DIAGNOSTICS:
        lines.append(f"- ... and {len(diagnostics) - MAX_DIAGNOSTICS} more")
    return "\n".join(lines)


def _counted(diagnostics: list[Diagnostic]) -> str:
    counts = [(sum(d.severity == s for d in diagnostics), s) for s in SHOWN]
    return " and ".join(f"{n} {s}{'' if n == 1 else 's'}" for n, s in counts if n)


def introduced(diagnostics: list[Diagnostic]) -> str:
    """Added to an edit's observation: what the user's language servers now report that they did not before."""
    if not diagnostics:
        return ""
    return f"\n\nThe edit introduced {_counted(diagnostics)}, as the user's editor reports:\n{_listed(diagnostics)}"


def context_section(context: EditorContext | None) -> str:
    """The editor context as part of the task message."""
    if context is None:
        return ""
    parts = []
    if context.active_file:
        parts.append(f"The file open in the user's editor: {context.active_file}")
    if (s := context.selection) is not None:
        text = s.text
        if len(text) > MAX_SELECTION_CHARS:
            text = text[:MAX_SELECTION_CHARS] + f"\n[... {len(s.text) - MAX_SELECTION_CHARS} characters cut ...]"
        parts.append(f"The user selected lines {s.start_line}-{s.end_line} of {s.path}:\n```\n{text}\n```")
    if context.diagnostics:
        parts.append(f"Errors and warnings the user's editor reports there:\n{_listed(context.diagnostics)}")
    if not parts:
        return ""
    return "\n\n## From the user's editor (chosen by the user with the task)\n" + "\n\n".join(parts)
