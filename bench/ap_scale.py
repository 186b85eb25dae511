"""Many servers on one PostgreSQL: 500 concurrent tasks across two `autogpt-ls serve` processes, and steps per
second with two processes against one.

Needs DATABASE_URL naming a PostgreSQL database; `scripts/with-postgres.sh` starts a throwaway server:

    scripts/with-postgres.sh .venv/bin/python bench/ap_scale.py [--tasks 500] [--latency 2-6] [--instant-tasks 100]
        [--profile DIR] [--ramp SECONDS]

1. `--tasks` tasks at once (with `--ramp`, their starts spread evenly over that many seconds: the load's steady
   state without the burst of every first step at the same instant), each step posted to the two servers in turn
   (so the lease moves with every request), the loopback fake LLM answering after a seeded 2-6 s: all must
   complete; our own time per step (the request's latency minus the LLM time the server reports for a step
   thought in that request) p95 <= 50 ms, also by the task's step number (without a ramp the first steps of all
   tasks come at once).
2. With an instant LLM, `--instant-tasks` tasks run to completion on one server, then across two: steps per second
   and their ratio (target >= 1.5x on a 2-core machine; the fake LLM and this load client share those cores).
Every task writes a file, then finishes (ap_load.py's script), three step requests each. The machine's load
average is printed with the figures (the cores are shared with the fake LLM, PostgreSQL and this client, and
perhaps with others), and the CPU per step is split by process: the servers, their git children, PostgreSQL,
this process. `--profile DIR` runs each server under cProfile and prints where their CPU went (the stats
are written when a server stops: SIGTERM is a graceful exit).
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from itertools import cycle
from pathlib import Path

from ap_load import (
    Client,
    Run,
    cpu_seconds,
    own_time_ms,
    percentiles,
    start_server,
    stop_server,
    with_latency,
    writes_then_finishes,
)
from fakes.openai_server import FakeOpenAI


def run_task(ports: list[int], goal: str, run: Run, lock: threading.Lock, delay: float = 0.0) -> None:
    """One task to its end, created after `delay` seconds, its steps posted to `ports` in turn (a new connection
    each: between two steps on one server the other's may outlast its keep-alive). The callers rotate `ports` by
    the task's number, as a load balancer spreads requests: with the same first port for every task, one server
    would take every task's creation and every write, the other only thoughts and finishes."""
    time.sleep(delay)
    servers = cycle(ports)
    status, task = Client(next(servers)).call("POST", "/agent/tasks", {"input": goal})
    assert status == 200, task
    seen: set[str] = set()
    for number in range(1, 11):
        start = time.perf_counter()
        status, step = Client(next(servers)).call("POST", f"/agent/tasks/{task['task_id']}/steps", {"input": ""})
        elapsed = time.perf_counter() - start
        assert status == 200, step
        own = own_time_ms(elapsed, step, seen)
        with lock:
            run.own_ms.append(own)
            run.by_step.setdefault(number, []).append(own)
        if step["is_last"]:
            with lock:
                run.completed += 1
            return


def postgres_pid() -> int:
    """The PostgreSQL server's postmaster (on this machine: with-postgres.sh started it), from its data folder."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        folder = conn.execute("SHOW data_directory").fetchone()[0]  # type: ignore[index]
    return int((Path(folder) / "postmaster.pid").read_text().split()[0])


def cpu_parts(servers: list[tuple[subprocess.Popen[bytes], int]], postmaster: int) -> dict[str, float]:
    """CPU seconds so far of the servers (together, and each: an imbalance shows), of their finished children
    (git), of PostgreSQL (the postmaster, its backends alive and those gone), and of this process (the load
    client and the fake LLM)."""
    backends = [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/stat") if _ppid(p) == postmaster]
    return {
        "servers": sum(cpu_seconds(proc.pid) for proc, _ in servers),
        **{f"server{n}": cpu_seconds(proc.pid) for n, (proc, _) in enumerate(servers)},
        "git": sum(cpu_seconds(proc.pid, children=True) - cpu_seconds(proc.pid) for proc, _ in servers),
        "postgres": cpu_seconds(postmaster, children=True) + sum(_alive_cpu(pid) for pid in backends),
        "client": time.process_time(),
    }


def _ppid(stat: Path) -> int:
    try:
        return int(stat.read_text().rpartition(")")[2].split()[1])
    except (OSError, ValueError):
        return 0


def _alive_cpu(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:  # it ended meanwhile: its CPU is in the postmaster's children's
        return 0.0


def run_tasks(
    servers: list[tuple[subprocess.Popen[bytes], int]], tasks: int, postmaster: int, ramp: float = 0.0
) -> Run:
    """`tasks` tasks over `servers`, at once or their starts spread evenly over `ramp` seconds, task i's first
    request to server i mod n; the CPU per step is the servers' together (and, in `cpu_parts`, each server's,
    their git children's and PostgreSQL's)."""
    run, lock, ports = Run([], 0, 0.0, 0.0), threading.Lock(), [port for _, port in servers]
    before = cpu_parts(servers, postmaster)
    threads = [
        threading.Thread(
            target=run_task,
            args=(ports[i % len(ports) :] + ports[: i % len(ports)], f"Write file {i}", run, lock, ramp * i / tasks),
        )
        for i in range(tasks)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.wall = time.perf_counter() - start
    steps = max(len(run.own_ms), 1)
    run.cpu_parts = {k: (v - before[k]) * 1000 / steps for k, v in cpu_parts(servers, postmaster).items()}
    run.cpu_ms_per_step = run.cpu_parts["servers"]
    return run


def print_profile(folder: Path) -> None:
    """The servers' CPU by function, together: what costs the most in itself, then with what it calls."""
    stats = pstats.Stats(*(str(p) for p in sorted(folder.glob("serve-*.prof"))))
    stats.sort_stats("cumulative").print_stats(r"autogpt_ls/", 30)
    stats.strip_dirs().sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--latency", default="2-6", help="the fake LLM's latency range in seconds")
    parser.add_argument("--instant-tasks", type=int, default=100)
    parser.add_argument("--profile", type=Path, help="a folder for each server's cProfile stats")
    parser.add_argument(
        "--ramp", type=float, default=0.0, help="spread the paced tasks' starts over this many seconds (0: at once)"
    )
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
        profiles = [args.profile / f"serve-{n}.prof" for n in range(2)] if args.profile else [None, None]
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        servers = [start_server(env, profile) for profile in profiles]
        postmaster = postgres_pid()
        load = [os.getloadavg()[0]]
        try:
            fake.responder = with_latency(low, high)
            paced = run_tasks(servers, args.tasks, postmaster, args.ramp)
            load.append(os.getloadavg()[0])
            fake.responder = writes_then_finishes
            run_tasks(servers, 10, postmaster)  # warm-up
            one = run_tasks(servers[:1], args.instant_tasks, postmaster)
            two = run_tasks(servers, args.instant_tasks, postmaster)
            load.append(os.getloadavg()[0])
        finally:
            for proc, _ in servers:
                stop_server(proc)
    if args.profile:
        print_profile(args.profile)
    rate_one, rate_two = len(one.own_ms) / one.wall, len(two.own_ms) / two.wall
    print(f"load average (1 min) {load[0]:.2f} before, {load[1]:.2f} after the paced run, {load[2]:.2f} at the end")
    started = f"started over {args.ramp:g} s" if args.ramp else "started at once"
    print(paced.line(f"{args.tasks} tasks across 2 servers ({started}), LLM latency {low:g}-{high:g} s", verdict=True))
    # without --ramp the first steps come all at once (every task starts together); the later ones as the LLM's
    # latency spreads them
    shares = [
        f"step {n} p50 {percentiles(ms)[0]:.0f} ms, p95 {percentiles(ms)[1]:.0f} ms"
        for n, ms in sorted(paced.by_step.items())
    ]
    print(f"  own time by the task's step: {'; '.join(shares)}")
    verdict = "met" if rate_two >= 1.5 * rate_one else "NOT met"
    print(
        f"instant LLM, {args.instant_tasks} tasks: {rate_one:.0f} steps/s on 1 server, {rate_two:.0f} on 2: "
        f"{rate_two / rate_one:.2f}x (target >= 1.5x: {verdict}; {os.cpu_count()} cores)"
    )
    p50, p95 = paced.percentiles()
    figures = {"bench": "ap_scale", "tasks": args.tasks, "ramp_s": args.ramp, "completed": paced.completed}
    figures |= {"own_ms_p50": round(p50, 2)}
    figures |= {"own_ms_p95": round(p95, 2), "steps_per_s_one": round(rate_one), "steps_per_s_two": round(rate_two)}
    figures |= {f"cpu_ms_per_step_{k}": round(v, 2) for k, v in paced.cpu_parts.items()}
    figures |= {f"own_ms_p95_step_{n}": round(percentiles(ms)[1], 2) for n, ms in sorted(paced.by_step.items())}
    figures |= {"load_avg": [round(x, 2) for x in load]}
    print(json.dumps(figures))


if __name__ == "__main__":
    sys.exit(main())
