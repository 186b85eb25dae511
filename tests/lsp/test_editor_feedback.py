"""The editor's side of a task over LSP: the context sent with agent/run reaches the task message, and a client that
declared `diagnosticsFeedback` has the errors its other language servers report after an approved edit read by the
LLM on its next call (the server waits for them, up to DIAGNOSTICS_WAIT_MS)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsp_client import _plain, start_client, uri
from pygls.exceptions import JsonRpcException

from fakes.openai_server import FakeOpenAI, tool_call

FINISH = tool_call("finish", {"reason": "done"})
TYPE_ERROR = {
    "range": {"start": {"line": 1, "character": 6}, "end": {"line": 1, "character": 7}},
    "severity": 1,
    "message": "Type 'string' is not assignable to type 'number'.",
    "source": "ts",
}


async def request(client: Any, method: str, params: dict[str, Any]) -> Any:
    return _plain(await client.protocol.send_request_async(method, params))


def _prompt(fake: FakeOpenAI, call: int) -> str:
    return json.dumps(fake.requests[call]["messages"])


@pytest.fixture
def wait_ms() -> str:
    return "30000"  # long: a test that passes without a report shows the server did not wait for one


@pytest.fixture
async def client(agent_env: dict[str, str], workspace: Path, wait_ms: str) -> AsyncIterator[Any]:
    env = agent_env | {"DIAGNOSTICS_WAIT_MS": wait_ms}
    started = await start_client(env, workspace, "visual-studio-code", options={"diagnosticsFeedback": True})
    yield started
    await started[0].shutdown_session()
    await started[0].stop()


async def test_the_edits_new_errors_are_in_the_next_llm_call(client: Any, fake: FakeOpenAI, workspace: Path) -> None:
    lsp, inbox = client
    fake.script(tool_call("write_file", {"filename": "a.ts", "contents": "let n: number = 1;\nn = 'x';\n"}), FINISH)
    await request(lsp, "agent/run", {"goal": "Break it"})
    edit = await inbox.next("agent/proposal")
    await request(lsp, "agent/approveStep", {"taskId": edit["taskId"], "stepId": edit["stepId"]})
    assert (await inbox.next("agent/stepCompleted"))["step"]["status"] == "done"
    assert len(fake.requests) == 1  # the server waits for the editor's report before asking the LLM again

    report = [{"uri": uri(workspace / "a.ts"), **TYPE_ERROR}, {"uri": uri(workspace / "a.ts"), **TYPE_ERROR}]
    hint = {**TYPE_ERROR, "severity": 4, "message": "unused", "uri": uri(workspace / "a.ts")}
    ack = await request(lsp, "agent/diagnostics", {**_ids(edit), "diagnostics": [*report, hint]})
    assert ack == {**_ids(edit), "waited": True}
    await inbox.next("agent/proposal")  # finish, proposed after the report
    told = _prompt(fake, 1)
    assert "The edit introduced 2 errors, as the user's editor reports" in told
    assert "a.ts:2:7 error (ts): Type 'string' is not assignable to type 'number'." in told
    assert "unused" not in told  # hints are not worth the tokens

    detail = await request(lsp, "agent/getTask", {"taskId": edit["taskId"]})
    assert [d["line"] for d in detail["stepList"][0]["diagnostics"]] == [2, 2]
    late = await request(lsp, "agent/diagnostics", {**_ids(edit), "diagnostics": report})
    assert late["waited"] is False  # the step's driver is not waiting any more: nothing changes


@pytest.mark.parametrize("wait_ms", ["300"])
async def test_no_report_in_time_the_task_goes_on(client: Any, fake: FakeOpenAI) -> None:
    lsp, inbox = client
    fake.script(tool_call("write_file", {"filename": "b.txt", "contents": "b\n"}), FINISH)
    await request(lsp, "agent/run", {"goal": "Write b"})
    edit = await inbox.next("agent/proposal")
    await request(lsp, "agent/approveStep", _ids(edit))
    assert (await inbox.next("agent/proposal"))["tool"] == "finish"  # after DIAGNOSTICS_WAIT_MS, unreported
    assert "introduced" not in _prompt(fake, 1)


async def test_a_client_that_did_not_declare_it_is_not_waited_for(
    agent_env: dict[str, str], fake: FakeOpenAI, workspace: Path
) -> None:
    lsp, inbox = await start_client(agent_env | {"DIAGNOSTICS_WAIT_MS": "600000"}, workspace, "neovim")
    fake.script(tool_call("write_file", {"filename": "c.txt", "contents": "c\n"}), FINISH)
    await request(lsp, "agent/run", {"goal": "Write c"})
    edit = await inbox.next("agent/proposal")
    await request(lsp, "agent/approveStep", _ids(edit))
    assert (await inbox.next("agent/proposal"))["tool"] == "finish"  # at once: ten minutes of waiting would fail
    await lsp.shutdown_session()
    await lsp.stop()


async def test_editor_context_is_part_of_the_task_message(client: Any, fake: FakeOpenAI, workspace: Path) -> None:
    lsp, inbox = client
    fake.script(FINISH, FINISH)
    main = uri(workspace / "src" / "main.py")
    context = {
        "activeFile": main,
        "selection": {
            "uri": main,
            "range": {"start": {"line": 9, "character": 0}, "end": {"line": 12, "character": 0}},
            "text": "def area(r):\n    return 3.14 * r\n\n",
        },
        "diagnostics": [{"uri": main, **TYPE_ERROR, "source": "pyright", "message": "area is wrong"}],
    }
    await request(lsp, "agent/run", {"goal": "Fix the selected function", "context": context})
    proposal = await inbox.next("agent/proposal")
    task_message = fake.requests[0]["messages"][1]["content"]
    assert task_message.startswith("Your task: Fix the selected function")
    assert "The file open in the user's editor: src/main.py" in task_message
    assert "The user selected lines 10-12 of src/main.py:\n```\ndef area(r):\n    return 3.14 * r" in task_message
    assert "- src/main.py:2:7 error (pyright): area is wrong" in task_message
    detail = await request(lsp, "agent/getTask", {"taskId": proposal["taskId"]})
    assert detail["context"]["selection"]["startLine"] == 10 and detail["context"]["activeFile"] == "src/main.py"


async def test_a_context_that_does_not_fit_is_refused(client: Any) -> None:
    lsp, _ = client
    bad = {"goal": "g", "context": {"selection": {"uri": "file:///x", "text": "t"}}}  # no range
    with pytest.raises(JsonRpcException, match=r"context\.selection\.range"):
        await request(lsp, "agent/run", bad)


def _ids(p: dict[str, Any]) -> dict[str, str]:
    return {"taskId": p["taskId"], "stepId": p["stepId"]}
