"""Versioned schema migrations, run on start, for sqlite and Postgres alike.

A component (`orderbook`, `auction`, ...) owns an ordered list of `Migration`s numbered
1, 2, 3, ... Each carries the same change written for each backend. `migrate_*` runs, in
ONE transaction, every migration above the version recorded for the component in the
`schema_version` table (one row per component, so several components can share a database)
and records the new version; a failure leaves the database exactly as it was.

A database whose recorded version is above the newest migration this code knows was written
by a newer keel: `SchemaTooNew`, and nothing is touched (an old binary must never "repair" a
schema it does not understand).

Concurrency: on sqlite the transaction is `BEGIN IMMEDIATE` (writers queue); on Postgres a
transaction-scoped advisory lock serialises processes starting at once, so N orderbook
processes pointed at one fresh database migrate it exactly once.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from keel.db import SchemaTooNew
from keel.db.lease import advisory_key

_TABLE_SQLITE = ("CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY,"
                 " version INTEGER NOT NULL, applied_at REAL NOT NULL)")
_TABLE_POSTGRES = ("CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY,"
                   " version INTEGER NOT NULL, applied_at DOUBLE PRECISION NOT NULL)")
_LOCK = advisory_key("keel.schema_version")


@dataclass(frozen=True)
class Migration:
    """One step of a component's schema: the same change written for each backend."""

    version: int
    summary: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


def latest(migrations: Sequence[Migration]) -> int:
    """The version the list ends at; the list must be 1, 2, ..., n in order."""
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1..n in order, got {versions}")
    return len(versions)


def _plan(component: str, current: int, migrations: Sequence[Migration], target: int | None) -> list[Migration]:
    newest = latest(migrations)
    if current > newest:
        raise SchemaTooNew(f"db: the {component} schema is at version {current}, newer than this keel knows "
                           f"({newest}); upgrade keel, or point --db at another database")
    goal = newest if target is None else target
    return [m for m in migrations if current < m.version <= goal]


def migrate_sqlite(db: sqlite3.Connection, component: str, migrations: Sequence[Migration],
                   target: int | None = None) -> int:
    """Bring `component` to `target` (default: the newest); returns the version it is at.

    `db` must be in autocommit mode (`isolation_level=None`): this function owns the transaction.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(_TABLE_SQLITE)
        row = db.execute("SELECT version FROM schema_version WHERE component = ?", (component,)).fetchone()
        current = int(row[0]) if row else 0
        steps = _plan(component, current, migrations, target)
        for step in steps:
            for statement in step.sqlite:
                db.execute(statement)
        if steps:
            db.execute("INSERT INTO schema_version (component, version, applied_at) VALUES (?, ?, ?)"
                       " ON CONFLICT (component) DO UPDATE SET version = excluded.version,"
                       " applied_at = excluded.applied_at", (component, steps[-1].version, time.time()))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return steps[-1].version if steps else current


def migrate_postgres(conn: Any, component: str, migrations: Sequence[Migration], target: int | None = None) -> int:
    """The same on a psycopg connection; committed on return, rolled back on any error."""
    from psycopg.rows import tuple_row

    with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:  # whatever rows the caller's conn makes
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        cur.execute(_TABLE_POSTGRES)
        row = cur.execute("SELECT version FROM schema_version WHERE component = %s", (component,)).fetchone()
        current = int(row[0]) if row else 0
        steps = _plan(component, current, migrations, target)
        for step in steps:
            for statement in step.postgres:
                cur.execute(statement)
        if steps:
            cur.execute("INSERT INTO schema_version (component, version, applied_at) VALUES (%s, %s, %s)"
                         " ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version,"
                         " applied_at = EXCLUDED.applied_at", (component, steps[-1].version, time.time()))
    return steps[-1].version if steps else current


def version_sqlite(db: sqlite3.Connection, component: str) -> int:
    """The recorded version (0: never migrated)."""
    has_table = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if not has_table:
        return 0
    row = db.execute("SELECT version FROM schema_version WHERE component = ?", (component,)).fetchone()
    return int(row[0]) if row else 0


def version_postgres(conn: Any, component: str) -> int:
    from psycopg.rows import tuple_row

    with conn.cursor(row_factory=tuple_row) as cur:
        if cur.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None:
            return 0
        row = cur.execute("SELECT version FROM schema_version WHERE component = %s", (component,)).fetchone()
    return int(row[0]) if row else 0
