"""One SQL handle over either backend, for stores whose SQL is the same on both (the auction's
rounds and solver registry): write it once, in sqlite's parameter style, get rows by column name.

    db = open_database(location)                  # sqlite path or postgresql:// URL
    db.migrate("auction", MIGRATIONS)             # keel.db.migrations, on open
    with db.tx() as tx:                           # one transaction (BEGIN IMMEDIATE on sqlite)
        new_id = tx.execute("INSERT ... RETURNING id", (...)).fetchone()["id"]
        tx.executemany("INSERT ... VALUES (:a, :b)", [{"a": 1, "b": 2}])
    rows = db.execute("SELECT ... WHERE x = ?", (x,)).fetchall()

Parameters are always bound. SQL is written with `?` and `:name` placeholders; on Postgres they
become `%s` and `%(name)s` (the statements this serves hold no string literal or `::` cast that
could be mistaken for one). A sqlite handle is one connection guarded by a lock (WAL,
synchronous=FULL); a Postgres handle is a small psycopg pool (autocommit outside `tx()`).
Stores with backend-specific SQL (the orderbook's) use their own implementations instead.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from keel.db import DbUnavailable, Location, first_line, parse_location
from keel.db.migrations import Migration, migrate_postgres, migrate_sqlite

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def to_pyformat(sql: str) -> str:
    """sqlite's `?` / `:name` placeholders as psycopg's `%s` / `%(name)s`."""
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%").replace("?", "%s"))


class _Executor:
    """`execute` / `executemany` on one connection (a transaction's, or a one-off)."""

    def __init__(self, conn: Any, postgres: bool) -> None:
        self._conn, self._postgres = conn, postgres

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        if self._postgres:
            return self._conn.execute(to_pyformat(sql), params)
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any] | dict[str, Any]]) -> None:
        if not rows:
            return
        if self._postgres:
            with self._conn.cursor() as cur:
                cur.executemany(to_pyformat(sql), rows)
        else:
            self._conn.executemany(sql, rows)


class Database:
    """A store's SQL handle; see the module docstring. `close()` when done."""

    def __init__(self, location: Location, pool_size: int = 2) -> None:
        self.location = location
        self.postgres = location.backend == "postgres"
        self._lock = threading.RLock()
        if self.postgres:
            self._pool = _open_pool(location, pool_size)
        else:
            Path(location.target).parent.mkdir(parents=True, exist_ok=True)
            self._sqlite = sqlite3.connect(location.target, timeout=10.0, isolation_level=None,
                                           check_same_thread=False)
            self._sqlite.row_factory = sqlite3.Row
            self._sqlite.execute("PRAGMA journal_mode=WAL")
            self._sqlite.execute("PRAGMA synchronous=FULL")

    def close(self) -> None:
        if self.postgres:
            self._pool.close()
        else:
            with self._lock:
                self._sqlite.close()

    def migrate(self, component: str, migrations: Sequence[Migration]) -> int:
        if self.postgres:
            with self._conn() as conn:
                return migrate_postgres(conn, component, migrations)
        with self._lock:
            return migrate_sqlite(self._sqlite, component, migrations)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        """One statement outside any transaction; its cursor (rows are fetched at once on Postgres)."""
        if self.postgres:
            with self._conn() as conn:
                return _Fetched(_Executor(conn, True).execute(sql, params))
        with self._lock:
            return _Fetched(self._sqlite.execute(sql, params))

    @contextmanager
    def tx(self) -> Iterator[_Executor]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        if self.postgres:
            with self._conn() as conn, conn.transaction():
                yield _Executor(conn, True)
            return
        with self._lock:
            self._sqlite.execute("BEGIN IMMEDIATE")
            try:
                yield _Executor(self._sqlite, False)
            except BaseException:
                self._sqlite.execute("ROLLBACK")
                raise
            self._sqlite.execute("COMMIT")

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except Exception as exc:
            import psycopg
            from psycopg_pool import PoolTimeout

            if isinstance(exc, psycopg.OperationalError | PoolTimeout):
                raise DbUnavailable(f"db: {self.location.shown} does not answer ({first_line(exc)})") from None
            raise


class _Fetched:
    """A finished statement: its rows (by column name) and rowcount, usable after the connection is back."""

    def __init__(self, cursor: Any) -> None:
        self.rowcount = cursor.rowcount
        self._rows = list(cursor.fetchall()) if cursor.description else []

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return list(self._rows)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)


def _open_pool(location: Location, pool_size: int) -> Any:
    import psycopg
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    try:
        psycopg.connect(location.target, connect_timeout=10).close()
    except psycopg.OperationalError as exc:
        raise DbUnavailable(f"db: cannot connect to {location.shown} ({first_line(exc)})") from None
    pool = ConnectionPool(location.target, min_size=1, max_size=pool_size, open=False, timeout=10,
                          kwargs={"autocommit": True, "row_factory": dict_row}, name="keel-db")
    pool.open(wait=True, timeout=10)
    return pool


def open_database(location: str | Path | Location, pool_size: int = 2) -> Database:
    """The handle for a sqlite path or a postgresql:// URL (parsed by `keel.db.parse_location`)."""
    where = location if isinstance(location, Location) else parse_location(str(location))
    return Database(where, pool_size)
