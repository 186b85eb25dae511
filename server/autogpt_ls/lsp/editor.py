"""The editor's side of a task, in the core's terms: the context sent with agent/run, and the diagnostics a client
that declared `diagnosticsFeedback` sends with agent/diagnostics, handed to the driver waiting for them."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from pathlib import Path

from pygls.uris import to_fs_path

from autogpt_ls.lsp.protocol import EditorContextParams, EditorDiagnostic, Range
from autogpt_ls.models import Diagnostic, EditorContext, Selection, Severity, Step

SEVERITIES: dict[int, Severity] = {1: "error", 2: "warning", 3: "information", 4: "hint"}
EARLY = 16  # reports that came before their step's driver asked, kept until it does (a few at most)


def path_of(uri: str, workspace: Path) -> str:
    """What the agent calls the file: relative to its workspace, or absolute when outside it."""
    path = Path(to_fs_path(uri) or uri)
    try:
        return str(path.relative_to(workspace))
    except ValueError:
        return str(path)


def diagnostic(d: EditorDiagnostic, workspace: Path) -> Diagnostic:
    start = d.range.start
    return Diagnostic(
        path=path_of(d.uri, workspace),
        line=start.line + 1,
        column=start.character + 1,
        severity=SEVERITIES[d.severity],
        message=d.message,
        source=d.source or "",
    )


def _lines(r: Range) -> tuple[int, int]:
    """1-based and inclusive; a selection ending at column 0 ends on the line before."""
    end = r.end.line if r.end.character > 0 or r.end.line == r.start.line else r.end.line - 1
    return r.start.line + 1, end + 1


def context(params: EditorContextParams | None, workspace: Path) -> EditorContext | None:
    if params is None:
        return None
    selection = None
    if (s := params.selection) is not None and s.text.strip():
        first, last = _lines(s.range)
        selection = Selection(path=path_of(s.uri, workspace), start_line=first, end_line=last, text=s.text)
    return EditorContext(
        active_file=path_of(params.active_file, workspace) if params.active_file else None,
        selection=selection,
        diagnostics=[diagnostic(d, workspace) for d in params.diagnostics or []],
    )


class DiagnosticsInbox:
    """agent/diagnostics reports by step id; the core's DiagnosticsSource for this client (`wait`)."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[list[Diagnostic]]] = {}
        self._early: OrderedDict[str, list[Diagnostic]] = OrderedDict()

    async def wait(self, step: Step) -> list[Diagnostic]:
        """The report on `step`; the driver bounds the wait (DIAGNOSTICS_WAIT_MS)."""
        early = self._early.pop(step.id, None)
        if early is not None:
            return early
        future: asyncio.Future[list[Diagnostic]] = asyncio.get_running_loop().create_future()
        self._waiting[step.id] = future
        try:
            return await future
        finally:
            del self._waiting[step.id]

    def deliver(self, step_id: str, diagnostics: list[Diagnostic]) -> bool:
        """Whether a driver was waiting for it (else it is kept a little, in case its driver asks next)."""
        future = self._waiting.get(step_id)
        if future is not None and not future.done():
            future.set_result(diagnostics)
            return True
        self._early[step_id] = diagnostics
        while len(self._early) > EARLY:
            self._early.popitem(last=False)
        return False
