"""Builds the language server from the handlers' registrations. Nothing heavy loads here: settings, pydantic and
the runtime load on the first request, so the editor's `initialize` is answered as fast as by a bare pygls
server."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from autogpt_ls.lsp import handlers
from autogpt_ls.lsp import speech as _speech  # noqa: F401  registers agent/speech on import
from autogpt_ls.lsp.server import AutogptLanguageServer


def _command(handle: handlers.Registered) -> Any:
    """workspace/executeCommand passes arguments positionally; ours take one object."""

    async def command(ls: AutogptLanguageServer, *args: Any) -> Any:
        return await handle(ls, args[0] if args else None)

    return command


def create_server(debug: bool = False) -> AutogptLanguageServer:
    server = AutogptLanguageServer(debug=debug)
    for method, handle in handlers.FEATURES:
        server.feature(method)(handle)
    for name, handle in handlers.COMMANDS:
        server.command(name)(_command(handle))
    options = types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix])
    server.feature(types.TEXT_DOCUMENT_CODE_ACTION, options)(handlers.code_actions)

    @server.feature(types.INITIALIZE)
    def initialize(ls: AutogptLanguageServer, params: types.InitializeParams) -> None:
        ls.initialization_options = params.initialization_options

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: AutogptLanguageServer, _params: Any) -> None:
        if ls.started:
            await ls.jobs.pause_all("paused: the editor shut the server down")

    return server
