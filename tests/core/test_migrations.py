"""The versioned schema: an empty database is brought to the newest version, a store file made before versions
were recorded opens and works, and a new migration is applied once, by one of several stores opening at once."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from autogpt_ls.models import Proposal, Step, StepStatus, ToolCall
from autogpt_ls.store import LeaseHeld, sql
from autogpt_ls.store.sqlite import SQLiteStore
from autogpt_ls.task_models import Task, TaskConfig
from pgtest import Connect

pytestmark = pytest.mark.each_store

# The schema of the SQLite store before migrations, as store/sqlite.py created it (commit 8e931b3).
UNVERSIONED_SCHEMA = """
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


def versions(store_url: str | None, tmp_path: Path) -> list[int]:
    query = "SELECT version FROM schema_version ORDER BY version"
    if store_url:
        import psycopg

        with psycopg.connect(store_url) as conn:
            return [row[0] for row in conn.execute(query)]
    with sqlite3.connect(tmp_path / "store.sqlite3") as conn:
        return [row[0] for row in conn.execute(query)]


def new_task() -> tuple[Task, Step]:
    task = Task(goal="g", workspace="/tmp", config=TaskConfig(smart_llm="openai/gpt-4o"))
    step = Step(
        task_id=task.id, index=0, status=StepStatus.AWAITING, proposal=Proposal(tool_call=ToolCall(name="finish"))
    )
    return task, step


async def test_an_empty_database_gets_the_newest_schema_once(
    connect: Connect, store_url: str | None, tmp_path: Path
) -> None:
    first = connect()
    task, step = new_task()
    await first.add_task(task)
    await first.add_step(step)
    await connect().count_tasks()  # a second store finds the schema current and adds nothing
    assert versions(store_url, tmp_path) == list(range(1, len(sql.MIGRATIONS) + 1))
    assert [s.id for s in await connect().get_steps(task.id)] == [step.id]


async def test_a_new_migration_is_applied_once_by_stores_opening_together(
    connect: Connect, store_url: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await connect().count_tasks()
    monkeypatch.setattr(sql, "MIGRATIONS", [*sql.MIGRATIONS, ["ALTER TABLE tasks ADD COLUMN note TEXT"]])
    stores = [connect() for _ in range(4)]
    assert await asyncio.gather(*(s.count_tasks() for s in stores)) == [0] * 4  # a second ALTER would fail
    assert versions(store_url, tmp_path) == list(range(1, len(sql.MIGRATIONS) + 1))


async def test_a_store_file_made_before_versions_opens_and_works(tmp_path: Path) -> None:
    """SQLite only: PostgreSQL stores were versioned from the start."""
    path = tmp_path / "store.sqlite3"
    task, step = new_task()
    with sqlite3.connect(path) as raw:  # the old store's own statements
        raw.executescript(UNVERSIONED_SCHEMA)
        raw.execute(
            "INSERT INTO tasks (id, created_at, status, data) VALUES (?, ?, ?, ?)",
            (task.id, task.created_at.isoformat(), task.status, task.model_dump_json()),
        )
        raw.execute(
            "INSERT INTO steps (id, task_id, idx, status, data) VALUES (?, ?, ?, ?, ?)",
            (step.id, task.id, 0, step.status, step.model_dump_json()),
        )
        raw.execute(
            "UPDATE tasks SET lease_owner = ?, lease_expires = ? WHERE id = ?", ("otherhost:1:x", 1e12, task.id)
        )
    store = SQLiteStore(path)
    assert versions(None, tmp_path) == list(range(1, len(sql.MIGRATIONS) + 1))
    assert [t.id for t in await store.list_tasks()] == [task.id]
    with pytest.raises(LeaseHeld, match="otherhost"):  # the old file's lease still holds
        await store.acquire_lease(task.id, "me", ttl=60)
    assert await store.claim_step(step.model_copy(update={"status": StepStatus.EXECUTING})) is True
    artifact = await store.add_artifact(task.id, "a.txt", agent_created=True)
    assert await store.list_artifacts(task.id) == [artifact]
    await store.close()
