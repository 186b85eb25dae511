"""agent/selfFeedback over LSP: the critique arrives as the revised step's agent/stepCompleted, then a new
agent/proposal, decided as usual; the code action offers it on a pending edit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsp_client import _plain

from fakes.openai_server import FakeOpenAI, content, tool_call

CRITIQUE = "Boston is not what the goal asks for: write Washington."


async def test_self_feedback_revises_the_pending_proposal(lsp: Any, fake: FakeOpenAI, workspace: Path) -> None:
    client, inbox = lsp
    fake.script(
        tool_call("write_file", {"filename": "a.txt", "contents": "Boston\n"}),
        content(CRITIQUE),
        tool_call("write_file", {"filename": "a.txt", "contents": "Washington\n"}),
        tool_call("finish", {"reason": "done"}),
    )
    send = client.protocol.send_request_async
    await send("agent/run", {"goal": "Write the capital"})
    first = await inbox.next("agent/proposal")
    ref = {"taskId": first["taskId"], "stepId": first["stepId"]}
    decided = _plain(await send("agent/selfFeedback", ref))
    assert decided["decision"] == "self_feedback"
    revised = await inbox.next("agent/stepCompleted")
    assert revised["step"]["status"] == "revised" and revised["step"]["result"]["output"] == CRITIQUE
    second = await inbox.next("agent/proposal")
    assert second["stepId"] != first["stepId"]
    assert "Washington" in str(second["workspaceEdit"])
    await send("agent/approveStep", {"taskId": second["taskId"], "stepId": second["stepId"]})
    assert (await inbox.next("agent/stepCompleted"))["step"]["status"] == "done"
    assert (workspace / "a.txt").read_text() == "Washington\n"
