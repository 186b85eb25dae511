"""End to end through the real CLI, the real openai SDK and a loopback fake of the OpenAI API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fakes import SECRET_KEY
from fakes.openai_server import FakeOpenAI, content, tool_call, writes

GOAL = "Write the word 'Washington' to a .txt file"
WRITE = tool_call("write_file", {"filename": "answer.txt", "contents": "Washington\n"}, thoughts="Write the file.")
FINISH = tool_call("finish", {"reason": "The file is written."})


def last_observation(request: dict[str, Any]) -> str:
    """What the agent told the LLM about its previous step (the newest message of the request)."""
    return str(request["messages"][-1]["content"])


def test_goal_finishes_with_the_file_written(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(WRITE, FINISH)
    run = cli(GOAL, answers="y\ny\n")
    assert run.code == 0, run.err
    assert (workspace / "answer.txt").read_text() == "Washington\n"
    assert "+Washington" in run.out  # the proposal showed a diff before it ran
    assert "Task finished: The file is written." in run.out
    request = fake.requests[0]
    assert request["model"] == "gpt-4o-mini"
    assert {t["function"]["name"] for t in request["tools"]} >= {"write_file", "finish", "execute_shell"}
    assert GOAL in request["messages"][1]["content"]
    assert "Wrote 11 characters to answer.txt" in last_observation(fake.requests[1])


def test_options_after_the_goal(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(WRITE, FINISH)
    run = cli("--workspace", str(workspace), GOAL, "--debug", answers="y\ny\n")
    assert run.code == 0, run.err
    assert (workspace / "answer.txt").exists()


def test_y_minus_n_approves_the_next_steps(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(
        tool_call("write_file", {"filename": "a.txt", "contents": "1"}),
        tool_call("write_file", {"filename": "b.txt", "contents": "2"}),
        tool_call("write_file", {"filename": "c.txt", "contents": "3"}),
        FINISH,
    )
    run = cli(GOAL, answers="y -2\ny\ny\n")  # two by y -2, then one y for c.txt, one for finish
    assert run.code == 0, run.err
    assert sorted(p.name for p in workspace.iterdir()) == ["a.txt", "b.txt", "c.txt"]
    assert run.out.count("(approved automatically: y -N credit)") == 1
    assert run.out.count("Approve?") == 3


def test_feedback_goes_to_the_llm_instead_of_running(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(
        tool_call("write_file", {"filename": "answer.md", "contents": "Washington"}),
        WRITE,
        FINISH,
    )
    run = cli(GOAL, answers="use a .txt file please\ny\ny\n")
    assert run.code == 0, run.err
    assert not (workspace / "answer.md").exists()
    assert "gave feedback instead: use a .txt file please" in last_observation(fake.requests[1])
    assert (workspace / "answer.txt").exists()


def test_n_stops_with_exit_3_and_nothing_runs(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(WRITE)
    run = cli(GOAL, answers="n\n")
    assert run.code == 3
    assert list(workspace.iterdir()) == []
    assert "rejected" in run.out


def test_end_of_input_counts_as_n(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(WRITE)
    run = cli(GOAL, answers="")
    assert run.code == 3
    assert list(workspace.iterdir()) == []


def test_unusable_answers_are_explained_and_asked_again(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(WRITE, FINISH)
    run = cli(GOAL, answers="y -0\nundo\ny\ny\n")
    assert run.code == 0, run.err
    assert "'y -N' needs N of at least 1" in run.out
    assert "there is nothing to undo" in run.out  # no step ran yet: said, and asked again
    assert len(fake.requests) == 2  # neither answer reached the LLM as feedback


def test_continuous_mode_stops_at_its_limit(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.responder = writes()
    run = cli(GOAL, "--continuous", "--continuous-limit", "3")
    assert run.code == 3
    assert "continuous limit reached (3 steps)" in run.out
    assert len(fake.requests) == 3
    assert "Approve?" not in run.out


def test_ask_user_takes_the_next_line_as_the_answer(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(tool_call("ask_user", {"question": "Which city?"}), WRITE, FINISH)
    run = cli(GOAL, "--continuous", answers="Washington\n")
    assert run.code == 0, run.err
    assert "The agent asks: Which city?" in run.out
    assert last_observation(fake.requests[1]) == "The user answered: Washington"


def test_several_tool_calls_use_the_first_and_say_so(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(
        tool_call(
            "write_file",
            {"filename": "answer.txt", "contents": "Washington"},
            extra=[("execute_shell", {"command_line": "rm -rf /"}), ("finish", {"reason": "x"})],
        ),
        FINISH,
    )
    run = cli(GOAL, answers="y\ny\n")
    assert run.code == 0, run.err
    assert "these were ignored: execute_shell, finish" in last_observation(fake.requests[1])
    assert [c["function"]["name"] for c in fake.requests[1]["messages"][-2]["tool_calls"]] == ["write_file"]


def test_json_content_reply_is_accepted(cli, fake: FakeOpenAI, workspace: Path) -> None:
    reply = {
        "thoughts": "plain JSON",
        "use_tool": {"name": "write_file", "arguments": {"filename": "j.txt", "contents": "J"}},
    }
    fake.script(content("```json\n" + json.dumps(reply) + "\n```"), FINISH)
    run = cli(GOAL, answers="y\ny\n")
    assert run.code == 0, run.err
    assert (workspace / "j.txt").read_text() == "J"


def test_json_mode_sends_no_tools(cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]) -> None:
    reply = {"thoughts": "t", "use_tool": {"name": "finish", "arguments": {"reason": "ok"}}}
    fake.script(content(json.dumps(reply)))
    run = cli(GOAL, answers="y\n", env=agent_env | {"LLM_TOOL_CALLING": "false"})
    assert run.code == 0, run.err
    assert "tools" not in fake.requests[0]
    assert '"use_tool"' in fake.requests[0]["messages"][0]["content"]


def test_ai_settings_and_prompt_settings_shape_the_prompt(
    cli, fake: FakeOpenAI, workspace: Path, tmp_path: Path
) -> None:
    ai = tmp_path / "ai_settings.yaml"
    ai.write_text(
        "ai_name: CapitalBot\nai_role: an agent that knows capitals\n"
        "ai_goals:\n  - Write the word 'Washington' to a .txt file\n  - Then finish\n"
    )
    prompt = tmp_path / "prompt_settings.yaml"
    prompt.write_text("constraints:\n  - Never use more than two steps.\nresources: []\nbest_practices: []\n")
    fake.script(FINISH)
    run = cli("--ai-settings", str(ai), "--prompt-settings", str(prompt), answers="y\n")
    assert run.code == 0, run.err
    system, task = (m["content"] for m in fake.requests[0]["messages"][:2])
    assert system.startswith("You are CapitalBot, an agent that knows capitals.")
    assert "1. Never use more than two steps." in system
    assert "1. Write the word 'Washington' to a .txt file\n2. Then finish" in task


def test_broken_ai_settings_is_a_configuration_error(cli, tmp_path: Path) -> None:
    ai = tmp_path / "ai_settings.yaml"
    ai.write_text("ai_goals: [unclosed\n")
    run = cli("--ai-settings", str(ai))
    assert run.code == 2
    assert "cannot read" in run.err


def test_the_api_key_never_reaches_prompts_logs_or_output(
    cli, fake: FakeOpenAI, workspace: Path, data_dir: Path, agent_env: dict[str, str]
) -> None:
    fake.script(tool_call("execute_shell", {"command_line": "env; cat .env"}), FINISH)
    (workspace / ".env").write_text("NOT_A_SECRET=1\n")
    run = cli(GOAL, "--debug", answers="y\ny\n", env=agent_env | {"EXECUTE_LOCAL_COMMANDS": "True"})
    assert run.code == 0, run.err
    assert "NOT_A_SECRET=1" in last_observation(fake.requests[1])  # the workspace's .env is just a file
    logs = "".join(p.read_text() for p in (data_dir / "logs").iterdir())
    assert "debug.log" in {p.name for p in (data_dir / "logs").iterdir()}
    for text in (json.dumps(fake.requests), logs, run.out, run.err):
        assert SECRET_KEY not in text


def test_fast_llm_is_validated(cli) -> None:
    run = cli(GOAL, "--fast-llm", "bogus/x")
    assert run.code == 2
    assert "unknown provider 'bogus'" in run.err
