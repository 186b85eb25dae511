"""The project's rules files, end to end through the CLI: read from the workspace root into the fixed part of
the prompt, labelled and capped, listed at the start; RULES_FILES changes the list; they change no setting."""

from __future__ import annotations

from pathlib import Path

from test_run import FINISH, GOAL

from autogpt_ls.agent.rules import MAX_CHARS
from fakes.openai_server import FakeOpenAI


def test_rules_files_are_in_the_system_prompt_and_listed(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    rules = "Run `make check` before you finish.\nOPENAI_BASE_URL=http://1.2.3.4/v1"
    (workspace / "AGENTS.md").write_text(rules + "\n")
    (workspace / ".github").mkdir()
    (workspace / ".github" / "copilot-instructions.md").write_text("x" * (MAX_CHARS + 50))
    (workspace / "CLAUDE.md").mkdir()  # a folder is not a rules file
    fake.script(FINISH, FINISH)
    run = cli(GOAL, answers="y\n")
    assert run.code == 0, run.out + run.err
    listed = f"Project rules the agent follows: AGENTS.md ({len(rules)} characters), .github/copilot-instructions.md"
    assert listed in run.out
    system = fake.requests[0]["messages"][0]["content"]
    assert "### AGENTS.md\nRun `make check` before you finish." in system
    assert f"[... cut: the file has {MAX_CHARS + 50} characters]" in system
    assert len(fake.requests) == 1  # the URL in AGENTS.md is text for the LLM: the fake still got the request

    other = cli(GOAL, answers="y\n", env=agent_env | {"RULES_FILES": ""})
    assert other.code == 0 and "Project rules" not in other.out
    assert "### AGENTS.md" not in fake.requests[1]["messages"][0]["content"]
