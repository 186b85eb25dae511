"""Copy mode's walk goes through the task's persistent shell (copy_box): while the shell lives a command costs no
`docker exec` of its own, counted by the engine's exec_create events, and its changes still come back; an exec
again when the shell died or a background job could write into its output; and nothing a command did to the shell
(xtrace, errexit, a venv's PATH, a function or a fake python3, PYTHONPATH) changes the walk or shows in the output.
The same holds over the remote engine (the second dockerd over TLS), where each exec saved is network round trips."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from remote_engine import RemoteEngine
from sandbox_helpers import small_sandbox
from test_docker_copy import in_box, sh

from autogpt_ls.executors.docker import DockerExecutor

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
async def copied(workspace: Path, request: pytest.FixtureRequest) -> AsyncIterator[DockerExecutor]:
    (workspace / "edit.txt").write_text("old\n")
    (workspace / "sub").mkdir()
    (workspace / "sub" / "deep.txt").write_text("deep\n")
    executor = small_sandbox(workspace, request, workspace_mode="copy")
    await sh(executor, "true")  # the container, its upload and the shell: the execs every sandbox starts with
    yield executor
    await executor.close()


class ExecCount:
    """The exec_create events the engine recorded for the sandbox's container within a `with` block."""

    def __init__(self, sandbox: DockerExecutor) -> None:
        self.sandbox = sandbox
        self.actions: list[str] = []

    def __enter__(self) -> ExecCount:
        self.since = time.time()
        return self

    def __exit__(self, *_: object) -> None:
        container = self.sandbox._container
        assert container is not None
        events = self.sandbox._docker().events(
            since=f"{self.since:.9f}", until=f"{time.time() + 0.5:.9f}", decode=True,
            filters={"container": container.id, "event": "exec_create"},
        )  # fmt: skip
        self.actions = [e["Action"] for e in events]


async def test_commands_make_no_exec_while_the_shell_lives(copied: DockerExecutor) -> None:
    root = copied.workspace.root
    with ExecCount(copied) as execs:
        assert await sh(copied, "echo hi") == "hi\n"  # the walk's output is nowhere in the command's
        out = await sh(copied, "echo new > edit.txt; mkdir made && echo m > made/m.txt")
        assert out == "\n[sandbox] copied back 2 changed file(s).", out
        (root / "edit.txt").write_text("host edit\n")  # pushed, then the container walked again
        (root / "sub" / "deep.txt").unlink()  # removed in the container through the shell
        assert await sh(copied, "cat edit.txt; ls sub | wc -l") == "host edit\n0\n"
        await sh(copied, "rm made/m.txt")
    assert execs.actions == []
    assert (root / "edit.txt").read_text() == "host edit\n" and not (root / "made" / "m.txt").exists()

    assert copied.shell is not None and copied.shell.session is not None
    in_box(copied, f"kill -9 {copied.shell.session.pid}")  # the shell dies between commands
    (root / "edit.txt").write_text("after the shell died\n")
    with ExecCount(copied) as execs:
        out = await sh(copied, "cat edit.txt; echo back > b.txt")
    assert out.startswith("[sandbox] the shell had ended since the last command") and "after the shell died\n" in out
    assert (root / "b.txt").read_text() == "back\n"
    walks = [a for a in execs.actions if "python3 -I -c" in a]
    assert len(walks) == 1 and len(execs.actions) == 2, execs.actions  # the walk after the push, the new shell


async def test_what_a_command_did_to_the_shell_does_not_change_the_walk(copied: DockerExecutor) -> None:
    root = copied.workspace.root
    fake = 'printf "#!/bin/sh\\necho []\\n" > fake/python3; chmod +x fake/python3; echo "raise 3" > fake/json.py'
    await sh(copied, f"mkdir fake; {fake}; export PATH=$PWD/fake:$PATH PYTHONPATH=$PWD/fake; python3() {{ echo []; }}")
    with ExecCount(copied) as execs:
        out = await sh(copied, "set -eux; trap 'echo trapped' DEBUG; echo after > a.txt")
        assert "copied back 1 changed file(s)" in out and '"f"' not in out, out
        (root / "edit.txt").write_text("host edit\n")
        out = await sh(copied, "trap - DEBUG; set +x; cat edit.txt; python3")
    assert "host edit\n[]\n" in out, out  # the command's own python3 is still the fake one
    assert execs.actions == []
    assert (root / "a.txt").read_text() == "after\n" and (root / "sub" / "deep.txt").read_text() == "deep\n"


async def test_a_background_job_that_writes_sends_the_walk_to_an_exec(
    workspace: Path, request: pytest.FixtureRequest
) -> None:
    (workspace / "edit.txt").write_text("old\n")
    sandbox = small_sandbox(workspace, request, workspace_mode="copy", background_jobs=True)
    try:
        await sh(sandbox, '(while :; do echo \'["noise", "f"]\'; sleep 0.01; done) &')
        with ExecCount(sandbox) as execs:
            out = await sh(sandbox, "echo x > x.txt; echo new > edit.txt")
        assert "copied back 2 changed file(s)" in out, out
        assert (workspace / "x.txt").read_text() == "x\n" and (workspace / "edit.txt").read_text() == "new\n"
        assert [a for a in execs.actions if "python3 -I -c" in a], execs.actions
    finally:
        await sandbox.close()


async def test_over_the_tls_engine_a_command_makes_no_exec_either(
    on_remote_engine: RemoteEngine, workspace: Path, request: pytest.FixtureRequest
) -> None:
    (workspace / "edit.txt").write_text("old\n")
    remote = small_sandbox(workspace, request, workspace_mode="copy")
    try:
        await sh(remote, "true")
        with ExecCount(remote) as execs:
            assert await sh(remote, "echo hi") == "hi\n"
            assert "copied back 1 changed file(s)" in await sh(remote, "echo over-tls > edit.txt")
            (workspace / "host.txt").write_text("from the host\n")
            assert await sh(remote, "cat host.txt") == "from the host\n"
        assert execs.actions == []
        assert (workspace / "edit.txt").read_text() == "over-tls\n"
    finally:
        await remote.close()
