"""agent/* requests and autogpt.server.* commands: short adapters that validate, convert and call the core."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.uris import to_fs_path

from autogpt_ls.lsp import previews
from autogpt_ls.lsp.protocol import RunParams, StepParams, TaskParams
from autogpt_ls.lsp.server import AutogptLanguageServer
from autogpt_ls.lsp.sessions import SessionError
from autogpt_ls.models import Decision, DecisionKind, Task
from autogpt_ls.settings import ConfigError

log = logging.getLogger(__name__)
Handler = Callable[[AutogptLanguageServer, Any], Any]


def _errors(handler: Handler) -> Handler:
    """A request that does not fit becomes a JSON-RPC error with a clear message; the server goes on."""

    async def wrapped(ls: AutogptLanguageServer, params: Any) -> Any:
        if not ls.authorized():
            raise JsonRpcInvalidRequest("unauthorized: send LSP_SERVER_TOKEN as initializationOptions.token")
        try:
            return await handler(ls, params)
        except (SessionError, ConfigError) as e:
            raise JsonRpcInvalidRequest(str(e)) from None

    wrapped.__name__ = handler.__name__
    return wrapped


def _workspace(ls: AutogptLanguageServer, folder: str | None) -> Path:
    uri = folder or (ls.workspace.folders and next(iter(ls.workspace.folders.values())).uri) or ls.workspace.root_uri
    path = to_fs_path(uri) if uri else None
    if not path:
        raise JsonRpcInvalidParams("no workspaceFolder given and the editor opened no folder")
    return Path(path)


@_errors
async def run_goal(ls: AutogptLanguageServer, raw: Any) -> dict[str, str]:
    p = RunParams.parse(raw)
    task = ls.runtime.new_task(
        p.goal,
        _workspace(ls, p.workspace_folder),
        smart_llm=p.smart_llm,
        fast_llm=p.fast_llm,
        continuous=p.continuous,
        continuous_limit=p.continuous_limit,
        executor=p.executor,
        network=p.network,
    )
    ls.sessions.start(task)
    return {"taskId": task.id}


def _decide(kind: DecisionKind | None) -> Handler:
    async def decide(ls: AutogptLanguageServer, raw: Any) -> dict[str, Any]:
        p = StepParams.parse(raw)
        text = p.text if p.text is not None else (p.feedback or "")
        if kind is None:  # reject: with feedback it is feedback, without it stops the task like `n`
            decision = Decision(kind=DecisionKind.FEEDBACK if text else DecisionKind.REJECT, text=text)
        elif kind == DecisionKind.FEEDBACK and not text.strip():
            raise JsonRpcInvalidParams("feedback needs a non-empty `text`")
        else:
            decision = Decision(kind=kind, times=p.times, text=text)
        step = ls.sessions.pending(p.task_id, p.step_id)
        tool = ls.runtime.tools.get(step.proposal.tool_call.name) if step.proposal else None
        if decision.kind == DecisionKind.APPROVE and tool is not None and tool.kind == "command":
            ls.begin_progress(f"run-{step.id}", p.task_id, "AutoGPT is running a command")
        ls.sessions.decide(p.task_id, p.step_id, decision)
        return {"taskId": p.task_id, "stepId": p.step_id, "decision": decision.kind}

    return decide


@_errors
async def cancel(ls: AutogptLanguageServer, raw: Any) -> dict[str, str]:
    p = TaskParams.parse(raw)
    ls.sessions.cancel(p.task_id, "cancelled by the user")
    return {"taskId": p.task_id}


@_errors
async def resume(ls: AutogptLanguageServer, raw: Any) -> dict[str, str]:
    p = TaskParams.parse(raw)
    ls.sessions.start(ls.runtime.resumable(p.task_id))
    return {"taskId": p.task_id}


def _summary(task: Task) -> dict[str, Any]:
    return {
        "taskId": task.id,
        "goal": task.goal,
        "status": task.status,
        "reason": task.end_reason,
        "workspace": task.workspace,
        "steps": task.state.steps,
        "usage": task.state.usage.model_dump(),
        "createdAt": task.created_at.isoformat(),
    }


@_errors
async def list_tasks(ls: AutogptLanguageServer, raw: Any) -> dict[str, Any]:
    return {"tasks": [_summary(t) for t in ls.runtime.store.list_tasks()]}


@_errors
async def get_task(ls: AutogptLanguageServer, raw: Any) -> dict[str, Any]:
    p = TaskParams.parse(raw)
    task = ls.runtime.store.get_task(p.task_id)
    if task is None:
        raise JsonRpcInvalidParams(f"unknown task {p.task_id!r}")
    steps = [s.model_dump(mode="json") for s in ls.runtime.store.get_steps(task.id)]
    return _summary(task) | {"config": task.config.model_dump(mode="json"), "stepList": steps}


async def feedback_command(ls: AutogptLanguageServer, raw: Any) -> Any:
    """From a plain code action there is no text to send: say how to give it instead of guessing."""
    p = StepParams.parse(raw)
    if p.text:
        return await _decide(DecisionKind.FEEDBACK)(ls, raw)
    ls.sessions.pending(p.task_id, p.step_id)
    message = f"Send your feedback with agent/feedback {{taskId: {p.task_id}, stepId: {p.step_id}, text}}."
    ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=message))
    return {"taskId": p.task_id, "stepId": p.step_id, "decision": None}


approve_step = _errors(_decide(DecisionKind.APPROVE))
reject_step = _errors(_decide(None))
feedback = _errors(_decide(DecisionKind.FEEDBACK))
answer = _errors(_decide(DecisionKind.ANSWER))
feedback_from_code_action = _errors(feedback_command)


def code_actions(ls: AutogptLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Approve / reject / feedback for every pending edit in this document, wherever the cursor is."""
    uri = params.text_document.uri
    return [
        action
        for edit in ls.edits.values()
        if previews.same_uri(edit.uri, uri)
        for action in previews.code_actions(edit.step, edit.diagnostic)
    ]
