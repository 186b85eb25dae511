"""The store's guarantees: one decision per step across connections, one driver per task."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autogpt_ls.models import DecisionSource, Proposal, Step, StepStatus, ToolCall
from autogpt_ls.store import LeaseHeld, Store
from autogpt_ls.store.sqlite import SQLiteStore
from autogpt_ls.task_models import Task, TaskConfig
from pgtest import Connect

pytestmark = pytest.mark.each_store


def raw_execute(store_url: str | None, tmp_path: Path, sql: str, *params: Any) -> None:
    """Write as an older version of the store did, past today's code."""
    if store_url:
        import psycopg

        with psycopg.connect(store_url, autocommit=True) as conn:
            conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
    else:
        with sqlite3.connect(tmp_path / "store.sqlite3") as conn:
            conn.execute(sql, params)


async def _task_with_step(store: Store) -> tuple[Task, Step]:
    task = Task(goal="g", workspace="/tmp", config=TaskConfig(smart_llm="openai/gpt-4o"))
    await store.add_task(task)
    step = Step(
        task_id=task.id, index=0, status=StepStatus.AWAITING, proposal=Proposal(tool_call=ToolCall(name="finish"))
    )
    await store.add_step(step)
    return task, step


async def test_a_step_is_claimed_once_across_connections(connect: Connect) -> None:
    first, second = connect(), connect()
    _, step = await _task_with_step(first)
    a = step.model_copy(update={"status": StepStatus.EXECUTING})
    b = step.model_copy(update={"status": StepStatus.FEEDBACK})
    assert await first.claim_step(a) is True
    assert await second.claim_step(b) is False
    [stored] = await second.get_steps(step.task_id)
    assert stored.status == StepStatus.EXECUTING


async def test_a_live_lease_is_exclusive_and_expires(connect: Connect) -> None:
    store = connect()
    task, _ = await _task_with_step(store)
    await store.acquire_lease(task.id, "otherhost:1:x", ttl=60)
    with pytest.raises(LeaseHeld, match="otherhost"):
        await store.acquire_lease(task.id, "me", ttl=60)
    await store.acquire_lease(task.id, "otherhost:1:x", ttl=-1)  # the holder lets it lapse
    await store.acquire_lease(task.id, "me", ttl=60)
    with pytest.raises(LeaseHeld, match="me"):
        await store.acquire_lease(task.id, "otherhost:1:x", ttl=60)


async def test_a_dead_process_lease_is_taken_over(connect: Connect) -> None:
    import socket

    store = connect()
    task, _ = await _task_with_step(store)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    await store.acquire_lease(task.id, f"{socket.gethostname()}:{dead.stdout.strip()}:x", ttl=600)
    await store.acquire_lease(task.id, "me", ttl=60)  # not refused: the holder's process is gone


async def test_atomic_rolls_back_everything(connect: Connect) -> None:
    store = connect()
    task, _ = await _task_with_step(store)
    with pytest.raises(RuntimeError):
        async with store.atomic():
            task.end_reason = "changed"
            await store.save_task(task)
            raise RuntimeError("crash between writes")
    stored = await store.get_task(task.id)
    assert stored is not None and stored.end_reason == ""


async def test_a_write_the_database_refuses_undoes_the_transaction(connect: Connect) -> None:
    """On PostgreSQL the writes of a transaction go out pipelined: a refused one still fails the block, in it."""
    import psycopg

    store = connect()
    task, step = await _task_with_step(store)
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        async with store.atomic():
            task.end_reason = "changed"
            await store.save_task(task)
            await store.add_step(step)  # the same id again
    stored = await store.get_task(task.id)
    assert stored is not None and stored.end_reason == ""
    assert [s.id for s in await store.get_steps(task.id)] == [step.id]
    assert await store.claim_step(step.model_copy(update={"status": StepStatus.EXECUTING}))  # the store goes on


async def test_a_block_of_writes_lands_whole_even_on_one_row_twice(connect: Connect) -> None:
    """A block of writes only goes out as one statement on PostgreSQL, where each write sees the database as it
    was before the statement, in no set order: a step inserted and then updated, or a task updated twice, must
    still end as the last write left it (those go one by one, in a transaction), and artifacts stay in order."""
    store = connect()
    task, _ = await _task_with_step(store)
    step = Step(task_id=task.id, index=1, status=StepStatus.AWAITING)
    async with store.atomic():
        await store.add_step(step)
        step.status = StepStatus.DONE
        await store.save_step(step)
        task.end_reason = "first"
        await store.save_task(task)
        task.end_reason = "second"
        await store.save_task(task)
    assert [s.status for s in await store.get_steps(task.id)] == [StepStatus.AWAITING, StepStatus.DONE]
    assert (await store.get_task(task.id)).end_reason == "second"  # type: ignore[union-attr]
    other = Step(task_id=task.id, index=2, status=StepStatus.AWAITING)
    async with store.atomic():  # the usual block: a new step and its task, in one statement
        await store.add_step(other)
        task.end_reason = "third"
        await store.save_task(task)
        await store.add_artifacts(task.id, ["a.txt", "b.txt"], agent_created=True)
    assert [s.id for s in await store.get_steps(task.id)][-1] == other.id
    assert (await store.get_task(task.id)).end_reason == "third"  # type: ignore[union-attr]
    assert [a.relative_path for a in await store.list_artifacts(task.id)] == ["a.txt", "b.txt"]


