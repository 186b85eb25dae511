"""The sandbox's persistent shell against the real engine: state carries over between commands as in a
terminal, each command keeps its own timeout, cap, exit code and streamed output, and a shell that ends or hangs
is replaced with the agent told."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sandbox_helpers import IMAGE, task_containers

from autogpt_ls.executors.docker import DockerExecutor
from autogpt_ls.executors.shell_state import ShellState, shell_argv
from autogpt_ls.executors.staging import Stager
from autogpt_ls.workspace import Workspace

RESET = "its state was reset"


async def sh(sandbox: DockerExecutor, line: str, timeout: float = 60) -> tuple[int | None, str]:
    res = await sandbox.run(shell_argv(line), timeout=timeout)
    return res.exit_code, res.output


async def test_cd_exports_functions_and_options_carry_over_and_aliases_stay_off(sandbox: DockerExecutor) -> None:
    root = sandbox.workspace.root
    assert await sh(sandbox, "mkdir -p src/pkg && cd src/pkg && export GREETING='hi there' && COUNT=2") == (0, "")
    assert await sh(sandbox, 'pwd; echo "$GREETING $COUNT"; sh -c \'echo "$GREETING"\'') == (
        0,
        f"{root}/src/pkg\nhi there 2\nhi there\n",
    )
    assert sandbox.state == ShellState(cwd=f"{root}/src/pkg", env=sandbox.state.env)
    assert sandbox.state.env["GREETING"] == "hi there" and "COUNT" not in sandbox.state.env  # not exported
    assert await sh(sandbox, 'shout() { echo "${1^^}"; }; a=(x y z); set -o pipefail') == (0, "")
    assert await sh(sandbox, 'shout loud; echo "${a[2]} ${#a[@]}"; false | true; echo $?') == (0, "LOUD\nz 3\n1\n")
    code, out = await sh(sandbox, "alias hello='echo aliased'; hello")
    assert code == 127 and "hello: command not found" in out
    # A line's redirections of the shell's own streams end with it: the next command's output still arrives.
    assert await sh(sandbox, "exec >out.txt 2>&1 </dev/null; echo hidden") == (0, "")
    assert await sh(sandbox, "cat out.txt; cd ..; pwd") == (0, f"hidden\n{root}/src\n")
    # Python runs from the workspace root (execute_python_file's paths are relative to it) in a subshell.
    res = await sandbox.run(["python3", "-c", "import os; print(os.getcwd(), os.environ['GREETING'])"], timeout=60)
    assert (res.exit_code, res.output) == (0, f"{root} hi there\n")
    assert await sh(sandbox, "pwd") == (0, f"{root}/src\n")


async def test_a_venv_activated_in_one_command_is_used_by_the_next(sandbox: DockerExecutor) -> None:
    root = sandbox.workspace.root
    code, out = await sh(sandbox, "python3 -m venv .venv && . .venv/bin/activate", timeout=180)
    assert code == 0, out
    assert await sh(sandbox, "command -v python; python -c 'import sys; print(sys.prefix)'") == (
        0,
        f"{root}/.venv/bin/python\n{root}/.venv\n",
    )
    res = await sandbox.run(["python3", "-c", "import sys; print(sys.prefix)"], timeout=60)  # execute_python_code
    assert res.output == f"{root}/.venv\n"
    assert await sh(sandbox, "deactivate; command -v python3") == (0, "/usr/bin/python3\n")


async def test_each_command_keeps_its_exit_code_streamed_output_and_cap(sandbox: DockerExecutor) -> None:
    streamed: list[str] = []
    res = await sandbox.run(shell_argv("echo out; echo err >&2; (exit 3)"), timeout=30, on_output=streamed.append)
    assert (res.exit_code, res.output, res.timed_out) == (3, "out\nerr\n", False)
    await asyncio.sleep(0)
    assert "".join(streamed) == "out\nerr\n"
    res = await sandbox.run(shell_argv("head -c 100000 /dev/zero | tr '\\0' x; echo; echo END"), timeout=30)
    assert res.exit_code == 0 and res.truncated and len(res.output) < 4_200 and res.output.endswith("END\n")
    # Output that looks like the shell's markers, or has NUL bytes, is output.
    res = await sandbox.run(shell_argv("printf 'a\\0agls-x:end\\0b\\n'"), timeout=30)
    assert res.output == "a\0agls-x:end\0b\n"


async def test_a_timeout_interrupts_the_command_and_the_shell_keeps_its_state(sandbox: DockerExecutor) -> None:
    assert await sh(sandbox, "mkdir -p deep && cd deep && export KEPT=yes") == (0, "")
    res = await sandbox.run(shell_argv("echo started; sleep 40 & sleep 50; echo never"), timeout=2)
    assert res.timed_out and res.exit_code is None and res.output.startswith("started\n") and "never" not in res.output
    assert "interrupted (SIGINT); the shell keeps its state" in res.output
    code, out = await sh(sandbox, "echo $KEPT; pwd; for p in /proc/[0-9]*; do cat $p/comm; done | grep -c '^sleep$'")
    assert (code, out) == (0, f"yes\n{sandbox.workspace.root}/deep\n1\n")  # only the container's own `sleep`
    # A loop of builtins has no child to interrupt: the shell's own SIGINT ends it.
    res = await sandbox.run(shell_argv("while :; do :; done"), timeout=1)
    assert res.timed_out and "keeps its state" in res.output
    # A command that ignores SIGINT is killed with the shell; the agent is told that the state was reset.
    res = await sandbox.run(shell_argv("trap '' INT; sleep 60"), timeout=1)
    assert res.timed_out and "did not end on SIGINT" in res.output and RESET in res.output
    assert await sh(sandbox, "pwd; echo ${KEPT:-unset}") == (0, f"{sandbox.workspace.root}\nunset\n")


@pytest.mark.parametrize(
    ("line", "code"),
    [("exit 3", 3), ("set -e; false; echo never", 1), ("exec sh -c 'exit 4'", 4), ("kill -9 $$", 137)],
)
async def test_a_line_that_ends_the_shell_gets_a_new_one_and_the_agent_told(
    sandbox: DockerExecutor, line: str, code: int
) -> None:
    assert await sh(sandbox, "cd / && export GONE=1") == (0, "")
    got, out = await sh(sandbox, line)
    assert got == code and "never" not in out and f"the shell exited during the command (exit code {code})" in out
    assert RESET in out
    assert await sh(sandbox, "pwd; echo ${GONE:-unset}") == (0, f"{sandbox.workspace.root}\nunset\n")


def kill_the_shell(sandbox: DockerExecutor) -> None:
    """SIGKILL to the shell from an exec of its own, as `pkill bash` in another terminal would."""
    assert sandbox.shell is not None and sandbox.shell.session is not None and sandbox._container is not None
    api, pid = sandbox._docker().api, sandbox.shell.session.pid
    api.exec_start(api.exec_create(sandbox._container.id, ["sh", "-c", f"kill -9 {pid}"], user=sandbox.user)["Id"])


async def test_a_shell_killed_from_outside_is_replaced_and_the_agent_told(sandbox: DockerExecutor) -> None:
    assert await sh(sandbox, "mkdir sub && cd sub && export GONE=1") == (0, "")
    # Between commands (pkill's work, from a second exec): the next command runs in a new shell, once.
    await asyncio.to_thread(kill_the_shell, sandbox)
    code, out = await sh(sandbox, "echo once >>ran.txt; pwd")
    assert code == 0 and "the shell had ended since the last command" in out and RESET in out
    assert out.endswith(f"{sandbox.workspace.root}\n") and (sandbox.workspace.root / "ran.txt").read_text() == "once\n"
    # During a command: its result says so.
    running = asyncio.create_task(sh(sandbox, "touch started; sleep 30; echo never"))
    while not (sandbox.workspace.root / "started").exists():
        await asyncio.sleep(0.05)
    await asyncio.to_thread(kill_the_shell, sandbox)
    code, out = await running
    assert code == 137 and "never" not in out and "the shell exited during the command" in out and RESET in out
    assert await sh(sandbox, "echo ok") == (0, "ok\n")


async def test_a_container_killed_under_the_shell_is_replaced_and_the_agent_told(
    sandbox: DockerExecutor, docker_client: object
) -> None:
    assert await sh(sandbox, "mkdir kept && cd kept && export KEPT=yes") == (0, "")
    (first,) = task_containers(docker_client, sandbox.task_id)
    await asyncio.to_thread(first.kill)  # type: ignore[attr-defined]
    code, out = await sh(sandbox, 'pwd; echo "$KEPT"')
    assert code == 0 and "previous container had stopped" in out and RESET in out, out
    assert out.endswith(f"{sandbox.workspace.root}\n\n")  # the shell died with its container: a fresh one
    assert [c.id for c in task_containers(docker_client, sandbox.task_id)] != [first.id]  # type: ignore[attr-defined]


async def test_what_a_command_left_running_ends_unless_background_jobs_are_allowed(
    sandbox: DockerExecutor, docker_client: object, workspace: Path
) -> None:
    count = "for p in /proc/[0-9]*; do cat $p/comm; done 2>/dev/null | grep -c '^sleep$'"
    code, out = await sh(sandbox, f"sleep 300 & setsid sleep 301 & {count}")
    assert code == 0 and out.endswith("\n3\n") and out.startswith("[1] ")  # as a terminal shows a job's start
    assert await sh(sandbox, count) == (0, "1\n")
    lenient = DockerExecutor(Workspace(workspace), task_id=sandbox.task_id + "-jobs", image=IMAGE, background_jobs=True)
    try:
        code, out = await sh(lenient, "sleep 302 & sleep 1")  # listed once it runs `sleep`
        assert code == 0 and "still running until the task ends" in out and "sleep 302" in out
        code, out = await sh(lenient, f"{count}; kill $!; wait $!; {count}")
        assert code == 0 and out.startswith("2\n") and out.endswith("\n1\n")
    finally:
        await lenient.close()


async def test_staging_on_and_off_mid_task_keeps_the_folder_and_variables(
    sandbox: DockerExecutor, data_dir: Path, docker_client: object
) -> None:
    root = sandbox.workspace.root
    assert await sh(sandbox, "mkdir -p a b && cd a && export STEP=shell") == (0, "")
    sandbox.stager = Stager(sandbox, data_dir / "stages")
    try:
        code, out = await sh(sandbox, 'echo "$STEP $PWD"; cd ../b && export STEP=staged', 600)
        assert code == 0 and out.startswith(f"shell {root}/a\n"), out
    finally:
        await sandbox.stager.close()
        sandbox.stager = None
    assert await sh(sandbox, 'echo "$STEP"; pwd') == (0, f"staged\n{root}/b\n")
    assert (await sandbox.run(["true"], timeout=60)).exit_code == 0
    assert len(task_containers(docker_client, sandbox.task_id)) == 1
