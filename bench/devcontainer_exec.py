"""A task's first command in the workspace's devcontainer (`devcontainer up` with the image cached, then the exec),
its warm round trip, and the Docker sandbox's warm exec, in the same run.

First: DevcontainerExecutor.run of `echo hi` in a new executor on a workspace whose container exists (what a second
task on the same workspace pays: the CLI's `up`, which reuses it, the userEnvProbe's shell start, then one exec;
a new server process also sweeps the container once, which this single process does only at the build). Warm: the
next commands (one exec each, through the wrapper that ends what the command left). Sandbox: DockerExecutor.run in
its warm container.
Uses the tests' devcontainer (tests/executors/devcontainer); builds it once, and removes the container and image
it made. Needs a running engine, the base image and the Dev Containers CLI (./test.sh sets all three up).

    .venv/bin/python bench/devcontainer_exec.py [--first 5] [--warm 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from autogpt_ls.executors.devcontainer import DevcontainerExecutor
from autogpt_ls.executors.docker import DockerExecutor
from autogpt_ls.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "executors"))
from dc_helpers import remove_devcontainers  # noqa: E402


async def timed(executor: DevcontainerExecutor | DockerExecutor, n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        res = await executor.run(["echo", "hi"], timeout=120)
        times.append(time.perf_counter() - start)
        assert res.exit_code == 0 and res.output.endswith("hi\n"), res
    return times


async def measure(folder: Path, first_n: int, warm_n: int) -> dict[str, list[float]]:
    await timed(DevcontainerExecutor(Workspace(folder), secrets=[]), 1)  # builds the image, creates the container
    first = []
    for _ in range(first_n):
        first += await timed(DevcontainerExecutor(Workspace(folder), secrets=[]), 1)
    warm_executor = DevcontainerExecutor(Workspace(folder), secrets=[])
    await timed(warm_executor, 1)
    warm = await timed(warm_executor, warm_n)
    sandbox_executor = DockerExecutor(Workspace(folder), task_id="bench-devcontainer", image="autogpt-ls-sandbox:1")
    try:
        await timed(sandbox_executor, 1)  # starts its container
        sandbox = await timed(sandbox_executor, warm_n)
    finally:
        await sandbox_executor.close()
    return {"first command (up + exec)": first, "warm devcontainer exec": warm, "warm sandbox exec": sandbox}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=5)
    parser.add_argument("--warm", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "dc-bench"
        shutil.copytree(ROOT / "tests" / "executors" / "devcontainer", folder)
        try:
            results = asyncio.run(measure(folder, args.first, args.warm))
        finally:
            remove_devcontainers(folder)
    print(f"{'':28}{'median ms':>10}{'p95 ms':>10}{'n':>5}")
    for name, times in results.items():
        p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
        print(f"{name:28}{statistics.median(times) * 1000:10.1f}{p95 * 1000:10.1f}{len(times):5}")
    print(json.dumps({name: round(statistics.median(t) * 1000, 1) for name, t in results.items()}))


if __name__ == "__main__":
    main()
