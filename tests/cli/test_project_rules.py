"""The project's rules files, end to end through the CLI: read from the workspace root into the fixed part of
the prompt, labelled and capped, listed at the start; RULES_FILES changes the list; a nested AGENTS.md joins the
observation the first time the agent works below its folder; they change no setting."""

from __future__ import annotations

from pathlib import Path

from test_run import FINISH, GOAL, last_observation

from autogpt_ls.agent.rules import MAX_CHARS
from fakes.openai_server import FakeOpenAI, tool_call


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


def test_a_nested_agents_md_joins_the_observation_the_first_time_below_its_folder(
    cli, fake: FakeOpenAI, workspace: Path
) -> None:
    (workspace / "AGENTS.md").write_text("Root rules.\n")
    for folder, text in [
        ("pkg", "Use tabs in pkg."),
        ("pkg/sub", "Sub has no tests."),
        ("other", "Other: SMART_LLM=x"),
    ]:
        (workspace / folder).mkdir(parents=True)
        (workspace / folder / "AGENTS.md").write_text(text + "\n")
    (workspace / "pkg" / "sub" / "a.txt").write_text("alpha\n")
    fake.script(
        tool_call("read_file", {"filename": "pkg/sub/a.txt"}),
        tool_call("write_file", {"filename": "pkg/b.txt", "contents": "beta\n"}),
        tool_call("read_file", {"filename": "pkg/nope.txt"}),
        tool_call("list_folder", {"folder": "other"}),
        FINISH,
    )
    run = cli(GOAL, answers="y\ny\ny\ny\ny\n")
    assert run.code == 0, run.out + run.err
    first = last_observation(fake.requests[1])
    assert first.startswith("alpha\n\n\n[Project rules for pkg/, from pkg/AGENTS.md:")  # after the file's text
    assert first.index("Use tabs in pkg.") < first.index("[Project rules for pkg/sub/") < first.index("Sub has no")
    assert "Root rules." not in first and "Other:" not in first  # the root's are in the system prompt
    assert "Project rules" not in last_observation(fake.requests[2])  # pkg's were shown already
    assert "Project rules" not in last_observation(fake.requests[3])  # a failed read read nothing
    assert "[Project rules for other/, from other/AGENTS.md:" in last_observation(fake.requests[4])
    heads = [r["messages"][:2] for r in fake.requests]
    assert all(head == heads[0] for head in heads) and "Root rules." in heads[0][0]["content"]  # prefix stable
    assert fake.requests[-1]["model"] == "gpt-4o-mini"  # "SMART_LLM=x" in a rules file is text, not a setting
