"""The Docker sandbox against a real engine: results, isolation, limits, and recovery from a dead container."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sandbox_helpers import IMAGE, task_containers

from autogpt_ls.executors.docker import DockerExecutor
from autogpt_ls.workspace import Workspace
from fakes.openai_server import FakeOpenAI


async def test_output_and_exit_code(sandbox: DockerExecutor) -> None:
    streamed: list[str] = []
    res = await sandbox.run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=30, on_output=streamed.append)
    assert (res.exit_code, res.timed_out) == (3, False)
    assert res.output == "out\nerr\n"
    await asyncio.sleep(0)  # the streamed chunks are delivered through the event loop
    assert "".join(streamed) == "out\nerr\n"
    assert "no network" in sandbox.where() and str(sandbox.workspace.root) in sandbox.where()


async def test_output_is_capped(sandbox: DockerExecutor) -> None:
    res = await sandbox.run([sandbox.python, "-c", "print('x' * 100_000); print('END')"], timeout=30)
    assert res.exit_code == 0 and res.truncated
    assert len(res.output) < 4_200 and res.output.endswith("END\n")


async def test_files_written_inside_appear_in_the_workspace_as_the_owner(sandbox: DockerExecutor) -> None:
    root = sandbox.workspace.root
    os.chown(root, 4321, 4321)
    sandbox = DockerExecutor(sandbox.workspace, task_id=sandbox.task_id + "-owner", image=IMAGE)
    try:
        code = "import os; open('made.py', 'w').write('print(6 * 7)'); print(os.getuid(), os.getgid())"
        res = await sandbox.run([sandbox.python, "-c", code], timeout=30)
        assert (res.exit_code, res.output) == (0, "4321 4321\n")
        made = root / "made.py"
        assert made.read_text() == "print(6 * 7)" and (made.stat().st_uid, made.stat().st_gid) == (4321, 4321)
        res = await sandbox.run([sandbox.python, str(made)], timeout=30)  # execute_python_file's argv
        assert res.output == "42\n"
    finally:
        await sandbox.close()


async def test_the_network_is_unreachable(sandbox: DockerExecutor, fake: FakeOpenAI) -> None:
    port = int(fake.base_url.split(":")[2].split("/")[0])
    probe = textwrap.dedent(f"""
        import socket
        for host, port in (("127.0.0.1", {port}), ("192.0.2.1", 80)):  # the host's loopback server; TEST-NET-1
            try:
                socket.create_connection((host, port), timeout=3).close()
                print(host, "reached")
            except OSError as e:
                print(host, type(e).__name__)
        print(sorted(name for _, name in socket.if_nameindex()))
    """)
    res = await sandbox.run([sandbox.python, "-c", probe], timeout=30)
    assert res.output == "127.0.0.1 ConnectionRefusedError\n192.0.2.1 OSError\n['lo']\n", res.output
    assert not fake.requests


async def test_nothing_outside_the_workspace_is_visible(sandbox: DockerExecutor, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"  # next to the workspace, on the host
    secret.write_text("s3cret")
    os.environ["SANDBOX_TEST_API_KEY"] = "k-123"
    try:
        line = (
            f"cat {secret}; test -e /var/run/docker.sock && echo SOCK; env | grep -c API_KEY; "
            "touch /usr/x 2>/dev/null || echo ro-root; touch /tmp/x && echo tmp-ok"
        )
        res = await sandbox.run(["sh", "-c", line], timeout=30)
    finally:
        del os.environ["SANDBOX_TEST_API_KEY"]
    assert "No such file" in res.output and "s3cret" not in res.output and "SOCK" not in res.output
    assert res.output.splitlines()[1:] == ["0", "ro-root", "tmp-ok"]


async def test_a_fork_bomb_is_contained_and_the_next_command_works(sandbox: DockerExecutor) -> None:
    assert (await sandbox.run(["true"], timeout=120)).exit_code == 0  # the sandbox's start is not timed below
    started = time.monotonic()
    # A builtin loop after it, so the command runs to its timeout even when no fork is left for a `sleep`.
    res = await sandbox.run(["sh", "-c", "bomb() { bomb | bomb & }; bomb; while :; do :; done"], timeout=4)
    assert res.timed_out and "new one" in res.output, res.output[-500:]
    # The loop never ends by itself: any bound shows the timeout ended it; 60 s leaves room for replacing the
    # container with the bomb's processes in it on 2 loaded cores (20 s was once too tight there).
    assert time.monotonic() - started < 60
    res = await sandbox.run(["echo", "alive"], timeout=30)
    assert (res.exit_code, res.output) == (0, "alive\n")


async def test_a_memory_hog_is_killed_and_reported(sandbox: DockerExecutor) -> None:
    res = await sandbox.run([sandbox.python, "-c", "b = bytearray(1 << 30); print('survived')"], timeout=60)
    assert res.exit_code == 137 and "out of memory (limit 192m)" in res.output and "survived" not in res.output
    res = await sandbox.run(["echo", "alive"], timeout=30)
    assert (res.exit_code, res.output) == (0, "alive\n")


RUNS_FOR = 90  # seconds the timed-out command would run to its end: under this test's own timeout (120 s)


async def test_a_command_past_its_timeout_is_killed_with_its_children(sandbox: DockerExecutor) -> None:
    assert (await sandbox.run(["true"], timeout=120)).exit_code == 0  # the sandbox's start is not timed below
    started = time.monotonic()
    res = await sandbox.run(["sh", "-c", f"sleep {RUNS_FOR - 10} & sleep {RUNS_FOR}; echo never"], timeout=1)
    assert res.timed_out and res.exit_code is None and "never" not in res.output
    # Ended by the timeout, not by running to its end: before either sleep could end by itself, however loaded
    # the machine (a figure of seconds was too tight with 2 cores at load 17).
    assert time.monotonic() - started < RUNS_FOR - 10
    # No procps in the image: count the `sleep` processes from /proc. Only the container's own `sleep infinity`
    # is left: the interrupt ended the foreground `sleep`, the shell's cleanup after it the backgrounded one.
    count = "for p in /proc/[0-9]*; do cat $p/comm; done 2>/dev/null | grep -c '^sleep$'"
    res = await sandbox.run(["sh", "-c", count], timeout=30)
    assert res.output == "1\n"


async def test_a_container_killed_from_outside_is_replaced(sandbox: DockerExecutor, docker_client: object) -> None:
    assert (await sandbox.run(["true"], timeout=30)).exit_code == 0
    (first,) = task_containers(docker_client, sandbox.task_id)
    first.kill()  # type: ignore[attr-defined]
    res = await sandbox.run(["echo", "again"], timeout=60)
    assert res.exit_code == 0 and res.output.endswith("again\n") and "previous container had stopped" in res.output
    assert [c.id for c in task_containers(docker_client, sandbox.task_id)] != [first.id]  # type: ignore[attr-defined]

    # Killed while a command runs: the command's result says so, and the next command gets a new container.
    marker = sandbox.workspace.root / "started"
    running = asyncio.create_task(sandbox.run(["sh", "-c", "touch started; sleep 30"], timeout=60))
    while not marker.exists():
        await asyncio.sleep(0.05)
    (second,) = task_containers(docker_client, sandbox.task_id)
    await asyncio.to_thread(second.kill)  # type: ignore[attr-defined]
    res = await running
    assert "container died during the command" in res.output
    assert (await sandbox.run(["echo", "ok"], timeout=60)).output == "ok\n"


async def test_close_removes_the_container(sandbox: DockerExecutor, docker_client: object) -> None:
    await sandbox.run(["true"], timeout=30)
    assert len(task_containers(docker_client, sandbox.task_id)) == 1
    await sandbox.close()
    assert task_containers(docker_client, sandbox.task_id) == []


async def test_orphans_of_a_killed_server_are_removed_at_the_next_start(
    sandbox: DockerExecutor, docker_client: object, workspace: Path
) -> None:
    crashing = textwrap.dedent(f"""
        import asyncio, sys
        from autogpt_ls.executors.docker import DockerExecutor
        from autogpt_ls.workspace import Workspace
        ex = DockerExecutor(Workspace({str(workspace)!r}), task_id="orphan-{sandbox.task_id}", image={IMAGE!r})
        asyncio.run(ex.run(["true"], timeout=60))
        print("started", flush=True)
        sys.stdin.read()
    """)
    server = subprocess.Popen(
        [sys.executable, "-c", crashing], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None and server.stdout.readline() == "started\n"
    server.kill()  # no close(): the container is left behind
    server.wait()
    assert len(task_containers(docker_client, f"orphan-{sandbox.task_id}")) == 1
    await sandbox.run(["true"], timeout=60)  # a sandbox starting cleans up
    assert task_containers(docker_client, f"orphan-{sandbox.task_id}") == []
    assert len(task_containers(docker_client, sandbox.task_id)) == 1  # a live owner's sandbox is kept


async def test_an_idle_container_is_removed_and_the_next_command_gets_a_new_one(
    docker_client: object, workspace: Path
) -> None:
    idle = DockerExecutor(Workspace(workspace), task_id="test-idle-reaped", image=IMAGE, idle_seconds=0.5)
    try:
        res = await idle.run(["sh", "-c", "sleep 1; echo slow"], timeout=30)  # longer than the idle time: not reaped
        assert res.output == "slow\n"
        (first,) = task_containers(docker_client, idle.task_id)
        deadline = time.monotonic() + 30
        while task_containers(docker_client, idle.task_id) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert task_containers(docker_client, idle.task_id) == []
        res = await idle.run(["echo", "back"], timeout=60)
        assert res.exit_code == 0 and res.output.endswith("back\n")
        assert "removed after 0.5 s without commands" in res.output
        (second,) = task_containers(docker_client, idle.task_id)
        assert second.id != first.id  # type: ignore[attr-defined]
    finally:
        await idle.close()
    assert task_containers(docker_client, idle.task_id) == []
