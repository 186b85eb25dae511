"""What the VS Code end-to-end tests share: code-server on loopback with the packaged extension in a fresh
profile, and the Node driver that works it in headless Chromium. scripts/setup.d/30-vscode.sh installs the parts
and says where they are."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("AUTOGPT_NODE", "AUTOGPT_CODE_SERVER", "AUTOGPT_CHROMIUM", "AUTOGPT_VSIX", "AUTOGPT_EXTENSION_DIR")
USER_SETTINGS = {
    "security.workspace.trust.enabled": False,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "telemetry.telemetryLevel": "off",
    "chat.disableAIFeatures": True,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
}


def missing() -> str | None:
    """Why the end-to-end tests cannot run here, if they cannot (the set-up script says, or was not run)."""
    if reason := os.environ.get("AUTOGPT_VSCODE_SKIP"):
        return reason
    absent = [name for name in PARTS if not os.environ.get(name) or not Path(os.environ[name]).exists()]
    return f"{', '.join(absent)} not set: run ./test.sh, which sources scripts/setup.d/30-vscode.sh" if absent else None


needs_vscode = pytest.mark.skipif(missing() is not None, reason=f"VS Code end-to-end test: {missing()}")


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


@contextmanager
def code_server(run: Path, env: dict[str, str], workspace: Path, machine: dict[str, Any]) -> Iterator[str]:
    """code-server on loopback with the packaged extension installed in a profile under `run`; `machine` are
    its machine-scoped settings (VS Code ignores those in a remote's User settings). Its environment reaches the
    extension and the language server."""
    user_data, extensions = run / "user-data", run / "extensions"
    (user_data / "User").mkdir(parents=True)
    (user_data / "Machine").mkdir()
    (user_data / "User" / "settings.json").write_text(json.dumps(USER_SETTINGS))
    (user_data / "Machine" / "settings.json").write_text(json.dumps(machine))
    (run / "config.yaml").write_text("auth: none\n")
    env = env | {f"XDG_{kind}_HOME": str(run / kind.lower()) for kind in ("CONFIG", "DATA", "CACHE")}
    node, entry = os.environ["AUTOGPT_NODE"], os.environ["AUTOGPT_CODE_SERVER"]
    common = ["--config", str(run / "config.yaml"), "--user-data-dir", str(user_data)]
    common += ["--extensions-dir", str(extensions)]
    install = [node, entry, *common, "--install-extension", os.environ["AUTOGPT_VSIX"]]
    subprocess.run(install, env=env, check=True, capture_output=True, timeout=60)
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


def drive(script: str, config: dict[str, Any], shots: Path, timeout: float) -> dict[str, Any]:
    """Run a driver (tests/e2e/<script>) against code-server; what it saw, or a failure naming its stage."""
    config = config | {
        "shots": str(shots),
        "extensionDir": os.environ["AUTOGPT_EXTENSION_DIR"],
        "chromium": os.environ["AUTOGPT_CHROMIUM"],
    }
    argv = [os.environ["AUTOGPT_NODE"], str(Path(__file__).with_name(script)), json.dumps(config)]
    driver = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    assert driver.returncode == 0, f"{driver.stderr}\nscreenshots: {shots}"
    seen: dict[str, Any] = json.loads(driver.stdout.strip().splitlines()[-1])
    return seen
