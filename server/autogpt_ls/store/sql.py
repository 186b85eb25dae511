"""The SQL both stores run, written once: the queries, the versioned schema, and the store built on them.

A backend (SQLite, PostgreSQL) supplies only how a statement is executed and how a transaction is held; every
query, every compare-and-set and the lease rule live here. Records are stored as pydantic JSON next to the
columns that queries need, so a model change does not need a migration; a change of columns does (MIGRATIONS).
Statements use `?` placeholders (PostgreSQL's backend rewrites them) and no other `?` or `%`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from autogpt_ls.models import Step, StepStatus, new_id, utcnow
from autogpt_ls.store.base import Artifact, LeaseHeld, owner_alive
from autogpt_ls.task_models import Task

Params = Sequence[Any]
Row = tuple[Any, ...]

# Each entry moves the schema one version up; the version reached is kept in schema_version. Version 1 is the
# schema of the stores made before versions were recorded (IF NOT EXISTS: such a file passes through unchanged).
# {float} and {rowid} are the two words the dialects spell differently: PostgreSQL's REAL is 4 bytes (too coarse
# for epoch seconds), and it has no implicit rowid, which the ORDER BY tie-breaks below rely on.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE IF NOT EXISTS tasks (
            {rowid}id TEXT PRIMARY KEY, created_at TEXT NOT NULL, status TEXT NOT NULL, data TEXT NOT NULL,
            lease_owner TEXT, lease_expires {float})""",
        """CREATE TABLE IF NOT EXISTS steps (
            {rowid}id TEXT PRIMARY KEY, task_id TEXT NOT NULL REFERENCES tasks(id), idx INTEGER NOT NULL,
            status TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (task_id, idx))""",
        """CREATE TABLE IF NOT EXISTS artifacts (
            {rowid}id TEXT PRIMARY KEY, task_id TEXT NOT NULL REFERENCES tasks(id), relative_path TEXT NOT NULL,
            agent_created INTEGER NOT NULL, created_at TEXT NOT NULL, UNIQUE (task_id, relative_path))""",
        "CREATE INDEX IF NOT EXISTS tasks_by_created_at ON tasks (created_at)",
    ],
]
VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
SCHEMA_VERSION = "SELECT COALESCE(MAX(version), 0) FROM schema_version"
ARTIFACT_COLUMNS = "SELECT id, task_id, relative_path, agent_created, created_at FROM artifacts"
ARTIFACTS_PER_INSERT = 100  # 500 parameters a statement: within any SQLite's limit


def upgrade(version: int, words: dict[str, str]) -> Iterator[tuple[str, Params]]:
    """The statements that bring a schema at `version` to the newest; run them in one transaction, after
    VERSION_TABLE and SCHEMA_VERSION, with the backend's lock held so that one process migrates at a time."""
    for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
        for statement in statements:
            yield statement.format_map(words), ()
        yield "INSERT INTO schema_version (version) VALUES (?)", (number,)


