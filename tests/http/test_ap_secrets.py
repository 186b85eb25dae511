"""The key never leaves the Agent Protocol server: a full task (a command that prints the environment, a read, a
write, finish) driven over HTTP by the real server, then the key looked for in every response, every artifact,
every request the LLM got, the data folder, the server's own output, and the commands' environment."""

from __future__ import annotations

import json
from pathlib import Path

from apclient import Server

from fakes.openai_server import FakeOpenAI, tool_call
from leaks import LEAKY_COMMAND, assert_commands_did_not_get_it, assert_key_nowhere


def test_a_task_over_http_leaks_the_key_nowhere(
    start_server, server_env: dict[str, str], fake: FakeOpenAI, data_dir: Path, tmp_path: Path
) -> None:
    fake.script(
        tool_call("execute_shell", {"command_line": LEAKY_COMMAND}),
        tool_call("read_file", {"filename": "envdump.txt"}),
        tool_call("write_file", {"filename": "report.txt", "contents": "checked\n"}),
        tool_call("finish", {"reason": "done"}),
    )
    server: Server = start_server(env=server_env | {"EXECUTE_LOCAL_COMMANDS": "True"})
    api = server.api
    task_id = api.create("Look at the environment")
    shown = [json.dumps(api.step(task_id)) for _ in range(5)]  # the first proposes, each next approves
    assert json.loads(shown[-1])["is_last"], shown[-1]
    assert "PATH=" in json.dumps(fake.requests[1])  # the command ran and its output reached the LLM
    artifacts = api.ok("GET", f"/agent/tasks/{task_id}/artifacts")["artifacts"]
    assert "report.txt" in {a["file_name"] for a in artifacts}
    for artifact in artifacts:
        body = api.get(f"/agent/tasks/{task_id}/artifacts/{artifact['artifact_id']}").body
        shown.append(body.decode(errors="replace") if isinstance(body, bytes) else json.dumps(body))
    shown.append(json.dumps(api.ok("GET", f"/agent/tasks/{task_id}/steps")))
    server.stop()  # its output is complete once it exited
    shown.append((tmp_path / "serve.stderr").read_text())
    assert_key_nowhere(fake.requests, data_dir, *shown)
    assert_commands_did_not_get_it(data_dir / "workspaces" / task_id)
