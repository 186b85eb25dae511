"""Renders the core's events for the editor: notifications, hint diagnostics, progress and buffer edits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from autogpt_ls.agent.events import (
    CommandOutput,
    Compacted,
    Event,
    PlanChanged,
    Preparing,
    ProposalMade,
    RewindRefused,
    StepCompleted,
    TaskEnded,
    Thinking,
    ThinkingDelta,
)
from autogpt_ls.changes import ChangeSet, CommandPreview, FileChange
from autogpt_ls.lsp import previews
from autogpt_ls.lsp.payloads import (
    CommandOutputParams,
    CompactedParams,
    PlanParams,
    ProposalParams,
    QuestionParams,
    RewindRefusedParams,
    StepCompletedParams,
    ThinkingParams,
)
from autogpt_ls.lsp.stock import StockPrompts
from autogpt_ls.lsp.task_payloads import TaskEndedParams
from autogpt_ls.models import Step, StepStatus

if TYPE_CHECKING:
    from autogpt_ls.lsp.server import AutogptLanguageServer


@dataclass
class EditedFile:
    uri: str
    change: FileChange | None  # None: a file a held repeat only names (read_file notes.txt)
    diagnostic: types.Diagnostic


@dataclass
class PendingEdit:
    """A proposed change set on show: where each file's edit lands, with its hint; or a step the loop guard holds
    (`guard`, its reason), marked on the files it names."""

    step: Step
    files: list[EditedFile]
    guard: str = ""

    def touches(self, uri: str) -> bool:
        return any(previews.same_uri(f.uri, uri) for f in self.files)

    def diagnostic_for(self, uri: str) -> types.Diagnostic | None:
        return next((f.diagnostic for f in self.files if previews.same_uri(f.uri, uri)), None)


class Renderer:
    def __init__(self, ls: AutogptLanguageServer) -> None:
        self.ls = ls
        self.stock = StockPrompts(ls)

    def on_event(self, event: Event) -> None:
        if isinstance(event, Thinking):
            self.ls.begin_progress(f"think-{event.task_id}-{event.step_index}", event.task_id, "AutoGPT is thinking")
        elif isinstance(event, ThinkingDelta):
            self.ls.send(ThinkingParams(task_id=event.task_id, index=event.step_index, delta=event.text))
        elif isinstance(event, ProposalMade):
            self._proposal(event)
        elif isinstance(event, CommandOutput):
            self.ls.send(CommandOutputParams(task_id=event.task_id, step_id=event.step_id, text=event.text))
        elif isinstance(event, Preparing):
            self._preparing(event)
        elif isinstance(event, StepCompleted):
            self._completed(event.step)
        elif isinstance(event, Compacted):
            self.ls.send(CompactedParams(task_id=event.task_id, summary=event.summary))
        elif isinstance(event, PlanChanged):
            self.ls.send(PlanParams(task_id=event.task_id, step_id=event.step_id, plan=event.plan))
        elif isinstance(event, RewindRefused):
            self.ls.send(RewindRefusedParams(task_id=event.task_id, step_id=event.step_id, message=event.message))
        elif isinstance(event, TaskEnded):
            task = event.task
            self.ls.end_task_progress(task.id)
            self.ls.send(
                TaskEndedParams(task_id=task.id, status=task.status, reason=task.end_reason, usage=task.state.usage)
            )
            if not self.ls.agent_notifications:
                self.stock.ended(task)

    def _preparing(self, event: Preparing) -> None:
        """A work-done progress of its own while a command waits for its devcontainer (cancellable like a step)."""
        token = f"prepare-{event.step_id}"
        if event.done:
            self.ls.end_progress(token, event.message)
        else:
            self.ls.begin_progress(token, event.task_id, event.title)
            self.ls.report_progress(token, event.message)

    def _proposal(self, event: ProposalMade) -> None:
        step = event.step
        assert step.proposal is not None
        self.ls.end_progress(f"think-{step.task_id}-{step.index}")
        call = step.proposal.tool_call
        payload = ProposalParams(
            task_id=step.task_id,
            step_id=step.id,
            index=step.index,
            thoughts=step.proposal.thoughts,
            tool=call.name,
            arguments=call.arguments,
            auto=event.auto,
            approved_by=event.approved_by,
            kind="other",
            guard=event.guard,
        )
        held = PendingEdit(step, [], event.guard)  # shown when it waits (a guard's hold, or an edit)
        if isinstance(event.preview, ChangeSet) and event.preview.files:
            held.files = [_edited(step, change, event.guard) for change in event.preview.files]
            edit = previews.workspace_edit(event.preview, self.ls.version_of)
            payload.kind, payload.uri = "file_change", held.files[0].uri
            payload.workspace_edit = self.ls.protocol._converter.unstructure(edit)
        else:
            held.files = [
                EditedFile(uri, None, previews.hint(step, previews.WHOLE_FILE, event.guard))
                for uri in map(previews.uri_of, event.files)
            ]
        if not event.auto and (held.files or held.guard):
            self._show_edit(held)
        if isinstance(event.preview, CommandPreview):
            payload.kind, payload.command = "command", event.preview
            if event.auto:
                self.ls.begin_progress(f"run-{step.id}", step.task_id, "AutoGPT is running a command")
        self.ls.send(payload)
        if call.name == "ask_user" and not event.auto:
            question = str(call.arguments.get("question", ""))
            self.ls.send(QuestionParams(task_id=step.task_id, step_id=step.id, question=question))
        if not event.auto and not self.ls.agent_notifications:
            self.stock.proposal(step, event.preview, event.guard)

    def _show_edit(self, edit: PendingEdit) -> None:
        self.ls.edits[edit.step.id] = edit
        for file in edit.files:
            self._publish(file.uri)

    def _publish(self, uri: str) -> None:
        diagnostics = [f.diagnostic for e in self.ls.edits.values() for f in e.files if f.uri == uri]
        self.ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))

    def _completed(self, step: Step) -> None:
        self.ls.end_progress(f"think-{step.task_id}-{step.index}")
        self.ls.end_progress(f"run-{step.id}")
        edit = self.ls.edits.pop(step.id, None)
        for file in edit.files if edit is not None else []:
            self._publish(file.uri)
            if file.change is not None and step.status == StepStatus.DONE and step.result and step.result.ok:
                self._apply_to_dirty_buffer(file)
        self.ls.send(StepCompletedParams(task_id=step.task_id, step=step))
        if step.status == StepStatus.DONE and step.result and step.result.ok and self._shows_its_files(step):
            self.stock.open_files(step)

    def _shows_its_files(self, step: Step) -> bool:
        """A step whose files the user wants to see at once: a generated image (an edit is opened when proposed)."""
        tool = self.ls.runtime.wiring.tools.get(step.proposal.tool_call.name) if step.proposal else None
        return tool is not None and tool.category == "image"

    def _apply_to_dirty_buffer(self, file: EditedFile) -> None:
        assert file.change is not None
        """The executor wrote the disk; a buffer with unsaved changes gets the same edit, so nothing is lost.

        A buffer that matches the disk simply reloads it, as editors do.
        """
        buffer = self.ls.buffer_text(Path(file.change.absolute_path))
        if buffer is None or buffer != file.change.before or file.change.after is None or file.change.truncated:
            return
        disk = Path(file.change.absolute_path).read_text(encoding="utf-8", errors="replace")
        if buffer == disk:
            return
        change = previews.workspace_edit(ChangeSet(files=[file.change]), self.ls.version_of)
        self.ls.workspace_apply_edit(types.ApplyWorkspaceEditParams(edit=change, label="AutoGPT: approved edit"))


def _edited(step: Step, change: FileChange, guard: str) -> EditedFile:
    text_range, _ = previews.changed_range(change.before or "", change.after or "")
    return EditedFile(previews.uri_of(change.absolute_path), change, previews.hint(step, text_range, guard))
