"""Broken LLM replies, path escapes and provider errors: each becomes an error the LLM sees, never a crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_run import FINISH, GOAL, WRITE, last_observation

from fakes.openai_server import FakeOpenAI, Reply, content, raw, status, tool_call

BROKEN = {
    "prose_without_a_tool_call": (content("I think I should write a file."), "contained no tool call"),
    "unknown_tool": (tool_call("delete_everything", {}), "Unknown tool 'delete_everything'"),
    "malformed_arguments": (tool_call("write_file", '{"filename": "a.txt", "contents'), "are not valid JSON"),
    "missing_argument": (
        tool_call("write_file", {"filename": "a.txt"}),
        "Invalid arguments for write_file: contents",
    ),
    "ill_typed_argument": (
        tool_call("write_file", {"filename": ["a"], "contents": "x"}),
        "filename: Input should be",
    ),
    "arguments_not_an_object": (tool_call("write_file", "[1, 2]"), "must be a JSON object"),
    "json_without_use_tool": (content('{"thoughts": "hmm"}'), "has no use_tool.name"),
    "undecodable_http_body": (raw(b'{"id": "chatcmpl-1", "choices": [{"mess'), "could not be read"),
    "no_choices": (raw(b'{"id": "x", "object": "chat.completion", "choices": []}'), "could not be read"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_reply_becomes_an_error_observation(cli, fake: FakeOpenAI, workspace: Path, case: str) -> None:
    reply, message = BROKEN[case]
    fake.script(reply, WRITE, FINISH)
    run = cli(GOAL, answers="y\ny\n")
    assert run.code == 0, run.out + run.err
    assert message in last_observation(fake.requests[1])
    assert (workspace / "answer.txt").read_text() == "Washington\n"
    assert "Traceback" not in run.err


def test_three_unusable_replies_in_a_row_fail_the_task(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(content("no"), tool_call("nope", {}), content("still no"), WRITE)
    run = cli(GOAL, answers="y\n")
    assert run.code == 1
    assert "3 unusable LLM replies in a row" in run.out
    assert len(fake.requests) == 3


def test_a_good_reply_resets_the_failure_count(cli, fake: FakeOpenAI, workspace: Path) -> None:
    bad = content("no tool")
    fake.script(bad, bad, tool_call("list_folder", {}), bad, bad, FINISH)
    run = cli(GOAL, "--continuous")
    assert run.code == 0, run.out


ESCAPES = {
    "dotdot": "../outside.txt",
    "nested_dotdot": "sub/../../outside.txt",
    "absolute": "/tmp/outside-autogpt-ls.txt",
    "null_byte": "a\x00.txt",
    "symlink_out": "link/outside.txt",
}


@pytest.mark.parametrize("case", sorted(ESCAPES))
def test_path_escapes_are_refused_before_anyone_is_asked(
    cli, fake: FakeOpenAI, workspace: Path, tmp_path: Path, case: str
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (workspace / "link").symlink_to(outside)
    fake.script(tool_call("write_file", {"filename": ESCAPES[case], "contents": "pwned"}), FINISH)
    run = cli(GOAL, answers="y\n")
    assert run.code == 0, run.out
    assert "refused" in last_observation(fake.requests[1])
    assert not (tmp_path / "outside.txt").exists()
    assert list(outside.iterdir()) == []
    assert not Path("/tmp/outside-autogpt-ls.txt").exists()
    assert run.out.count("Approve?") == 1  # only for finish


def test_reading_through_a_symlink_out_is_refused(cli, fake: FakeOpenAI, workspace: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    (workspace / "innocent.txt").symlink_to(secret)
    fake.script(tool_call("read_file", {"filename": "innocent.txt"}), FINISH)
    run = cli(GOAL, answers="y\n")
    assert run.code == 0, run.out
    assert "through a symlink" in last_observation(fake.requests[1])
    assert "TOP SECRET" not in str(fake.requests)


def test_the_data_folder_is_out_of_reach(cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]) -> None:
    data = workspace / ".autogpt-data"
    fake.script(tool_call("read_file", {"filename": ".autogpt-data/db/autogpt-ls.sqlite3"}), FINISH)
    run = cli(GOAL, answers="y\n", env=agent_env | {"AUTOGPT_DATA_DIR": str(data)})
    assert run.code == 0, run.out
    assert "autogpt-ls's own data folder" in last_observation(fake.requests[1])


def test_the_logs_are_out_of_reach(cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]) -> None:
    fake.script(tool_call("list_folder", {"folder": "data/logs"}), FINISH)
    run = cli(GOAL, answers="y\n", env=agent_env | {"AUTOGPT_DATA_DIR": str(workspace / "data")})
    assert run.code == 0, run.out
    assert "autogpt-ls's own data folder" in last_observation(fake.requests[1])


def test_a_tool_that_raises_is_an_observation(cli, fake: FakeOpenAI, workspace: Path) -> None:
    (workspace / "blocker").write_text("a file, not a folder")
    fake.script(tool_call("write_file", {"filename": "blocker/x.txt", "contents": "x"}), FINISH)
    run = cli(GOAL, answers="y\ny\n")
    assert run.code == 0, run.out
    observation = last_observation(fake.requests[1])
    assert observation.startswith("Error: ") and "blocker" in observation


def test_rate_limit_is_retried_by_the_sdk(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(status(429), WRITE, FINISH)
    run = cli(GOAL, answers="y\ny\n")
    assert run.code == 0, run.err
    assert len(fake.requests) == 3


def test_server_errors_until_give_up_fail_clearly(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.default = status(500, headers={"x-should-retry": "true", "retry-after-ms": "1"})
    run = cli(GOAL, answers="y\n")
    assert run.code == 1
    assert "LLM error" in run.out and "HTTP 500" in run.out
    assert len(fake.requests) == 3  # the first try and LLM_MAX_RETRIES=2 retries


def test_bad_key_is_reported_without_the_key(cli, fake: FakeOpenAI, workspace: Path, data_dir: Path) -> None:
    fake.default = status(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
    run = cli(GOAL, "--debug", answers="y\n")
    assert run.code == 1
    assert "HTTP 401" in run.out and "Incorrect API key" in run.out
    assert fake.headers[0]["authorization"] == "Bearer sk-test-abcdefghijklmnop0123456789"
    logs = "".join(p.read_text() for p in (data_dir / "logs").iterdir())
    assert "HTTP 401" in logs
    assert "abcdefghijklmnop" not in logs + run.out + run.err


def test_hang_is_cut_by_the_time_limit(cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]) -> None:
    fake.script(Reply(status=500, delay=30))
    run = cli(GOAL, answers="y\n", env=agent_env | {"MAX_SECONDS": "1.5"})
    assert run.code == 3
    assert "time limit reached (1.5 s)" in run.out


def test_no_provider_configured_names_the_settings(cli, agent_env: dict[str, str]) -> None:
    env = {k: v for k, v in agent_env.items() if not k.startswith(("OPENAI_", "SMART_LLM"))}
    run = cli(GOAL, env=env | {"USE_EMBEDDED_MODEL": "False"})
    assert run.code == 2
    assert "OPENAI_API_KEY" in run.err and "OPENAI_BASE_URL" in run.err and "SMART_LLM" in run.err


def test_bad_setting_is_a_configuration_error(cli, agent_env: dict[str, str]) -> None:
    run = cli(GOAL, env=agent_env | {"MAX_STEPS": "many"})
    assert run.code == 2
    assert "MAX_STEPS" in run.err


def test_unknown_provider_is_a_configuration_error(cli, agent_env: dict[str, str]) -> None:
    run = cli(GOAL, "--smart-llm", "nosuch/model")
    assert run.code == 2
    assert "unknown provider 'nosuch'" in run.err


def test_a_workspace_env_file_is_not_configuration(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    """A cloned repository's .env must not redirect the API key to another server."""
    (workspace / ".env").write_text("OPENAI_BASE_URL=http://127.0.0.1:9/v1\nSMART_LLM=openai/evil\n")
    env = {k: v for k, v in agent_env.items() if k != "AUTOGPT_ENV_FILE"}
    fake.script(FINISH)
    run = cli(
        GOAL,
        answers="y\n",
        env=env | {"HOME": str(workspace.parent / "home")},
    )
    assert run.code == 0, run.err
    assert fake.requests[0]["model"] == "gpt-4o-mini"


def test_the_project_env_file_is_configuration(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str], tmp_path: Path
) -> None:
    dotenv = tmp_path / "project.env"
    dotenv.write_text(f"OPENAI_BASE_URL={fake.base_url}\nSMART_LLM=openai/from-dotenv\n")
    env = {k: v for k, v in agent_env.items() if k not in {"OPENAI_BASE_URL", "SMART_LLM"}}
    fake.script(FINISH)
    run = cli(GOAL, answers="y\n", env=env | {"AUTOGPT_ENV_FILE": str(dotenv)})
    assert run.code == 0, run.err
    assert fake.requests[0]["model"] == "from-dotenv"
    assert os.environ.get("SMART_LLM") != "openai/from-dotenv"


def test_reading_a_missing_file_is_refused_before_anyone_is_asked(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(tool_call("read_file", {"filename": "nope.txt"}), FINISH)
    run = cli(GOAL, answers="y\n")
    assert run.code == 0, run.out
    assert "File 'nope.txt' does not exist." in last_observation(fake.requests[1])
    assert run.out.count("Approve?") == 1
