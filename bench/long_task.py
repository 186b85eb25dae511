"""A long task: 200 scripted steps, each reading a different large file, through the real core, the real openai SDK
and the loopback fake, with a small context window so the prompt is compacted several times.

Prints, from the requests the fake received: the prompt tokens of each step (flat after the compactions, always
under the budget), the share of each prompt that is a byte-identical prefix of the previous prompt (the part a
provider's prompt cache serves; target >= 80% from step 10 on), and the agent's own time per step (the step's
wall time less the time inside LLM calls, the summaries' included) at step 10 against step 200 (ratio <= 1.5),
both as CPU time of the agent's thread (what the agent computes) and as wall time (which also holds the store's
disk writes, and every other process's load). Both still move with the machine's load between the early and the
late steps, so a second run of the same task counts the Python function calls the agent's thread makes per step
(LLM calls excluded): a figure no load changes, which grows if anything the agent does per step grows with the
task.

    .venv/bin/python bench/long_task.py [--steps 200] [--window 32000] [--file-kb 24]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import itertools

from autogpt_ls.agent.events import Compacted, Event, StepCompleted, Thinking
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.llm.context import prompt_budget
from autogpt_ls.llm.providers.openai import ChatCompletionsProvider
from autogpt_ls.settings import Settings
from fakes.openai_server import FakeOpenAI, Reply, content, tool_call
from fakes.reader_model import usage_of
from step_overhead import drive_continuously

FAST = "gpt-4.1-nano"
WINDOW_OF_STEPS = 10  # steps 6-15 are "step 10", the last 10 "step 200": single steps are too noisy to compare


class Fake(FakeOpenAI):
    """The fake, keeping of each request only its model and its prompt as sent (strings: a parsed request kept
    per step would grow the heap the garbage collector walks, and charge the agent for the bench's own memory)."""

    def __init__(self) -> None:
        super().__init__()
        self.prompts: list[tuple[str, str]] = []

    def _record(self, request: dict[str, Any], headers: dict[str, str], path: str = "") -> None:
        with self._cond:
            self.prompts.append((str(request.get("model")), wire(request)))
            self._cond.notify_all()


def write_files(workspace: Path, count: int, size: int) -> None:
    for n in range(count):
        line = f"file {n:03d} line: the value of key {n} is {n * 7919 % 10007}; nothing else matters here.\n"
        (workspace / f"big_{n:03d}.txt").write_text(line * (size // len(line)))


def responder(steps: int) -> Callable[[dict[str, Any]], Reply]:
    """Read big_000 ... in turn, then finish; summary requests get a short summary."""
    turn = iter(range(steps + 1))
    lock = threading.Lock()

    def respond(request: dict[str, Any]) -> Reply:
        usage = usage_of(request)
        if request["model"] == FAST:
            return content("The agent read the files in order; each holds one key's value.", usage=usage)
        with lock:
            n = next(turn)
        if n >= steps:
            return tool_call("finish", {"reason": "Every file was read."}, usage=usage)
        return tool_call("read_file", {"filename": f"big_{n:03d}.txt"}, usage=usage)

    return respond


def now() -> tuple[float, float]:
    """(wall, CPU time of this thread: the event loop's, where the agent runs; the fake serves from another)."""
    return time.perf_counter(), time.thread_time()


class LLMClock:
    """Time spent inside LLM calls (the agent's and the summaries'), patched around the provider's `chat`; with
    `count`, the Python calls the agent's thread makes outside them instead (sys.setprofile: it slows every call,
    so a run of its own)."""

    def __init__(self, count: bool = False) -> None:
        self.total = (0.0, 0.0)
        self.calls = 0
        self._count = count
        self._inside = 0
        self._original = original = ChatCompletionsProvider.chat

        async def timed(provider: ChatCompletionsProvider, *args: Any, **kwargs: Any) -> Any:
            start = now()
            self._inside += 1
            try:
                return await original(provider, *args, **kwargs)
            finally:
                self._inside -= 1
                end = now()
                self.total = (self.total[0] + end[0] - start[0], self.total[1] + end[1] - start[1])

        ChatCompletionsProvider.chat = timed  # type: ignore[method-assign,assignment]

    def _profile(self, _frame: Any, event: str, _arg: Any) -> None:
        if event == "call" and not self._inside:
            self.calls += 1

    def mark(self) -> tuple[float, float]:
        """(wall, CPU) seconds spent outside LLM calls so far, or (calls, calls) when counting."""
        if self._count:
            return float(self.calls), float(self.calls)
        (wall, cpu), (llm_wall, llm_cpu) = now(), self.total
        return wall - llm_wall, cpu - llm_cpu

    def __enter__(self) -> LLMClock:
        if self._count:
            sys.setprofile(self._profile)
        return self

    def __exit__(self, *_exc: object) -> None:
        sys.setprofile(None)
        ChatCompletionsProvider.chat = self._original  # type: ignore[method-assign]


Own = list[tuple[float, float]]


async def run(steps: int, window: int, base_url: str, root: Path, count: bool) -> tuple[Own, list[int]]:
    """The agent's own (wall, CPU) seconds per step (or, with `count`, its Python calls per step, twice), and the
    steps whose prompt needed a compaction."""
    workspace = root / "ws"
    workspace.mkdir()
    write_files(workspace, steps, ARGS.file_kb * 1024)
    settings = Settings(
        openai_base_url=base_url,
        smart_llm="openai/gpt-4o-mini",
        fast_llm=f"openai/{FAST}",
        context_window=window,
        data_dir=root / "data",
        max_steps=None,
        checkpoints=False,  # reads change nothing: the bench measures the prompt, not the checkpoints
    )
    runtime = Runtime(settings)
    task = await runtime.new_task("Read every big_*.txt file", workspace, continuous=True, continuous_limit=steps + 1)
    started: dict[int, tuple[float, float]] = {}
    own: Own = []
    compacted: list[int] = []
    with LLMClock(count) as clock:

        def on_event(event: Event) -> None:
            if isinstance(event, Thinking):
                started[event.step_index] = clock.mark()
            elif isinstance(event, StepCompleted):
                (wall, cpu), end = started[event.step.index], clock.mark()
                own.append((end[0] - wall, end[1] - cpu))
            elif isinstance(event, Compacted):
                compacted.append(event.summary.at_step)

        await drive_continuously(runtime, task.id, on_event)
    return own, compacted


def wire(request: dict[str, Any]) -> str:
    """The prompt as sent: the tools, then the messages, in the request's own JSON."""
    return json.dumps(request.get("tools")) + json.dumps(request["messages"])


def stable_shares(prompts: list[str]) -> list[float]:
    """Per agent request from the second on: the share of its prompt that is a byte-identical prefix of the
    previous request's prompt."""
    return [common_prefix(a, b) / len(b) for a, b in itertools.pairwise(prompts)]


def common_prefix(a: str, b: str) -> int:
    """Length of the common prefix of `a` and `b`, by bisection over slice comparisons (fast in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def main() -> None:
    with Fake() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.responder = responder(ARGS.steps)
        own, compacted = asyncio.run(run(ARGS.steps, ARGS.window, fake.base_url, Path(tmp), count=False))
        requests = [prompt for model, prompt in fake.prompts if model != FAST]
        summaries = len(fake.prompts) - len(requests)
    with Fake() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.responder = responder(ARGS.steps)
        calls, _ = asyncio.run(run(ARGS.steps, ARGS.window, fake.base_url, Path(tmp), count=True))
    tokens = [len(prompt) // 4 for prompt in requests]  # as the fake counts them (fakes.reader_model.usage_of)
    budget = prompt_budget(ARGS.window)
    shares = stable_shares(requests)  # shares[i] is step i + 2's
    print(f"steps: {len(requests)}, compactions: {summaries} (at steps {', '.join(str(s + 1) for s in compacted)})")
    print(f"window {ARGS.window} tokens, prompt budget {budget} tokens")
    print("step  prompt tokens  stable prefix")
    for i in range(0, len(requests), 10):
        share = f"{shares[i - 1] * 100:5.1f}%" if i else "    -"
        print(f"{i + 1:4d}  {tokens[i]:13d}  {share}")
    after = tokens[(compacted[0] + 1) if compacted else 0 :]
    print(
        f"after the first compaction: min {min(after)}, max {max(after)} tokens; all under the budget: "
        f"{'yes' if max(tokens) <= budget else 'NO'}"
    )
    from_10 = shares[8:]
    low = [i + 2 for i, s in enumerate(shares) if i >= 8 and s < 0.8]
    print(
        f"stable prefix from step 10: mean {statistics.mean(from_10) * 100:.1f}%, min {min(from_10) * 100:.1f}%; "
        f"below 80% at steps {low or 'none'} (target >= 80%)"
    )
    times = {}
    for kind, per_step, unit in (("CPU time", own, " ms"), ("wall time", own, " ms"), ("Python calls", calls, "")):
        values = [x[kind == "CPU time"] * (1000 if unit else 1) for x in per_step]
        early = statistics.median(values[5 : 5 + WINDOW_OF_STEPS])
        late = statistics.median(values[-WINDOW_OF_STEPS - 1 : -1])  # the last step is finish
        times[kind] = (early, late)
        digits = 2 if unit else 0
        print(
            f"agent's own {kind} per step: step 10 {early:.{digits}f}{unit}, step {len(values) - 1} "
            f"{late:.{digits}f}{unit}, ratio {late / early:.2f} (target <= 1.5; medians of {WINDOW_OF_STEPS} "
            "steps, LLM and summary calls excluded)"
        )
    (early, late), (wall_early, wall_late), (calls_early, calls_late) = times.values()
    print(
        json.dumps(
            {
                "bench": "long_task",
                "steps": len(requests),
                "compactions": summaries,
                "budget": budget,
                "max_prompt_tokens": max(tokens),
                "flat_min": min(after),
                "flat_max": max(after),
                "stable_prefix_mean_from_10": round(statistics.mean(from_10), 3),
                "stable_prefix_min_from_10": round(min(from_10), 3),
                "cpu_ms_step_10": round(early, 3),
                "cpu_ms_last": round(late, 3),
                "cpu_ratio": round(late / early, 3),
                "wall_ms_step_10": round(wall_early, 3),
                "wall_ms_last": round(wall_late, 3),
                "wall_ratio": round(wall_late / wall_early, 3),
                "calls_step_10": calls_early,
                "calls_last": calls_late,
                "calls_ratio": round(calls_late / calls_early, 3),
            }
        )
    )


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=200)
parser.add_argument("--window", type=int, default=32_000)
parser.add_argument("--file-kb", type=int, default=24)
ARGS = parser.parse_args()

if __name__ == "__main__":
    main()
