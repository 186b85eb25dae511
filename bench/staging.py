"""What computing a staged command's change set costs for 1, 100 and 10,000 changed files (the extra time of a
staged command over a plain warm sandbox command is bench/sandbox_exec.py's, in its run).

A staged command appends a line to each of N files of the workspace; then the scan of the upper folder against
the workspace (with the fingerprints for the conflict check: Stager.scan_seconds) and the preview (the texts
every front end shows). Prints a table and one JSON line. Needs a running engine and the sandbox image.

    .venv/bin/python bench/staging.py [--sizes 1,100,10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from autogpt_ls.executors.docker import DockerExecutor
from autogpt_ls.executors.staging import Stager
from autogpt_ls.workspace import Workspace
from sandbox_exec import IMAGE, timed


async def change_set(root: Path, data: Path, n: int) -> tuple[float, float]:
    for i in range(n):
        (root / f"f{i:05d}.txt").write_text(f"line {i}\n")
    executor = DockerExecutor(Workspace(root), task_id=f"bench-staging-{n}", image=IMAGE)
    executor.stager = stager = Stager(executor, data / "stages")
    try:
        await timed(executor, "for f in f*.txt; do echo more >> $f; done")
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
    parser.add_argument("--sizes", default="1,100,10000")
    args = parser.parse_args()
    sets = {}
    for n in (int(x) for x in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as data:
            sets[n] = asyncio.run(change_set(Path(tmp), Path(data), n))
    for n, (scan, shown) in sets.items():
        print(f"change set of {n:>6} files: scan {scan * 1000:8.1f} ms, preview {shown * 1000:8.1f} ms")
    print(json.dumps({"change_set_ms": {n: [round(a * 1000, 1), round(b * 1000, 1)] for n, (a, b) in sets.items()}}))


if __name__ == "__main__":
    main()