async def test_records_saved_before_the_casing_change_still_load(
    connect: Connect, store_url: str | None, tmp_path: Path
) -> None:
    """Steps were saved with field names and `auto: true`; the wire's camelCase is read too."""
    store = connect()
    task, step = await _task_with_step(store)
    old = step.model_dump(mode="json") | {"decision": {"kind": "approve", "times": 1, "text": "", "auto": True}}
    camel = step.model_dump(mode="json", by_alias=True) | {"id": "c" * 32, "index": 1}
    assert "taskId" in camel and "task_id" in old
    raw_execute(store_url, tmp_path, "DELETE FROM steps")
    for record in (old, camel):  # rows as an older version of the store wrote them
        raw_execute(
            store_url,
            tmp_path,
            "INSERT INTO steps (id, task_id, idx, status, data) VALUES (?, ?, ?, ?, ?)",
            *(record["id"], task.id, record["index"], record["status"], json.dumps(record)),
        )
    first, second = await store.get_steps(task.id)
    assert first.decision is not None and first.decision.source == DecisionSource.CONTINUOUS
    assert second.task_id == task.id and second.proposal == step.proposal


async def test_racing_claims_and_takeovers_have_one_winner(connect: Connect) -> None:
    """Five connections at once (on PostgreSQL, five sessions racing for the same row): one claim, one lease."""
    stores = [connect() for _ in range(5)]
    task, step = await _task_with_step(stores[0])
    claims = [s.claim_step(step.model_copy(update={"status": StepStatus.EXECUTING})) for s in stores]
    assert sorted(await asyncio.gather(*claims)) == [False] * 4 + [True]
    await stores[0].acquire_lease(task.id, "otherhost:1:x", ttl=-1)  # a lapsed lease, up for takeover
    takeovers = [s.acquire_lease(task.id, f"host{i}:1:x", ttl=60) for i, s in enumerate(stores)]
    outcomes = await asyncio.gather(*takeovers, return_exceptions=True)
    won = [o for o in outcomes if not isinstance(o, LeaseHeld)]
    # the winner reads the task in the statement that took the lease, and its steps (the claimed one) after it
    assert won == [(task, await stores[0].get_steps(task.id))]
    assert won[0][1][0].status == StepStatus.EXECUTING


async def test_a_rollback_undoes_only_its_own_task_writes(connect: Connect, store_url: str | None) -> None:
    """Two asyncio tasks in transactions on one store at once: one fails, the other's writes stay."""
    if store_url is None:
        pytest.skip("SQLite's store has one connection: its transactions never wait inside, so never overlap")
    store = connect()
    kept, _ = await _task_with_step(store)
    lost, _ = await _task_with_step(store)
    inside = asyncio.Event()

    async def write(task: Task, fail: bool) -> None:
        async with store.atomic():
            task.end_reason = "written"
            await store.save_task(task)
            if fail:
                inside.set()
                raise RuntimeError("crash")
            await inside.wait()

    results = await asyncio.gather(write(kept, fail=False), write(lost, fail=True), return_exceptions=True)
    assert results[0] is None and isinstance(results[1], RuntimeError)
    assert (await store.get_task(kept.id)).end_reason == "written"  # type: ignore[union-attr]
    assert (await store.get_task(lost.id)).end_reason == ""  # type: ignore[union-attr]


def test_database_url_selects_postgresql_and_is_kept_secret(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from autogpt_ls.settings import Settings
    from autogpt_ls.store import open_store
    from autogpt_ls.store.postgres import PostgresStore

    assert isinstance(open_store(Settings(data_dir=tmp_path)), SQLiteStore)
    url = "postgresql://agent:s3cret-pass@db.internal:5432/autogpt"
    settings = Settings(data_dir=tmp_path, database_url=url)
    store = open_store(settings)  # opened lazily: nothing is dialled yet
    assert isinstance(store, PostgresStore) and store.location == "postgresql://agent:***@db.internal:5432/autogpt"
    assert url in settings.secrets()
    with pytest.raises(ValidationError, match="postgresql://"):
        Settings(database_url="mysql://db/autogpt")


async def test_an_unreachable_database_is_a_configuration_error_naming_it() -> None:
    import socket

    from autogpt_ls.settings import ConfigError
    from autogpt_ls.store.postgres import PostgresStore

    with socket.socket() as free:  # a loopback port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    store = PostgresStore(f"postgresql://agent:s3cret-pass@127.0.0.1:{port}/autogpt")
    with pytest.raises(ConfigError, match=r"DATABASE_URL: cannot use postgresql://agent:\*\*\*@127\.0\.0\.1") as e:
        await store.count_tasks()
    assert "s3cret-pass" not in str(e.value)
    await store.close()
