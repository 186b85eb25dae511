"""Approval rules over the Agent Protocol, with their defaults: one step POST runs the steps its rules approve
and returns at the next step that needs a decision, listing them; a write and `pytest; rm -rf ~` wait."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from apclient import Server

from fakes.openai_server import FakeOpenAI, tool_call

FINISH = tool_call("finish", {"reason": "done"})


def test_a_step_runs_the_approved_reads_and_stops_at_the_write(
    start_server: Callable[..., Server], server_env: dict[str, str], fake: FakeOpenAI, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in server_env.items() if k != "AUTO_APPROVE"}
    api = start_server(
        env=env | {"AUTO_APPROVE_COMMANDS": "ls", "EXECUTE_LOCAL_COMMANDS": "True", "HOME": str(home)}
    ).api
    fake.script(
        tool_call("read_file", {"filename": "notes.txt"}),
        tool_call("execute_shell", {"command_line": "ls"}),
        tool_call("write_file", {"filename": "a.txt", "contents": "Washington\n"}),
        tool_call("execute_shell", {"command_line": "pytest; rm -rf ~"}),
        FINISH,
    )
    task_id = api.create("Write it")
    assert api.upload(task_id, "notes.txt", b"the notes\n").status == 200

    first = api.step(task_id)
    assert first["name"] == "write_file" and "Proposed: write_file" in first["output"]
    actions = first["additional_output"]["actions"]
    assert [(a["name"], a["approved_by"]) for a in actions] == [
        ("read_file", "rule AUTO_APPROVE read_file"),
        ("execute_shell", "rule AUTO_APPROVE_COMMANDS ls"),
    ]
    assert actions[0]["result"] == "the notes\n" and "notes.txt" in actions[1]["result"]
    assert "(approved automatically: rule AUTO_APPROVE read_file) read_file(" in first["output"]
    assert first["additional_output"]["last_action"]["name"] == "execute_shell"

    second = api.step(task_id, "")
    assert [(a["name"], a["approved_by"]) for a in second["additional_output"]["actions"]] == [("write_file", "")]
    assert second["name"] == "execute_shell" and "pytest; rm -rf ~" in second["output"]  # it waits
    assert [a["file_name"] for a in second["artifacts"]] == ["a.txt"]

    third = api.step(task_id, "do not delete anything")
    assert third["additional_output"]["last_action"]["status"] == "feedback" and third["name"] == "finish"
    last = api.step(task_id)
    assert last["is_last"] is True and home.is_dir()
    names = [s["name"] for s in api.ok("GET", f"/agent/tasks/{task_id}/steps")["steps"]]
    assert names == ["read_file", "execute_shell", "write_file", "execute_shell", "finish"]
