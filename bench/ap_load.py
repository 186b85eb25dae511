"""Agent Protocol server under load: throughput of task creation and reads, and our own time per step.

Starts `autogpt-ls serve` as a real process over the loopback fake OpenAI server (every task writes a file,
then finishes), then:
  1. creates tasks and reads them (GET one task, GET the list) from 4 keep-alive clients: requests/s;
  2. runs 100 tasks to completion concurrently (one client thread each, empty steps until is_last):
     our own time per step = the step request's latency minus the LLM time the server reports for it.
For scale: autogpt-forge 0.1.4 serves about 175 requests/s (stub step), no faster at concurrency 4.
Targets: >= 3x that (525/s) at concurrency 4, p95 of our own time per step <= 50 ms, all 100 tasks complete.

    .venv/bin/python bench/ap_load.py [--tasks 100] [--requests 2000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
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


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "autogpt_ls", "serve", "--port", "0"],
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


def run_task(port: int, goal: str, own_ms: list[float], done: list[str], lock: threading.Lock) -> None:
    client = Client(port)
    status, task = client.call("POST", "/agent/tasks", {"input": goal})
    assert status == 200, task
    for _ in range(10):
        start = time.perf_counter()
        status, step = client.call("POST", f"/agent/tasks/{task['task_id']}/steps", {"input": ""})
        elapsed = time.perf_counter() - start
        assert status == 200, step
        with lock:
            own_ms.append((elapsed - step["additional_output"]["llm_seconds"]) * 1000)
        if step["is_last"]:
            with lock:
                done.append(task["task_id"])
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
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

            own_ms: list[float] = []
            done: list[str] = []
            lock = threading.Lock()
            threads = [
                threading.Thread(target=run_task, args=(port, f"Write file {i}", own_ms, done, lock))
                for i in range(args.tasks)
            ]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
        finally:
            proc.terminate()
            proc.wait(15)
    ms = sorted(own_ms)
    p50, p95 = statistics.median(ms), ms[max(int(len(ms) * 0.95) - 1, 0)]
    target = 3 * FORGE_RPS
    for name, rate in rates.items():
        verdict = "met" if rate >= target else "NOT met"
        print(
            f"{name:>10}: {rate:7.0f} requests/s at concurrency {args.concurrency} (target >= {target:.0f}: {verdict})"
        )
    print(f"{args.tasks} concurrent tasks: {len(done)} completed, {len(ms)} steps in {wall:.2f} s")
    print(
        f"our own time per step (LLM excluded): p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= 50 ms: "
        f"{'met' if p95 <= 50 else 'NOT met'})"
    )
    print(
        json.dumps(
            {
                "bench": "ap_load",
                "rps": {k: round(v) for k, v in rates.items()},
                "concurrency": args.concurrency,
                "tasks": args.tasks,
                "completed": len(done),
                "step_own_ms_p50": round(p50, 2),
                "step_own_ms_p95": round(p95, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
