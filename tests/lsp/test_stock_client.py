"""A stock LSP client (no agent/* notifications): proposals asked with window/showMessageRequest, file edits opened
with window/showDocument, each prompt tied to its step."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from lsp_client import _plain, start_client, uri
from lsprotocol import types

from autogpt_ls.agent.decisions import RETHINK_TEXT
from fakes.openai_server import FakeOpenAI, tool_call

FINISH = tool_call("finish", {"reason": "all done"})
Prompt = tuple[types.ShowMessageRequestParams, "asyncio.Future[types.MessageActionItem | None]"]


class Editor:
    """What a user of a stock editor sees (prompts, messages, opened documents), each awaited as it comes."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.prompts: asyncio.Queue[Prompt] = asyncio.Queue()
        self.messages: asyncio.Queue[types.ShowMessageParams] = asyncio.Queue()
        self.documents: asyncio.Queue[types.ShowDocumentParams] = asyncio.Queue()

    async def prompt(self) -> Prompt:
        return await asyncio.wait_for(self.prompts.get(), 20)

    async def message(self) -> str:
        return (await asyncio.wait_for(self.messages.get(), 20)).message

    async def command(self, name: str, **arguments: Any) -> Any:
        params = types.ExecuteCommandParams(command=name, arguments=[arguments])
        return _plain(await self.client.workspace_execute_command_async(params))

    async def steps(self, task_id: str) -> list[dict[str, Any]]:
        task = await self.client.protocol.send_request_async("agent/getTask", {"taskId": task_id})
        return list(_plain(task)["stepList"])


