"""The agent loop over LSP: proposals as previews and code actions, decisions as requests or commands."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from lsp_client import _plain, next_progress, start_client, uri
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from fakes import SECRET_KEY
from fakes.openai_server import FakeOpenAI, Reply, status, tool_call

FINISH = tool_call("finish", {"reason": "done"})


async def request(client: Any, method: str, params: dict[str, Any]) -> Any:
    return _plain(await client.protocol.send_request_async(method, params))


async def test_edit_of_a_buffer_with_unsaved_changes(lsp: Any, fake: FakeOpenAI, workspace: Path) -> None:
    client, inbox = lsp
    notes = workspace / "notes.txt"
    notes.write_text("title\ncity: Boston\n")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(notes), language_id="plaintext", version=3, text="title (unsaved)\ncity: Boston\n"
            )
        )
    )
    fake.script(
        tool_call(
            "replace_in_file",
            {"filename": "notes.txt", "old_text": "city: Boston", "new_text": "city: Washington"},
            thoughts="Fix the capital.",
        ),
        FINISH,
    )
    started = await request(client, "agent/run", {"goal": "Fix the city"})
    proposal = await inbox.next("agent/proposal")
    assert proposal["taskId"] == started["taskId"] and proposal["kind"] == "file_change"
    change = proposal["workspaceEdit"]["documentChanges"][0]
    assert change["textDocument"] == {"uri": uri(notes), "version": 3}
    assert change["edits"] == [
        {
            "range": {"start": {"line": 1, "character": 0}, "end": {"line": 2, "character": 0}},
            "newText": "city: Washington\n",
        }
    ]
    assert notes.read_text() == "title\ncity: Boston\n"  # nothing is written before approval

    [hint] = client.diagnostics[uri(notes)]
    assert hint.source == "autogpt" and hint.severity == types.DiagnosticSeverity.Hint
    assert "Fix the capital." in hint.message and hint.range.start.line == 1

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(notes)),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    titles = [a.title for a in actions]
    assert titles == [
        *("AutoGPT: Approve edit", "AutoGPT: Approve next 5", "AutoGPT: Reject", "AutoGPT: Give feedback…"),
        "AutoGPT: Self-feedback (critique it, then propose again)",
    ]
    approve = actions[0].command
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=approve.command, arguments=approve.arguments)
    )
    applied = await inbox.next("applyEdit")
    edit = applied["edit"]["documentChanges"][0]
    assert edit["textDocument"] == {"uri": uri(notes), "version": 3}
    assert edit["edits"][0]["newText"] == "city: Washington\n"
    assert notes.read_text() == "title\ncity: Washington\n"  # the disk got the edit, not the unsaved buffer

    completed = await inbox.next("agent/stepCompleted")
    assert completed["step"]["status"] == "done"
    assert list(client.diagnostics[uri(notes)]) == []  # the hint cleared once decided
    finish = await inbox.next("agent/proposal")
    await request(client, "agent/approveStep", {"taskId": finish["taskId"], "stepId": finish["stepId"]})
    ended = await inbox.next("agent/taskEnded")
    assert ended["status"] == "finished" and ended["reason"] == "done"
    logged = [m.message for m in client.log_messages]
    assert any("proposes replace_in_file" in m for m in logged) and SECRET_KEY not in str(logged)


async def test_new_file_feedback_and_rejection(lsp: Any, fake: FakeOpenAI, workspace: Path) -> None:
    client, inbox = lsp
    fake.script(
        tool_call("write_file", {"filename": "a.md", "contents": "Washington\n"}),
        tool_call("write_file", {"filename": "a.txt", "contents": "Washington\n"}),
    )
    started = await request(client, "agent/run", {"goal": "Write it", "workspaceFolder": uri(workspace)})
    first = await inbox.next("agent/proposal")
    kinds = [c.get("kind", "edit") for c in first["workspaceEdit"]["documentChanges"]]
    assert kinds == ["create", "edit"]
    await request(client, "agent/feedback", {**_ids(first), "text": "use .txt"})
    assert (await inbox.next("agent/stepCompleted"))["step"]["status"] == "feedback"
    second = await inbox.next("agent/proposal")
    assert "gave feedback instead: use .txt" in fake.requests[1]["messages"][-1]["content"]
    await request(client, "agent/rejectStep", _ids(second))
    ended = await inbox.next("agent/taskEnded")
    assert ended == ended | {"taskId": started["taskId"], "status": "stopped"}
    assert list(workspace.iterdir()) == []


async def test_approve_next_n(lsp: Any, fake: FakeOpenAI, workspace: Path) -> None:
    client, inbox = lsp
    fake.script(
        tool_call("write_file", {"filename": "1.txt", "contents": "1"}),
        tool_call("write_file", {"filename": "2.txt", "contents": "2"}),
        tool_call("write_file", {"filename": "3.txt", "contents": "3"}),
        FINISH,
    )
    await request(client, "agent/run", {"goal": "Write three files"})
    first = await inbox.next("agent/proposal")
    await request(client, "agent/approveStep", {**_ids(first), "times": 2})
    second = await inbox.next("agent/proposal")
    assert second["auto"] is True
    third = await inbox.next("agent/proposal")
    assert third["auto"] is False
    await request(client, "agent/rejectStep", _ids(third))
    await inbox.next("agent/taskEnded")
    assert sorted(p.name for p in workspace.iterdir()) == ["1.txt", "2.txt"]


async def test_rollback_redo_and_a_refused_rollback(lsp: Any, fake: FakeOpenAI, workspace: Path) -> None:
    client, inbox = lsp
    fake.script(
        tool_call("write_file", {"filename": "1.txt", "contents": "1"}),
        tool_call("write_file", {"filename": "2.txt", "contents": "2"}),
        FINISH,
        FINISH,
        FINISH,
    )
    started = await request(client, "agent/run", {"goal": "Write two files"})
    task_id = started["taskId"]
    first = await inbox.next("agent/proposal")
    await request(client, "agent/approveStep", _ids(first))
    done = (await inbox.next("agent/stepCompleted"))["step"]
    assert done["changes"]["files"] == ["1.txt"]
    second = await inbox.next("agent/proposal")
    await request(client, "agent/approveStep", _ids(second))
    await inbox.next("agent/stepCompleted")
    third = await inbox.next("agent/proposal")
    (workspace / "2.txt").write_text("the user's\n")
    answer = await request(client, "agent/rollback", {"taskId": task_id, "stepId": first["stepId"]})
    assert answer == {"taskId": task_id, "stepId": third["stepId"], "decision": "undo"}
    refused = await inbox.next("agent/rewindRefused")
    assert "2.txt" in refused["message"] and refused["stepId"] == third["stepId"]
    assert (workspace / "2.txt").read_text() == "the user's\n"
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="autogpt.server.rollback", arguments=[{"taskId": task_id, "stepId": first["stepId"], "force": True}]
        )
    )
    discarded = (await inbox.next("agent/stepCompleted"))["step"]
    assert discarded["id"] == third["stepId"] and "undid step 1, 2" in discarded["result"]["output"]
    assert list(workspace.iterdir()) == []
    fourth = await inbox.next("agent/proposal")
    await request(client, "agent/redo", {"taskId": task_id})
    await inbox.next("agent/stepCompleted")
    assert sorted(p.read_text() for p in workspace.iterdir()) == ["1", "the user's\n"]
    detail = await request(client, "agent/getTask", {"taskId": task_id})
    assert [s["status"] for s in detail["stepList"]][:2] == ["done", "done"]
    assert fourth["stepId"] in [s["id"] for s in detail["stepList"]]


async def test_ask_user_question_and_answer(lsp: Any, fake: FakeOpenAI, workspace: Path) -> None:
    client, inbox = lsp
    fake.script(tool_call("ask_user", {"question": "Which city?"}), FINISH)
    await request(client, "agent/run", {"goal": "Ask"})
    question = await inbox.next("agent/question")
    assert question["question"] == "Which city?"
    assert (await inbox.next("agent/proposal"))["tool"] == "ask_user"
    await request(client, "agent/answer", {**_ids(question), "text": "Washington"})
    finish = await inbox.next("agent/proposal")
    assert fake.requests[1]["messages"][-1]["content"] == "The user answered: Washington"
    await request(client, "agent/approveStep", _ids(finish))
    assert (await inbox.next("agent/taskEnded"))["status"] == "finished"


async def test_cancel_a_slow_llm_answer_from_the_progress(lsp: Any, fake: FakeOpenAI, workspace: Path) -> None:
    client, inbox = lsp
    caps = client.capabilities
    if not (caps and caps.window and caps.window.work_done_progress):
        pytest.skip("this editor has no work-done progress; agent/cancel covers it")
    fake.script(Reply(status=500, delay=30))
    started = await request(client, "agent/run", {"goal": "Slow"})
    await asyncio.to_thread(fake.wait_requests, 1)
    token = await _progress_token(client)
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    ended = await inbox.next("agent/taskEnded")
    assert ended["taskId"] == started["taskId"]
    assert (ended["status"], ended["reason"]) == ("stopped", "cancelled from the editor")


async def test_an_llm_outage_ends_the_thinking_progress(lsp: Any, fake: FakeOpenAI, workspace: Path) -> None:
    client, inbox = lsp
    caps = client.capabilities
    if not (caps and caps.window and caps.window.work_done_progress):
        pytest.skip("this editor has no work-done progress")
    fake.default = status(401, {"error": {"message": "bad key", "type": "invalid_request_error"}})
    await request(client, "agent/run", {"goal": "Fail"})
    ended = await inbox.next("agent/taskEnded")
    assert ended["status"] == "failed"
    token = await _progress_token(client)
    while [r.kind for r in client.progress_reports[token]] != ["begin", "end"]:
        await next_progress(client)


async def test_two_tasks_at_once(lsp: Any, fake: FakeOpenAI, workspace: Path) -> None:
    client, inbox = lsp
    fake.default = tool_call("list_folder", {})
    a = await request(client, "agent/run", {"goal": "A"})
    first = await inbox.next("agent/proposal")
    b = await request(client, "agent/run", {"goal": "B"})
    second = await inbox.next("agent/proposal")
    assert {first["taskId"], second["taskId"]} == {a["taskId"], b["taskId"]}
    tasks = await request(client, "agent/listTasks", {})
    assert {t["taskId"] for t in tasks["tasks"] if t["status"] == "running"} == {a["taskId"], b["taskId"]}
    await request(client, "agent/cancel", {"taskId": a["taskId"]})
    assert (await inbox.next("agent/taskEnded"))["taskId"] == a["taskId"]
    with pytest.raises(JsonRpcException, match="is not running in this server"):
        await client.protocol.send_request_async("agent/approveStep", _ids(first))  # a cancelled task's step
    await request(client, "agent/approveStep", _ids(second))
    assert (await inbox.next("agent/stepCompleted"))["taskId"] == b["taskId"]
    detail = await request(client, "agent/getTask", {"taskId": b["taskId"]})
    assert detail["stepList"][0]["status"] == "done" and detail["stepList"][0]["usage"]["promptTokens"] == 100


async def test_bad_requests_get_errors_and_the_server_goes_on(lsp: Any, fake: FakeOpenAI, workspace: Path) -> None:
    client, inbox = lsp
    fake.script(tool_call("list_folder", {}))
    started = await request(client, "agent/run", {"goal": "G"})
    proposal = await inbox.next("agent/proposal")
    bad = [
        ("agent/approveStep", {"taskId": started["taskId"]}, "stepId"),
        ("agent/approveStep", {"taskId": started["taskId"], "stepId": "stale"}, "is not waiting"),
        ("agent/approveStep", {"taskId": "nope", "stepId": "x"}, "unknown task"),
        ("agent/approveStep", {**_ids(proposal), "times": 0}, "times"),
        ("agent/run", {"goal": ""}, "goal"),
        ("agent/run", {"goal": "x", "smartLlm": "nosuch/m"}, "unknown provider"),
        ("agent/feedback", {**_ids(proposal), "text": " "}, "non-empty"),
        ("agent/getTask", {"taskId": "nope"}, "unknown task"),
        ("agent/resume", {"taskId": started["taskId"]}, "already running"),
        ("agent/noSuchMethod", {}, ""),
    ]
    for method, params, message in bad:
        with pytest.raises(JsonRpcException) as error:
            await client.protocol.send_request_async(method, params)
        assert message in str(error.value), (method, str(error.value))
    await request(client, "agent/approveStep", _ids(proposal))
    with pytest.raises(JsonRpcException, match=r"no step waiting|is not running"):
        await client.protocol.send_request_async("agent/approveStep", _ids(proposal))  # approving twice
    assert (await request(client, "agent/listTasks", {}))["tasks"]


async def test_shutdown_pauses_tasks_and_resume_shows_the_proposal_again(
    agent_env: dict[str, str], fake: FakeOpenAI, workspace: Path, data_dir: Path
) -> None:
    fake.script(tool_call("write_file", {"filename": "w.txt", "contents": "Washington"}), FINISH)

    client, inbox = await start_client(agent_env, workspace, "neovim")
    started = await request(client, "agent/run", {"goal": "W"})
    first = await inbox.next("agent/proposal")
    await client.shutdown_session()
    await client.stop()
    db = sqlite3.connect(data_dir / "db" / "autogpt-ls.sqlite3")
    status, reason = db.execute("SELECT status, json_extract(data, '$.end_reason') FROM tasks").fetchone()
    assert (status, reason) == ("stopped", "paused: the editor shut the server down")

    client, inbox = await start_client(agent_env, workspace, "neovim")
    await request(client, "agent/resume", {"taskId": started["taskId"]})
    again = await inbox.next("agent/proposal")
    assert again["stepId"] == first["stepId"]
    await request(client, "agent/approveStep", _ids(again))
    finish = await inbox.next("agent/proposal")
    await request(client, "agent/approveStep", _ids(finish))
    assert (await inbox.next("agent/taskEnded"))["status"] == "finished"
    assert (workspace / "w.txt").read_text() == "Washington"
    assert len(fake.requests) == 2
    await client.shutdown_session()
    await client.stop()


def _ids(notification: dict[str, Any]) -> dict[str, str]:
    return {"taskId": notification["taskId"], "stepId": notification["stepId"]}


async def _progress_token(client: Any) -> Any:
    """The thinking progress's token, once its begin arrived (waiting on $/progress, not sleeping)."""
    while True:
        for token, reports in client.progress_reports.items():
            if str(token).startswith("think-") and reports:
                return token
        await next_progress(client)
