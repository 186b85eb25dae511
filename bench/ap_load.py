"""Agent Protocol server under load: throughput of task creation and reads, and our own time per step.

Starts `autogpt-ls serve` as a real process over the loopback fake OpenAI server (every task writes a file,
then finishes), then:
  1. creates tasks and reads them (GET one task, GET the list) from 4 keep-alive clients: requests/s;
  2. runs 100 tasks to completion concurrently (one client thread each, empty steps until is_last):
     our own time per step = the step request's latency minus the LLM time the server reports for it,
     and the server process's CPU time per step (from /proc, so it does not depend on the machine's load).
The fake LLM answers each call after a latency drawn from 0.5-1.5 s (seeded; a quick tool-call completion
from a hosted model takes about that), as real calls do. Then the same run with an instant LLM: the 100 tasks
step in lockstep, every step of a round queues behind the 99 others, and the figure measures that queue
(printed for information; no deployment sees it, as no LLM answers 100 calls at once in no time).
For scale: autogpt-forge 0.1.4 serves about 175 requests/s (stub step), no faster at concurrency 4.
Targets: >= 3x that (525/s) at concurrency 4, p95 of our own time per step <= 50 ms, all 100 tasks complete.

    .venv/bin/python bench/ap_load.py [--tasks 100] [--requests 2000] [--latency 0.5-1.5]
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakes.openai_server import FakeOpenAI, Reply, tool_call

FORGE_RPS = 175.0


def writes_then_finishes(request: dict[str, Any]) -> Reply:
    if not any(m.get("role") == "tool" for m in request["messages"]):
        return tool_call("write_file", {"filename": "out.txt", "contents": "Washington\n" * 20}, thoughts="Write.")
    return tool_call("finish", {"reason": "done"})


def with_latency(low: float, high: float) -> Callable[[dict[str, Any]], Reply]:
    """`writes_then_finishes`, answered after a latency drawn from [low, high] seconds (seeded: runs compare)."""
    draw = random.Random(7)
    lock = threading.Lock()

    def respond(request: dict[str, Any]) -> Reply:
        with lock:
            delay = draw.uniform(low, high)
        return dataclasses.replace(writes_then_finishes(request), delay=delay)

    return respond


class Client:
    """One keep-alive connection."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        self.conn.request(method, "/ap/v1" + path, body=data, headers=headers)
        resp = self.conn.getresponse()
        payload = resp.read()
        return resp.status, json.loads(payload) if payload else None


