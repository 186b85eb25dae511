"""agent/* requests and autogpt.server.* commands: short adapters that validate, convert and call the core.

Each handler is registered by its decorator, so the type checker sees it. This module is imported before the
editor's `initialize` is answered, so it imports nothing heavy at the top: the request models (pydantic) and
the core load inside the handlers, on the first request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.uris import to_fs_path

from autogpt_ls.agent import errors
from autogpt_ls.lsp import previews
from autogpt_ls.lsp.server import AutogptLanguageServer

if TYPE_CHECKING:
    from autogpt_ls.agent.decisions import Verb
    from autogpt_ls.lsp.payloads import CheckpointFile, DecisionResult, DiagnosticsAck, Payload
    from autogpt_ls.lsp.task_payloads import TaskDetail, TaskList, TaskRef
    from autogpt_ls.models import Decision
    from autogpt_ls.task_models import Task

log = logging.getLogger(__name__)
Handler = Callable[[AutogptLanguageServer, Any], Awaitable["Payload"]]
Registered = Callable[[AutogptLanguageServer, Any], Awaitable[dict[str, Any]]]  # answers with the payload's JSON
H = TypeVar("H", bound=Handler)
FEATURES: list[tuple[str, Registered]] = []  # (LSP method, handler), registered by app.create_server
COMMANDS: list[tuple[str, Registered]] = []  # (workspace/executeCommand command, handler)
# The core's refusals as JSON-RPC errors: what the client got wrong about a task's state is an invalid request.
RPC_ERRORS: dict[type[errors.CoreError], type[JsonRpcException]] = {
    errors.NotFound: JsonRpcInvalidRequest,
    errors.InvalidInput: JsonRpcInvalidParams,
    errors.Forbidden: JsonRpcInvalidRequest,
    errors.TaskBusy: JsonRpcInvalidRequest,
    errors.NotWaiting: JsonRpcInvalidRequest,
    errors.TaskOver: JsonRpcInvalidRequest,
    errors.Conflict: JsonRpcInvalidRequest,
    errors.LLMUnavailable: JsonRpcInvalidRequest,
}


def request(method: str | None = None, *, command: str | None = None) -> Callable[[H], H]:
    """Register `handler` for `method` and/or as an executeCommand `command`, with authorization and error
    mapping."""

    def register(handler: H) -> H:
        async def handle(ls: AutogptLanguageServer, params: Any) -> dict[str, Any]:
            from autogpt_ls.settings import ConfigError

            if not ls.authorized():
                raise JsonRpcInvalidRequest("unauthorized: send LSP_SERVER_TOKEN as initializationOptions.token")
            try:
                return (await handler(ls, params)).wire()
            except errors.CoreError as e:
                raise RPC_ERRORS[type(e)](str(e)) from None
            except ConfigError as e:
                raise JsonRpcInvalidRequest(str(e)) from None

        if method:
            FEATURES.append((method, handle))
        if command:
            COMMANDS.append((command, handle))
        return handler

    return register


def _workspace(ls: AutogptLanguageServer, folder: str | None) -> Path:
    uri = folder or (ls.workspace.folders and next(iter(ls.workspace.folders.values())).uri) or ls.workspace.root_uri
    path = to_fs_path(uri) if uri else None
    if not path:
        raise JsonRpcInvalidParams("no workspaceFolder given and the editor opened no folder")
    return Path(path)


@request("agent/run", command="autogpt.server.runGoal")
async def run_goal(ls: AutogptLanguageServer, raw: Any) -> TaskRef:
    from autogpt_ls.agent.rules import listing
    from autogpt_ls.lsp import editor
    from autogpt_ls.lsp.protocol import RunParams
    from autogpt_ls.lsp.task_payloads import TaskRef

    p = RunParams.parse(raw)
    workspace = _workspace(ls, p.workspace_folder)
    await ls.mcp_servers.ready(workspace)
    task = await ls.runtime.new_task(
        p.goal,
        workspace,
        smart_llm=p.smart_llm,
        fast_llm=p.fast_llm,
        continuous=p.continuous,
        continuous_limit=p.continuous_limit,
        executor=p.executor,
        network=p.network,
        stage_changes=p.stage_changes,
        context=editor.context(p.context, workspace.resolve()),
    )
    if task.config.staging_note:  # asked for, but cannot work here: said at the start, commands run as without it
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=task.config.staging_note)
        )
    await ls.jobs.start(task.id)
    if rules := listing(ls.jobs.rules(task.id)):  # the user sees which rules the agent follows
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=rules))
    return TaskRef(task_id=task.id)


async def _decide(ls: AutogptLanguageServer, raw: Any, verb: Verb) -> DecisionResult:
    from autogpt_ls.agent.decisions import from_request
    from autogpt_ls.lsp.payloads import DecisionResult
    from autogpt_ls.lsp.protocol import StepParams

    p = StepParams.parse(raw)
    decision = from_request(verb, p.text if p.text is not None else (p.feedback or ""), p.times)
    await ls.decide(p.task_id, p.step_id, decision)
    return DecisionResult(task_id=p.task_id, step_id=p.step_id, decision=decision.kind)


@request("agent/approveStep", command="autogpt.server.approveStep")
async def approve_step(ls: AutogptLanguageServer, raw: Any) -> DecisionResult:
    return await _decide(ls, raw, "approve")


@request("agent/rejectStep", command="autogpt.server.rejectStep")
async def reject_step(ls: AutogptLanguageServer, raw: Any) -> DecisionResult:
    """With feedback it is feedback; without it stops the task like `n`."""
    return await _decide(ls, raw, "reject")


@request("agent/feedback")
async def feedback(ls: AutogptLanguageServer, raw: Any) -> DecisionResult:
    return await _decide(ls, raw, "feedback")


@request("agent/answer", command="autogpt.server.answer")
async def answer(ls: AutogptLanguageServer, raw: Any) -> DecisionResult:
    return await _decide(ls, raw, "answer")


@request("agent/selfFeedback", command="autogpt.server.selfFeedback")
async def self_feedback(ls: AutogptLanguageServer, raw: Any) -> DecisionResult:
    """The agent critiques the pending proposal and proposes again (agent/proposal); the first is kept as revised."""
    return await _decide(ls, raw, "self_feedback")


async def _rewind(ls: AutogptLanguageServer, task_id: str, decision: Decision) -> DecisionResult:
    """Undo or redo in place of the pending proposal; a refusal comes as agent/rewindRefused."""
    from autogpt_ls.lsp.payloads import DecisionResult

    step = await ls.jobs.pending(task_id)
    await ls.jobs.decide(task_id, step.id, decision)
    return DecisionResult(task_id=task_id, step_id=step.id, decision=decision.kind)


@request("agent/rollback", command="autogpt.server.rollback")
async def rollback(ls: AutogptLanguageServer, raw: Any) -> DecisionResult:
    """Back to before `stepId`: every step run from it on is undone."""
    from autogpt_ls.agent.decisions import rewind
    from autogpt_ls.lsp.protocol import RollbackParams
    from autogpt_ls.models import DecisionKind

    p = RollbackParams.parse(raw)
    return await _rewind(ls, p.task_id, rewind(DecisionKind.UNDO, p.step_id, p.force))


@request("agent/redo", command="autogpt.server.redo")
async def redo(ls: AutogptLanguageServer, raw: Any) -> DecisionResult:
    from autogpt_ls.agent.decisions import rewind
    from autogpt_ls.lsp.protocol import RedoParams
    from autogpt_ls.models import DecisionKind

    p = RedoParams.parse(raw)
    return await _rewind(ls, p.task_id, rewind(DecisionKind.REDO, force=p.force))


@request("agent/checkpointFile")
async def checkpoint_file(ls: AutogptLanguageServer, raw: Any) -> CheckpointFile:
    """A file a step changed, as it was at the checkpoint before (or after) it: the editor diffs it."""
    from autogpt_ls.lsp.payloads import CheckpointFile
    from autogpt_ls.lsp.protocol import CheckpointFileParams

    p = CheckpointFileParams.parse(raw)
    return CheckpointFile.of(p, await ls.runtime.checkpoint_file(p.task_id, p.step_id, p.path, p.side))


@request(command="autogpt.server.feedback")
async def feedback_from_code_action(ls: AutogptLanguageServer, raw: Any) -> DecisionResult:
    """From a plain code action there is no text to send: say how to give it instead of guessing."""
    from autogpt_ls.lsp.payloads import DecisionResult
    from autogpt_ls.lsp.protocol import StepParams

    p = StepParams.parse(raw)
    if p.text:
        return await _decide(ls, raw, "feedback")
    await ls.jobs.pending(p.task_id, p.step_id)
    message = f"Send your feedback with agent/feedback {{taskId: {p.task_id}, stepId: {p.step_id}, text}}."
    ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=message))
    return DecisionResult(task_id=p.task_id, step_id=p.step_id, decision=None)


@request(command="autogpt.server.ask")
async def ask_again(ls: AutogptLanguageServer, raw: Any) -> DecisionResult:
    """A stock client's prompt for the task's pending step, again (after it was dismissed)."""
    from autogpt_ls.lsp.payloads import DecisionResult
    from autogpt_ls.lsp.protocol import TaskParams
    from autogpt_ls.lsp.stock import StockPrompts

    p = TaskParams.parse(raw)
    step = await ls.jobs.pending(p.task_id)
    held = ls.edits.get(step.id)
    StockPrompts(ls).ask_again(step, held.guard if held else "")
    return DecisionResult(task_id=p.task_id, step_id=step.id, decision=None)


@request("agent/diagnostics")
async def diagnostics(ls: AutogptLanguageServer, raw: Any) -> DiagnosticsAck:
    """What the editor's other language servers report after an approved edit; the task's driver waits for it."""
    from autogpt_ls.lsp import editor
    from autogpt_ls.lsp.payloads import DiagnosticsAck
    from autogpt_ls.lsp.protocol import DiagnosticsParams

    p = DiagnosticsParams.parse(raw)
    workspace = Path((await _task(ls, p.task_id)).workspace)
    found = [editor.diagnostic(d, workspace) for d in p.diagnostics]
    waited = ls.diagnostics_inbox.deliver(p.step_id, found)
    return DiagnosticsAck(task_id=p.task_id, step_id=p.step_id, waited=waited)


@request("agent/cancel", command="autogpt.server.cancel")
async def cancel(ls: AutogptLanguageServer, raw: Any) -> TaskRef:
    from autogpt_ls.lsp.protocol import TaskParams
    from autogpt_ls.lsp.task_payloads import TaskRef

    p = TaskParams.parse(raw)
    await ls.jobs.cancel(p.task_id, "cancelled by the user")
    return TaskRef(task_id=p.task_id)


@request("agent/resume")
async def resume(ls: AutogptLanguageServer, raw: Any) -> TaskRef:
    from autogpt_ls.lsp.protocol import TaskParams
    from autogpt_ls.lsp.task_payloads import TaskRef

    p = TaskParams.parse(raw)
    await ls.jobs.start(p.task_id, resume=True)
    return TaskRef(task_id=p.task_id)


@request("agent/listTasks")
async def list_tasks(ls: AutogptLanguageServer, raw: Any) -> TaskList:
    from autogpt_ls.lsp.task_payloads import TaskList, TaskSummary

    return TaskList(tasks=[TaskSummary.of(t) for t in await ls.runtime.store.list_tasks()])


@request("agent/getTask")
async def get_task(ls: AutogptLanguageServer, raw: Any) -> TaskDetail:
    from autogpt_ls.lsp.protocol import TaskParams
    from autogpt_ls.lsp.task_payloads import TaskDetail

    task = await _task(ls, TaskParams.parse(raw).task_id)
    return TaskDetail.of_steps(task, await ls.runtime.store.get_steps(task.id))


async def _task(ls: AutogptLanguageServer, task_id: str) -> Task:
    task = await ls.runtime.store.get_task(task_id)
    if task is None:
        raise JsonRpcInvalidParams(f"unknown task {task_id!r}")
    return task


async def code_actions(ls: AutogptLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Approve / reject / feedback for every pending edit in this document, wherever the cursor is."""
    uri = params.text_document.uri
    return [
        action
        for edit in ls.edits.values()
        if edit.touches(uri)
        for action in previews.code_actions(edit.step, edit.diagnostic_for(uri), edit.guard)
    ]
