"""What staging costs: a staged command against a plain warm sandbox command in the same run, and the time to
compute a change set of 1, 100 and 10,000 changed files.

Warm: DockerExecutor.run of `echo hi` (one exec in the task's long-lived container).
Staged: the same through the Stager: the stage's container (created ahead, as it is while the user reviews the
previous change set) started on a fresh overlay, the exec, the container stopped, the upper folder scanned.
Back to back: staged commands with no pause between them, so each also waits for its container's creation.
Change set: a staged command appends a line to each of N files of the workspace; then the scan of the upper
folder against the workspace (with the fingerprints for the conflict check) and the preview (the texts shown).
Prints a table and one JSON line. Needs a running engine and the sandbox image (./test.sh sets both up).

    .venv/bin/python bench/staging.py [--warm 30] [--staged 10] [--back-to-back 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from autogpt_ls.executors.docker import DockerExecutor
from autogpt_ls.executors.shell_state import shell_argv
from autogpt_ls.executors.staging import Stager
from autogpt_ls.workspace import Workspace

IMAGE = "autogpt-ls-sandbox:1"


def _ms(times: list[float]) -> tuple[float, float]:
    p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
    return statistics.median(times) * 1000, p95 * 1000


async def _timed(executor: DockerExecutor, line: str) -> float:
    start = time.perf_counter()
    res = await executor.run(shell_argv(line), timeout=1800)
    assert res.exit_code == 0, res
    return time.perf_counter() - start


async def commands(root: Path, data: Path, warm_n: int, staged_n: int, back_n: int) -> dict[str, list[float]]:
    plain = DockerExecutor(Workspace(root), task_id="bench-staging-warm", image=IMAGE)
    staged = DockerExecutor(Workspace(root), task_id="bench-staging", image=IMAGE)
    staged.stager = stager = Stager(staged, data / "stages")
    try:
        await _timed(plain, "echo hi")  # starts the warm container
        await _timed(staged, "echo hi")  # the first stage's container, created on the spot
        found: dict[str, list[float]] = {"warm": [], "staged": [], "back to back": []}
        for _ in range(staged_n):
            found["warm"] += [await _timed(plain, "echo hi") for _ in range(max(1, warm_n // staged_n))]
            await stager.ready()
            found["staged"].append(await _timed(staged, "echo hi"))
        for _ in range(back_n):
            found["back to back"].append(await _timed(staged, "echo hi"))
        return found
    finally:
        await plain.close()
        await staged.close()


async def change_set(root: Path, data: Path, n: int) -> tuple[float, float]:
    for i in range(n):
        (root / f"f{i:05d}.txt").write_text(f"line {i}\n")
    executor = DockerExecutor(Workspace(root), task_id=f"bench-staging-{n}", image=IMAGE)
    executor.stager = stager = Stager(executor, data / "stages")
    try:
        await _timed(executor, "for f in f*.txt; do echo more >> $f; done")
        stage = stager.take()
        assert stage is not None
        start = time.perf_counter()
        preview = stager.preview(stage)
        shown = time.perf_counter() - start
        assert preview is not None and len(preview.files) == n, len(preview.files) if preview else None
        return stager.scan_seconds, shown
    finally:
        await executor.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=30)
    parser.add_argument("--staged", type=int, default=10)
    parser.add_argument("--back-to-back", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as data:
        found = asyncio.run(commands(Path(tmp), Path(data), args.warm, args.staged, args.back_to_back))
    sets = {}
    for n in (1, 100, 10_000):
        with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as data:
            sets[n] = asyncio.run(change_set(Path(tmp), Path(data), n))
    print(f"{'':28}{'median ms':>10}{'p95 ms':>10}{'n':>5}")
    for name, times in found.items():
        median, p95 = _ms(times)
        print(f"{name + ' command':28}{median:10.1f}{p95:10.1f}{len(times):5}")
    extra = (statistics.median(found["staged"]) - statistics.median(found["warm"])) * 1000
    print(f"staged over warm: +{extra:.0f} ms per command")
    for n, (scan, shown) in sets.items():
        print(f"change set of {n:>6} files: scan {scan * 1000:8.1f} ms, preview {shown * 1000:8.1f} ms")
    summary = {name: round(_ms(times)[0], 1) for name, times in found.items()}
    summary |= {
        "extra_ms": round(extra),
        "change_set_ms": {n: [round(a * 1000, 1), round(b * 1000, 1)] for n, (a, b) in sets.items()},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
