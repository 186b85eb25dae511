"""Many servers on one PostgreSQL: 500 concurrent tasks across two `autogpt-ls serve` processes, and steps per
second with two processes against one.

Needs DATABASE_URL naming a PostgreSQL database; `scripts/with-postgres.sh` starts a throwaway server:

    scripts/with-postgres.sh .venv/bin/python bench/ap_scale.py [--tasks 500] [--latency 2-6] [--instant-tasks 100]

1. `--tasks` tasks at once, each step posted to the two servers in turn (so the lease moves with every request),
   the loopback fake LLM answering after a seeded 2-6 s: all must complete; our own time per step (the request's
   latency minus the LLM time the server reports) p95 <= 50 ms.
2. With an instant LLM, `--instant-tasks` tasks run to completion on one server, then across two: steps per second
   and their ratio (target >= 1.5x on a 2-core machine; the fake LLM and this load client share those cores).
Every task writes a file, then finishes (ap_load.py's script), three step requests each.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from itertools import cycle
from pathlib import Path

from ap_load import Client, Run, cpu_seconds, start_server, with_latency, writes_then_finishes
from fakes.openai_server import FakeOpenAI


def run_task(ports: list[int], goal: str, run: Run, lock: threading.Lock) -> None:
    """One task to its end, its steps posted to `ports` in turn (a new connection each: between two steps on one
    server the other's may outlast its keep-alive)."""
    servers = cycle(ports)
    status, task = Client(next(servers)).call("POST", "/agent/tasks", {"input": goal})
    assert status == 200, task
    for _ in range(10):
        start = time.perf_counter()
        status, step = Client(next(servers)).call("POST", f"/agent/tasks/{task['task_id']}/steps", {"input": ""})
        elapsed = time.perf_counter() - start
        assert status == 200, step
        with lock:
            run.own_ms.append((elapsed - step["additional_output"]["llm_seconds"]) * 1000)
        if step["is_last"]:
            with lock:
                run.completed += 1
            return


def run_tasks(servers: list[tuple[subprocess.Popen[bytes], int]], tasks: int) -> Run:
    """`tasks` tasks at once over `servers`; the CPU per step is the servers' together."""
    run, lock, ports = Run([], 0, 0.0, 0.0), threading.Lock(), [port for _, port in servers]
    cpu = sum(cpu_seconds(proc.pid) for proc, _ in servers)
    threads = [threading.Thread(target=run_task, args=(ports, f"Write file {i}", run, lock)) for i in range(tasks)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.wall = time.perf_counter() - start
    run.cpu_ms_per_step = (sum(cpu_seconds(proc.pid) for proc, _ in servers) - cpu) * 1000 / max(len(run.own_ms), 1)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--latency", default="2-6", help="the fake LLM's latency range in seconds")
    parser.add_argument("--instant-tasks", type=int, default=100)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database: run under scripts/with-postgres.sh")
    low, high = (float(x) for x in args.latency.split("-"))
    with FakeOpenAI() as fake, tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SMART_", "MAX_", "AP_"))}
        env.update(
            OPENAI_BASE_URL=fake.base_url,
            OPENAI_API_KEY="sk-bench",
            SMART_LLM="openai/gpt-4o-mini",
            AUTOGPT_DATA_DIR=str(Path(tmp) / "data"),  # one data folder: the servers share the workspaces
            AUTOGPT_ENV_FILE="",
        )
        servers = [start_server(env) for _ in range(2)]
        try:
            fake.responder = with_latency(low, high)
            paced = run_tasks(servers, args.tasks)
            fake.responder = writes_then_finishes
            run_tasks(servers, 10)  # warm-up
            one = run_tasks(servers[:1], args.instant_tasks)
            two = run_tasks(servers, args.instant_tasks)
        finally:
            for proc, _ in servers:
                proc.terminate()
                proc.wait(15)
    rate_one, rate_two = len(one.own_ms) / one.wall, len(two.own_ms) / two.wall
    print(paced.line(f"{args.tasks} tasks across 2 servers, LLM latency {low:g}-{high:g} s", verdict=True))
    verdict = "met" if rate_two >= 1.5 * rate_one else "NOT met"
    print(
        f"instant LLM, {args.instant_tasks} tasks: {rate_one:.0f} steps/s on 1 server, {rate_two:.0f} on 2: "
        f"{rate_two / rate_one:.2f}x (target >= 1.5x: {verdict}; {os.cpu_count()} cores)"
    )
    p50, p95 = paced.percentiles()
    figures = {"bench": "ap_scale", "tasks": args.tasks, "completed": paced.completed, "own_ms_p50": round(p50, 2)}
    figures |= {"own_ms_p95": round(p95, 2), "steps_per_s_one": round(rate_one), "steps_per_s_two": round(rate_two)}
    print(json.dumps(figures))


if __name__ == "__main__":
    sys.exit(main())
