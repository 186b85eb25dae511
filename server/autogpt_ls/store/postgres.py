"""The PostgreSQL store (DATABASE_URL=postgresql://...): one database shared by server processes on many machines.

Every call awaits psycopg's async driver from a connection pool, so the event loop never waits on the network.
A transaction (atomic()) holds one pooled connection for the asyncio task that opened it, found again through a
context variable: another task's writes never join it, and its rollback undoes only its own writes. It runs in
pipeline mode: BEGIN and the writes whose row counts nobody reads go out with the next statement that needs an
answer, or with the COMMIT (a step's three writes and its transaction are one round trip, not five). The schema
is migrated on first use under an advisory lock, so servers starting together migrate once. The SQL is
store/sql.py's, with its `?` placeholders rewritten to psycopg's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import AsyncConnection, AsyncPipeline
from psycopg_pool import AsyncConnectionPool

from autogpt_ls.settings import ConfigError
from autogpt_ls.store.sql import SCHEMA_VERSION, VERSION_TABLE, Params, Row, SQLStore, upgrade

WORDS = {"float": "DOUBLE PRECISION", "rowid": "rowid BIGSERIAL, "}
MIGRATION_LOCK = 0x4175746F475054  # any constant: pg_advisory_xact_lock serialises the servers' migrations


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
        self._transaction: ContextVar[tuple[AsyncConnection, AsyncPipeline] | None] = ContextVar(
            f"pg-{id(self)}", default=None
        )
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
        held = self._transaction.get()
        if held is not None:
            yield held[0]
            return
        if not self._opened:
            await self._open()
        async with self._pool.connection() as conn:
            yield conn

    async def close(self) -> None:
        await self._pool.close()

    async def _rows(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._connection() as conn:
            cursor = await conn.execute(_placeholders(sql), params)
            return await cursor.fetchall()

    async def _run(self, sql: str, params: Params = ()) -> int:
        async with self._connection() as conn:
            cursor = await conn.execute(_placeholders(sql), params)
            if held := self._transaction.get():
                await held[1].sync()  # the row count is known once the server has answered
            return cursor.rowcount

    async def _write(self, sql: str, params: Params = ()) -> None:
        async with self._connection() as conn:
            await conn.execute(_placeholders(sql), params)

    async def _batch(self, statements: list[tuple[str, Params]]) -> list[list[Row]]:
        async with self._connection() as conn:
            if held := self._transaction.get():
                cursors = [await conn.execute(_placeholders(sql), params) for sql, params in statements]
                await held[1].sync()
            else:
                async with conn.pipeline():  # leaving it sends one Sync: every result comes back in one trip
                    cursors = [await conn.execute(_placeholders(sql), params) for sql, params in statements]
            return [await cursor.fetchall() for cursor in cursors]

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """Group writes into one transaction, so a crash never leaves a step without its task's counters."""
        if self._transaction.get() is not None:
            yield
            return
        async with self._connection() as conn, conn.pipeline() as pipeline, conn.transaction():
            token = self._transaction.set((conn, pipeline))
            try:
                yield
            finally:
                self._transaction.reset(token)


async def _migrate(conn: AsyncConnection) -> None:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute(VERSION_TABLE)
        version = await (await conn.execute(SCHEMA_VERSION)).fetchone()
        for sql, params in upgrade(version[0] if version else 0, WORDS):
            await conn.execute(_placeholders(sql), params)


def _placeholders(sql: str) -> str:
    return sql.replace("?", "%s")
