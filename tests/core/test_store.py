"""The store's guarantees: one decision per step across connections, one driver per task."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autogpt_ls.models import Proposal, Step, StepStatus, Task, TaskConfig, ToolCall
from autogpt_ls.store import LeaseHeld, Store


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite3"


def _task_with_step(store: Store) -> tuple[Task, Step]:
    task = Task(goal="g", workspace="/tmp", config=TaskConfig(smart_llm="openai/gpt-4o"))
    store.add_task(task)
    step = Step(
        task_id=task.id, index=0, status=StepStatus.AWAITING, proposal=Proposal(tool_call=ToolCall(name="finish"))
    )
    store.add_step(step)
    return task, step


def test_a_step_is_claimed_once_across_connections(db: Path) -> None:
    first, second = Store(db), Store(db)
    _, step = _task_with_step(first)
    a = step.model_copy(update={"status": StepStatus.EXECUTING})
    b = step.model_copy(update={"status": StepStatus.FEEDBACK})
    assert first.claim_step(a) is True
    assert second.claim_step(b) is False
    stored = second.get_step(step.id)
    assert stored is not None and stored.status == StepStatus.EXECUTING


def test_a_live_lease_is_exclusive_and_expires(db: Path) -> None:
    store = Store(db)
    task, _ = _task_with_step(store)
    store.acquire_lease(task.id, "otherhost:1:x", ttl=60)
    with pytest.raises(LeaseHeld, match="otherhost"):
        store.acquire_lease(task.id, "me", ttl=60)
    assert store.lease_holder(task.id) == "otherhost:1:x"
    store.acquire_lease(task.id, "otherhost:1:x", ttl=-1)  # the holder lets it lapse
    store.acquire_lease(task.id, "me", ttl=60)
    assert store.lease_holder(task.id) == "me"


def test_a_dead_process_lease_is_taken_over(db: Path) -> None:
    import socket

    store = Store(db)
    task, _ = _task_with_step(store)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    store.acquire_lease(task.id, f"{socket.gethostname()}:{dead.stdout.strip()}:x", ttl=600)
    assert store.lease_holder(task.id) is None
    store.acquire_lease(task.id, "me", ttl=60)


def test_atomic_rolls_back_everything(db: Path) -> None:
    store = Store(db)
    task, _ = _task_with_step(store)
    with pytest.raises(RuntimeError), store.atomic():
        task.end_reason = "changed"
        store.save_task(task)
        raise RuntimeError("crash between writes")
    stored = store.get_task(task.id)
    assert stored is not None and stored.end_reason == ""
