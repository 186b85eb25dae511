"""The SQLite store shared by every front end: tasks, steps, artifacts and who is driving which task.

The only module that holds SQL. Records are stored as pydantic JSON next to the columns that queries need, so a
model change does not need a migration. The calls run on the caller's thread: a local SQLite call in WAL mode
takes microseconds, less than a hop to a worker thread would cost; a networked store awaits its driver instead.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from autogpt_ls.models import Step, StepStatus, Task, new_id, utcnow
from autogpt_ls.store.base import Artifact, LeaseHeld, owner_alive

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL, status TEXT NOT NULL, data TEXT NOT NULL,
    lease_owner TEXT, lease_expires REAL
);
CREATE TABLE IF NOT EXISTS steps (
    id TEXT PRIMARY KEY, task_id TEXT NOT NULL REFERENCES tasks(id), idx INTEGER NOT NULL,
    status TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (task_id, idx)
);
CREATE TABLE IF NOT EXISTS artifacts (
    id TEXT PRIMARY KEY, task_id TEXT NOT NULL REFERENCES tasks(id), relative_path TEXT NOT NULL,
    agent_created INTEGER NOT NULL, created_at TEXT NOT NULL, UNIQUE (task_id, relative_path)
);
CREATE INDEX IF NOT EXISTS tasks_by_created_at ON tasks (created_at);
"""


class SQLiteStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.location = str(path)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # survives a process crash; fsync only at checkpoints
        self._db.executescript(SCHEMA)

    async def close(self) -> None:
        self._db.close()

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """Group writes into one transaction, so a crash never leaves a step without its task's counters."""
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # tasks
    async def add_task(self, task: Task) -> None:
        self._db.execute(
            "INSERT INTO tasks (id, created_at, status, data) VALUES (?, ?, ?, ?)",
            (task.id, task.created_at.isoformat(), task.status, task.model_dump_json()),
        )

    async def save_task(self, task: Task) -> None:
        self._db.execute(
            "UPDATE tasks SET status = ?, data = ? WHERE id = ?",
            (task.status, task.model_dump_json(), task.id),
        )

    async def get_task(self, task_id: str) -> Task | None:
        row = self._db.execute("SELECT data FROM tasks WHERE id = ?", (task_id,)).fetchone()
        return Task.model_validate_json(row[0]) if row else None

    async def list_tasks(self, limit: int = 100, offset: int = 0) -> list[Task]:
        rows = self._db.execute(
            "SELECT data FROM tasks ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?", (limit, offset)
        )
        return [Task.model_validate_json(r[0]) for r in rows]

    async def count_tasks(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])

    # steps
    async def add_step(self, step: Step) -> None:
        self._db.execute(
            "INSERT INTO steps (id, task_id, idx, status, data) VALUES (?, ?, ?, ?, ?)",
            (step.id, step.task_id, step.index, step.status, step.model_dump_json()),
        )

    async def save_step(self, step: Step) -> None:
        self._db.execute(
            "UPDATE steps SET status = ?, data = ? WHERE id = ?",
            (step.status, step.model_dump_json(), step.id),
        )

    async def claim_step(self, step: Step) -> bool:
        """Move an awaiting step to its decided status, only if nobody decided it first.

        The compare-and-set is what guarantees that an approved step is executed at most once, even
        when two front ends or two processes answer the same proposal.
        """
        cur = self._db.execute(
            "UPDATE steps SET status = ?, data = ? WHERE id = ? AND status = ?",
            (step.status, step.model_dump_json(), step.id, StepStatus.AWAITING),
        )
        return cur.rowcount == 1

    async def get_steps(self, task_id: str) -> list[Step]:
        rows = self._db.execute("SELECT data FROM steps WHERE task_id = ? ORDER BY idx", (task_id,))
        return [Step.model_validate_json(r[0]) for r in rows]

    # artifacts
    async def add_artifact(self, task_id: str, relative_path: str, agent_created: bool) -> Artifact:
        artifact = Artifact(
            id=new_id(),
            task_id=task_id,
            relative_path=relative_path,
            agent_created=agent_created,
            created_at=utcnow().isoformat(),
        )
        self._db.execute(
            "INSERT INTO artifacts (id, task_id, relative_path, agent_created, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (task_id, relative_path) DO NOTHING",
            (artifact.id, task_id, relative_path, int(agent_created), artifact.created_at),
        )
        return self._artifact_by_path(task_id, relative_path) or artifact

    def _artifact_by_path(self, task_id: str, relative_path: str) -> Artifact | None:
        row = self._db.execute(
            "SELECT id, task_id, relative_path, agent_created, created_at FROM artifacts "
            "WHERE task_id = ? AND relative_path = ?",
            (task_id, relative_path),
        ).fetchone()
        return _artifact(row) if row else None

    async def get_artifact(self, artifact_id: str) -> Artifact | None:
        row = self._db.execute(
            "SELECT id, task_id, relative_path, agent_created, created_at FROM artifacts WHERE id = ?",
            (artifact_id,),
        ).fetchone()
        return _artifact(row) if row else None

    async def list_artifacts(self, task_id: str) -> list[Artifact]:
        rows = self._db.execute(
            "SELECT id, task_id, relative_path, agent_created, created_at FROM artifacts "
            "WHERE task_id = ? ORDER BY created_at, rowid",
            (task_id,),
        )
        return [_artifact(r) for r in rows]

    # leases
    async def acquire_lease(self, task_id: str, owner: str, ttl: float) -> None:
        """Take the right to drive a task, or raise LeaseHeld naming the live process that has it."""
        now = time.time()
        async with self.atomic():
            row = self._db.execute("SELECT lease_owner, lease_expires FROM tasks WHERE id = ?", (task_id,)).fetchone()
            if row is None:
                raise KeyError(task_id)
            holder, expires = row
            if holder and holder != owner and (expires or 0) > now and owner_alive(holder):
                raise LeaseHeld(f"task {task_id} is being driven by another process ({holder})")
            self._db.execute(
                "UPDATE tasks SET lease_owner = ?, lease_expires = ? WHERE id = ?",
                (owner, now + ttl, task_id),
            )

    async def renew_lease(self, task_id: str, owner: str, ttl: float) -> bool:
        cur = self._db.execute(
            "UPDATE tasks SET lease_expires = ? WHERE id = ? AND lease_owner = ?",
            (time.time() + ttl, task_id, owner),
        )
        return cur.rowcount == 1

    async def release_lease(self, task_id: str, owner: str) -> None:
        self._db.execute(
            "UPDATE tasks SET lease_owner = NULL, lease_expires = NULL WHERE id = ? AND lease_owner = ?",
            (task_id, owner),
        )


def _artifact(row: tuple[str, str, str, int, str]) -> Artifact:
    return Artifact(id=row[0], task_id=row[1], relative_path=row[2], agent_created=bool(row[3]), created_at=row[4])
