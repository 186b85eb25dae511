"""Per provider, in-process (the Runtime as the front ends use it): streaming, rate limits, outages, broken replies."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from cases import Case

from autogpt_ls.agent.driver import interact
from autogpt_ls.agent.events import Event, ProposalMade, ThinkingDelta
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.models import Decision, DecisionKind, Step, StepStatus
from autogpt_ls.settings import Settings
from autogpt_ls.task_models import Task, TaskStatus
from fakes.openai_server import Reply, content, status

FINISH_REASON = "all done"


@pytest.fixture
async def runtime(case_env: Case) -> AsyncIterator[Runtime]:
    rt = Runtime(Settings.load())
    yield rt
    await rt.aclose()


async def approve(_step: Step) -> Decision:
    return Decision(kind=DecisionKind.APPROVE)


async def drive(runtime: Runtime, workspace: Path) -> tuple[Task, list[Event]]:
    events: list[Event] = []
    runtime.subscribe(events.append)
    task = await runtime.new_task("finish the work", workspace)
    async with runtime.driving(task.id) as driver:
        return await interact(driver, approve), events


def finish(case: Case, thoughts: str = "Nothing left to do.") -> Reply:
    return case.call("finish", {"reason": FINISH_REASON}, thoughts)


async def test_thoughts_stream_before_the_reply_is_complete(case: Case, runtime: Runtime, workspace: Path) -> None:
    """The fake holds the rest of the stream until the first words have reached the front end."""
    first_words = asyncio.Event()
    hold = threading.Event()
    reply = finish(case, "Checking the workspace first, then finishing.")
    case.fake.script(replace(reply, hold=hold))
    events: list[Event] = []

    def listen(event: Event) -> None:
        events.append(event)
        if isinstance(event, ThinkingDelta):
            first_words.set()

    runtime.subscribe(listen)
    task = await runtime.new_task("finish the work", workspace)

    async def run() -> Task:
        async with runtime.driving(task.id) as driver:
            return await interact(driver, approve)

    driving = asyncio.create_task(run())
    await asyncio.wait_for(first_words.wait(), 10)
    assert not any(isinstance(e, ProposalMade) for e in events)  # the reply is still streaming
    hold.set()
    ended = await asyncio.wait_for(driving, 20)
    assert ended.status == TaskStatus.FINISHED and ended.end_reason == FINISH_REASON
    streamed = "".join(e.text for e in events if isinstance(e, ThinkingDelta))
    proposal = next(e for e in events if isinstance(e, ProposalMade))
    assert proposal.step.proposal is not None
    assert "Checking the workspace first" in proposal.step.proposal.thoughts
    assert "Checking the workspace first, then finishing." in streamed
    assert sum(isinstance(e, ThinkingDelta) for e in events) > 2  # piece by piece, not in one go


async def test_rate_limit_then_success(case: Case, runtime: Runtime, workspace: Path) -> None:
    case.fake.script(status(429), finish(case))
    ended, _ = await drive(runtime, workspace)
    assert ended.status == TaskStatus.FINISHED, ended.end_reason
    answered = [h for h in case.fake.headers if h.get("x-stainless-retry-count")]
    assert [h["x-stainless-retry-count"] for h in answered][-2:] == ["0", "1"]  # the SDK's own retry


async def test_server_errors_until_the_sdk_gives_up(case: Case, runtime: Runtime, workspace: Path) -> None:
    case.fake.default = status(500, headers={"x-should-retry": "true", "retry-after-ms": "1"})
    ended, _ = await drive(runtime, workspace)
    assert ended.status == TaskStatus.FAILED
    assert ended.end_reason.startswith("LLM error:") and "HTTP 500" in ended.end_reason
    refused_first = 1 if case.name == "ollama" else 0  # Ollama's tools refusal comes before the outage
    assert len(case.fake.requests) == 3 + refused_first  # the first try and LLM_MAX_RETRIES=2 retries


async def test_malformed_tool_arguments_go_back_to_the_llm(case: Case, runtime: Runtime, workspace: Path) -> None:
    broken = '{"filename": "a.txt", "contents'
    if case.native:
        case.fake.script(case.call("write_file", broken), finish(case))
        expected = "are not valid JSON"
    else:
        case.fake.script(
            content('{"thoughts": "x", "use_tool": {"name": "write_file", "arguments": ' + broken), finish(case)
        )
        expected = "contained no tool call"
    ended, _ = await drive(runtime, workspace)
    assert ended.status == TaskStatus.FINISHED, ended.end_reason
    steps = await runtime.store.get_steps(ended.id)
    assert steps[0].status == StepStatus.INVALID and expected in (steps[0].result.output if steps[0].result else "")
    assert expected in json.dumps(case.fake.requests[-1])  # the next request told the LLM what was wrong
    assert not (workspace / "a.txt").exists()


async def test_a_reply_cut_mid_stream_is_unusable_not_fatal(case: Case, runtime: Runtime, workspace: Path) -> None:
    cut = finish(case, "I was about to say something longer than this")
    case.fake.script(replace(cut, cut_after=4), finish(case))
    ended, events = await drive(runtime, workspace)
    assert ended.status == TaskStatus.FINISHED, ended.end_reason
    [first, _second] = await runtime.store.get_steps(ended.id)
    assert first.status == StepStatus.INVALID
    assert first.result is not None and "cut off mid-stream" in first.result.output
    assert any(isinstance(e, ThinkingDelta) and e.step_index == 0 for e in events)  # part of it had streamed
