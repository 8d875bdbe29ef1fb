"""The orderbook's storage, chosen by location: a sqlite path (the default) or a Postgres URL.

    open_store(".keel/orderbook.db")                  -> SqliteStore   (WAL, synchronous=FULL)
    open_store("sqlite:////abs/orderbook.db")         -> SqliteStore
    open_store("postgresql://keel@db:5432/keel")      -> PostgresStore (psycopg 3, pooled)

Both implement `intents.lifecycle.IntentStore` with the same guarantees (durable `add`,
all-or-nothing transitions, `mark_in_auction` atomic across processes), migrate their schema
on open and refuse a schema newer than this code (`keel.db.SchemaTooNew`). Any other scheme
is a one-line `DbError` naming `db`. The implementations live in `orderbook/storage/`.
"""

from __future__ import annotations

from pathlib import Path

from intents.lifecycle import IntentStore
from keel.db import parse_location
from orderbook.storage.sqlite import SqliteStore


def open_store(location: str | Path, pool_size: int = 4) -> IntentStore:
    """The store at `location`; `pool_size` bounds a Postgres store's connections."""
    where = parse_location(str(location))
    if where.backend == "postgres":
        from orderbook.storage.postgres import PostgresStore

        return PostgresStore(where.target, pool_size=pool_size)
    return SqliteStore(where.target)


__all__ = ["SqliteStore", "open_store"]
