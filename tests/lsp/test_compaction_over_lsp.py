"""Compactions as an editor sees them: agent/compacted, and the summaries in every task summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_agent_over_lsp import FINISH, request

from fakes.openai_server import FakeOpenAI, Reply, content, tool_call
from fakes.reader_model import usage_of

FAST = "gpt-4.1-nano"


@pytest.fixture
def lsp_env(agent_env: dict[str, str]) -> dict[str, str]:
    """A small window and a fast model for the summaries, so a few large reads compact the prompt."""
    return agent_env | {"CONTEXT_WINDOW": "6000", "FAST_LLM": f"openai/{FAST}"}


async def test_a_compaction_is_notified_and_its_summary_is_in_the_task(
    lsp: Any, fake: FakeOpenAI, workspace: Path
) -> None:
    client, inbox = lsp
    for n in range(6):
        (workspace / f"big_{n}.txt").write_text(f"file {n}: " + "lorem ipsum " * 500)
    reads = [("read_file", {"filename": f"big_{n}.txt"}) for n in range(6)]

    def respond(request: dict[str, Any]) -> Reply:
        usage = usage_of(request)  # ~4 characters a token, as a tokenizer would count
        if request["model"] == FAST:
            return content("The agent read big_0.txt and big_1.txt: lorem ipsum.", usage=usage)
        return tool_call(*reads.pop(0), usage=usage) if reads else FINISH

    fake.responder = respond
    started = await request(client, "agent/run", {"goal": "Read the big files", "continuous": True})
    compacted = await inbox.next("agent/compacted")
    assert compacted["taskId"] == started["taskId"]
    assert compacted["summary"]["text"] == "The agent read big_0.txt and big_1.txt: lorem ipsum."
    assert compacted["summary"]["model"] == f"openai/{FAST}" and compacted["summary"]["first"] == 0
    assert (await inbox.next("agent/taskEnded"))["status"] == "finished"
    detail = await request(client, "agent/getTask", {"taskId": started["taskId"]})
    assert compacted["summary"] in detail["summaries"]
