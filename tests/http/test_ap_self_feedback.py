"""Self-feedback over the Agent Protocol: `additional_input: {"self_feedback": true}` has the agent critique the
pending proposal; the step reports the critique and the revised proposal, which the next step decides."""

from __future__ import annotations

from pathlib import Path

from apclient import Server

from fakes.openai_server import FakeOpenAI, content, tool_call

GOAL = "Write the word 'Washington' to a .txt file"
CRITIQUE = "Boston is not the word asked for: write Washington."


def test_self_feedback_revises_the_pending_proposal(server: Server, fake: FakeOpenAI, data_dir: Path) -> None:
    fake.script(
        tool_call("write_file", {"filename": "a.txt", "contents": "Boston"}),
        content(CRITIQUE),
        tool_call("write_file", {"filename": "a.txt", "contents": "Washington"}),
        tool_call("finish", {"reason": "done"}),
    )
    api = server.api
    task_id = api.create(GOAL)
    first = api.step(task_id)
    revised = api.ok("POST", f"/agent/tasks/{task_id}/steps", {"additional_input": {"self_feedback": True}})
    assert CRITIQUE in revised["output"] and "you reviewed it (self-feedback)" in revised["output"]
    assert revised["additional_output"]["last_action"]["status"] == "revised"
    assert revised["additional_output"]["proposal"]["arguments"]["contents"] == "Washington"
    assert revised["step_id"] != first["step_id"]
    assert not (data_dir / "workspaces" / task_id / "a.txt").exists()  # nothing ran
    api.step(task_id)
    assert (data_dir / "workspaces" / task_id / "a.txt").read_text() == "Washington"
    steps = api.ok("GET", f"/agent/tasks/{task_id}/steps")["steps"]
    assert steps[1]["additional_output"]["last_action"]["status"] == "revised"
