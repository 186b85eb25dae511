"""Long-task rules as an editor sees them: the agent's plan (agent/plan, and in every task summary), and the loop
guard's hold (the proposal's `guard`; `rethink` as feedback; a warning on the file the held step names, with its
code actions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsp_client import uri
from lsprotocol import types
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


async def _actions(client: Any, path: Path) -> list[types.CodeAction]:
    start = types.Position(line=0, character=0)
    return list(
        await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri(path)),
                range=types.Range(start=start, end=start),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
    )


async def test_a_held_repeat_marks_its_file_and_its_code_actions_decide(
    lsp: Any, fake: FakeOpenAI, workspace: Path
) -> None:
    client, inbox = lsp
    notes = workspace / "notes.txt"
    notes.write_text("the notes\n")
    read = tool_call("read_file", {"filename": "notes.txt"})
    fake.script(read, read, read, read, FINISH)
    await request(client, "agent/run", {"goal": "Read notes.txt", "continuous": True})
    for _ in range(2):  # the first read runs; the second is not run, the LLM is told: no mark for either
        assert (await inbox.next("agent/proposal"))["auto"] is True
        assert list(client.diagnostics.get(uri(notes), [])) == []
    held = await inbox.next("agent/proposal")
    assert held["auto"] is False
    [warning] = client.diagnostics[uri(notes)]
    assert warning.severity == types.DiagnosticSeverity.Warning and warning.code == held["stepId"]
    assert warning.message.startswith("AutoGPT loop guard: repeating read_file notes.txt. Step 3 waits for you")
    actions = await _actions(client, notes)
    assert [a.title for a in actions] == [
        "AutoGPT: Rethink (tell the agent to change its approach)",
        "AutoGPT: Give feedback…",
        "AutoGPT: Run anyway",
        "AutoGPT: Stop the task",
    ]
    assert actions[0].is_preferred and list(actions[0].diagnostics or []) == [warning]
    run_anyway = actions[2].command
    assert run_anyway is not None
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=run_anyway.command, arguments=run_anyway.arguments)
    )
    while (ran := await inbox.next("agent/stepCompleted"))["step"]["id"] != held["stepId"]:
        pass
    assert ran["step"]["status"] == "done"
    assert ran["step"]["result"]["output"].startswith("the notes")  # run anyway: it really read the file
    assert list(client.diagnostics[uri(notes)]) == []  # the mark cleared once decided

    again = await inbox.next("agent/proposal")  # the LLM was told already and nothing changed: held at once
    assert again["auto"] is False and client.diagnostics[uri(notes)][0].code == again["stepId"]
    rethink = (await _actions(client, notes))[0].command
    assert rethink is not None
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=rethink.command, arguments=rethink.arguments)
    )
    finish = await inbox.next("agent/proposal")
    assert finish["tool"] == "finish"
    assert str(fake.requests[4]["messages"][-1]["content"]).endswith(RETHINK_TEXT)
    assert list(client.diagnostics[uri(notes)]) == []
