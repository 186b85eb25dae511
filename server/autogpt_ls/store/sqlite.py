"""The SQLite store, the default: one file in the data folder, shared by every front end and process here.

The calls run on the caller's thread: a local SQLite call in WAL mode takes microseconds, less than a hop to a
worker thread would cost; the PostgreSQL store awaits its driver instead. The SQL is store/sql.py's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from autogpt_ls.store.sql import SCHEMA_VERSION, VERSION_TABLE, Params, Row, SQLStore, upgrade

WORDS = {"float": "REAL", "rowid": ""}  # every SQLite table has a rowid


class SQLiteStore(SQLStore):
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.location = str(path)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # survives a process crash; fsync only at checkpoints
        self._migrate()

    def _migrate(self) -> None:
        """Bring the file's schema up to date (BEGIN IMMEDIATE: one process migrates, the others wait)."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(VERSION_TABLE)
            [(version,)] = self._db.execute(SCHEMA_VERSION).fetchall()
            for sql, params in upgrade(version, WORDS):
                self._db.execute(sql, params)

    async def close(self) -> None:
        self._db.close()

    async def _rows(self, sql: str, params: Params = ()) -> list[Row]:
        return self._db.execute(sql, params).fetchall()

    async def _run(self, sql: str, params: Params = ()) -> int:
        return self._db.execute(sql, params).rowcount

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
