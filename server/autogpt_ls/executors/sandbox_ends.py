"""How a sandbox command ended, after it returned: out of memory, its container dead (then replaced), the
processes it left (ended, or listed when background jobs are allowed), the pids limit reached (the container is
replaced). Shared by the exec per command and the persistent shell."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from autogpt_ls.executors.base import still_running
from autogpt_ls.executors.sandbox_jobs import Report, parse_report, wrapped

if TYPE_CHECKING:
    from autogpt_ls.executors.docker import DockerExecutor


def death(sb: DockerExecutor, exit_code: int | None, since: float) -> str:
    """Why a command ended by a signal: out of memory, or its container died (then it is replaced); '' if not."""
    container = sb._container
    if container is None or (exit_code is not None and exit_code < 128):
        return ""
    import docker.errors
    import requests

    # The engine sends an `oom` event when the kernel kills any process of the container for memory.
    events = sb._docker().events(
        since=int(since), until=int(time.time()) + 1, filters={"container": container.id, "event": "oom"}
    )
    why = f"out of memory (limit {sb.limits.memory})" if any(True for _ in events) else "killed"
    try:  # a container killed from outside may still look running for a moment: wait for it briefly
        code: int | None = container.wait(timeout=1)["StatusCode"]
    except docker.errors.NotFound:
        code = None
    except requests.exceptions.ConnectionError:  # still running after a second: only the command was killed
        return f"\n[sandbox] the command was {why}." if exit_code in (None, 137) else ""
    sb._discard()
    return (
        f"\n[sandbox] the sandbox container died during the command ({why}, exit code {code}); "
        "a new one starts with the next command (only the workspace is kept)."
    )


def settle(sb: DockerExecutor, report: Report) -> str:
    """After a command: what it left running, or a new container if its pids limit was hit or it left a mess."""
    if sb._container is None:  # it died during the command (and _death said so)
        return ""
    if not report.complete:  # the command killed its wrapper: end or list its processes from a fresh exec
        report = sweep(sb)
    if report.complete and (report.pids_max or 0) <= sb._pids_max:
        return still_running(report.left)
    sb._discard()
    why = (
        f"reached the sandbox's limit of {sb.limits.pids} processes, so some of its forks failed"
        if report.complete
        else "left processes that could not be ended"
    )
    return (
        f"\n[sandbox] the command {why}; the container was replaced: the next command gets a new one "
        "(only the workspace is kept)."
    )


def sweep(sb: DockerExecutor) -> Report:
    """The wrapper's work without a command, in its own exec; an incomplete report if even that fails."""
    import docker.errors

    try:
        exec_id = sb._create(wrapped(["true"], keep=sb.background_jobs))
        out = sb._docker().api.exec_start(exec_id, demux=True)[1] or b""
    except docker.errors.DockerException:
        return Report()
    return parse_report(out.decode(errors="replace"))
