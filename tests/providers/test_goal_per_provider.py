"""A goal finishes with each provider, through the real CLI, the provider's real SDK and a fake of its wire."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from cases import Case

from fakes import SECRET_KEY

GOAL = "Write the word 'Washington' to a .txt file"


def run_cli(case: Case, workspace: Path, answers: str, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "autogpt_ls", "run", GOAL, "--workspace", str(workspace), *args]
    return subprocess.run(argv, input=answers, text=True, capture_output=True, env=case.env, timeout=60)


def test_a_goal_finishes(case: Case, workspace: Path, data_dir: Path) -> None:
    case.fake.script(
        case.call(
            "write_file", {"filename": "answer.txt", "contents": "Washington\n"}, "I write the answer.", (1000, 50)
        ),
        case.call("finish", {"reason": "The file is written."}, "Done now.", (1200, 30)),
    )
    run = run_cli(case, workspace, "y\ny\n", "--debug")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (workspace / "answer.txt").read_text() == "Washington\n"
    assert "I write the answer." in run.stdout  # the thoughts reached the terminal (streamed)
    assert "Task finished: The file is written." in run.stdout
    # the second request carries the first step's result back, in the provider's own shape
    second = json.dumps(case.fake.requests[-1])
    assert "Wrote 11 characters to answer.txt" in second
    assert '"observation"' not in second  # the step records the embedded model reads stay off every wire
    # usage comes from each provider's reply; the cost from the price table (local servers: free)
    task = stored_usage(case, data_dir)
    assert task["prompt_tokens"] == 2200 and task["completion_tokens"] == 80
    if case.name == "azure":
        assert task["cost_usd"] is None  # no price for a deployment: unknown, not guessed
        assert "cost unknown" in run.stdout
    else:
        assert task["cost_usd"] is not None
    if case.name == "ollama":  # tools refused once, then JSON replies: 1 refused + 2 answered requests
        assert [("does not support tools" in r) for r in case.fake.refusals] == [True]
        assert "tools" not in case.fake.requests[-1]
    if case.name == "llamafile":  # never offered tools; turns adapted to mistral-instruct's template
        assert case.fake.refusals == [] and "tools" not in case.fake.requests[0]
    if case.name == "azure":
        assert case.fake.paths == ["/openai/deployments/gpt4o-deployment/chat/completions"] * 2
    logs = "".join(p.read_text() for p in (data_dir / "logs").iterdir())
    for text in (json.dumps(case.fake.requests), logs, run.stdout, run.stderr):
        assert SECRET_KEY not in text


def stored_usage(case: Case, data_dir: Path) -> dict[str, Any]:
    """The usage the store holds for the one task of the data folder."""
    argv = [sys.executable, "-c", _TASK_USAGE, str(data_dir)]
    return json.loads(subprocess.run(argv, capture_output=True, text=True, env=case.env, check=True).stdout)  # type: ignore[no-any-return]


_TASK_USAGE = """
import asyncio, json, sys
from pathlib import Path
from autogpt_ls.store.sqlite import SQLiteStore
store = SQLiteStore(Path(sys.argv[1]) / "db" / "autogpt-ls.sqlite3")
[task] = asyncio.run(store.list_tasks())
print(json.dumps(task.state.usage.model_dump()))
"""
