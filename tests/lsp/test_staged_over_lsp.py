"""A staged command's change set over a real LSP client and the real Docker engine: one WorkspaceEdit (create, edit
and delete), hint diagnostics and code actions as for a file edit; approving applies it all or nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from lsp_client import _plain, start_client, uri
from lsprotocol import types

from autogpt_ls.executors.sandbox_container import engine_answers
from fakes.openai_server import FakeOpenAI, tool_call

pytestmark = pytest.mark.timeout(900)  # each staged command creates a container: seconds to a minute on vfs storage
IMAGE = os.environ.get("SANDBOX_IMAGE", "autogpt-ls-sandbox:1")
COMMAND = "echo changed > a.txt; echo new > b.txt; rm c.txt"
AGAIN = "rm c.txt; echo new > b.txt; echo changed > a.txt"  # the same changes (the loop guard stops a repeat)
RAN = 600  # seconds for a staged step: its container is created (vfs copies the image) and removed, under load


@pytest.fixture
def lsp_env(agent_env: dict[str, str]) -> dict[str, str]:
    if os.environ.get("AUTOGPT_DOCKER_UNAVAILABLE") or not engine_answers():
        pytest.skip("no Docker engine answers; ./test.sh installs and starts one (scripts/setup.d/20-docker.sh)")
    return agent_env | {"EXECUTOR": "docker", "SANDBOX_IMAGE": IMAGE}


async def request(client: Any, method: str, params: dict[str, Any]) -> Any:
    return _plain(await client.protocol.send_request_async(method, params))


async def command_then_review(client: Any, inbox: Any, line: str) -> dict[str, Any]:
    """Approve the proposed command; it runs staged, and its change set is the next proposal."""
    command = await inbox.next("agent/proposal", RAN)
    assert command["kind"] == "command" and command["command"]["command"] == line
    await request(client, "agent/approveStep", {"taskId": command["taskId"], "stepId": command["stepId"]})
    ran = (await inbox.next("agent/stepCompleted", RAN))["step"]
    assert "changed 3 file(s) on a staged copy" in ran["result"]["output"]
    review: dict[str, Any] = await inbox.next("agent/proposal", RAN)
    assert review["tool"] == "apply_staged_changes" and review["kind"] == "file_change"
    return review


async def approve_by_code_action(client: Any, path: Path) -> None:
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(path)),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert [a.title for a in actions] == [
        *("AutoGPT: Approve edit", "AutoGPT: Approve next 5", "AutoGPT: Reject", "AutoGPT: Give feedback…"),
        "AutoGPT: Self-feedback (critique it, then propose again)",
    ]
    approve = actions[0].command
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=approve.command, arguments=approve.arguments)
    )


async def test_a_staged_change_set_is_one_workspace_edit_applied_all_or_nothing(
    lsp_env: dict[str, str], fake: FakeOpenAI, workspace: Path
) -> None:
    a, b, c = workspace / "a.txt", workspace / "b.txt", workspace / "c.txt"
    a.write_text("a\n")
    c.write_text("c\n")
    fake.script(
        tool_call("execute_shell", {"command_line": COMMAND}),
        tool_call("execute_shell", {"command_line": AGAIN}),  # after the conflict
        tool_call("finish", {"reason": "done"}),
    )
    client, inbox = await start_client(lsp_env, workspace, "visual-studio-code")
    try:
        started = await request(client, "agent/run", {"goal": "Change the files", "stageChanges": True})
        review = await command_then_review(client, inbox, COMMAND)
        assert review["taskId"] == started["taskId"] and review["uri"] == uri(a)
        operations = [(op.get("kind", "edit"), op.get("uri") or op["textDocument"]["uri"]) for op in _ops(review)]
        assert operations == [("edit", uri(a)), ("create", uri(b)), ("edit", uri(b)), ("delete", uri(c))]
        assert [e["newText"] for e in _ops(review)[0]["edits"]] == ["changed\n"]
        assert [e["newText"] for e in _ops(review)[2]["edits"]] == ["new\n"]
        for path in (a, b, c):  # a hint where each change lands, with the review's text
            [hint] = client.diagnostics[uri(path)]
            assert hint.source == "autogpt" and hint.severity == types.DiagnosticSeverity.Hint
            assert f"The command `{COMMAND}` changed 3 file(s)" in hint.message
        assert a.read_text() == "a\n" and not b.exists() and c.exists()  # nothing applied before the approval

        a.write_text("the user's edit\n")  # meanwhile: a conflict
        await approve_by_code_action(client, a)
        refused = (await inbox.next("agent/stepCompleted", RAN))["step"]
        assert refused["id"] == review["stepId"] and refused["result"]["ok"] is False
        assert "Nothing of the change set" in refused["result"]["output"] and "a.txt" in refused["result"]["output"]
        assert a.read_text() == "the user's edit\n" and not b.exists() and c.read_text() == "c\n"  # nothing applied
        assert all(list(client.diagnostics[uri(p)]) == [] for p in (a, b, c))  # the hints cleared once decided

        again = await command_then_review(client, inbox, AGAIN)
        assert _ops(again)[0]["edits"][0]["newText"] == "changed\n"  # against the user's text now
        await approve_by_code_action(client, b)  # any file of the change set offers its actions
        applied = (await inbox.next("agent/stepCompleted", RAN))["step"]
        assert applied["status"] == "done" and applied["result"]["ok"] is True
        assert applied["changes"]["files"] == ["a.txt", "b.txt", "c.txt"]  # one checkpoint for the whole set
        assert a.read_text() == "changed\n" and b.read_text() == "new\n" and not c.exists()
        finish = await inbox.next("agent/proposal")
        await request(client, "agent/approveStep", {"taskId": finish["taskId"], "stepId": finish["stepId"]})
        assert (await inbox.next("agent/taskEnded"))["status"] == "finished"
    finally:
        await client.shutdown_session()
        await client.stop()


def _ops(proposal: dict[str, Any]) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = proposal["workspaceEdit"]["documentChanges"]
    return ops
