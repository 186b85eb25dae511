"""A fresh PostgreSQL database per test, on the server ./test.sh starts (scripts/setup.d/40-postgres.sh)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import psycopg
import pytest

from autogpt_ls.store import Store

SERVER = os.environ.get("AUTOGPT_TEST_POSTGRES_URL", "")


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new empty database, dropped afterwards (with whatever connections are still open to it)."""
    if not SERVER:
        pytest.skip(
            os.environ.get("AUTOGPT_POSTGRES_UNAVAILABLE")
            or "no PostgreSQL server: ./test.sh starts one and sets AUTOGPT_TEST_POSTGRES_URL"
        )
    name = f"t_{uuid4().hex[:12]}"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(SERVER)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


Connect = Callable[[], Store]  # tests/core/conftest.py's `connect`: a new connection to the test's database
