"""Round trip of `echo hi` through the warm sandbox (its persistent shell, and an exec per command) against a
fresh container per command and a staged command, in the same run.

Shell: DockerExecutor.run of the shell line `echo hi` (execute_shell's argv), sent to the task's persistent bash.
Exec: the same with persistent_shell=False: one `docker exec` in the task's long-lived container per command.
Fresh: `docker run --rm` of the same image with the same isolation options per command, through the same SDK.
Staged (SANDBOX_STAGE_CHANGES): the same `echo hi` through the Stager: the stage's container (created ahead, as it
is while the user reviews the previous change set) started on a fresh overlay, the exec, the container stopped,
the upper folder scanned. Back to back: staged commands with no pause, so each also waits for its container's
creation (continuous mode). The change set's own cost by its size is bench/staging.py.
Targets: median <= 10 ms per command in the shell; an exec <= 60 ms, and >= 5x faster than a container.
Prints a table and one JSON line. Needs a running engine and the sandbox image (./test.sh sets both up).

    .venv/bin/python bench/sandbox_exec.py [--warm 50] [--fresh 10] [--staged 5] [--back-to-back 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import docker

from autogpt_ls.executors.docker import DockerExecutor
from autogpt_ls.executors.shell_state import shell_argv
from autogpt_ls.executors.staging import Stager
from autogpt_ls.workspace import Workspace

IMAGE = "autogpt-ls-sandbox:1"


async def warm(root: Path, n: int, persistent: bool) -> list[float]:
    executor = DockerExecutor(
        Workspace(root), task_id=f"bench-sandbox-exec-{persistent}", image=IMAGE, persistent_shell=persistent
    )
    argv = shell_argv("echo hi")
    try:
        assert (await executor.run(argv, timeout=120)).output == "hi\n"  # starts the container (and the shell)
        times = []
        for _ in range(n):
            start = time.perf_counter()
            res = await executor.run(argv, timeout=30)
            times.append(time.perf_counter() - start)
            assert res.exit_code == 0 and res.output == "hi\n", res
        return times
    finally:
        await executor.close()


async def timed(executor: DockerExecutor, line: str) -> float:
    start = time.perf_counter()
    res = await executor.run(shell_argv(line), timeout=1800)
    assert res.exit_code == 0, res
    return time.perf_counter() - start


async def staged(root: Path, n: int, back_to_back: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as data:
        executor = DockerExecutor(Workspace(root), task_id="bench-sandbox-staged", image=IMAGE)
        executor.stager = stager = Stager(executor, Path(data) / "stages")
        try:
            await timed(executor, "echo hi")  # the first stage's container, created on the spot
            ready = []
            for _ in range(n):
                await stager.ready()  # as while the user reviews
                ready.append(await timed(executor, "echo hi"))
            return {"staged": ready, "back to back": [await timed(executor, "echo hi") for _ in range(back_to_back)]}
        finally:
            await executor.close()


def fresh(root: Path, n: int) -> list[float]:
    client = docker.from_env()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        out = client.containers.run(
            IMAGE,
            ["echo", "hi"],
            remove=True,
            network_mode="none",
            read_only=True,
            volumes={str(root): {"bind": str(root), "mode": "rw"}},
            working_dir=str(root),
            cap_drop=["ALL"],
            mem_limit="1g",
            pids_limit=256,
        )
        times.append(time.perf_counter() - start)
        assert out == b"hi\n", out
    client.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=50)
    parser.add_argument("--fresh", type=int, default=10)
    parser.add_argument("--staged", type=int, default=5)
    parser.add_argument("--back-to-back", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shell_times = asyncio.run(warm(root, args.warm, persistent=True))
        warm_times = asyncio.run(warm(root, args.warm, persistent=False))
        fresh_times = fresh(root, args.fresh)
        staged_times = asyncio.run(staged(root, args.staged, args.back_to_back))
    s, w, f = statistics.median(shell_times), statistics.median(warm_times), statistics.median(fresh_times)
    rows = {"persistent shell": shell_times, "warm sandbox exec": warm_times, "fresh docker run": fresh_times}
    rows |= {f"{name} command": times for name, times in staged_times.items() if times}
    print(f"{'':24}{'median ms':>10}{'p95 ms':>10}{'n':>5}")
    for name, times in rows.items():
        p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
        print(f"{name:24}{statistics.median(times) * 1000:10.1f}{p95 * 1000:10.1f}{len(times):5}")
    print(f"the shell is {w / s:.1f}x faster than an exec (target: <= 10 ms in the shell)")
    print(f"an exec is {f / w:.1f}x faster than a container (targets: <= 60 ms warm, >= 5x)")
    extra = (statistics.median(staged_times["staged"]) - w) * 1000
    print(f"a staged command costs +{extra:.0f} ms over a warm sandbox command ({extra / 1000 / w + 1:.1f}x)")
    summary = {
        "shell_median_ms": round(s * 1000, 1),
        "warm_median_ms": round(w * 1000, 1),
        "fresh_median_ms": round(f * 1000, 1),
        "ratio": round(f / w, 1),
    }
    summary |= {
        f"{name.replace(' ', '_')}_median_ms": round(statistics.median(t) * 1000, 1)
        for name, t in staged_times.items()
        if t
    }
    print(json.dumps(summary | {"staged_extra_ms": round(extra)}))


if __name__ == "__main__":
    main()