class SQLStore:
    """The Store protocol on any backend that can run a statement and hold a transaction."""

    location: str
    for_update = ""  # row-lock clause of the backend's SELECT; SQLite locks the whole file in atomic() instead

    async def _rows(self, sql: str, params: Params = ()) -> list[Row]:
        raise NotImplementedError

    async def _run(self, sql: str, params: Params = ()) -> int:
        """Execute a write; the number of rows it changed."""
        raise NotImplementedError

    async def _write(self, sql: str, params: Params = ()) -> None:
        """Execute a write whose row count nobody needs: inside atomic() a backend may send it with the next
        statement that needs an answer, or with the commit (PostgreSQL's pipeline: one round trip, not one each)."""
        await self._run(sql, params)

    async def _batch(self, statements: list[tuple[str, Params]]) -> list[list[Row]]:
        """Run statements in order, each one's rows in a list: a backend may send them together (PostgreSQL's
        pipeline: one round trip for all)."""
        return [await self._rows(sql, params) for sql, params in statements]

    def atomic(self) -> AbstractAsyncContextManager[None]:
        raise NotImplementedError

    # tasks
    async def add_task(self, task: Task) -> None:
        await self._write(
            "INSERT INTO tasks (id, created_at, status, data) VALUES (?, ?, ?, ?)",
            (task.id, task.created_at.isoformat(), task.status, task.model_dump_json()),
        )

    async def save_task(self, task: Task) -> None:
        await self._write(
            "UPDATE tasks SET status = ?, data = ? WHERE id = ?", (task.status, task.model_dump_json(), task.id)
        )

    async def get_task(self, task_id: str) -> Task | None:
        rows = await self._rows("SELECT data FROM tasks WHERE id = ?", (task_id,))
        return Task.model_validate_json(rows[0][0]) if rows else None

    async def list_tasks(self, limit: int = 100, offset: int = 0) -> list[Task]:
        rows = await self._rows(
            "SELECT data FROM tasks ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?", (limit, offset)
        )
        return [Task.model_validate_json(r[0]) for r in rows]

    async def count_tasks(self) -> int:
        [(count,)] = await self._rows("SELECT COUNT(*) FROM tasks")
        return int(count)

    # steps
    async def add_step(self, step: Step) -> None:
        await self._write(
            "INSERT INTO steps (id, task_id, idx, status, data) VALUES (?, ?, ?, ?, ?)",
            (step.id, step.task_id, step.index, step.status, step.model_dump_json()),
        )

    async def save_step(self, step: Step) -> None:
        await self._write(
            "UPDATE steps SET status = ?, data = ? WHERE id = ?", (step.status, step.model_dump_json(), step.id)
        )

    async def claim_step(self, step: Step) -> bool:
        """Move an awaiting step to its decided status, only if nobody decided it first.

        One UPDATE whose WHERE re-checks the status: a concurrent UPDATE of the row, from any connection or
        machine, waits for the first to commit and then finds the status changed, so it changes nothing.
        """
        changed = await self._run(
            "UPDATE steps SET status = ?, data = ? WHERE id = ? AND status = ?",
            (step.status, step.model_dump_json(), step.id, StepStatus.AWAITING),
        )
        return changed == 1

    async def get_steps(self, task_id: str) -> list[Step]:
        return _steps(await self._rows(*_steps_of(task_id)))

    # artifacts
    async def add_artifacts(self, task_id: str, relative_paths: list[str], agent_created: bool) -> None:
        """One INSERT of many rows per hundred paths (listed in their order), not one per path."""
        created = utcnow().isoformat()
        for start in range(0, len(relative_paths), ARTIFACTS_PER_INSERT):
            paths = relative_paths[start : start + ARTIFACTS_PER_INSERT]
            rows = ", ".join(["(?, ?, ?, ?, ?)"] * len(paths))  # placeholders only: the values are parameters
            await self._write(
                "INSERT INTO artifacts (id, task_id, relative_path, agent_created, created_at) "  # noqa: S608
                f"VALUES {rows} ON CONFLICT (task_id, relative_path) DO NOTHING",
                tuple(v for path in paths for v in (new_id(), task_id, path, int(agent_created), created)),
            )

    async def add_artifact(self, task_id: str, relative_path: str, agent_created: bool) -> Artifact:
        """The artifact for this path (the existing one when the path is listed already)."""
        await self.add_artifacts(task_id, [relative_path], agent_created)
        [row] = await self._rows(
            f"{ARTIFACT_COLUMNS} WHERE task_id = ? AND relative_path = ?", (task_id, relative_path)
        )
        return _artifact(row)

    async def get_artifact(self, artifact_id: str) -> Artifact | None:
        rows = await self._rows(f"{ARTIFACT_COLUMNS} WHERE id = ?", (artifact_id,))
        return _artifact(rows[0]) if rows else None

    async def list_artifacts(self, task_id: str) -> list[Artifact]:
        rows = await self._rows(f"{ARTIFACT_COLUMNS} WHERE task_id = ? ORDER BY created_at, rowid", (task_id,))
        return [_artifact(r) for r in rows]

    # leases
    async def acquire_lease(self, task_id: str, owner: str, ttl: float) -> tuple[Task, list[Step]]:
        """Take the right to drive a task, or raise LeaseHeld naming the live process that has it; the task as
        the statement that took the lease found it (RETURNING), and its steps read right after, in the same
        batch (on PostgreSQL the two are one round trip).

        A lease that is free, ours or lapsed is taken by one UPDATE whose WHERE checks that: a concurrent taker's
        UPDATE waits for the row and, checked again on the row as the first left it, changes nothing. Otherwise
        (a live holder, or one whose process is gone from this host) the read and the write are one
        transaction holding the task's row (or the file) locked, so two processes taking over the same lease at
        once are served one after the other, and the second sees the first.
        """
        now = time.time()
        taken, steps = await self._batch(
            [
                (
                    "UPDATE tasks SET lease_owner = ?, lease_expires = ? WHERE id = ? AND (lease_owner IS NULL "
                    "OR lease_owner = ? OR lease_expires IS NULL OR lease_expires <= ?) RETURNING data",
                    (owner, now + ttl, task_id, owner, now),
                ),
                _steps_of(task_id),
            ]
        )
        if taken:
            return Task.model_validate_json(taken[0][0]), _steps(steps)
        async with self.atomic():
            lease_of = f"SELECT lease_owner, lease_expires, data FROM tasks WHERE id = ?{self.for_update}"  # noqa: S608
            rows = await self._rows(lease_of, (task_id,))
            if not rows:
                raise KeyError(task_id)
            holder, expires, data = rows[0]
            if holder and holder != owner and (expires or 0) > now and owner_alive(holder):
                raise LeaseHeld(f"task {task_id} is being driven by another process ({holder})")
            await self._write(
                "UPDATE tasks SET lease_owner = ?, lease_expires = ? WHERE id = ?", (owner, now + ttl, task_id)
            )
            steps = await self._rows(*_steps_of(task_id))
        return Task.model_validate_json(data), _steps(steps)

    async def renew_lease(self, task_id: str, owner: str, ttl: float) -> bool:
        changed = await self._run(
            "UPDATE tasks SET lease_expires = ? WHERE id = ? AND lease_owner = ?", (time.time() + ttl, task_id, owner)
        )
        return changed == 1

    async def release_lease(self, task_id: str, owner: str) -> None:
        await self._write(
            "UPDATE tasks SET lease_owner = NULL, lease_expires = NULL WHERE id = ? AND lease_owner = ?",
            (task_id, owner),
        )


def _steps_of(task_id: str) -> tuple[str, Params]:
    return "SELECT data FROM steps WHERE task_id = ? ORDER BY idx", (task_id,)


def _steps(rows: list[Row]) -> list[Step]:
    return [Step.model_validate_json(r[0]) for r in rows]


def _artifact(row: Row) -> Artifact:
    return Artifact(id=row[0], task_id=row[1], relative_path=row[2], agent_created=bool(row[3]), created_at=row[4])
