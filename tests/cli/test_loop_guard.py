"""The loop guard end to end through the real CLI: a repeat is not run the first time (the LLM is told why),
then waits for the human even in continuous mode or under `y -N` credit; the same call after an edit runs."""

from __future__ import annotations

from pathlib import Path

from test_run import FINISH, GOAL, last_observation

from autogpt_ls.agent.decisions import RETHINK_TEXT
from fakes.openai_server import FakeOpenAI, tool_call

READ = tool_call("read_file", {"filename": "notes.txt"})


def test_a_repeat_is_told_then_held_for_the_human_in_continuous_mode(cli, fake: FakeOpenAI, workspace: Path) -> None:
    (workspace / "notes.txt").write_text("first draft\n")
    edit = tool_call("write_file", {"filename": "notes.txt", "contents": "second draft\n"})
    fake.script(READ, READ, READ, edit, READ, FINISH)
    run = cli(GOAL, "--continuous", answers="rethink\n")
    assert run.code == 0, run.out + run.err
    assert last_observation(fake.requests[1]) == "first draft\n"
    assert last_observation(fake.requests[2]).startswith("Loop guard: not run. You ran this same call at step 1")
    assert "(loop guard: repeating read_file notes.txt; not run, the agent is told why)" in run.out
    assert "Loop guard: repeating read_file notes.txt. It waits for you" in run.out
    assert run.out.count("Approve?") == 1  # only the second repeat asked, continuous mode or not
    assert RETHINK_TEXT in last_observation(fake.requests[3])
    assert last_observation(fake.requests[5]) == "second draft\n"  # after the edit the same read runs
    assert len(fake.requests) == 6


def test_credit_does_not_approve_a_repeat_and_y_runs_it_anyway(cli, fake: FakeOpenAI, workspace: Path) -> None:
    (workspace / "notes.txt").write_text("the notes\n")
    fake.script(READ, READ, READ, FINISH)
    run = cli(GOAL, answers="y -10\ny\ny\n")  # a plain y replaces the credit, so finish asks too
    assert run.code == 0, run.out + run.err
    assert run.out.count("Approve?") == 3  # y -10 for the first read; the held repeat asks despite the credit
    assert last_observation(fake.requests[2]).startswith("Loop guard: not run.")
    assert last_observation(fake.requests[3]) == "the notes\n"  # run anyway
