"""Store fixtures: connections to the test's database, the SQLite file or a fresh PostgreSQL one (store_url)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from autogpt_ls.store import Store
from autogpt_ls.store.sqlite import SQLiteStore
from pgtest import Connect


@pytest.fixture
async def connect(store_url: str | None, tmp_path: Path) -> AsyncIterator[Connect]:
    """Opens a new connection to the test's database each call; all are closed at teardown."""
    opened: list[Store] = []

    def new() -> Store:
        if store_url:
            from autogpt_ls.store.postgres import PostgresStore

            opened.append(PostgresStore(store_url))
        else:
            opened.append(SQLiteStore(tmp_path / "store.sqlite3"))
        return opened[-1]

    yield new
    for store in opened:
        await store.close()
