"""A task's lease while a driver holds it: renewed meanwhile, released at the end, even when the heartbeat's
cancellation is lost (Python 3.11's wait_for, which psycopg_pool waits for a connection with, can drop one)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from autogpt_ls.agent import lease
from autogpt_ls.store.sqlite import SQLiteStore
from autogpt_ls.task_models import Task, TaskConfig


class CancelLosingStore(SQLiteStore):
    """Renews the way the pool did under load: a cancellation arriving meanwhile is swallowed."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.renewing = asyncio.Event()
        self.renewals = 0

    async def renew_lease(self, task_id: str, owner: str, ttl: float) -> bool:
        self.renewing.set()
        with contextlib.suppress(asyncio.CancelledError):  # lost, as in wait_for when the connection comes then
            await asyncio.sleep(0.2)
        self.renewals += 1
        return await super().renew_lease(task_id, owner, ttl)


def lease_owner(path: Path, task_id: str) -> str | None:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT lease_owner FROM tasks WHERE id = ?", (task_id,)).fetchone()[0]  # type: ignore[no-any-return]


@pytest.mark.timeout(30)  # the old heartbeat hung here for good: asyncio.timeout's own cancel was lost as well
async def test_the_lease_is_released_even_when_its_heartbeat_loses_the_cancellation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lease, "LEASE_TTL", 0.3)  # a renewal every 0.1 s
    path = tmp_path / "store.sqlite3"
    store = CancelLosingStore(path)
    task = Task(goal="g", workspace=str(tmp_path), config=TaskConfig(smart_llm="openai/gpt-4o"))
    await store.add_task(task)
    async with asyncio.timeout(5):  # the driver that awaited the heartbeat waited forever
        async with lease.leased(store, task.id, "host:1:me"):
            assert lease_owner(path, task.id) == "host:1:me"
            await store.renewing.wait()  # the block ends while the heartbeat is inside a renewal
    assert lease_owner(path, task.id) is None
    renewals = store.renewals
    await asyncio.sleep(0.3)
    assert store.renewals == renewals  # and the heartbeat is gone, not renewing on
    await store.close()
