"""Streamed thoughts reach the front ends while the reply is still arriving: the terminal and `agent/thinking`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cases import Case
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

THOUGHTS = "Reading the notes before anything else, then finishing."


class Output:
    """A child's stdout read as it comes (not line by line: streamed text has no newline yet)."""

    def __init__(self, stream: Any) -> None:
        self.text = ""
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        while chunk := os.read(stream.fileno(), 4096):
            with self._cond:
                self.text += chunk.decode()
                self._cond.notify_all()

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 20) -> str:
        with self._cond:
            assert self._cond.wait_for(lambda: predicate(self.text), timeout), self.text
            return self.text


@pytest.mark.parametrize("case", ["openai", "anthropic"], indirect=True)
def test_the_terminal_prints_thoughts_as_they_arrive(case: Case, workspace: Path) -> None:
    hold = threading.Event()
    case.fake.script(replace(case.call("finish", {"reason": "done"}, THOUGHTS), hold=hold))
    argv = [sys.executable, "-m", "autogpt_ls", "run", "goal", "--workspace", str(workspace)]
    with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=case.env) as proc:
        assert proc.stdin is not None
        proc.stdin.write(b"y\n")
        proc.stdin.close()
        out = Output(proc.stdout)
        early = out.wait_for(lambda text: "Reading" in text)
        assert "the notes" not in early and "Proposed:" not in early  # the rest is still held back
        hold.set()
        final = out.wait_for(lambda text: "Task finished" in text)
        assert proc.wait(20) == 0
    assert THOUGHTS in final
    assert final.count("Reading the notes") == 1  # streamed once, not repeated with the proposal


@pytest.mark.parametrize("case", ["groq", "llamafile"], indirect=True)
async def test_agent_thinking_notifications_carry_the_reply_piece_by_piece(case: Case, workspace: Path) -> None:
    hold = threading.Event()
    case.fake.script(replace(case.call("finish", {"reason": "done"}, THOUGHTS), hold=hold))
    config = ClientServerConfig(server_command=[sys.executable, "-m", "autogpt_ls", "lsp"], server_env=case.env)
    client: LanguageClient = await config.start()  # type: ignore[assignment]
    thinking: list[dict[str, Any]] = []
    proposals: list[Any] = []
    first, proposed = asyncio.Event(), asyncio.Event()

    @client.feature("agent/thinking")
    def on_thinking(params: Any) -> None:
        thinking.append(params._asdict())
        first.set()

    @client.feature("agent/proposal")
    def on_proposal(params: Any) -> None:
        proposals.append(params)
        proposed.set()

    root = str(from_fs_path(str(workspace)))
    await client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=root,
            workspace_folders=[types.WorkspaceFolder(uri=root, name="ws")],
        )
    )
    try:
        started = await client.protocol.send_request_async("agent/run", {"goal": "finish"})
        await asyncio.wait_for(first.wait(), 20)
        assert not proposals  # the reply is still streaming
        hold.set()
        await asyncio.wait_for(proposed.wait(), 20)
    finally:
        hold.set()
        await client.shutdown_session()
        await client.stop()
    assert {t["taskId"] for t in thinking} == {started.taskId} and {t["index"] for t in thinking} == {0}
    assert len(thinking) > 2 and all(set(t) == {"taskId", "index", "delta"} for t in thinking)  # the client appends
    assert THOUGHTS in "".join(t["delta"] for t in thinking)
