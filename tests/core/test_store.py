"""The store's guarantees: one decision per step across connections, one driver per task."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from autogpt_ls.models import DecisionSource, Proposal, Step, StepStatus, Task, TaskConfig, ToolCall
from autogpt_ls.store import LeaseHeld, Store
from autogpt_ls.store.sqlite import SQLiteStore


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite3"


async def _task_with_step(store: Store) -> tuple[Task, Step]:
    task = Task(goal="g", workspace="/tmp", config=TaskConfig(smart_llm="openai/gpt-4o"))
    await store.add_task(task)
    step = Step(
        task_id=task.id, index=0, status=StepStatus.AWAITING, proposal=Proposal(tool_call=ToolCall(name="finish"))
    )
    await store.add_step(step)
    return task, step


async def test_a_step_is_claimed_once_across_connections(db: Path) -> None:
    first, second = SQLiteStore(db), SQLiteStore(db)
    _, step = await _task_with_step(first)
    a = step.model_copy(update={"status": StepStatus.EXECUTING})
    b = step.model_copy(update={"status": StepStatus.FEEDBACK})
    assert await first.claim_step(a) is True
    assert await second.claim_step(b) is False
    [stored] = await second.get_steps(step.task_id)
    assert stored.status == StepStatus.EXECUTING


async def test_a_live_lease_is_exclusive_and_expires(db: Path) -> None:
    store = SQLiteStore(db)
    task, _ = await _task_with_step(store)
    await store.acquire_lease(task.id, "otherhost:1:x", ttl=60)
    with pytest.raises(LeaseHeld, match="otherhost"):
        await store.acquire_lease(task.id, "me", ttl=60)
    await store.acquire_lease(task.id, "otherhost:1:x", ttl=-1)  # the holder lets it lapse
    await store.acquire_lease(task.id, "me", ttl=60)
    with pytest.raises(LeaseHeld, match="me"):
        await store.acquire_lease(task.id, "otherhost:1:x", ttl=60)


async def test_a_dead_process_lease_is_taken_over(db: Path) -> None:
    import socket

    store = SQLiteStore(db)
    task, _ = await _task_with_step(store)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    await store.acquire_lease(task.id, f"{socket.gethostname()}:{dead.stdout.strip()}:x", ttl=600)
    await store.acquire_lease(task.id, "me", ttl=60)  # not refused: the holder's process is gone


async def test_atomic_rolls_back_everything(db: Path) -> None:
    store = SQLiteStore(db)
    task, _ = await _task_with_step(store)
    with pytest.raises(RuntimeError):
        async with store.atomic():
            task.end_reason = "changed"
            await store.save_task(task)
            raise RuntimeError("crash between writes")
    stored = await store.get_task(task.id)
    assert stored is not None and stored.end_reason == ""


async def test_records_saved_before_the_casing_change_still_load(db: Path) -> None:
    """Steps were saved with field names and `auto: true`; the wire's camelCase is read too."""
    store = SQLiteStore(db)
    task, step = await _task_with_step(store)
    old = step.model_dump(mode="json") | {"decision": {"kind": "approve", "times": 1, "text": "", "auto": True}}
    camel = step.model_dump(mode="json", by_alias=True) | {"id": "c" * 32, "index": 1}
    assert "taskId" in camel and "task_id" in old
    with sqlite3.connect(db) as raw:  # rows as an older version of the store wrote them
        raw.execute("DELETE FROM steps")
        for record in (old, camel):
            raw.execute(
                "INSERT INTO steps (id, task_id, idx, status, data) VALUES (?, ?, ?, ?, ?)",
                (record["id"], task.id, record["index"], record["status"], json.dumps(record)),
            )
    first, second = await store.get_steps(task.id)
    assert first.decision is not None and first.decision.source == DecisionSource.CONTINUOUS
    assert second.task_id == task.id and second.proposal == step.proposal