@asynccontextmanager
async def stock_editor(env: dict[str, str], workspace: Path) -> AsyncIterator[Editor]:
    """A stock client over a server with `env`, whose prompts, messages and opened documents are queued."""
    client, _ = await start_client(env, workspace, "neovim", agent_notifications=False)
    seen = Editor(client)

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    async def ask(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        answer: asyncio.Future[types.MessageActionItem | None] = asyncio.get_running_loop().create_future()
        seen.prompts.put_nowait((params, answer))
        return await answer

    for method in (types.WINDOW_SHOW_MESSAGE, types.WINDOW_SHOW_DOCUMENT):
        client.protocol.fm.features.pop(method)  # pytest-lsp's defaults only record them; these are awaited
    client.feature(types.WINDOW_SHOW_MESSAGE)(lambda params: seen.messages.put_nowait(params))

    @client.feature(types.WINDOW_SHOW_DOCUMENT)
    def show(params: types.ShowDocumentParams) -> types.ShowDocumentResult:
        seen.documents.put_nowait(params)
        return types.ShowDocumentResult(success=True)

    yield seen
    await client.shutdown_session()
    await client.stop()


@pytest.fixture
async def editor(agent_env: dict[str, str], workspace: Path) -> AsyncIterator[Editor]:
    async with stock_editor(agent_env | {"EXECUTE_LOCAL_COMMANDS": "True"}, workspace) as seen:
        yield seen


def _pick(prompt: Prompt, title: str) -> None:
    params, answer = prompt
    assert title in [a.title for a in params.actions or []]
    answer.set_result(types.MessageActionItem(title=title))


async def test_an_edit_a_command_and_finish(editor: Editor, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(
        tool_call("write_file", {"filename": "a.txt", "contents": "Washington\n"}),
        tool_call("execute_shell", {"command_line": "cat a.txt > b.txt"}, thoughts="Copy it."),
        FINISH,
    )
    started = await editor.command("autogpt.server.runGoal", goal="Write and copy")
    shown = await asyncio.wait_for(editor.documents.get(), 20)
    assert shown.uri == uri(workspace / "a.txt") and shown.take_focus
    [hint] = editor.client.diagnostics[uri(workspace / "a.txt")]
    await editor.command("autogpt.server.approveStep", taskId=started["taskId"], stepId=hint.code)

    command = await editor.prompt()
    assert "execute_shell" in command[0].message and "cat a.txt > b.txt" in command[0].message
    assert "Thoughts: Copy it." in command[0].message
    assert [a.title for a in command[0].actions or []] == ["Approve", "Approve next 5", "Reject", "Feedback…"]
    _pick(command, "Approve")
    finish = await editor.prompt()
    assert "finish" in finish[0].message and "all done" in finish[0].message
    _pick(finish, "Approve")
    assert await editor.message() == f"AutoGPT task {started['taskId']} finished: all done"
    assert (workspace / "b.txt").read_text() == "Washington\n"


async def test_a_dismissed_prompt_leaves_the_step_pending_to_ask_again_and_a_late_answer_is_ignored(
    editor: Editor, fake: FakeOpenAI, workspace: Path
) -> None:
    fake.script(tool_call("execute_shell", {"command_line": "touch x"}), tool_call("list_folder", {}), FINISH)
    started = await editor.command("autogpt.server.runGoal", goal="Touch")
    dismissed = await editor.prompt()
    dismissed[1].set_result(None)
    assert "autogpt.server.ask" in await editor.message()
    steps = await editor.steps(started["taskId"])
    assert [s["status"] for s in steps] == ["awaiting"]  # the null answer decided nothing
    asked = await editor.command("autogpt.server.ask", taskId=started["taskId"])
    again = await editor.prompt()
    assert asked["stepId"] == steps[0]["id"]
    assert again[0].message.startswith("AutoGPT proposes step 1: execute_shell") and "touch x" in again[0].message
    _pick(again, "Approve")
    late = await editor.prompt()  # the next step's prompt; it will be answered after a decision elsewhere
    steps = await editor.steps(started["taskId"])
    assert [s["status"] for s in steps] == ["done", "awaiting"] and (workspace / "x").exists()
    await editor.command("autogpt.server.rejectStep", taskId=started["taskId"], stepId=steps[1]["id"])
    ended = await editor.message()
    assert ended == f"AutoGPT task {started['taskId']} stopped: The user rejected the proposed action (n)."
    _pick(late, "Approve")
    assert (await editor.message()).startswith("Your answer to step 2 was ignored: task")
    assert len(fake.requests) == 2  # the stale Approve ran nothing and asked the LLM nothing


async def test_ask_user_is_answered_with_the_answer_command(editor: Editor, fake: FakeOpenAI) -> None:
    fake.script(tool_call("ask_user", {"question": "Which city?"}), FINISH)
    started = await editor.command("autogpt.server.runGoal", goal="Ask")
    question = await editor.prompt()
    assert "Question: Which city?" in question[0].message
    _pick(question, "Answer…")
    how = await editor.message()
    assert "autogpt.server.answer" in how and started["taskId"] in how
    [step] = await editor.steps(started["taskId"])
    await editor.command("autogpt.server.answer", taskId=started["taskId"], stepId=step["id"], text="Paris")
    _pick(await editor.prompt(), "Approve")
    assert fake.requests[1]["messages"][-1]["content"] == "The user answered: Paris"
    assert (await editor.message()).endswith("finished: all done")


async def test_a_step_the_loop_guard_holds_is_asked_with_its_reason_and_answers(
    editor: Editor, fake: FakeOpenAI, workspace: Path
) -> None:
    (workspace / "notes.txt").write_text("the notes\n")
    read = tool_call("read_file", {"filename": "notes.txt"})
    fake.script(read, read, read, FINISH)
    started = await editor.command("autogpt.server.runGoal", goal="Read notes.txt", continuous=True)
    held = await editor.prompt()  # the first read ran, the second was not run (the LLM told): no prompt for them
    assert held[0].type == types.MessageType.Warning
    assert held[0].message.startswith("Loop guard: repeating read_file notes.txt. It waits for you")
    assert "AutoGPT proposes step 3: read_file" in held[0].message
    assert [a.title for a in held[0].actions or []] == ["Rethink", "Feedback…", "Run anyway", "Stop"]
    held[1].set_result(None)  # dismissed: asked again, still with the guard's reason and answers
    assert "autogpt.server.ask" in await editor.message()
    await editor.command("autogpt.server.ask", taskId=started["taskId"])
    again = await editor.prompt()
    assert again[0].message == held[0].message and again[0].actions == held[0].actions
    _pick(again, "Rethink")
    assert await editor.message() == f"AutoGPT task {started['taskId']} finished: all done"
    assert str(fake.requests[3]["messages"][-1]["content"]).endswith(RETHINK_TEXT)
    steps = await editor.steps(started["taskId"])
    assert [s["status"] for s in steps] == ["done", "feedback", "feedback", "done"]


async def test_the_rules_the_agent_follows_are_said_at_the_start(
    editor: Editor, fake: FakeOpenAI, workspace: Path
) -> None:
    (workspace / "AGENTS.md").write_text("Answer in French.\n")
    fake.script(FINISH)
    started = await editor.command("autogpt.server.runGoal", goal="Say hello")
    assert await editor.message() == "Project rules the agent follows: AGENTS.md (17 characters)"
    _pick(await editor.prompt(), "Approve")
    assert "Answer in French." in str(fake.requests[0]["messages"][0]["content"])
    assert await editor.message() == f"AutoGPT task {started['taskId']} finished: all done"
