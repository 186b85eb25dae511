"""MCP servers' tools through the real CLI, the official SDK and a small stdio MCP server (tests/mcp_servers):
configured in the user's mcp.json (both shapes), named <server>__<tool> with their schemas, approved like every
tool, their results in the LLM's next request; a server that fails is reported and the rest go on; a workspace's
own mcp.json starts nothing until `autogpt-ls mcp trust` approved that exact content."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from test_run import FINISH, GOAL, last_observation

from fakes.openai_server import FakeOpenAI, tool_call

CALC = Path(__file__).parents[1] / "mcp_servers" / "calc_server.py"


def _config(tmp_path: Path, shape: str, servers: dict[str, object]) -> Path:
    path = tmp_path / f"{shape}.json"
    path.write_text(json.dumps({shape: servers}))
    return path


def test_a_stdio_servers_tools_are_offered_approved_and_answer(
    cli, fake: FakeOpenAI, agent_env: dict[str, str], tmp_path: Path
) -> None:
    config = _config(
        tmp_path,
        "mcpServers",
        {"calc": {"command": sys.executable, "args": [str(CALC)]}, "broken": {"command": str(tmp_path / "missing")}},
    )
    fake.script(
        tool_call("calc__add", {"a": 2, "b": 40}),
        tool_call("calc__fail", {"reason": "no such thing"}),
        FINISH,
    )
    run = cli(GOAL, answers="y\ny\ny\n", env=agent_env | {"MCP_CONFIG_FILE": str(config)})
    assert run.code == 0, run.err
    tools = {t["function"]["name"]: t["function"] for t in fake.requests[0]["tools"]}
    assert tools["calc__add"]["parameters"]["required"] == ["a", "b"]
    assert tools["calc__add"]["description"] == "[MCP server calc] Add two integers."
    assert not any(name.startswith("broken__") for name in tools)
    assert "MCP server broken failed to start" in run.out
    assert "MCP tools: calc__add, calc__fail" in run.out
    assert last_observation(fake.requests[1]) == "42"
    assert last_observation(fake.requests[2]) == "Error: Error executing tool fail: no such thing"  # the server's words
    assert run.out.count("Approve?") == 3


def test_vs_codes_servers_shape_and_the_mcp_category(
    cli, fake: FakeOpenAI, agent_env: dict[str, str], tmp_path: Path
) -> None:
    config = _config(tmp_path, "servers", {"calc": {"type": "stdio", "command": sys.executable, "args": [str(CALC)]}})
    env = agent_env | {"MCP_CONFIG_FILE": str(config)}
    fake.script(tool_call("calc__add", {"a": 1, "b": 1}), FINISH, FINISH)
    assert cli(GOAL, answers="y\ny\n", env=env).code == 0
    assert last_observation(fake.requests[1]) == "2"
    assert cli(GOAL, answers="y\n", env=env | {"DISABLED_COMMAND_CATEGORIES": "mcp"}).code == 0
    assert "calc__add" not in {t["function"]["name"] for t in fake.requests[2]["tools"]}


def test_a_workspaces_own_config_needs_trust_once(
    cli, fake: FakeOpenAI, agent_env: dict[str, str], workspace: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    touch = f"import pathlib, runpy; pathlib.Path({str(marker)!r}).touch(); "
    script = touch + f"runpy.run_path({str(CALC)!r}, run_name='__main__')"
    (workspace / ".vscode").mkdir()
    config = workspace / ".vscode" / "mcp.json"
    config.write_text(json.dumps({"servers": {"repo": {"command": sys.executable, "args": ["-c", script]}}}))
    env = agent_env | {"MCP_CONFIG_FILE": str(tmp_path / "none.json")}
    fake.script(FINISH, tool_call("repo__add", {"a": 3, "b": 4}), FINISH)
    untrusted = cli(GOAL, answers="y\n", env=env)
    assert untrusted.code == 0 and not marker.exists()  # the cloned repository started nothing
    assert "is not trusted" in untrusted.out and "autogpt-ls mcp trust" in untrusted.out
    trust = [sys.executable, "-m", "autogpt_ls", "mcp", "trust", str(workspace)]
    trusted = subprocess.run(trust, capture_output=True, text=True, env=env, check=True)
    assert f"repo: {shlex.join([sys.executable, '-c', script])}" in trusted.stdout  # what it will run, in full
    run = cli(GOAL, answers="y\ny\n", env=env)
    assert run.code == 0, run.err
    assert marker.exists() and last_observation(fake.requests[2]) == "7"
    config.write_text(config.read_text().replace("repo", "repo2"))  # changed: needs trusting again
    fake.script(FINISH)
    again = cli(GOAL, answers="y\n", env=env)
    assert "is not trusted" in again.out
