"""Time per command with the workspace copied into the sandbox (SANDBOX_WORKSPACE=copy) against it bind-mounted,
on a workspace of N files, in the same run and on the same (local) engine.

Each mode: one task's sandbox on a fresh workspace of N files of 1 KiB in folders of 100; the first command
(container start, and in copy mode the upload) timed apart; then `echo hi` (nothing changes: copy mode's cost is
the walk of both sides), a command that writes one file (one file downloaded and applied), and a host edit before
`cat` of it (one file pushed, the container walked again); and a bare `docker exec true`, what each walk cost
when it was an exec of its own (now a line to the persistent shell: executors/copy_box.py). Medians, and copy /
bind ratios, since the engine is shared and noisy. A remote engine adds its network round trips to every copy-mode
call (the walks are lines on the shell's open connection; an archive upload or download per changed file, and the
put_archive of a host edit); none is measured here.

    .venv/bin/python bench/sandbox_copy.py [--files 1000] [--runs 15]
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
from autogpt_ls.executors.sandbox_copy import WorkspaceMode
from autogpt_ls.executors.shell_state import shell_argv
from autogpt_ls.workspace import Workspace

IMAGE = "autogpt-ls-sandbox:1"


def tree(root: Path, files: int) -> None:
    for i in range(files):
        folder = root / f"pkg{i // 100}"
        folder.mkdir(exist_ok=True)
        (folder / f"mod{i}.py").write_bytes(b"x = 1\n" * 170)


async def timed(executor: DockerExecutor, line: str) -> float:
    start = time.perf_counter()
    res = await executor.run(shell_argv(line), timeout=1800)
    assert res.exit_code == 0, res.output
    return time.perf_counter() - start


async def mode(files: int, runs: int, which: WorkspaceMode) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        tree(root, files)
        executor = DockerExecutor(
            Workspace(root), task_id=f"bench-sandbox-copy-{which}", image=IMAGE, workspace_mode=which
        )
        try:
            first = await timed(executor, "true")
            idle = [await timed(executor, "echo hi") for _ in range(runs)]
            write = [await timed(executor, f"echo {i} > out.txt") for i in range(runs)]
            assert (root / "out.txt").read_text() == f"{runs - 1}\n"
            edits = []
            for i in range(runs):
                (root / "pkg0" / "mod0.py").write_text(f"x = {i}\n")
                edits.append(await timed(executor, "cat pkg0/mod0.py"))
            execs = [exec_true(executor) for _ in range(runs)]
        finally:
            await executor.close()
    return {
        "first command s": first,
        "echo ms": statistics.median(idle) * 1000,
        "write one file ms": statistics.median(write) * 1000,
        "host edit then cat ms": statistics.median(edits) * 1000,
        "bare exec ms": statistics.median(execs) * 1000,
    }


def exec_true(executor: DockerExecutor) -> float:
    """One `docker exec true` in the task's container: the engine's floor for each walk copy mode runs."""
    assert executor._container is not None
    api = executor._docker().api
    start = time.perf_counter()
    exec_id = api.exec_create(executor._container.id, ["true"])["Id"]
    api.exec_start(exec_id)
    api.exec_inspect(exec_id)
    return time.perf_counter() - start


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    bind = await mode(args.files, args.runs, "bind")
    copy = await mode(args.files, args.runs, "copy")
    print(f"{args.files} files, {args.runs} runs each; medians")
    print(f"{'':24}{'bind':>10}{'copy':>10}{'ratio':>8}")
    for key in bind:
        print(f"{key:24}{bind[key]:10.1f}{copy[key]:10.1f}{copy[key] / bind[key]:8.1f}")
    print(json.dumps({"files": args.files, "bind": bind, "copy": copy}))


if __name__ == "__main__":
    asyncio.run(main())
