"""MCP tools over LSP: the user's servers start with the first task in a workspace and their tools are approved
like every tool; a failing server is reported; the workspace's own .vscode/mcp.json starts nothing until the user
trusts it at the editor's prompt, which names what it runs, and the tasks after get its tools."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from test_stock_client import FINISH, Editor, Prompt, _pick, stock_editor

from fakes.openai_server import FakeOpenAI, tool_call

CALC = Path(__file__).parents[1] / "mcp_servers" / "calc_server.py"


async def _prompts(editor: Editor, n: int) -> list[Prompt]:
    """The next `n` prompts, in whatever order they came (the trust question and a proposal race)."""
    return [await editor.prompt() for _ in range(n)]


async def _message_with(editor: Editor, text: str) -> str:
    while text not in (message := await editor.message()):
        pass
    return message


async def test_user_servers_and_a_workspace_config_trusted_at_the_prompt(
    agent_env: dict[str, str], fake: FakeOpenAI, workspace: Path, tmp_path: Path
) -> None:
    user = tmp_path / "mcp.json"
    servers = {"calc": {"command": sys.executable, "args": [str(CALC)]}, "broken": {"command": str(tmp_path / "no")}}
    user.write_text(json.dumps({"mcpServers": servers}))
    marker = tmp_path / "started"
    touch = f"import pathlib, runpy; pathlib.Path({str(marker)!r}).touch(); "
    script = touch + f"runpy.run_path({str(CALC)!r}, run_name='__main__')"
    (workspace / ".vscode").mkdir()
    (workspace / ".vscode" / "mcp.json").write_text(
        json.dumps({"servers": {"repo": {"command": sys.executable, "args": ["-c", script]}}})
    )
    fake.script(tool_call("calc__add", {"a": 2, "b": 40}), FINISH, tool_call("repo__add", {"a": 3, "b": 4}), FINISH)
    async with stock_editor(agent_env | {"MCP_CONFIG_FILE": str(user)}, workspace) as editor:
        first = await editor.command("autogpt.server.runGoal", goal="Add")
        assert "MCP server broken failed to start" in await _message_with(editor, "broken")
        prompts = await _prompts(editor, 2)
        [trust] = [p for p in prompts if "MCP config" in p[0].message]
        [proposal] = [p for p in prompts if p is not trust]
        assert f"repo: {sys.executable} -c " in trust[0].message and not marker.exists()
        assert "calc__add" in proposal[0].message
        offered = {t["function"]["name"] for t in fake.requests[0]["tools"]}
        assert "calc__add" in offered and not any(n.startswith("repo__") for n in offered)
        _pick(trust, "Trust and start")
        assert "repo__add" in await _message_with(editor, "Trusted ")
        assert marker.exists()
        _pick(proposal, "Approve")
        _pick(await editor.prompt(), "Approve")  # finish
        await _message_with(editor, f"AutoGPT task {first['taskId']} finished")
        assert fake.requests[1]["messages"][-1]["content"] == "42"

        await editor.command("autogpt.server.runGoal", goal="Add again")
        asked = await editor.prompt()  # no trust question this time
        assert "repo__add" in asked[0].message
        _pick(asked, "Approve")
        _pick(await editor.prompt(), "Approve")
        await _message_with(editor, "finished")
        assert fake.requests[3]["messages"][-1]["content"] == "7"
