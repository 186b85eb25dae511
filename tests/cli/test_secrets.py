"""The API key never leaves the server, even when a command or a tool reads it where it lies.

Through the real CLI and the real openai SDK against the loopback fake: the key is looked for in every
request the LLM got, in every byte of the data folder (the store and the logs) and in the terminal output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_run import FINISH, GOAL, last_observation

from fakes import SECRET_KEY
from fakes.openai_server import FakeOpenAI, tool_call
from leaks import assert_key_nowhere

LOCAL = {"EXECUTE_LOCAL_COMMANDS": "True"}


@pytest.mark.parametrize(
    ("command", "masked"),
    [
        ("cat /proc/$PPID/environ", "OPENAI_API_KEY=***"),  # the server's own environment (readable as root)
        ("env", "AI_AUTH=***"),  # a copy of the key under a name that does not look secret
        ("base64 -w0 /proc/$PPID/environ", "***"),
    ],
)
def test_commands_that_print_the_key_show_it_masked(
    cli, fake: FakeOpenAI, data_dir: Path, agent_env: dict[str, str], command: str, masked: str
) -> None:
    fake.script(tool_call("execute_shell", {"command_line": command}), FINISH)
    run = cli(GOAL, "--debug", answers="y\ny\n", env=agent_env | LOCAL | {"AI_AUTH": SECRET_KEY})
    assert run.code == 0, run.err
    observation = last_observation(fake.requests[1])
    # a non-root user cannot read the server's environ at all (it is not dumpable); root can, and sees it masked
    assert masked in observation or "Permission denied" in observation, observation
    assert_key_nowhere(fake.requests, data_dir, run.out, run.err)


def test_the_config_env_file_shows_the_key_masked(
    cli, fake: FakeOpenAI, tmp_path: Path, data_dir: Path, agent_env: dict[str, str]
) -> None:
    """The key comes from the user's config `.env` only, and a command reads that file."""
    config = tmp_path / "config"
    env_file = config / "autogpt-ls" / ".env"
    env_file.parent.mkdir(parents=True)
    env_file.write_text(f"OPENAI_API_KEY={SECRET_KEY}\n")
    env = {k: v for k, v in agent_env.items() if k not in {"OPENAI_API_KEY", "AUTOGPT_ENV_FILE"}}
    env |= LOCAL | {"XDG_CONFIG_HOME": str(config)}
    fake.script(tool_call("execute_shell", {"command_line": 'cat "$XDG_CONFIG_HOME/autogpt-ls/.env"'}), FINISH)
    run = cli(GOAL, answers="y\ny\n", env=env)
    assert run.code == 0, run.err
    assert last_observation(fake.requests[1]) == "Exit code: 0\nOPENAI_API_KEY=***\n"
    assert_key_nowhere(fake.requests, data_dir, run.out, run.err)


def test_a_workspace_file_holding_the_key_is_read_and_previewed_masked(
    cli, fake: FakeOpenAI, workspace: Path, data_dir: Path
) -> None:
    (workspace / "deploy.sh").write_text(f"export OPENAI_API_KEY={SECRET_KEY}\n")
    fake.script(
        tool_call("read_file", {"filename": "deploy.sh"}),
        tool_call("write_file", {"filename": "deploy.sh", "contents": "export OPENAI_API_KEY=$1\n"}),
        FINISH,
    )
    run = cli(GOAL, answers="y\ny\ny\n")
    assert run.code == 0, run.err
    assert last_observation(fake.requests[1]) == "export OPENAI_API_KEY=***\n"
    assert "-export OPENAI_API_KEY=***" in run.out  # the diff before the write shows the old line masked
    assert (workspace / "deploy.sh").read_text() == "export OPENAI_API_KEY=$1\n"
    assert_key_nowhere(fake.requests, data_dir, run.out, run.err)


def _as_nobody() -> list[str]:
    """A prefix that runs a command as an unprivileged user: root may read any process's environ anyway."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: a non-root reader cannot be tried")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _environ_readable(pid: int) -> bool:
    probe = f"open('/proc/{pid}/environ', 'rb').read()"
    check = subprocess.run([*_as_nobody(), sys.executable, "-c", probe], capture_output=True, text=True)
    assert check.returncode == 0 or "PermissionError" in check.stderr, check.stderr
    return check.returncode == 0


def _initialize(proc: subprocess.Popen[bytes]) -> None:
    """An LSP `initialize` answered: the server's start (where it made itself non-dumpable) is behind it."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}).encode()
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    proc.stdin.flush()
    assert proc.stdout.readline().startswith(b"Content-Length")


def test_no_other_process_of_the_user_reads_the_servers_environment(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_DUMPABLE is Linux only")
    env = {"PATH": os.environ["PATH"], "OPENAI_API_KEY": SECRET_KEY, "AUTOGPT_ENV_FILE": "", "HOME": str(tmp_path)}
    plain = subprocess.Popen(
        [*_as_nobody(), sys.executable, "-c", "import sys; sys.stdin.read()"], env=env, stdin=subprocess.PIPE
    )
    server = subprocess.Popen(
        [*_as_nobody(), sys.executable, "-m", "autogpt_ls", "lsp"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        _initialize(server)
        assert _environ_readable(plain.pid)  # the same user can read an ordinary process's environment...
        assert not _environ_readable(server.pid)  # ...but not the server's
    finally:
        for proc in (plain, server):
            proc.kill()
            proc.wait()
