"""Long-task rules as an editor sees them: the agent's plan (agent/plan, and in every task summary)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_agent_over_lsp import FINISH, request

from fakes.openai_server import FakeOpenAI, tool_call


async def test_the_plan_is_notified_and_in_the_task_summary(lsp: Any, fake: FakeOpenAI, workspace: Path) -> None:
    client, inbox = lsp
    fake.script(tool_call("todo", {"add": ["look around", "finish"]}), tool_call("todo", {"done": [1]}), FINISH)
    started = await request(client, "agent/run", {"goal": "Plan it"})
    first = await inbox.next("agent/plan")
    assert first["taskId"] == started["taskId"]
    assert first["plan"] == [{"text": "look around", "done": False}, {"text": "finish", "done": False}]
    second = await inbox.next("agent/plan")
    assert [item["done"] for item in second["plan"]] == [True, False]
    await inbox.next("agent/proposal")  # the todo steps ran unasked (auto); finish waits
    while (proposal := await inbox.next("agent/proposal"))["tool"] != "finish":
        assert proposal["auto"] is True
    [summary] = (await request(client, "agent/listTasks", {}))["tasks"]
    assert summary["plan"] == second["plan"]
    detail = await request(client, "agent/getTask", {"taskId": started["taskId"]})
    assert detail["plan"] == second["plan"]
