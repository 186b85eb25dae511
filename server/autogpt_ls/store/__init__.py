"""The store seam: the `Store` protocol every front end and the core use, and its implementations (SQLite now)."""

from autogpt_ls.store.base import Artifact, LeaseHeld, Store, lease_owner_id, owner_alive

__all__ = ["Artifact", "LeaseHeld", "Store", "lease_owner_id", "owner_alive"]
