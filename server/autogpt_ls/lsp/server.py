"""The language server: hosts the agent runtime and renders its events as LSP notifications and previews."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from autogpt_ls import __version__
from autogpt_ls.agent.events import CommandOutput, Event, ProposalMade, StepCompleted, TaskEnded, Thinking
from autogpt_ls.agent.models import Step, StepStatus
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.lsp import previews
from autogpt_ls.lsp.sessions import Sessions
from autogpt_ls.settings import Settings
from autogpt_ls.tools.base import CommandPreview, FileChange

log = logging.getLogger(__name__)


@dataclass
class PendingEdit:
    """A proposed file edit on show: where it lands, its hint, and the buffer text it was computed from."""

    step: Step
    uri: str
    change: FileChange
    diagnostic: types.Diagnostic


class AutogptLanguageServer(LanguageServer):
    """State lives here (the runtime, the sessions, what is on show); handlers in `handlers.py` stay thin."""

    def __init__(self, settings: Settings) -> None:
        super().__init__("autogpt-ls", __version__)
        self.settings = settings
        self._runtime: Runtime | None = None
        self._sessions: Sessions | None = None
        self.edits: dict[str, PendingEdit] = {}  # by step id
        self.initialization_options: Any = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._progress: dict[str, asyncio.Task[None]] = {}  # token -> its begin, so end never overtakes it

    # The runtime opens the store and the tool registry: built on first use, not before `initialize`.
    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime(self.settings)
            self._runtime.buffers = self.buffer_text
            self._runtime.subscribe(self.on_event)
        return self._runtime

    @property
    def sessions(self) -> Sessions:
        if self._sessions is None:
            self._sessions = Sessions(self.runtime)
        return self._sessions

    def authorized(self) -> bool:
        """With LSP_SERVER_TOKEN set (a TCP server off loopback), only a client that sent it may drive agents."""
        token = self.settings.lsp_server_token
        if token is None:
            return True
        options = self.initialization_options
        sent = options.get("token") if isinstance(options, dict) else None
        return bool(sent) and hmac.compare_digest(str(sent), token.get_secret_value())

    def buffer_text(self, path: Path) -> str | None:
        doc = self.workspace.text_documents.get(unquote(previews.uri_of(path)))
        return doc.source if doc is not None else None

    def _version(self, uri: str) -> int | None:
        doc = self.workspace.text_documents.get(unquote(uri))
        return doc.version if doc is not None else None

    def send(self, method: str, payload: dict[str, Any]) -> None:
        self.protocol.notify(method, payload)

    # -- events from the core
    def on_event(self, event: Event) -> None:
        if isinstance(event, Thinking):
            self.begin_progress(f"think-{event.task_id}-{event.step_index}", event.task_id, "AutoGPT is thinking")
        elif isinstance(event, ProposalMade):
            self._proposal(event)
        elif isinstance(event, CommandOutput):
            self.send("agent/commandOutput", {"taskId": event.task_id, "stepId": event.step_id, "text": event.text})
        elif isinstance(event, StepCompleted):
            self._completed(event.step)
        elif isinstance(event, TaskEnded):
            task = event.task
            payload = {"taskId": task.id, "status": task.status, "reason": task.end_reason}
            self.send("agent/taskEnded", payload | {"usage": task.state.usage.model_dump(by_alias=True)})
            self.window_log_message(
                types.LogMessageParams(type=types.MessageType.Info, message=f"Task {task.status}: {task.end_reason}")
            )

    def _proposal(self, event: ProposalMade) -> None:
        step = event.step
        assert step.proposal is not None
        self.end_progress(f"think-{step.task_id}-{step.index}")
        call = step.proposal.tool_call
        payload: dict[str, Any] = {
            "taskId": step.task_id,
            "stepId": step.id,
            "index": step.index,
            "thoughts": step.proposal.thoughts,
            "tool": call.name,
            "arguments": call.arguments,
            "auto": event.auto,
            "kind": "other",
        }
        if isinstance(event.preview, FileChange):
            uri = previews.uri_of(event.preview.absolute_path)
            edit = previews.workspace_edit(event.preview, self._version(uri))
            payload |= {"kind": "file_change", "uri": uri, "workspaceEdit": self.protocol._converter.unstructure(edit)}
            if not event.auto:
                self._show_edit(PendingEdit(step, uri, event.preview, previews.hint(step, event.preview)))
        elif isinstance(event.preview, CommandPreview):
            payload |= {"kind": "command", "command": event.preview.model_dump()}
            if event.auto:
                self.begin_progress(f"run-{step.id}", step.task_id, "AutoGPT is running a command")
        self.send("agent/proposal", payload)
        if call.name == "ask_user" and not event.auto:
            question = {"taskId": step.task_id, "stepId": step.id, "question": call.arguments.get("question", "")}
            self.send("agent/question", question)

    def _show_edit(self, edit: PendingEdit) -> None:
        self.edits[edit.step.id] = edit
        self._publish(edit.uri)

    def _publish(self, uri: str) -> None:
        diagnostics = [e.diagnostic for e in self.edits.values() if e.uri == uri]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))

    def _completed(self, step: Step) -> None:
        self.end_progress(f"think-{step.task_id}-{step.index}")
        self.end_progress(f"run-{step.id}")
        edit = self.edits.pop(step.id, None)
        if edit is not None:
            self._publish(edit.uri)
            if step.status == StepStatus.DONE and step.result and step.result.ok:
                self._apply_to_dirty_buffer(edit)
        payload = {"taskId": step.task_id, "step": step.model_dump(mode="json", by_alias=True)}
        self.send("agent/stepCompleted", payload)

    def _apply_to_dirty_buffer(self, edit: PendingEdit) -> None:
        """The executor wrote the disk; a buffer with unsaved changes gets the same edit, so nothing is lost.

        A buffer that matches the disk simply reloads it, as editors do.
        """
        buffer = self.buffer_text(Path(edit.change.absolute_path))
        if buffer is None or buffer != edit.change.before:
            return
        disk = Path(edit.change.absolute_path).read_text(encoding="utf-8", errors="replace")
        if buffer == disk:
            return
        change = previews.workspace_edit(edit.change, self._version(edit.uri))
        self.workspace_apply_edit(types.ApplyWorkspaceEditParams(edit=change, label="AutoGPT: approved edit"))

    def _background(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `work` soon; keep a reference so it is not garbage-collected half way."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- work-done progress, cancellable from the editor
    def _supports_progress(self) -> bool:
        window = self.client_capabilities.window if self.client_capabilities else None
        return bool(window and window.work_done_progress)

    def begin_progress(self, token: str, task_id: str, title: str) -> None:
        if not self._supports_progress() or token in self._progress:
            return

        async def begin() -> None:
            await self.work_done_progress.create_async(token)

            def on_done(fut: Any) -> None:
                if fut.cancelled():  # the user pressed Cancel on the progress notification
                    self._cancel_from_progress(task_id)

            self.work_done_progress.tokens[token].add_done_callback(on_done)
            self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=True))

        self._progress[token] = self._background(begin())

    def _cancel_from_progress(self, task_id: str) -> None:
        log.info("task %s cancelled from the editor's progress", task_id)
        with contextlib.suppress(ValueError):  # it may have ended meanwhile
            self.sessions.cancel(task_id, "cancelled from the editor")

    def end_progress(self, token: str) -> None:
        begun = self._progress.pop(token, None)
        if begun is None:
            return

        async def end() -> None:
            await begun
            self.work_done_progress.end(token, types.WorkDoneProgressEnd())
            self.work_done_progress.tokens.pop(token, None)

        self._background(end())