def start_server(env: dict[str, str], profile: Path | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """`autogpt-ls serve` on a free port; with `profile`, under cProfile, its stats written there when it stops."""
    python = [sys.executable, "-m", "cProfile", "-o", str(profile)] if profile else [sys.executable]
    proc = subprocess.Popen(
        [*python, "-m", "autogpt_ls", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    match = re.search(r"127\.0\.0\.1:(\d+)/", line)
    if not match:
        proc.kill()
        raise SystemExit(f"serve did not start: {line!r}")
    return proc, int(match.group(1))


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as a service manager stops it: serve must shut down gracefully, exit 0, within 15 s."""
    proc.terminate()
    try:
        code = proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise SystemExit("serve did not exit within 15 s of SIGTERM") from None
    if code != 0:
        raise SystemExit(f"serve exited with {code} on SIGTERM, not 0")


def throughput(port: int, total: int, concurrency: int, work: Callable[[Client, int], None]) -> float:
    """Requests per second of `work` (one request each) spread over `concurrency` keep-alive clients."""
    clients = [Client(port) for _ in range(concurrency)]
    barrier = threading.Barrier(concurrency + 1)

    def run(client: Client, offset: int) -> None:
        barrier.wait()
        for i in range(offset, total, concurrency):
            work(client, i)

    threads = [threading.Thread(target=run, args=(c, n)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return total / (time.perf_counter() - start)


def own_time_ms(elapsed: float, step: dict[str, Any], seen: set[str]) -> float:
    """A step request's time less the LLM time spent in it: the step it answers with was thought in this request
    unless an earlier request answered with it already (approving a proposal that ends the task answers with that
    proposal, thought the request before: its LLM time is not this request's)."""
    new = step["step_id"] not in seen
    seen.add(step["step_id"])
    return (elapsed - (step["additional_output"]["llm_seconds"] if new else 0.0)) * 1000


def run_task(port: int, goal: str, own_ms: list[float], done: list[str], lock: threading.Lock) -> None:
    client = Client(port)
    status, task = client.call("POST", "/agent/tasks", {"input": goal})
    assert status == 200, task
    seen: set[str] = set()
    for _ in range(10):
        start = time.perf_counter()
        status, step = client.call("POST", f"/agent/tasks/{task['task_id']}/steps", {"input": ""})
        elapsed = time.perf_counter() - start
        assert status == 200, step
        with lock:
            own_ms.append(own_time_ms(elapsed, step, seen))
        if step["is_last"]:
            with lock:
                done.append(task["task_id"])
            return


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User plus system CPU time of a process so far (with `children`, plus its children's that ended)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = sum(int(f) for f in fields[11 : 15 if children else 13])  # utime stime [cutime cstime]
    return ticks / os.sysconf("SC_CLK_TCK")


def percentiles(own_ms: list[float]) -> tuple[float, float]:
    """p50 and p95."""
    ms = sorted(own_ms)
    return statistics.median(ms), ms[max(int(len(ms) * 0.95) - 1, 0)]


@dataclasses.dataclass
class Run:
    own_ms: list[float]
    completed: int
    wall: float
    cpu_ms_per_step: float
    cpu_parts: dict[str, float] = dataclasses.field(default_factory=dict)  # ms per step by process kind
    by_step: dict[int, list[float]] = dataclasses.field(default_factory=dict)  # own ms by the step's number

    def percentiles(self) -> tuple[float, float]:
        return percentiles(self.own_ms)

    def figures(self, prefix: str) -> dict[str, float]:
        p50, p95 = self.percentiles()
        return {
            f"{prefix}_completed": self.completed,
            f"{prefix}_step_own_ms_p50": round(p50, 2),
            f"{prefix}_step_own_ms_p95": round(p95, 2),
            f"{prefix}_cpu_ms_per_step": round(self.cpu_ms_per_step, 2),
        }

    def line(self, label: str, verdict: bool) -> str:
        p50, p95 = self.percentiles()
        target = f" (target p95 <= 50 ms: {'met' if p95 <= 50 else 'NOT met'})" if verdict else ""
        return (
            f"{label}: {self.completed} tasks completed, {len(self.own_ms)} steps in {self.wall:.2f} s; "
            f"our own time per step (LLM excluded) p50 {p50:.1f} ms, p95 {p95:.1f} ms{target}; "
            f"server CPU {self.cpu_ms_per_step:.2f} ms/step"
            + "".join(f", {name} {ms:.2f}" for name, ms in self.cpu_parts.items() if name != "servers")
        )


def run_tasks(proc: subprocess.Popen[bytes], port: int, tasks: int) -> Run:
    """`tasks` tasks run to completion at once, one client thread each."""
    own_ms: list[float] = []
    done: list[str] = []
    lock = threading.Lock()
    threads = [
        threading.Thread(target=run_task, args=(port, f"Write file {i}", own_ms, done, lock)) for i in range(tasks)
    ]
    cpu, start = cpu_seconds(proc.pid), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - start, cpu_seconds(proc.pid) - cpu
    return Run(own_ms, len(done), wall, cpu * 1000 / max(len(own_ms), 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--latency", default="0.5-1.5", help="the fake LLM's latency range in seconds")
    args = parser.parse_args()
    low, high = (float(x) for x in args.latency.split("-"))
    with FakeOpenAI() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.responder = writes_then_finishes
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SMART_", "MAX_", "AP_"))}
        env.update(
            OPENAI_BASE_URL=fake.base_url,
            OPENAI_API_KEY="sk-bench",
            SMART_LLM="openai/gpt-4o-mini",
            AUTOGPT_DATA_DIR=str(Path(tmp) / "data"),
            AUTOGPT_ENV_FILE="",
        )
        proc, port = start_server(env)
        try:
            ids: list[str] = []

            def create(client: Client, i: int) -> None:
                status, task = client.call("POST", "/agent/tasks", {"input": f"goal {i}"})
                assert status == 200
                ids.append(task["task_id"])

            def get_one(client: Client, i: int) -> None:
                assert client.call("GET", f"/agent/tasks/{ids[i % len(ids)]}")[0] == 200

            def get_list(client: Client, i: int) -> None:
                assert client.call("GET", "/agent/tasks?page_size=10")[0] == 200

            throughput(port, 200, args.concurrency, create)  # warm-up
            rates = {
                "create": throughput(port, args.requests, args.concurrency, create),
                "get_task": throughput(port, args.requests, args.concurrency, get_one),
                "list_tasks": throughput(port, args.requests, args.concurrency, get_list),
            }

            fake.responder = with_latency(low, high)
            paced = run_tasks(proc, port, args.tasks)
            fake.responder = writes_then_finishes
            instant = run_tasks(proc, port, args.tasks)
        finally:
            stop_server(proc)
    target = 3 * FORGE_RPS
    for name, rate in rates.items():
        verdict = "met" if rate >= target else "NOT met"
        print(
            f"{name:>10}: {rate:7.0f} requests/s at concurrency {args.concurrency} (target >= {target:.0f}: {verdict})"
        )
    print(paced.line(f"{args.tasks} tasks at once, LLM latency {low:g}-{high:g} s", verdict=True))
    print(instant.line(f"{args.tasks} tasks at once, instant LLM (lockstep queue)", verdict=False))
    print(
        json.dumps(
            {
                "bench": "ap_load",
                "rps": {k: round(v) for k, v in rates.items()},
                "concurrency": args.concurrency,
                "tasks": args.tasks,
                "latency_s": [low, high],
                **paced.figures("paced"),
                **instant.figures("instant"),
            }
        )
    )


if __name__ == "__main__":
    main()
