"""Proposals for a stock LSP client, one that does not handle agent/* notifications (Neovim, Helix, Emacs, ...).

A proposal that is not a file edit is asked with window/showMessageRequest; a file edit keeps its hint diagnostic
and code actions and is opened with window/showDocument. A step the loop guard holds is asked (an edit too) with
its reason and the guard's answers: Rethink, Feedback, Run anyway, Stop. Each request is tied to its step: an
answer that comes after the step was decided elsewhere is ignored (and said so), and a dismissed or unanswered
request leaves the step pending, so nothing is ever decided by accident.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from autogpt_ls.agent import decisions
from autogpt_ls.agent.decisions import from_request
from autogpt_ls.agent.errors import CoreError
from autogpt_ls.changes import ChangeSet, CommandPreview, Preview
from autogpt_ls.lsp import previews
from autogpt_ls.models import Decision, Step
from autogpt_ls.task_models import Task

if TYPE_CHECKING:
    from autogpt_ls.lsp.server import AutogptLanguageServer

log = logging.getLogger(__name__)
GUARD_ANSWERS = (
    "Rethink tells the agent to change its approach, Feedback sends your text, Run anyway runs it, Stop ends the task."
)
APPROVE, APPROVE_NEXT, REJECT = "Approve", f"Approve next {previews.APPROVE_NEXT}", "Reject"
FEEDBACK, ANSWER = "Feedback…", "Answer…"
RETHINK, RUN_ANYWAY, STOP = "Rethink", "Run anyway", "Stop"  # a step the loop guard holds
DECISIONS: dict[str, Decision] = {
    APPROVE: from_request("approve"),
    APPROVE_NEXT: from_request("approve", times=previews.APPROVE_NEXT),
    REJECT: from_request("reject"),
    RUN_ANYWAY: from_request("approve"),
    RETHINK: from_request("feedback", decisions.RETHINK),
    STOP: from_request("reject"),
}


def describe(step: Step, preview: Preview | None, guard: str = "") -> str:
    """The proposal in full, as the message of the request; first, why the loop guard holds it."""
    assert step.proposal is not None
    call = step.proposal.tool_call
    lines = [f"AutoGPT proposes step {step.index + 1}: {call.name}"]
    if guard:
        lines.insert(0, f"Loop guard: {guard}. It waits for you even in continuous mode: {GUARD_ANSWERS}")
    if step.proposal.thoughts:
        lines.append(f"Thoughts: {step.proposal.thoughts}")
    if call.name == "ask_user":
        lines.append(f"Question: {call.arguments.get('question', '')}")
    elif isinstance(preview, CommandPreview):
        lines.append(f"Command ({preview.language}, {preview.where}):\n{preview.command}")
    elif call.arguments:
        lines.append(f"Arguments: {json.dumps(call.arguments, ensure_ascii=False, indent=1)}")
    return "\n".join(lines)


def how_to(step: Step, command: str) -> str:
    """How to send text (feedback, an answer) from a client whose prompt has no text field."""
    ids = json.dumps({"taskId": step.task_id, "stepId": step.id, "text": "..."})
    return f"Send your text with workspace/executeCommand {command} {ids}. Step {step.index + 1} stays pending."


class StockPrompts:
    def __init__(self, ls: AutogptLanguageServer) -> None:
        self.ls = ls

    def proposal(self, step: Step, preview: Preview | None, guard: str = "") -> None:
        """Ask about a proposal that waits for the human; one the loop guard holds is asked, an edit too."""
        if isinstance(preview, ChangeSet) and preview.files and not guard:
            self._show_edit(step, preview)
        else:
            self.ls.background(self._ask(step, preview, guard))

    def ask_again(self, step: Step, guard: str = "") -> None:
        """The prompt again, for a step whose prompt was dismissed (an edit too: Approve applies it)."""
        self.ls.background(self._ask(step, None, guard))

    def _show_edit(self, step: Step, changes: ChangeSet) -> None:
        """The code actions decide it; the editor opens the file at the change, where they are offered (or, if
        it cannot open documents, is told which files to open)."""
        change = next((c for c in changes.files if c.after is not None), changes.files[0])
        if not self.ls.supports_show_document():
            names = ", ".join(c.path for c in changes.files)
            self._tell(
                types.MessageType.Info,
                f"AutoGPT proposes step {step.index + 1}: an edit of {names}. "
                "Its code actions there (AutoGPT: Approve edit, Reject, ...) decide it.",
            )
            return
        where, _ = previews.changed_range(change.before or "", change.after or "")
        params = types.ShowDocumentParams(uri=previews.uri_of(change.absolute_path), take_focus=True, selection=where)
        self.ls.background(self._show_document(params))

    def open_files(self, step: Step) -> None:
        """Open what a step made for the user to look at (a generated image), in an editor that can open documents;
        in one that cannot, say where it is."""
        if step.result is None or not step.result.files:
            return
        if not self.ls.supports_show_document():
            self._tell(types.MessageType.Info, f"AutoGPT saved {', '.join(step.result.files)} in the workspace.")
            return
        self.ls.background(self._open(step.task_id, step.result.files))

    async def _open(self, task_id: str, files: list[str]) -> None:
        task = await self.ls.runtime.store.get_task(task_id)
        if task is None:
            return
        for name in files:
            uri = previews.uri_of(Path(task.workspace) / name)
            await self._show_document(types.ShowDocumentParams(uri=uri, take_focus=False))

    async def _show_document(self, params: types.ShowDocumentParams) -> None:
        try:
            await self.ls.window_show_document_async(params)
        except JsonRpcException as e:
            log.warning("the editor did not open %s: %s", params.uri, e)

    async def _ask(self, step: Step, preview: Preview | None, guard: str = "") -> None:
        asking = step.proposal is not None and step.proposal.tool_call.name == "ask_user"
        titles = [ANSWER, REJECT] if asking else [APPROVE, APPROVE_NEXT, REJECT, FEEDBACK]
        if guard:
            titles = [RETHINK, FEEDBACK, RUN_ANYWAY, STOP]
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Warning if guard else types.MessageType.Info,
            message=describe(step, preview, guard),
            actions=[types.MessageActionItem(title=t) for t in titles],
        )
        try:
            chosen = await self.ls.window_show_message_request_async(params)
        except JsonRpcException as e:
            chosen = None
            log.warning("the editor's prompt for step %d failed: %s", step.index + 1, e)
        if chosen is None:  # dismissed: the step stays pending
            again = json.dumps({"taskId": step.task_id})
            self._tell(
                types.MessageType.Info,
                f"Step {step.index + 1} still waits for a decision: ask again with "
                f"workspace/executeCommand autogpt.server.ask {again}.",
            )
            return
        await self._answer(step, chosen.title)

    async def _answer(self, step: Step, title: str) -> None:
        if title in (FEEDBACK, ANSWER):
            command = "autogpt.server.answer" if title == ANSWER else "autogpt.server.feedback"
            self._tell(types.MessageType.Info, how_to(step, command))
            return
        decision = DECISIONS.get(title)
        if decision is None:
            self._tell(types.MessageType.Warning, f"Unknown answer {title!r}: step {step.index + 1} stays pending.")
            return
        try:
            await self.ls.decide(step.task_id, step.id, decision)
        except CoreError as e:
            self._tell(types.MessageType.Warning, f"Your answer to step {step.index + 1} was ignored: {e}")

    def ended(self, task: Task) -> None:
        """A stock client sees no agent/taskEnded: say how the task ended."""
        kind = types.MessageType.Error if task.status == "failed" else types.MessageType.Info
        self._tell(kind, f"AutoGPT task {task.id} {task.status}: {task.end_reason or 'no reason given'}")

    def _tell(self, kind: types.MessageType, message: str) -> None:
        self.ls.window_show_message(types.ShowMessageParams(type=kind, message=message))
