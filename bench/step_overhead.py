"""The agent's own time per step, LLM time excluded: prompt assembly, parsing, checks, the tool, the store.

Runs the real core in continuous mode against the loopback fake OpenAI server through the real SDK; a step
is timed from its Thinking event to its StepCompleted event, minus the time spent waiting on the LLM call.
Target: median <= 2.5 ms. Prints a table and one JSON line.

    .venv/bin/python bench/step_overhead.py [--steps 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from autogpt_ls.agent.driver import interact
from autogpt_ls.agent.events import Event, StepCompleted, Thinking
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.models import Decision, Step
from autogpt_ls.settings import Settings
from fakes.openai_server import FakeOpenAI, cycling, tool_call

FILES = ("out.txt", "out2.txt")


async def measure(steps: int, base_url: str, root: Path) -> list[float]:
    workspace = root / "ws"
    workspace.mkdir()
    settings = Settings(
        openai_base_url=base_url, smart_llm="openai/gpt-4o-mini", data_dir=root / "data", max_steps=None
    )
    runtime = Runtime(settings)
    task = await runtime.new_task("benchmark", workspace, continuous=True, continuous_limit=steps)
    started: dict[int, float] = {}
    overhead: list[float] = []

    def on_event(event: Event) -> None:
        now = time.perf_counter()
        if isinstance(event, Thinking):
            started[event.step_index] = now
        elif isinstance(event, StepCompleted):
            step = event.step
            overhead.append(now - started[step.index] - step.llm_seconds)

    await drive_continuously(runtime, task.id, on_event)
    return overhead


async def drive_continuously(runtime: Runtime, task_id: str, on_event: Callable[[Event], None]) -> None:
    """Run a continuous-mode task to its end with `on_event` listening, then close the runtime."""

    async def never(_step: Step) -> Decision:
        raise AssertionError("continuous mode asks nobody")

    runtime.subscribe(on_event)
    async with runtime.driving(task_id) as driver:
        await interact(driver, never)
    await runtime.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    with FakeOpenAI() as fake, tempfile.TemporaryDirectory() as tmp:
        # the same text to two files in turn: the loop guard lets every write run (the one before wrote elsewhere)
        fake.responder = cycling(
            *(tool_call("write_file", {"filename": f"notes/{name}", "contents": "Washington\n" * 20}) for name in FILES)
        )
        overhead = asyncio.run(measure(args.steps, fake.base_url, Path(tmp)))
    ms = sorted(x * 1000 for x in overhead[5:])  # the first steps warm caches and imports
    median, p95 = statistics.median(ms), ms[int(len(ms) * 0.95) - 1]
    print(f"steps measured: {len(ms)}")
    print(f"agent overhead per step (LLM excluded): median {median:.3f} ms, p95 {p95:.3f} ms, max {ms[-1]:.3f} ms")
    print(f"target median <= 2.5 ms: {'met' if median <= 2.5 else 'NOT met'}")
    print(
        json.dumps({"bench": "step_overhead", "steps": len(ms), "median_ms": round(median, 3), "p95_ms": round(p95, 3)})
    )


if __name__ == "__main__":
    main()
