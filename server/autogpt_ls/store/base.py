"""What a store must do: tasks, steps, artifacts and leases, as async calls.

The calls are async so that a networked database can serve them without stalling the event loop. Leases name
their owner (host:pid:nonce) and expire, so they work across processes and machines: a holder renews its lease
while it drives a task, and a lease whose time ran out, or whose process is gone from this host, is taken over.
"""

from __future__ import annotations

import os
import socket
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from pydantic import BaseModel

from autogpt_ls.models import Step, new_id
from autogpt_ls.task_models import Task


class Artifact(BaseModel):
    id: str
    task_id: str
    relative_path: str
    agent_created: bool
    created_at: str


class LeaseHeld(RuntimeError):
    """Another live process drives this task."""


def lease_owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"


def owner_alive(owner: str) -> bool:
    """Whether the process named by a `lease_owner_id()` may still run (one on another host is assumed to)."""
    host, _, rest = owner.partition(":")
    if host != socket.gethostname():
        return True  # cannot tell; rely on the expiry
    try:
        os.kill(int(rest.partition(":")[0]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


class Store(Protocol):
    location: str  # where the records live, in words for messages

    def atomic(self) -> AbstractAsyncContextManager[None]:
        """Group writes into one transaction, so a crash never leaves a step without its task's counters."""
        ...

    async def close(self) -> None: ...

    async def add_task(self, task: Task) -> None: ...

    async def save_task(self, task: Task) -> None: ...

    async def get_task(self, task_id: str) -> Task | None: ...

    async def list_tasks(self, limit: int = 100, offset: int = 0) -> list[Task]:
        """Newest first."""
        ...

    async def count_tasks(self) -> int: ...

    async def add_step(self, step: Step) -> None: ...

    async def save_step(self, step: Step) -> None: ...

    async def claim_step(self, step: Step) -> bool:
        """Move an awaiting step to its decided status, only if nobody decided it first: the compare-and-set that
        runs an approved step at most once, whichever front ends or processes answer the same proposal."""
        ...

    async def get_steps(self, task_id: str) -> list[Step]: ...

    async def add_artifact(self, task_id: str, relative_path: str, agent_created: bool) -> Artifact:
        """The artifact for this path (the existing one when the path is listed already)."""
        ...

    async def add_artifacts(self, task_id: str, relative_paths: list[str], agent_created: bool) -> None:
        """List these paths as artifacts (those not listed yet), reading nothing back: inside atomic() the writes
        may go out with the commit."""
        ...

    async def get_artifact(self, artifact_id: str) -> Artifact | None: ...

    async def list_artifacts(self, task_id: str) -> list[Artifact]: ...

    async def acquire_lease(self, task_id: str, owner: str, ttl: float) -> tuple[Task, list[Step]]:
        """Take the right to drive a task, or raise LeaseHeld naming the live process that has it; the task and
        its steps as they are once the lease is ours."""
        ...

    async def renew_lease(self, task_id: str, owner: str, ttl: float) -> bool: ...

    async def release_lease(self, task_id: str, owner: str) -> None: ...
