"""A task's lease while this process drives it: taken, renewed by a heartbeat, released at the end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from autogpt_ls.agent.errors import NotFound, TaskBusy
from autogpt_ls.models import Step
from autogpt_ls.store import LeaseHeld, Store
from autogpt_ls.task_models import Task

LEASE_TTL = 30.0


@asynccontextmanager
async def leased(store: Store, task_id: str, owner: str) -> AsyncIterator[tuple[Task, list[Step]]]:
    """Hold the task's lease for the block (NotFound, or TaskBusy while another live process holds it); the
    task and its steps as they are once the lease is ours."""
    try:
        task, steps = await store.acquire_lease(task_id, owner, LEASE_TTL)
    except KeyError:
        raise NotFound(f"no task {task_id!r}") from None
    except LeaseHeld as e:
        raise TaskBusy(f"{e}; it cannot be driven here until that process stops driving it") from None
    stop = asyncio.Event()
    beat = asyncio.create_task(_heartbeat(store, task_id, owner, stop))
    try:
        yield task, steps
    finally:
        stop.set()
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
        await store.release_lease(task_id, owner)


async def _heartbeat(store: Store, task_id: str, owner: str, stop: asyncio.Event) -> None:
    """Renew the lease until `stop`. Being cancelled is not enough to end it: Python 3.11's wait_for (which
    psycopg_pool waits for a connection with) drops a cancellation that races with the connection it awaits, and
    the driver awaiting this task then waited forever (a step request hung with 500 tasks at once)."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(LEASE_TTL / 3):
                await stop.wait()
        if not stop.is_set():
            await store.renew_lease(task_id, owner, LEASE_TTL)
