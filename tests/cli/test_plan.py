"""The agent's plan (the `todo` tool) through the real CLI: never asked about, shown when it changes, stored with
the task, and kept word for word in part (2) of the prompt once its steps are compacted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from test_memory_challenges import FAST, agent_requests, run_challenge, task_ids, write_challenge
from test_resume import task_id
from test_run import FINISH, GOAL, WRITE, last_observation

from fakes.openai_server import FakeOpenAI, Reply, tool_call
from fakes.reader_model import ReaderModel, usage_of

PLAN = ["Follow every instructions file", "Write the task_id into output.txt"]


def test_todo_is_never_asked_about_and_its_plan_is_shown(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(
        tool_call("todo", {"add": ["write the file", "check it"]}),
        WRITE,
        tool_call("todo", {"done": [1, 7]}),
        tool_call("todo", {"done": [1]}),
        FINISH,
    )
    run = cli(GOAL, answers="y\ny\n")
    assert run.code == 0, run.out
    assert run.out.count("Approve?") == 2  # the write and finish only
    first = "Your plan (0 of 2 done):\n1. [ ] write the file\n2. [ ] check it"
    assert last_observation(fake.requests[1]) == first
    assert "no plan item numbered 7" in last_observation(fake.requests[3])  # nothing changed: all or none
    assert last_observation(fake.requests[4]) == "Your plan (1 of 2 done):\n1. [x] write the file\n2. [ ] check it"
    assert first in run.out and "1. [x] write the file" in run.out


def test_the_plan_is_stored_with_the_task(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(tool_call("todo", {"add": ["a", "b"]}), WRITE)
    first = cli(GOAL, answers="n\n")
    assert first.code == 3, first.out
    fake.script(tool_call("todo", {"done": [2]}), FINISH)
    second = cli("--resume", task_id(first.out), answers="y\n")
    assert second.code == 0, second.out
    # the resumed process marks item 2 of the plan it loaded from the store
    assert last_observation(fake.requests[3]) == "Your plan (1 of 2 done):\n1. [ ] a\n2. [x] b"


def planner(model: ReaderModel) -> Any:
    """The reader model, making its plan first and marking it done before it writes the file."""

    def respond(request: dict[str, Any]) -> Reply:
        messages = request["messages"]
        last = str(messages[-1].get("content") or "") if messages[-1]["role"] == "tool" else ""
        if request["model"] != FAST and not last:
            return tool_call("todo", {"add": PLAN}, usage=usage_of(request))
        if last.startswith("Your plan (0 of"):
            return tool_call("read_file", {"filename": "instructions_1.txt"}, usage=usage_of(request))
        return model(request)

    return respond


def test_the_plan_outlives_the_compactions_word_for_word(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    write_challenge(workspace, task_ids(["4321"] + [""] * 20), 7_000, "Write the task_id into the file output.txt.")
    keep = re.compile(r"task_id is \d")
    run = run_challenge(cli, fake, agent_env, planner(ReaderModel(FAST, keep=keep)))
    assert run.code == 0, run.out[-3000:] + run.err
    assert (workspace / "output.txt").read_text() == "4321\n"
    assert len([r for r in fake.requests if r["model"] == FAST]) >= 1
    final = agent_requests(fake)[-2]["messages"]
    assert not any(str(m.get("content")).startswith("Your plan") for m in final[2:])  # its step was compacted
    context = final[1]["content"]
    assert "## Your plan, as your last todo call left it (never summarised)\nYour plan (0 of 2 done):\n" in context
    assert "1. [ ] Follow every instructions file\n2. [ ] Write the task_id into output.txt" in context
    assert "Approve?" not in run.out
