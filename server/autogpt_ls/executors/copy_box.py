"""Copy mode's own commands in the container (the walk that lists its copy, the removal of what the host deleted):
a line to the task's persistent shell when it lives and nothing the last command left running can write into its
output, so a command costs no `docker exec` of its own (over a remote engine, no more round trips than the
command's); else an exec, as before the shell started or after it died.

The line runs in a subshell, so the shell's folder and variables stay as the command left them, and what the
command did to the shell does not get in the way: traps, xtrace, verbose, errexit and nounset are off, PATH is the
sandbox's and functions are skipped (an activated venv or a function named python3 is not what runs), python3 is
isolated (-I: no PYTHON* variables, no module of the workspace shadows the standard library). Its output is read
through the shell's framing into a buffer of its own, never a command's output nor what the LLM sees; a NUL
printed before the helper and its exit code after it mark what the helper wrote apart from anything the shell
echoed first.
"""

from __future__ import annotations

import secrets
import shlex
from typing import TYPE_CHECKING

from autogpt_ls.executors.container_shell import docker_error
from autogpt_ls.executors.sandbox_container import SANDBOX_ENV

if TYPE_CHECKING:
    from docker.models.containers import Container

    from autogpt_ls.executors.docker import DockerExecutor

_CODE = b"\0rc="


def helper_line(argv: list[str]) -> str:
    """The shell line that runs `argv` apart from the shell's state; it prints NUL, the output, NUL rc=CODE NUL."""
    return (
        "( builtin trap - DEBUG ERR RETURN; { builtin set +xvETeu; } 2>/dev/null; "
        f"PATH={shlex.quote(SANDBOX_ENV['PATH'])}; builtin printf '\\0'; builtin command {shlex.join(argv)}; "
        "builtin printf '\\0rc=%s\\0' \"$?\" )"
    )


def run(sb: DockerExecutor, container: Container, argv: list[str]) -> bytes:
    """`argv`'s stdout in the container (raises when it fails): through the shell when it can, else an exec."""
    shell = sb.shell
    if shell is not None and shell.session is not None and shell.quiet:
        out = _through_shell(sb, argv)
        if out is not None:
            return out
    return _exec(sb, container, argv)


def _through_shell(sb: DockerExecutor, argv: list[str]) -> bytes | None:
    """None when the shell had ended (or ended now): the next command's line finds that out and says so."""
    shell = sb.shell
    assert shell is not None and shell.session is not None
    chunks: list[bytes] = []
    reply = shell.session.run(secrets.token_hex(8), helper_line(argv), shell.keep(), chunks.append, None)
    if reply.report is None:
        shell.quiet = False
        return None
    body, found, rest = b"".join(chunks).rpartition(_CODE)
    code = rest.partition(b"\0")[0]  # what follows is the shell's (a DEBUG trap the command set, say)
    out = body.rpartition(b"\0")[2]
    if not found or code != b"0":
        why = out.decode(errors="replace")[-300:].strip()
        raise docker_error(f"{argv[0]} in the sandbox's shell failed ({code.decode(errors='replace')}): {why}")
    return out


def _exec(sb: DockerExecutor, container: Container, argv: list[str]) -> bytes:
    api = sb._docker().api
    exec_id = api.exec_create(container.id, argv, user=sb.user)["Id"]
    out, err = api.exec_start(exec_id, demux=True)
    code = api.exec_inspect(exec_id).get("ExitCode")
    if code != 0:
        why = (err or b"").decode(errors="replace")[-300:].strip()
        raise docker_error(f"{argv[0]} in the sandbox failed ({code}): {why}")
    return out or b""
