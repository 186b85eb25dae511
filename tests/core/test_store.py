"""The store's guarantees: one decision per step across connections, one driver per task."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autogpt_ls.models import Proposal, Step, StepStatus, Task, TaskConfig, ToolCall
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
    assert await store.lease_holder(task.id) == "otherhost:1:x"
    await store.acquire_lease(task.id, "otherhost:1:x", ttl=-1)  # the holder lets it lapse
    await store.acquire_lease(task.id, "me", ttl=60)
    assert await store.lease_holder(task.id) == "me"


async def test_a_dead_process_lease_is_taken_over(db: Path) -> None:
    import socket

    store = SQLiteStore(db)
    task, _ = await _task_with_step(store)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    await store.acquire_lease(task.id, f"{socket.gethostname()}:{dead.stdout.strip()}:x", ttl=600)
    assert await store.lease_holder(task.id) is None
    await store.acquire_lease(task.id, "me", ttl=60)


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
