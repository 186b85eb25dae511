"""A remote engine: a second dockerd reached over TLS on a loopback port (remote_engine), selected as a user
would, by DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH. Its TLS is really on (a client without the
certificate is refused), our client trusts its CA whatever REQUESTS_CA_BUNDLE says, and the sandbox's persistent
shell reads its exec stream over TLS: output, exit codes, `cd` carried over, a long output and line, a timeout,
and output that streams while a command runs, with or without the shell."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest
import requests
from remote_engine import RemoteEngine
from sandbox_helpers import IMAGE, small_sandbox, task_containers

from autogpt_ls.executors import engine
from autogpt_ls.executors.docker import DockerExecutor, engine_answers
from autogpt_ls.executors.exec_socket import ExecSocket
from autogpt_ls.executors.shell_state import shell_argv


def test_a_client_without_the_client_certificate_is_refused(remote_engine: RemoteEngine) -> None:
    api = remote_engine.client_without_cert()
    with pytest.raises(requests.exceptions.ConnectionError, match="certificate"):
        api.ping()
    api.close()
    plain = requests.Session()
    plain.trust_env = False
    reply = plain.get(f"http://127.0.0.1:{remote_engine.port}/_ping", timeout=30)  # no TLS at all
    assert reply.status_code == 400 and "HTTPS" in reply.text


def test_our_client_trusts_the_engines_ca_whatever_requests_ca_bundle_says(
    on_remote_engine: RemoteEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import certifi
    import docker

    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, certifi.where())  # a public bundle, without the engine's private CA
    with pytest.raises(docker.errors.DockerException, match="CERTIFICATE_VERIFY_FAILED"):
        docker.from_env()  # the SDK alone: requests takes the bundle over DOCKER_CERT_PATH's CA
    client = engine.client()
    assert client.ping() and client.api.base_url == f"https://127.0.0.1:{on_remote_engine.port}"
    client.close()
    assert engine_answers()  # the `auto` executor picks the sandbox on it


async def test_the_persistent_shell_runs_over_tls_on_the_second_engine(
    on_remote_engine: RemoteEngine, sandbox: DockerExecutor, docker_client: object
) -> None:
    remote_sandbox = sandbox  # its client is made at its first command, from the variables on_remote_engine set
    root = remote_sandbox.workspace.root
    res = await remote_sandbox.run(shell_argv("echo out; echo err >&2; mkdir -p sub && cd sub; (exit 3)"), timeout=60)
    assert (res.exit_code, res.output) == (3, "out\nerr\n")
    assert remote_sandbox.shell is not None and remote_sandbox.shell.session is not None  # the persistent shell ran it
    res = await remote_sandbox.run(shell_argv("pwd"), timeout=30)
    assert (res.exit_code, res.output) == (0, f"{root}/sub\n")
    # Far more than one TLS record: the reader must not wait on the socket for bytes already inside the SSL layer.
    res = await remote_sandbox.run(shell_argv("seq 1 200000; echo END"), timeout=30)
    assert res.exit_code == 0 and res.truncated and res.output.endswith("199999\n200000\nEND\n")
    res = await remote_sandbox.run(shell_argv(f"echo {'y' * 300_000} | wc -c"), timeout=30)  # a long line in
    assert (res.exit_code, res.output) == (0, "300001\n")
    res = await remote_sandbox.run(shell_argv("echo started; sleep 40; echo never"), timeout=2)
    assert res.timed_out and res.output.startswith("started\n") and "never" not in res.output
    assert "interrupted (SIGINT); the shell keeps its state" in res.output
    res = await remote_sandbox.run(shell_argv("pwd"), timeout=30)
    assert (res.exit_code, res.output) == (0, f"{root}/sub\n")
    client = on_remote_engine.client()
    assert len(task_containers(client, remote_sandbox.task_id)) == 1
    assert task_containers(docker_client, remote_sandbox.task_id) == []  # not on the main engine
    client.close()


@pytest.mark.parametrize("where", ["remote", "local"])
@pytest.mark.parametrize("persistent_shell", [True, False], ids=["shell", "exec-per-command"])
async def test_output_streams_while_the_command_runs(
    where: str, persistent_shell: bool, docker_client: object, workspace: Path, request: pytest.FixtureRequest
) -> None:
    """The command's first line must reach on_output while it waits for a file only the test makes after seeing
    that line: over TLS, a reader that waits on the socket for bytes already inside the SSL layer never sees it.
    The same reader serves the local engine's unix socket."""
    client = request.getfixturevalue("on_remote_engine").client() if where == "remote" else docker_client
    sandbox = small_sandbox(workspace, request, persistent_shell=persistent_shell)
    seen = asyncio.Event()

    def on_output(text: str) -> None:
        if "started" in text:
            seen.set()

    line = "echo started; until [ -e /tmp/go ]; do sleep 0.1; done; echo done"
    try:
        running = asyncio.create_task(sandbox.run(shell_argv(line), timeout=90, on_output=on_output))
        await asyncio.wait_for(seen.wait(), 60)
        (container,) = task_containers(client, sandbox.task_id)
        container.exec_run(["touch", "/tmp/go"], user=sandbox.user)  # type: ignore[attr-defined]
        res = await running
        assert (res.exit_code, res.output) == (0, "started\ndone\n")
    finally:
        await sandbox.close()
        if client is not docker_client:
            client.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("where", ["remote", "local"])
def test_an_exec_socket_carries_both_ways_at_once(
    where: str, docker_client: object, request: pytest.FixtureRequest
) -> None:
    """2 MB written to `cat` in 100-byte pieces while another thread reads the echo (as a shell's interrupt report
    is written while its output is read): every byte comes back, in order, over TLS and the unix socket."""
    client = request.getfixturevalue("remote_engine").client() if where == "remote" else docker_client
    container = client.containers.run(IMAGE, ["sleep", "infinity"], network_mode="none", detach=True)  # type: ignore[attr-defined]
    sent, got = os.urandom(2_000_000), bytearray()
    try:
        api = client.api  # type: ignore[attr-defined]
        stream = ExecSocket(api.exec_start(api.exec_create(container.id, ["cat"], stdin=True)["Id"], socket=True))

        def read() -> None:
            for _kind, data in stream.frames():
                got.extend(data)
                if len(got) >= len(sent):
                    return

        reader = threading.Thread(target=read)
        reader.start()
        for at in range(0, len(sent), 100):
            stream.send(sent[at : at + 100])
        reader.join(60)
        stream.close()
        assert bytes(got) == sent
    finally:
        container.remove(force=True)
        if client is not docker_client:
            client.close()  # type: ignore[attr-defined]
