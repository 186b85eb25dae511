"""Approval rules through the real CLI, with their defaults: a read is not asked, a write is; a shell line runs
without asking only when each of its commands matches AUTO_APPROVE_COMMANDS (`pytest; rm -rf ~` asks)."""

from __future__ import annotations

from pathlib import Path

from test_run import FINISH, GOAL, WRITE, last_observation

from fakes.openai_server import FakeOpenAI, tool_call

READ = tool_call("read_file", {"filename": "notes.txt"})
LS = tool_call("execute_shell", {"command_line": "ls"})
DANGER = tool_call("execute_shell", {"command_line": "pytest; rm -rf ~"})


def rules_env(agent_env: dict[str, str], home: Path) -> dict[str, str]:
    """The defaults of AUTO_APPROVE, commands allowed and prefixes set; HOME a folder of the test's own."""
    env = {k: v for k, v in agent_env.items() if k != "AUTO_APPROVE"}
    home.mkdir()
    return env | {"AUTO_APPROVE_COMMANDS": "pytest,ls", "EXECUTE_LOCAL_COMMANDS": "True", "HOME": str(home)}


def test_a_read_runs_without_asking_a_write_and_a_mixed_line_ask(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str], tmp_path: Path
) -> None:
    (workspace / "notes.txt").write_text("the notes\n")
    again = tool_call("write_file", {"filename": "again.txt", "contents": "x"})
    fake.script(READ, WRITE, LS, again, DANGER, FINISH)
    home = tmp_path / "home"
    run = cli(GOAL, answers="y -2\ndo not delete anything\ny\n", env=rules_env(agent_env, home))
    assert run.code == 0, run.out + run.err
    assert "(approved automatically: rule AUTO_APPROVE read_file)" in run.out
    assert last_observation(fake.requests[1]) == "the notes\n"
    assert "(approved automatically: rule AUTO_APPROVE_COMMANDS ls)" in run.out
    assert "answer.txt" in last_observation(fake.requests[3])  # ls ran, after the write
    # ls spent none of the y -2 credit: the second write took its last one
    assert run.out.count("(approved automatically: y -N credit)") == 1 and (workspace / "again.txt").exists()
    assert run.out.count("Approve?") == 3  # the first write, `pytest; rm -rf ~` and finish
    assert "do not delete anything" in last_observation(fake.requests[5])
    assert home.is_dir()


def test_no_rules_asks_for_every_step(cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]) -> None:
    (workspace / "notes.txt").write_text("the notes\n")
    fake.script(READ, FINISH)
    run = cli(GOAL, answers="y\ny\n", env=agent_env | {"AUTO_APPROVE": ""})
    assert run.code == 0, run.out + run.err
    assert run.out.count("Approve?") == 2
