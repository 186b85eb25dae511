"""What the LSP tests share: the notifications they wait on, and plain-JSON views of pygls objects."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path

NOTIFICATIONS = ("agent/proposal", "agent/question", "agent/commandOutput", "agent/stepCompleted", "agent/taskEnded")
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
