"""agent/checkpointFile over a real LSP client: after an approved shell command, each file it changed as it was at
the checkpoint before it (and after it), which the editor diffs against the file now; other paths are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsp_client import _plain
from pygls.exceptions import JsonRpcException

from fakes.openai_server import FakeOpenAI, tool_call


@pytest.fixture
def lsp_env(agent_env: dict[str, str]) -> dict[str, str]:
    return agent_env | {"EXECUTE_LOCAL_COMMANDS": "True"}


async def request(client: Any, method: str, params: dict[str, Any]) -> Any:
    return _plain(await client.protocol.send_request_async(method, params))


async def test_each_file_a_command_changed_at_the_checkpoint_before_it(
    lsp: Any, fake: FakeOpenAI, workspace: Path
) -> None:
    client, inbox = lsp
    (workspace / "notes.txt").write_text("before\n")
    (workspace / "gone.txt").write_text("deleted by the command\n")
    (workspace / "image.bin").write_bytes(b"\x89PNG\0old")
    (workspace / "other.txt").write_text("untouched\n")
    line = "echo after > notes.txt && rm gone.txt && echo new > new.txt && printf 'x\\0y' > image.bin"
    fake.script(tool_call("execute_shell", {"command_line": line}), tool_call("finish", {"reason": "done"}))
    task_id = (await request(client, "agent/run", {"goal": "Edit files"}))["taskId"]
    proposal = await inbox.next("agent/proposal")
    ids = {"taskId": task_id, "stepId": proposal["stepId"]}
    await request(client, "agent/approveStep", ids)
    step = (await inbox.next("agent/stepCompleted"))["step"]
    assert step["changes"]["files"] == ["gone.txt", "image.bin", "new.txt", "notes.txt"]

    async def at(path: str, side: str = "before") -> dict[str, Any]:
        answer: dict[str, Any] = await request(client, "agent/checkpointFile", {**ids, "path": path, "side": side})
        assert [answer[k] for k in ("taskId", "stepId", "path", "side")] == [*ids.values(), path, side]
        return {k: answer[k] for k in ("exists", "binary", "text")}

    assert await at("notes.txt") == {"exists": True, "binary": False, "text": "before\n"}
    assert await at("notes.txt", "after") == {"exists": True, "binary": False, "text": "after\n"}
    assert await at("gone.txt") == {"exists": True, "binary": False, "text": "deleted by the command\n"}
    assert await at("gone.txt", "after") == {"exists": False, "binary": False, "text": ""}
    assert await at("new.txt") == {"exists": False, "binary": False, "text": ""}
    assert await at("image.bin") == {"exists": True, "binary": True, "text": ""}
    for path in ("other.txt", "../outside.txt", ".git/config"):
        with pytest.raises(JsonRpcException, match="did not change"):
            await request(client, "agent/checkpointFile", {**ids, "path": path})
    with pytest.raises(JsonRpcException, match="no step"):
        await request(client, "agent/checkpointFile", {"taskId": task_id, "stepId": "nope", "path": "notes.txt"})
