"""Chaos: `autogpt-ls serve` under load (10 tasks at once, each step a command appending its number to the task's
log), SIGKILLed at 5 random moments and restarted on the same store. Every task finishes, no command's side effect
happens twice (each log line is unique), and every step a server acknowledged is in the task's history. The seed
is printed on failure (CHAOS_SEED replays the kill moments)."""

from __future__ import annotations

import json
import os
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from apclient import Server

from fakes.openai_server import FakeOpenAI, Reply, tool_call

pytestmark = [pytest.mark.each_store, pytest.mark.timeout(600)]  # SQLite and PostgreSQL; 5 restarts take a while

TASKS, STEPS, KILLS = 10, 8, 5


def numbered_steps(request: dict[str, Any]) -> Reply:
    """Step N of a task appends `step-N` to its log; N is the number of results the conversation holds, so an
    interrupted step counts too (it is reported, not repeated) and no two proposals of a task are the same."""
    done = sum(1 for m in request["messages"] if m.get("role") == "tool")
    if done >= STEPS:
        return tool_call("finish", {"reason": "all steps done"})
    return tool_call("execute_shell", {"command_line": f"echo step-{done} >> log.txt; sleep 0.5"})


class Fleet:
    """The one live server; a new one on the same store after each kill. Drivers wait for the next generation
    when theirs died under them."""

    def __init__(self, start: Callable[[], Server]) -> None:
        self._start, self._changed = start, threading.Condition()
        self.server, self.generation = start(), 0

    def current(self, newer_than: int = -1) -> tuple[Server, int]:
        with self._changed:
            self._changed.wait_for(lambda: self.generation > newer_than, timeout=60)
            return self.server, self.generation

    def kill_and_restart(self) -> None:
        self.server.kill()
        replacement = self._start()
        with self._changed:
            self.server, self.generation = replacement, self.generation + 1
            self._changed.notify_all()


def drive(fleet: Fleet, task_id: str, acknowledged: list[str], ended: threading.Event) -> None:
    """Post empty steps (approve what is proposed) until the task's last step; ride out the kills."""
    while not ended.is_set():
        server, seen = fleet.current()
        try:
            answer = server.api.post(f"/agent/tasks/{task_id}/steps", {"input": ""})
        except OSError:  # killed under the request: wait for its replacement
            fleet.current(newer_than=seen)
            continue
        assert answer.status == 200, (task_id, answer.status, answer.body)
        acknowledged.append(answer.body["step_id"])
        if answer.body["is_last"]:
            ended.set()


def command_started(data_dir: Path, tasks: list[str], ended: dict[str, threading.Event]) -> bool:
    """Wait until some task's command appends to its log (then it sleeps for half a second); False once all ended."""
    logs = [data_dir / "workspaces" / t / "log.txt" for t in tasks]

    def size() -> int:
        return sum(p.stat().st_size for p in logs if p.exists())

    before = size()
    while not all(e.is_set() for e in ended.values()):
        if size() > before:
            return True
        next(e for e in ended.values() if not e.is_set()).wait(0.02)
    return False


def test_serve_killed_at_random_moments_loses_and_repeats_nothing(
    start_server: Callable[..., Server], server_env: dict[str, str], fake: FakeOpenAI, data_dir: Path
) -> None:
    seed = int(os.environ.get("CHAOS_SEED", random.SystemRandom().randrange(2**32)))
    rng = random.Random(seed)
    fake.responder = numbered_steps
    fleet = Fleet(lambda: start_server(env=server_env | {"EXECUTE_LOCAL_COMMANDS": "True"}))
    tasks = [fleet.server.api.create(f"chaos task {n}") for n in range(TASKS)]
    acknowledged: dict[str, list[str]] = {t: [] for t in tasks}
    ended = {t: threading.Event() for t in tasks}
    drivers = [threading.Thread(target=drive, args=(fleet, t, acknowledged[t], ended[t])) for t in tasks]
    for driver in drivers:
        driver.start()
    for _ in range(KILLS):
        if not command_started(data_dir, tasks, ended):
            break
        ended[tasks[0]].wait(rng.uniform(0.0, 0.3))  # a random moment within the command's half-second sleep
        fleet.kill_and_restart()
    for driver in drivers:
        driver.join(240)
    assert all(e.is_set() for e in ended.values()), (
        f"seed {seed}: unfinished {[t for t in tasks if not ended[t].is_set()]}"
    )
    api = fleet.server.api
    for task_id in tasks:
        log = (data_dir / "workspaces" / task_id / "log.txt").read_text().split()
        assert len(log) == len(set(log)), f"seed {seed}: a command ran twice in {task_id}: {log}"
        history = [s["step_id"] for s in api.ok("GET", f"/agent/tasks/{task_id}/steps?page_size=100")["steps"]]
        lost = set(acknowledged[task_id]) - set(history)
        assert not lost, f"seed {seed}: acknowledged steps missing from {task_id}'s history: {lost}"
        assert history[-1] == acknowledged[task_id][-1]  # finish, the last acknowledged, is the last step
    interrupted = sum("This action was interrupted" in json.dumps(r["messages"][-1]) for r in fake.requests)
    assert interrupted >= 1, f"seed {seed}: no kill landed during a command"
