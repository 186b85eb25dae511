"""Self-feedback (the seeds' `s` answer) through the real CLI and the loopback fake: the LLM is asked to critique
the pending proposal with the task's prompt, the critique is shown, the proposal stays in the history as revised
with the critique as its observation, and the revised proposal waits for the human."""

from __future__ import annotations

from pathlib import Path

from test_run import FINISH, GOAL

from fakes.openai_server import FakeOpenAI, content, tool_call

BOSTON = tool_call("write_file", {"filename": "answer.txt", "contents": "Boston\n"}, thoughts="Write Boston.")
WASHINGTON = tool_call("write_file", {"filename": "answer.txt", "contents": "Washington\n"}, thoughts="Fixed.")
CRITIQUE = "The goal asks for the word Washington, not Boston: write Washington instead."


def test_s_critiques_the_proposal_and_a_revised_one_waits(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(BOSTON, content(CRITIQUE), WASHINGTON, FINISH)
    run = cli(GOAL, answers="s\ny\ny\n")
    assert run.code == 0, run.err
    review = fake.requests[1]["messages"]
    assert review[0]["role"] == "system" and GOAL in review[1]["content"]  # the task's own prompt
    assert "review your proposed next action critically" in review[-1]["content"]
    assert '"contents": "Boston\\n"' in review[-1]["content"] and "Write Boston." in review[-1]["content"]
    assert "Self-feedback on step 1 (not run; the agent proposes again):" in run.out and CRITIQUE in run.out
    revised = fake.requests[2]["messages"]
    assert revised[-2]["tool_calls"][0]["function"]["name"] == "write_file"  # the first proposal, kept
    assert revised[-1]["role"] == "tool" and CRITIQUE in revised[-1]["content"]
    assert "you reviewed it (self-feedback)" in revised[-1]["content"]
    assert (workspace / "answer.txt").read_text() == "Washington\n"
    assert run.out.count("Approve?") == 3  # s, then y for the revised write, then y for finish
    assert "cost: $" in run.out


def test_the_revised_proposal_waits_even_in_continuous_mode(cli, fake: FakeOpenAI, workspace: Path) -> None:
    """A repeat the loop guard holds waits for the human even in continuous mode; `s` there revises it, and the
    revised proposal waits too instead of being approved by continuous mode."""
    (workspace / "notes.txt").write_text("the capital\n")
    read = tool_call("read_file", {"filename": "notes.txt"})
    fake.script(read, read, read, content(CRITIQUE), WASHINGTON, FINISH)
    run = cli(GOAL, "--continuous", answers="s\nn\n")
    assert run.code == 3, run.out
    assert "Loop guard: repeating read_file" in run.out and CRITIQUE in run.out
    assert run.out.count("Approve?") == 2  # the held repeat, then the revised write
    assert not (workspace / "answer.txt").exists()
