"""Schema migrations on both backends: a fresh database, an upgrade that keeps every intent,
a schema newer than this keel (refused, untouched), a failing migration (nothing half-done),
and several processes migrating one fresh Postgres at once."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from keel.db import SchemaTooNew, parse_location
from keel.db.migrations import (
    Migration,
    migrate_postgres,
    migrate_sqlite,
    version_postgres,
    version_sqlite,
)
from orderbook.storage import records
from orderbook.storage.schema import MIGRATIONS
from orderbook.store import open_store
from tests.unit.orderbook.test_store import OWNER, signed

NEWEST = len(MIGRATIONS)

# The table exactly as keel shipped it before migrations existed (main at a704889).
LEGACY_SQLITE = """
CREATE TABLE IF NOT EXISTS intents (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, nonce TEXT NOT NULL, kind INTEGER NOT NULL,
    valid_to INTEGER NOT NULL, status TEXT NOT NULL, signed TEXT NOT NULL, tx_hash TEXT, reason TEXT,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, UNIQUE (owner, nonce));
CREATE INDEX IF NOT EXISTS intents_status ON intents (status, created_at);
CREATE INDEX IF NOT EXISTS intents_owner ON intents (owner, created_at);
"""


class Raw:
    """Plain SQL on either backend, for setting up and inspecting a database behind the store's back."""

    def __init__(self, location: str) -> None:
        self.where = parse_location(location)
        if self.where.backend == "sqlite":
            self.conn: Any = sqlite3.connect(self.where.target, isolation_level=None)
            self.mark = "?"
        else:
            self.conn = psycopg.connect(self.where.target, autocommit=True)
            self.mark = "%s"

    def execute(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cur = self.conn.execute(sql.replace("?", self.mark), args)
        return list(cur.fetchall()) if cur.description else []

    def migrate(self, component: str, migrations: tuple[Migration, ...], target: int | None = None) -> int:
        run = migrate_sqlite if self.where.backend == "sqlite" else migrate_postgres
        return run(self.conn, component, migrations, target)

    def version(self, component: str) -> int:
        read = version_sqlite if self.where.backend == "sqlite" else version_postgres
        return read(self.conn, component)

    def tables(self) -> set[str]:
        if self.where.backend == "sqlite":
            return {r[0] for r in self.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {r[0] for r in self.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


@contextmanager
def raw(location: str) -> Iterator[Raw]:
    r = Raw(location)
    try:
        yield r
    finally:
        r.conn.close()


def insert_v1_row(db: Raw, nonce: int) -> str:
    """An intent written the way a version-1 store wrote it (no `rounds` column)."""
    intent_id, s = signed(nonce)
    row = records.insert_values(intent_id, s, 1_700_000_000.0 + nonce)  # created in nonce order
    if db.where.backend == "sqlite":
        row["nonce"] = str(row["nonce"])
    db.execute(f"INSERT INTO intents ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))
    return intent_id


def test_should_create_the_newest_schema_in_a_fresh_database(db_location: str) -> None:
    store = open_store(db_location)
    assert store.schema_version == NEWEST  # type: ignore[attr-defined]
    store.close()
    with raw(db_location) as db:
        assert db.version("orderbook") == NEWEST
        assert {"intents", "schema_version"} <= db.tables()
    again = open_store(db_location)  # a second start migrates nothing and keeps the version
    assert again.schema_version == NEWEST  # type: ignore[attr-defined]
    again.close()


def test_should_upgrade_a_version_1_database_and_keep_every_intent(db_location: str) -> None:
    with raw(db_location) as db:
        assert db.migrate("orderbook", MIGRATIONS, target=1) == 1
        ids = [insert_v1_row(db, n) for n in (1, 2, 3)]
    store = open_store(db_location)
    try:
        assert store.schema_version == NEWEST  # type: ignore[attr-defined]
        assert [r.id for r in store.list(owner=OWNER.address)] == ids
        assert all(store.get(i).rounds == 0 for i in ids)
        assert store.mark_in_auction(ids[:1]) == ids[:1] and store.get(ids[0]).rounds == 1
        assert store.open_count(OWNER.address) == 3
    finally:
        store.close()


def test_should_adopt_a_sqlite_file_made_before_migrations_existed(tmp_path: Any) -> None:
    path = str(tmp_path / "legacy.db")
    with raw(path) as db:
        db.conn.executescript(LEGACY_SQLITE)
        intent_id = insert_v1_row(db, 7)
        assert db.version("orderbook") == 0
    store = open_store(path)
    assert store.get(intent_id).nonce == 7 and store.get(intent_id).status == "open"
    store.close()
    with raw(path) as db:
        assert db.version("orderbook") == NEWEST


def test_refuses_a_schema_newer_than_this_keel_and_leaves_it_untouched(db_location: str) -> None:
    store = open_store(db_location)
    intent_id = store.add(*signed(1)).id
    store.close()
    with raw(db_location) as db:
        db.execute("UPDATE schema_version SET version = ? WHERE component = 'orderbook'", (NEWEST + 1,))
    with pytest.raises(SchemaTooNew, match=f"version {NEWEST + 1}, newer than this keel knows \\({NEWEST}\\)"):
        open_store(db_location)
    with raw(db_location) as db:
        assert db.version("orderbook") == NEWEST + 1
        assert db.execute("SELECT id, status FROM intents") == [(intent_id, "open")]


BROKEN = (
    Migration(1, "a table", sqlite=("CREATE TABLE t1 (x INTEGER)",), postgres=("CREATE TABLE t1 (x INTEGER)",)),
    Migration(2, "a table, then a typo", sqlite=("CREATE TABLE t2 (x INTEGER)", "CREATE TABLEX t3 (x)"),
              postgres=("CREATE TABLE t2 (x INTEGER)", "CREATE TABLEX t3 (x)")),
)


def test_should_leave_nothing_half_done_when_a_migration_fails(db_location: str) -> None:
    with raw(db_location) as db:
        assert db.migrate("scratch", BROKEN, target=1) == 1
        with pytest.raises((sqlite3.OperationalError, psycopg.errors.SyntaxError)):
            db.migrate("scratch", BROKEN)
        assert db.version("scratch") == 1
        assert "t1" in db.tables() and "t2" not in db.tables()


def test_should_accept_only_migrations_numbered_one_to_n() -> None:
    from keel.db.migrations import latest

    assert latest(MIGRATIONS) == NEWEST
    with pytest.raises(ValueError, match=r"numbered 1\.\.n"):
        latest((BROKEN[1],))


def test_should_migrate_a_fresh_postgres_once_when_several_orderbooks_start_at_once(pg_server: Any) -> None:
    from tests.pg import fresh_database

    url = fresh_database(pg_server)
    barrier, versions, errors = threading.Barrier(6), [], []

    def start() -> None:
        barrier.wait()
        try:
            store = open_store(url)  # each its own connections: to the server, six separate clients
            versions.append(store.schema_version)  # type: ignore[attr-defined]
            store.close()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and versions == [NEWEST] * 6
    with raw(url) as db:
        assert db.execute("SELECT component, version FROM schema_version") == [("orderbook", NEWEST)]
