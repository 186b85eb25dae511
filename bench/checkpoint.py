"""Checkpoints on a big workspace: the time a step's checkpoints add (before, after and the diff between them) on
10,000 files with a few changed per step, the time of an undo of the last 10 steps, and the shadow repository's
size after 100 steps. Real git, the real Checkpoints and undo code. Target: <= 50 ms per step after the first.
Each figure is taken twice, with the file watch (the default) and with CHECKPOINT_WATCH=False (a full scan per
checkpoint), in the same run: their ratio holds on a loaded machine where wall times do not.

    .venv/bin/python bench/checkpoint.py [--files 10000] [--steps 100] [--changed 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from autogpt_ls import checkpoints
from autogpt_ls.agent.undo import checkpointed, undo
from autogpt_ls.checkpoints import Checkpoints
from autogpt_ls.models import Decision, DecisionKind, Step, StepStatus
from autogpt_ls.task_models import Task, TaskConfig


def make_workspace(root: Path, files: int) -> Path:
    workspace = root / "ws"
    for i in range(files):
        path = workspace / f"pkg{i // 100:03d}" / f"mod{i % 100:02d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# module {i}\nVALUE = {i}\n" + "x = 1\n" * 20)
    return workspace


class GitCalls:
    """Counts the checkpoints' git processes and the CPU time they use (ours and git's own threads): figures that
    a loaded machine distorts much less than wall time."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        real = checkpoints.run_git

        async def counted(args: list[str], **kwargs: Any) -> str:
            self.calls.append(next(a for a in args if not a.startswith("-")))
            return await real(args, **kwargs)

        checkpoints.run_git = counted  # type: ignore[assignment]

    @staticmethod
    def cpu_ms() -> float:
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (used.ru_utime + used.ru_stime) * 1000

    @staticmethod
    def own_cpu_ms() -> float:
        """This process's CPU: the checkpoint code, and the index it reads and writes itself (libgit2)."""
        used = resource.getrusage(resource.RUSAGE_SELF)
        return (used.ru_utime + used.ru_stime) * 1000


def bare_git_process() -> tuple[float, float]:
    """Median wall and CPU ms of `git --version`: what one git process costs on this machine now, whatever it
    does (a step's checkpoints are a few of them)."""
    walls, cpus = [], []
    for _ in range(20):
        started, cpu = time.perf_counter(), GitCalls.cpu_ms()
        subprocess.run(["git", "--version"], stdout=subprocess.DEVNULL, check=True)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append(GitCalls.cpu_ms() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


async def run(args: argparse.Namespace, root: Path, watch: bool) -> dict[str, Any]:
    workspace = make_workspace(root, args.files)
    cp = Checkpoints(workspace, root / "checkpoints", 5_000_000, watch=watch)
    task = Task(goal="bench", workspace=str(workspace), config=TaskConfig(smart_llm="openai/gpt-4o-mini"))
    steps: list[Step] = []
    times: list[float] = []
    cpu: list[float] = []
    own: list[float] = []
    folders = max(args.files // 100, 1)
    git = GitCalls()
    for n in range(args.steps + 1):
        step = Step(task_id=task.id, index=n, status=StepStatus.DONE)
        started, cpu_before, own_before = time.perf_counter(), git.cpu_ms(), git.own_cpu_ms()
        async with checkpointed(cp, step, steps):
            for k in range(args.changed):  # the step's own work, not timed apart: a few files edited
                (workspace / f"pkg{(n * 7 + k) % folders:03d}" / "mod00.py").write_text(f"step {n} edit {k}\n")
        times.append(time.perf_counter() - started)
        cpu.append(git.cpu_ms() - cpu_before)
        own.append(git.own_cpu_ms() - own_before)
        steps.append(step)
        if n == 0:
            git.calls.clear()
    first, rest = times[0] * 1000, sorted(t * 1000 for t in times[1:])
    calls = {name: git.calls.count(name) / args.steps for name in dict.fromkeys(git.calls)}
    started = time.perf_counter()
    undone = await undo(cp, task, steps, Decision(kind=DecisionKind.UNDO, step_index=len(steps) - 10))
    undo_ms = (time.perf_counter() - started) * 1000
    assert len(undone) == 10
    assert cp.watching == watch
    cp.close()
    return {
        "first_step_ms": round(first, 1),
        "step_median_ms": round(statistics.median(rest), 1),
        "step_p95_ms": round(rest[int(len(rest) * 0.95) - 1], 1),
        "step_git_cpu_median_ms": round(statistics.median(cpu[1:]), 1),
        "step_own_cpu_median_ms": round(statistics.median(own[1:]), 1),
        "git_calls_per_step": calls,
        "undo_10_steps_ms": round(undo_ms, 1),
        "shadow_repo_mb": round(size_of(cp.git_dir) / 1e6, 2),
        "workspace_mb": round(size_of(workspace) / 1e6, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--changed", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scanned = asyncio.run(run(args, Path(tmp), watch=False))
    with tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(run(args, Path(tmp), watch=True))
    bare_wall, bare_cpu = bare_git_process()
    print(f"workspace: {args.files} files ({figures['workspace_mb']} MB), {args.changed} changed per step")
    print(f"first step's checkpoints: {figures['first_step_ms']} ms (the shadow repository is created and filled)")
    print(f"per step after the first: median {figures['step_median_ms']} ms, p95 {figures['step_p95_ms']} ms")
    print(f"target median <= 50 ms: {'met' if figures['step_median_ms'] <= 50 else 'NOT met'}")
    print(f"git CPU per step (user + system, git's threads included): median {figures['step_git_cpu_median_ms']} ms")
    print(f"this process's CPU per step (the in-process index included): median {figures['step_own_cpu_median_ms']} ms")
    listed = ", ".join(f"{name} x{n:g}" for name, n in figures["git_calls_per_step"].items())
    print(f"git processes per step: {sum(figures['git_calls_per_step'].values()):g} ({listed})")
    print(f"one bare git process (git --version) here now: {bare_wall:.1f} ms wall, {bare_cpu:.1f} ms CPU")
    print(f"undo of the last 10 steps: {figures['undo_10_steps_ms']} ms")
    print(f"shadow repository after {args.steps + 1} steps: {figures['shadow_repo_mb']} MB")
    print(
        f"without the file watch (a full scan per checkpoint): median {scanned['step_median_ms']} ms, git CPU "
        f"{scanned['step_git_cpu_median_ms']} ms; with it / without: wall "
        f"{figures['step_median_ms'] / scanned['step_median_ms']:.2f}, git CPU "
        f"{figures['step_git_cpu_median_ms'] / scanned['step_git_cpu_median_ms']:.2f}"
    )
    print(
        json.dumps(
            {
                "bench": "checkpoint",
                "files": args.files,
                **figures,
                "without_watch": scanned,
                "bare_git_ms": [round(bare_wall, 1), round(bare_cpu, 1)],
            }
        )
    )


if __name__ == "__main__":
    main()
