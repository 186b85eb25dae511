"""End to end in a real VS Code: code-server in headless Chromium, the packaged extension, the real language
server and the loopback fake LLM. scripts/setup.d/30-vscode.sh installs the parts and says where they are."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.openai_server import FakeOpenAI, tool_call

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "vscode"
PARTS = ("AUTOGPT_NODE", "AUTOGPT_CODE_SERVER", "AUTOGPT_CHROMIUM", "AUTOGPT_VSIX", "AUTOGPT_EXTENSION_DIR")


def _missing() -> str | None:
    """Why the end-to-end test cannot run here, if it cannot (the set-up script says, or was not run)."""
    if reason := os.environ.get("AUTOGPT_VSCODE_SKIP"):
        return reason
    absent = [name for name in PARTS if not os.environ.get(name) or not Path(os.environ[name]).exists()]
    return f"{', '.join(absent)} not set: run ./test.sh, which sources scripts/setup.d/30-vscode.sh" if absent else None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=f"VS Code end-to-end test: {_missing()}")

RUNS = {
    "approve": {
        "goal": "Write the word Washington to capital.txt",
        "file": "capital.txt",
        "text": "Washington",
        "openFile": "notes.md",
        "typed": "focus stays here",
    },
    "reject": {
        "goal": "Write Paris to city.txt",
        "file": "city.txt",
        "text": "Paris",
        "feedback": "Not Paris: use Rome, and put it in rome.txt",
    },
    "command": {
        "goal": "Leave a mark with a shell command",
        "file": "shell.txt",
        "text": "echo ran-by-autogpt > shell.txt && cat shell.txt",
        "output": "ran-by-autogpt",
        "reason": "the command wrote shell.txt",
    },
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Poll until code-server accepts connections (or fails): a condition, not a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"code-server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"code-server did not listen on 127.0.0.1:{port} within {timeout}s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def code_server(tmp_path: Path, agent_env: dict[str, str], workspace: Path) -> Iterator[str]:
    """code-server on loopback with the packaged extension installed; its environment reaches the server."""
    run = tmp_path / "code-server"
    user_data, extensions = run / "user-data", run / "extensions"
    (user_data / "User").mkdir(parents=True)
    (user_data / "Machine").mkdir()
    user_settings = {
        "security.workspace.trust.enabled": False,
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        "telemetry.telemetryLevel": "off",
        "chat.disableAIFeatures": True,
        "workbench.secondarySideBar.defaultVisibility": "hidden",
    }
    (user_data / "User" / "settings.json").write_text(json.dumps(user_settings))
    # Machine-scoped settings live in code-server's machine settings (VS Code ignores them in a remote's User).
    (user_data / "Machine" / "settings.json").write_text(json.dumps({"autogpt.interpreter": sys.executable}))
    (run / "config.yaml").write_text("auth: none\n")
    env = agent_env | {
        "EXECUTE_LOCAL_COMMANDS": "True",  # commands run on this machine, in the test's workspace
        "XDG_CONFIG_HOME": str(run / "config"),
        "XDG_DATA_HOME": str(run / "data"),
        "XDG_CACHE_HOME": str(run / "cache"),
    }
    node, entry = os.environ["AUTOGPT_NODE"], os.environ["AUTOGPT_CODE_SERVER"]
    common = ["--config", str(run / "config.yaml"), "--user-data-dir", str(user_data)]
    common += ["--extensions-dir", str(extensions)]
    subprocess.run(
        [node, entry, *common, "--install-extension", os.environ["AUTOGPT_VSIX"]],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    port = _free_port()
    log = run / "code-server.log"
    argv = [node, entry, *common, "--bind-addr", f"127.0.0.1:{port}", "--auth", "none", "--disable-telemetry"]
    with log.open("wb") as out:
        proc = subprocess.Popen([*argv, "--disable-update-check", str(workspace)], env=env, stdout=out, stderr=out)
    try:
        _wait_listening(port, proc, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()  # entry.js stops its child on SIGTERM
        proc.wait(timeout=15)


@pytest.mark.timeout(300)
def test_run_approve_reject_with_feedback_then_approve_a_command(
    code_server: str, fake: FakeOpenAI, workspace: Path
) -> None:
    (workspace / "notes.md").write_text("# notes\n")
    fake.script(
        tool_call("write_file", {"filename": "capital.txt", "contents": "Washington\n"}, thoughts="Write the answer."),
        tool_call("finish", {"reason": "capital.txt holds the answer"}),
        tool_call("write_file", {"filename": "city.txt", "contents": "Paris\n"}, thoughts="Write the city."),
        tool_call("finish", {"reason": "the user wants something else"}),
        tool_call("execute_shell", {"command_line": RUNS["command"]["text"]}, thoughts="Run it."),
        tool_call("finish", {"reason": RUNS["command"]["reason"]}),
    )
    config = {
        "url": code_server,
        "shots": str(SHOTS),
        "extensionDir": os.environ["AUTOGPT_EXTENSION_DIR"],
        "chromium": os.environ["AUTOGPT_CHROMIUM"],
        "runs": RUNS,
        "workspace": str(workspace),
    }
    driver = subprocess.run(
        [os.environ["AUTOGPT_NODE"], str(Path(__file__).with_name("vscode_driver.mjs")), json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert driver.returncode == 0, f"{driver.stderr}\nscreenshots: {SHOTS}"
    seen = json.loads(driver.stdout.strip().splitlines()[-1])

    # Run 1: approved, written to disk; the diff never took the focus from notes.md.
    assert (workspace / "capital.txt").read_text() == "Washington\n"
    assert seen["typedInto"] == 1
    rows = "\n".join(seen["approveRows"])
    assert RUNS["approve"]["goal"] in rows and "#1 write_file" in rows and "approve → done" in rows

    # Run 2: rejected with feedback: nothing written, and the LLM read the feedback.
    assert not (workspace / "city.txt").exists()
    assert RUNS["reject"]["feedback"] in json.dumps(fake.requests[3]["messages"])  # the call after the rejection
    rows = "\n".join(seen["rejectRows"])
    assert f"feedback: {RUNS['reject']['feedback']}" in rows
    assert "AutoGPT" in seen["statusBar"]

    # Run 3: the command's full text and where it runs were on show, and nothing ran before the approval.
    shown = seen["commandText"].replace("\u00a0", " ")
    assert RUNS["command"]["text"] in shown and "on this machine" in shown
    assert seen["ranBeforeApproval"] is False
    assert (workspace / "shell.txt").read_text() == "ran-by-autogpt\n"
    assert RUNS["command"]["output"] in "\n".join(seen["commandRows"])
