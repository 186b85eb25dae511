"""A real autogpt-ls language server over stdio, driven by pytest-lsp's client with recorded editor capabilities."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Union

import pytest
from lsp_client import EDITORS, NOTIFICATIONS, Inbox, uri
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities


def fix_code_action_parsing(client: LanguageClient) -> None:
    """lsprotocol's client-side hook reads any item with a `command` key as a Command, but a CodeAction
    may carry a Command too: tell them apart by whether `command` is a string, as the LSP spec does."""
    converter = client.protocol._converter

    def hook(obj: Any, _type: Any) -> types.Command | types.CodeAction:
        kind = types.Command if isinstance(obj.get("command"), str) else types.CodeAction
        return converter.structure(obj, kind)  # type: ignore[no-any-return]

    converter.register_structure_hook(types.Command | types.CodeAction, hook)
    converter.register_structure_hook(Union[types.Command, types.CodeAction], hook)  # noqa: UP007


@pytest.fixture
def lsp_env(agent_env: dict[str, str]) -> dict[str, str]:
    """The server's environment; a test module overrides this fixture to change settings."""
    return agent_env


@pytest.fixture(params=EDITORS)
async def lsp(request: pytest.FixtureRequest, lsp_env: dict[str, str], workspace: Path) -> AsyncIterator[Any]:
    """(client, inbox) for a server started as an editor would start it."""
    config = ClientServerConfig(server_command=[sys.executable, "-m", "autogpt_ls", "lsp"], server_env=lsp_env)
    client: LanguageClient = await config.start()  # type: ignore[assignment]
    fix_code_action_parsing(client)
    inbox = Inbox()
    for method in NOTIFICATIONS:
        client.feature(method)(lambda params, _m=method: inbox.queues[_m].put_nowait(params))

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        inbox.applied.append(params)
        inbox.queues["applyEdit"].put_nowait(client.protocol._converter.unstructure(params))
        return types.ApplyWorkspaceEditResult(applied=True)

    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(request.param),
            root_uri=uri(workspace),
            workspace_folders=[types.WorkspaceFolder(uri=uri(workspace), name="ws")],
        )
    )
    yield client, inbox
    await client.shutdown_session()
    await client.stop()
