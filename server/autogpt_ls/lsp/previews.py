"""Conversions between the core's proposals and LSP shapes: WorkspaceEdits, code actions, hint diagnostics."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.uris import from_fs_path

if TYPE_CHECKING:
    from collections.abc import Callable

    from autogpt_ls.changes import ChangeSet, FileChange
    from autogpt_ls.models import Step

SOURCE = "autogpt"
APPROVE_NEXT = 5
GUARD_CHOICES = "Rethink, Feedback, Run anyway or Stop"
WHOLE_FILE = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=1, character=0))


def uri_of(path: str | Path) -> str:
    return str(from_fs_path(str(path)))


def same_uri(a: str, b: str) -> bool:
    """Editors differ in how they quote URIs (VS Code escapes ':' in drive letters, others do not)."""
    return unquote(a) == unquote(b)


def changed_range(before: str, after: str) -> tuple[types.Range, str]:
    """The smallest whole-line range of `before` to replace, and its replacement, to turn it into `after`."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old, end_new = end_old - 1, end_new - 1
    if end_old == len(old) and old and not old[-1].endswith("\n"):
        # the change reaches the last line, which has no newline: end the range at that line's end
        end = types.Position(line=len(old) - 1, character=len(old[-1].encode("utf-16-le")) // 2)
    else:
        end = types.Position(line=end_old, character=0)
    return types.Range(start=types.Position(line=start, character=0), end=end), "".join(new[start:end_new])


def workspace_edit(changes: ChangeSet, version_of: Callable[[str], int | None]) -> types.WorkspaceEdit:
    """The exact edit the proposal would make, every file of it in one edit; a new file is created first."""
    edits: list[Any] = []
    for change in changes.files:
        edits.extend(_file_edits(change, version_of(uri_of(change.absolute_path))))
    return types.WorkspaceEdit(document_changes=edits)


def _file_edits(change: FileChange, version: int | None) -> list[Any]:
    uri = uri_of(change.absolute_path)
    if change.after is None:
        return [types.DeleteFile(uri=uri, options=types.DeleteFileOptions(ignore_if_not_exists=True))]
    edits: list[Any] = []
    if change.before is None:
        edits.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True)))
    if change.binary:
        return edits
    text_range, new_text = changed_range(change.before or "", change.after)
    edits.append(
        types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
            edits=[types.TextEdit(range=text_range, new_text=new_text)],
        )
    )
    return edits


def hint(step: Step, text_range: types.Range, guard: str = "") -> types.Diagnostic:
    """Marks where a pending edit lands, with the agent's thoughts; or, on a file a step the loop guard holds
    names, why it waits."""
    assert step.proposal is not None
    if guard:
        message = f"AutoGPT loop guard: {guard}. Step {step.index + 1} waits for you: {GUARD_CHOICES}."
        severity = types.DiagnosticSeverity.Warning
    else:
        thoughts = step.proposal.thoughts or f"AutoGPT proposes {step.proposal.tool_call.name} here."
        message, severity = f"AutoGPT (pending): {thoughts}", types.DiagnosticSeverity.Hint
    return types.Diagnostic(range=text_range, message=message, severity=severity, source=SOURCE, code=step.id)


def code_actions(step: Step, diagnostic: types.Diagnostic | None, guard: str = "") -> list[types.CodeAction]:
    """Approve / approve next N / reject / feedback for a pending step, as plain server commands; for a step the
    loop guard holds: rethink / feedback / run anyway / stop."""
    from autogpt_ls.agent.decisions import RETHINK

    ids = {"taskId": step.task_id, "stepId": step.id}
    entries = (
        [
            (
                "AutoGPT: Rethink (tell the agent to change its approach)",
                "autogpt.server.feedback",
                ids | {"text": RETHINK},
                True,
            ),
            ("AutoGPT: Give feedback…", "autogpt.server.feedback", ids, False),
            ("AutoGPT: Run anyway", "autogpt.server.approveStep", ids, False),
            ("AutoGPT: Stop the task", "autogpt.server.rejectStep", ids, False),
        ]
        if guard
        else [
            ("AutoGPT: Approve edit", "autogpt.server.approveStep", ids, True),
            (
                f"AutoGPT: Approve next {APPROVE_NEXT}",
                "autogpt.server.approveStep",
                ids | {"times": APPROVE_NEXT},
                False,
            ),
            ("AutoGPT: Reject", "autogpt.server.rejectStep", ids, False),
            ("AutoGPT: Give feedback…", "autogpt.server.feedback", ids, False),
            ("AutoGPT: Self-feedback (critique it, then propose again)", "autogpt.server.selfFeedback", ids, False),
        ]
    )
    return [
        types.CodeAction(
            title=title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic] if diagnostic else None,
            is_preferred=preferred,
            command=types.Command(title=title, command=command, arguments=[args]),
        )
        for title, command, args, preferred in entries
    ]
