"""Builds the language server. Only pygls is imported here: handlers load on the first request, so the
editor's `initialize` is answered as fast as by a bare pygls server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lsprotocol import types

from autogpt_ls.lsp.server import AutogptLanguageServer

# method or command -> the name of its handler in autogpt_ls.lsp.handlers
REQUESTS = {
    "agent/run": "run_goal",
    "agent/approveStep": "approve_step",
    "agent/rejectStep": "reject_step",
    "agent/feedback": "feedback",
    "agent/answer": "answer",
    "agent/cancel": "cancel",
    "agent/resume": "resume",
    "agent/listTasks": "list_tasks",
    "agent/getTask": "get_task",
    types.TEXT_DOCUMENT_CODE_ACTION: "code_actions",
}
COMMANDS = {
    "autogpt.server.runGoal": "run_goal",
    "autogpt.server.approveStep": "approve_step",
    "autogpt.server.rejectStep": "reject_step",
    "autogpt.server.feedback": "feedback_from_code_action",
    "autogpt.server.cancel": "cancel",
}


def _handler(name: str) -> Callable[[AutogptLanguageServer, Any], Any]:
    async def handle(ls: AutogptLanguageServer, params: Any) -> Any:
        from autogpt_ls.lsp import handlers

        result = getattr(handlers, name)(ls, params)
        return await result if hasattr(result, "__await__") else result

    return handle


def _command(name: str) -> Callable[..., Any]:
    """workspace/executeCommand passes arguments positionally; ours take one object."""
    handle = _handler(name)

    async def command(ls: AutogptLanguageServer, *args: Any) -> Any:
        return await handle(ls, args[0] if args else None)

    return command


def create_server(debug: bool = False) -> AutogptLanguageServer:
    server = AutogptLanguageServer(debug=debug)
    for method, name in REQUESTS.items():
        options = types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix])
        server.feature(method, options if method == types.TEXT_DOCUMENT_CODE_ACTION else None)(_handler(name))
    for command, name in COMMANDS.items():
        server.command(command)(_command(name))

    @server.feature(types.INITIALIZE)
    def initialize(ls: AutogptLanguageServer, params: types.InitializeParams) -> None:
        ls.initialization_options = params.initialization_options

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: AutogptLanguageServer, _params: Any) -> None:
        if ls.started:
            await ls.sessions.pause_all("paused: the editor shut the server down")

    return server
