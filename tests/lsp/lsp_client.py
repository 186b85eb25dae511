"""What the LSP tests share: the notifications they wait on, and plain-JSON views of pygls objects."""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

NOTIFICATIONS = (
    "agent/proposal",
    "agent/question",
    "agent/commandOutput",
    "agent/stepCompleted",
    "agent/plan",
    "agent/compacted",
    "agent/rewindRefused",
    "agent/taskEnded",
)
EDITORS = ["visual-studio-code", "neovim"]


class Inbox:
    """Every custom notification and applyEdit request, in order, to be awaited (never slept on)."""

    def __init__(self) -> None:
        self.queues: dict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)
        self.applied: list[types.ApplyWorkspaceEditParams] = []

    async def next(self, method: str, timeout: float = 20) -> Any:
        return _plain(await asyncio.wait_for(self.queues[method].get(), timeout))

    def empty(self, method: str) -> bool:
        return self.queues[method].empty()


def _plain(value: Any) -> Any:
    """pygls hands custom params over as attribute objects; tests read them as plain JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return {k: _plain(v) for k, v in vars(value).items()}
    return value


def uri(path: Path) -> str:
    return str(from_fs_path(str(path)))


def fix_code_action_parsing(client: LanguageClient) -> None:
    """lsprotocol's client-side hook reads any item with a `command` key as a Command, but a CodeAction
    may carry a Command too: tell them apart by whether `command` is a string, as the LSP spec does."""
    converter = client.protocol._converter

    def hook(obj: Any, _type: Any) -> types.Command | types.CodeAction:
        kind = types.Command if isinstance(obj.get("command"), str) else types.CodeAction
        return converter.structure(obj, kind)  # type: ignore[no-any-return]

    converter.register_structure_hook(types.Command | types.CodeAction, hook)
    converter.register_structure_hook(Union[types.Command, types.CodeAction], hook)  # noqa: UP007


async def start_client(
    env: dict[str, str],
    workspace: Path,
    editor: str,
    *,
    agent_notifications: bool = True,
    options: dict[str, Any] | None = None,
) -> tuple[LanguageClient, Inbox]:
    """`autogpt-ls lsp` started as `editor` starts it, initialized on `workspace`; (client, inbox). With
    `agent_notifications` the client says it handles agent/* (as the VS Code extension does); without, it is a
    stock client, asked with standard LSP requests. `options`: more initializationOptions."""
    config = ClientServerConfig(server_command=[sys.executable, "-m", "autogpt_ls", "lsp"], server_env=env)
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
            capabilities=client_capabilities(editor),
            root_uri=uri(workspace),
            workspace_folders=[types.WorkspaceFolder(uri=uri(workspace), name="ws")],
            initialization_options=({"agentNotifications": True} if agent_notifications else {}) | (options or {})
            or None,
        )
    )
    return client, inbox


async def next_progress(client: LanguageClient) -> None:
    """Wait for the next $/progress. The waiter is registered before anything else runs: pytest-lsp's own
    `wait_for_notification` coroutine registers it only once scheduled, and can miss one arriving meanwhile."""
    await asyncio.wait_for(client.protocol.wait_for_notification_async(types.PROGRESS), 20)
