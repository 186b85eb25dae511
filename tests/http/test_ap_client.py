"""The real `agent-protocol-client` 1.1.0 (pydantic<2, its own venv) drives the server through a whole task."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from apclient import Server

from fakes.openai_server import FakeOpenAI, tool_call
from toolvenv import tool_venv

SCRIPT = Path(__file__).parent / "scripts" / "ap_client_workflow.py"


@pytest.fixture(scope="session")
def client_bin() -> Path:
    return tool_venv("agent-protocol-client", "1.1.0")


@pytest.mark.timeout(1500)
def test_entire_workflow_with_the_client(client_bin: Path, server: Server, fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.script(
        tool_call("write_file", {"filename": "output.txt", "contents": "Washington"}, thoughts="Write it."),
        tool_call("finish", {"reason": "Wrote Washington to output.txt"}),
    )
    upload = tmp_path / "notes.txt"
    upload.write_text("uploaded by the client")
    proc = subprocess.run(
        [str(client_bin / "python"), str(SCRIPT), server.url.removesuffix("/ap/v1"), str(upload)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["count_after"] == report["count_before"] + 1
    assert report["input"] == "Write the word 'Washington' to a .txt file"
    assert report["artifacts_before"] == 0
    assert report["uploaded"]["file_name"] == "notes.txt" and report["uploaded"]["relative_path"] == "inputs"
    assert [s["name"] for s in report["steps"]] == ["write_file", "finish", "finish"]
    assert [s["is_last"] for s in report["steps"]] == [False, False, True]
    assert "Task finished: Wrote Washington to output.txt" in report["steps"][-1]["output"]
    assert report["listed_steps"] == 2 and report["last_step_is_last"] is True
    contents = {a["file_name"]: (a["content"], a["agent_created"], a.get("relative_path")) for a in report["artifacts"]}
    assert contents == {
        "notes.txt": ("uploaded by the client", False, "inputs"),
        "output.txt": ("Washington", True, None),
    }
    assert report["not_found"] == [404, 404, 404, 404, 404]
