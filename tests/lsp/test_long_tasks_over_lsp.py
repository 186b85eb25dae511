"""Long-task rules as an editor sees them: the agent's plan (agent/plan, and in every task summary), and the loop
guard's hold (the proposal's `guard`; `rethink` as feedback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_agent_over_lsp import FINISH, request

from autogpt_ls.agent.decisions import RETHINK_TEXT
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


async def test_a_held_repeat_says_why_and_rethink_is_feedback(lsp: Any, fake: FakeOpenAI, workspace: Path) -> None:
    client, inbox = lsp
    (workspace / "notes.txt").write_text("the notes\n")
    read = tool_call("read_file", {"filename": "notes.txt"})
    fake.script(read, read, read, FINISH)
    await request(client, "agent/run", {"goal": "Read notes.txt", "continuous": True})
    first, told, held = [await inbox.next("agent/proposal") for _ in range(3)]
    assert (first["guard"], first["auto"]) == ("", True)  # the first read runs
    assert (told["guard"], told["auto"]) == ("repeating read_file notes.txt", True)  # not run: the LLM is told
    assert (held["guard"], held["auto"]) == ("repeating read_file notes.txt", False)  # continuous, yet it waits
    await request(client, "agent/feedback", {"taskId": held["taskId"], "stepId": held["stepId"], "text": "rethink"})
    finish = await inbox.next("agent/proposal")
    assert finish["tool"] == "finish" and finish["guard"] == ""
    assert str(fake.requests[3]["messages"][-1]["content"]).endswith(RETHINK_TEXT)
