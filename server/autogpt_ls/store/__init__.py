"""The store seam: the `Store` protocol every front end and the core use, and its implementations (SQLite, the
default, and PostgreSQL), both on the SQL of store/sql.py."""

from __future__ import annotations

from autogpt_ls.settings import ConfigError, Settings
from autogpt_ls.store.base import Artifact, LeaseHeld, Store, lease_owner_id, owner_alive
from autogpt_ls.store.sqlite import SQLiteStore

__all__ = ["Artifact", "LeaseHeld", "Store", "lease_owner_id", "open_store", "owner_alive"]


def open_store(settings: Settings) -> Store:
    """The store DATABASE_URL names, else the SQLite file in the data folder."""
    if settings.database_url is None:
        return SQLiteStore(settings.data_dir / "db" / "autogpt-ls.sqlite3")
    try:
        from autogpt_ls.store.postgres import PostgresStore
    except ImportError as e:
        raise ConfigError(
            f"DATABASE_URL needs the PostgreSQL driver: pip install 'autogpt-ls[postgres]' ({e})"
        ) from None
    return PostgresStore(settings.database_url.get_secret_value())
