"""The PostgreSQL store (DATABASE_URL=postgresql://...): one database shared by server processes on many machines.

Every call awaits psycopg's async driver from a connection pool, so the event loop never waits on the network.
An atomic() block belongs to the asyncio task that opened it, found again through a context variable: another
task's writes never join it, and its rollback undoes only its own writes. Its writes whose row counts nobody
reads are held back: a block of writes only (a step's usual two or three: the step, the task, its artifacts) is
sent at its end as one statement, the writes as data-modifying WITH clauses (atomic as any statement, one
command instead of BEGIN, the writes and COMMIT). A block with a statement that needs an answer holds one pooled
connection in a transaction from then on, in pipeline mode: the writes held back go out with that statement, later
ones with the next that needs an answer, or with the COMMIT. The schema
is migrated on first use under an advisory lock, so servers starting together migrate once. The SQL is
store/sql.py's, with its `?` placeholders rewritten to psycopg's.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import AsyncConnection, AsyncPipeline
from psycopg_pool import AsyncConnectionPool

from autogpt_ls.settings import ConfigError
from autogpt_ls.store.sql import SCHEMA_VERSION, VERSION_TABLE, Params, Row, SQLStore, upgrade

WORDS = {"float": "DOUBLE PRECISION", "rowid": "rowid BIGSERIAL, "}
MIGRATION_LOCK = 0x4175746F475054  # any constant: pg_advisory_xact_lock serialises the servers' migrations
_TARGET = re.compile(r"\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)", re.IGNORECASE)


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class PostgresStore(SQLStore):
    for_update = " FOR UPDATE"  # the task's row stays locked until the lease's transaction ends

    def __init__(self, url: str, max_connections: int = 20) -> None:
        self.location = redacted(url)
        self._url = url
        self._pool = AsyncConnectionPool(
            url, min_size=1, max_size=max_connections, open=False, kwargs={"autocommit": True}
        )
        self._atomic: ContextVar[_Block | None] = ContextVar(f"pg-{id(self)}", default=None)
        self._opened = False
        self._opening = asyncio.Lock()

    async def _open(self) -> None:
        async with self._opening:
            if self._opened:
                return
            try:  # one connection first: an unreachable server fails in seconds, with its reason
                async with await AsyncConnection.connect(self._url, autocommit=True, connect_timeout=10) as conn:
                    await _migrate(conn)
            except psycopg.OperationalError as e:
                raise ConfigError(f"DATABASE_URL: cannot use {self.location}: {e}") from None
            await self._pool.open(wait=True)
            self._opened = True

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        block = self._atomic.get()
        if block is not None:
            yield (await self._transaction(block))[0]
            return
        if not self._opened:
            await self._open()
        async with self._pool.connection() as conn:
            yield conn

    async def _transaction(self, block: _Block) -> tuple[AsyncConnection, AsyncPipeline]:
        """The block's connection in its transaction, begun now if it was not (with the writes held back)."""
        if block.held is None:
            if not self._opened:
                await self._open()
            conn = await block.stack.enter_async_context(self._pool.connection())
            pipeline = await block.stack.enter_async_context(conn.pipeline())
            await block.stack.enter_async_context(conn.transaction())
            block.held = (conn, pipeline)
            for sql, params in block.writes:
                await conn.execute(_placeholders(sql), params)
            block.writes.clear()
        return block.held

    async def close(self) -> None:
        await self._pool.close()

    async def _rows(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._connection() as conn:
            cursor = await conn.execute(_placeholders(sql), params)
            return await cursor.fetchall()

    async def _run(self, sql: str, params: Params = ()) -> int:
        async with self._connection() as conn:
            cursor = await conn.execute(_placeholders(sql), params)
            if block := self._atomic.get():
                await self._pipeline(block).sync()  # the row count is known once the server has answered
            return cursor.rowcount

    async def _write(self, sql: str, params: Params = ()) -> None:
        block = self._atomic.get()
        if block is not None and block.held is None:
            block.writes.append((sql, params))  # sent with the block's end, or with the statement that begins it
            return
        async with self._connection() as conn:
            await conn.execute(_placeholders(sql), params)

    async def _batch(self, statements: list[tuple[str, Params]]) -> list[list[Row]]:
        async with self._connection() as conn:
            if block := self._atomic.get():
                cursors = [await conn.execute(_placeholders(sql), params) for sql, params in statements]
                await self._pipeline(block).sync()
            else:
                async with conn.pipeline():  # leaving it sends one Sync: every result comes back in one trip
                    cursors = [await conn.execute(_placeholders(sql), params) for sql, params in statements]
            return [await cursor.fetchall() for cursor in cursors]

    @staticmethod
    def _pipeline(block: _Block) -> AsyncPipeline:
        assert block.held is not None  # _connection() began the transaction
        return block.held[1]

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """Group writes into one transaction, so a crash never leaves a step without its task's counters."""
        if self._atomic.get() is not None:
            yield
            return
        block = _Block()
        token = self._atomic.set(block)
        try:
            async with block.stack:  # the transaction, if a statement began one: committed, or rolled back
                yield
        finally:
            self._atomic.reset(token)
        if not block.writes:
            return
        async with self._connection() as conn:  # nothing began a transaction: the writes held back, now
            if (one := _as_one(block.writes)) is not None:
                await conn.execute(_placeholders(one[0]), one[1])
                return
            async with conn.pipeline(), conn.transaction():
                for sql, params in block.writes:
                    await conn.execute(_placeholders(sql), params)


class _Block:
    """An atomic() block: its writes held back, and its transaction once a statement needed an answer."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, Params]] = []
        self.held: tuple[AsyncConnection, AsyncPipeline] | None = None
        self.stack = AsyncExitStack()


def _as_one(writes: list[tuple[str, Params]]) -> tuple[str, Params] | None:
    """Writes as one statement, each but the last a WITH clause; None when they cannot be: all of them see the
    database as it was before the statement, in no set order, so each must write a table of its own."""
    if len(writes) == 1:
        return writes[0]
    tables = [target.group(1).lower() if (target := _TARGET.match(sql)) else None for sql, _ in writes]
    if None in tables or len(set(tables)) < len(tables):
        return None
    clauses = ", ".join(f"w{i} AS ({sql})" for i, (sql, _) in enumerate(writes[:-1]))
    return f"WITH {clauses} {writes[-1][0]}", tuple(p for _, params in writes for p in params)


async def _migrate(conn: AsyncConnection) -> None:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute(VERSION_TABLE)
        version = await (await conn.execute(SCHEMA_VERSION)).fetchone()
        for sql, params in upgrade(version[0] if version else 0, WORDS):
            await conn.execute(_placeholders(sql), params)


def _placeholders(sql: str) -> str:
    return sql.replace("?", "%s")
