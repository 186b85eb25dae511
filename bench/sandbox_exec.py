"""Round trip of `echo hi` through the warm sandbox against a fresh container per command, in the same run.

Warm: DockerExecutor.run (one exec in the task's long-lived container, output and exit code collected).
Fresh: `docker run --rm` of the same image with the same isolation options per command, through the same SDK.
Targets: median <= 60 ms per warm command, and >= 5x faster than a container per command.
Prints a table and one JSON line. Needs a running engine and the sandbox image (./test.sh sets both up).

    .venv/bin/python bench/sandbox_exec.py [--warm 50] [--fresh 10]
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
from autogpt_ls.workspace import Workspace

IMAGE = "autogpt-ls-sandbox:1"


async def warm(root: Path, n: int) -> list[float]:
    executor = DockerExecutor(Workspace(root), task_id="bench-sandbox-exec", image=IMAGE)
    try:
        assert (await executor.run(["echo", "hi"], timeout=120)).output == "hi\n"  # starts the container
        times = []
        for _ in range(n):
            start = time.perf_counter()
            res = await executor.run(["echo", "hi"], timeout=30)
            times.append(time.perf_counter() - start)
            assert res.exit_code == 0 and res.output == "hi\n", res
        return times
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        warm_times = asyncio.run(warm(root, args.warm))
        fresh_times = fresh(root, args.fresh)
    w, f = statistics.median(warm_times), statistics.median(fresh_times)
    print(f"{'':24}{'median ms':>10}{'p95 ms':>10}{'n':>5}")
    for name, times in (("warm sandbox exec", warm_times), ("fresh docker run", fresh_times)):
        p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
        print(f"{name:24}{statistics.median(times) * 1000:10.1f}{p95 * 1000:10.1f}{len(times):5}")
    print(f"warm is {f / w:.1f}x faster (targets: <= 60 ms warm, >= 5x)")
    print(
        json.dumps(
            {"warm_median_ms": round(w * 1000, 1), "fresh_median_ms": round(f * 1000, 1), "ratio": round(f / w, 1)}
        )
    )


if __name__ == "__main__":
    main()
