"""`IntentStore` on Postgres (psycopg 3 + a connection pool): several orderbook processes, one database.

Durability: `add` returns after COMMIT, which with Postgres's default `synchronous_commit=on`
means the WAL record is flushed: an acknowledged intent survives the orderbook being killed.

Across processes (each its own pool):
- A replayed id or (owner, nonce) hits the primary key / `intents_owner_nonce` unique
  constraint, whichever process inserted first: `DuplicateIntent` names which.
- A transition locks its rows `FOR UPDATE` in id order (so two batches that overlap never
  deadlock), checks every status, then updates: under READ COMMITTED the second of two
  racing `mark_in_auction` calls waits, re-reads the rows as the first left them, and is
  refused, so an intent any orderbook accepted is auctioned once.
- A per-owner cap takes a transaction-scoped advisory lock on the owner before counting, so
  concurrent submissions by one owner are counted one after another.
- `expire` is one `UPDATE ... RETURNING`: concurrent calls expire each intent once.

The schema is migrated on open (`keel.db.migrations`); a database migrated by a newer keel is
refused before the pool opens. Connection failures are a `DbUnavailable` naming the URL without
its password.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool, PoolTimeout

from intents.lifecycle import (
    EXPIRED,
    LIVE,
    OPEN,
    PARKED,
    IntentStatus,
    StoredIntent,
)
from intents.model import SignedIntent
from keel.db import DbUnavailable, Location, first_line, parse_location
from keel.db.lease import advisory_key
from keel.db.migrations import migrate_postgres
from orderbook.storage import records
from orderbook.storage.records import COMPONENT, SELECT
from orderbook.storage.schema import MIGRATIONS
from orderbook.storage.transitions import Transitions

_LIVE = [s.value for s in LIVE]


class PostgresStore(Transitions):
    """`IntentStore` on the Postgres database at `url`, through a pool of `pool_size` connections."""

    backend = "postgres"

    def __init__(self, url: str, pool_size: int = 4, connect_timeout_s: float = 10.0) -> None:
        self.location: Location = parse_location(url)
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=int(connect_timeout_s)) as conn:
                self.schema_version = migrate_postgres(conn, COMPONENT, MIGRATIONS)
        except psycopg.OperationalError as exc:
            raise self._unavailable(exc) from None
        self._pool = ConnectionPool(url, min_size=1, max_size=pool_size, kwargs={"autocommit": True},
                                    timeout=connect_timeout_s, open=False, name="keel-orderbook")
        self._pool.open(wait=True, timeout=connect_timeout_s)

    def close(self) -> None:
        self._pool.close()

    def synchronous_commit(self) -> str:
        with self._conn() as conn:
            return str(conn.execute("SHOW synchronous_commit").fetchone()[0])

    # ---- writes ----------------------------------------------------------------------

    def add(self, intent_id: str, signed: SignedIntent, max_open_per_owner: int | None = None) -> StoredIntent:
        """Insert as `open`; committed before returning. See `IntentStore` for the refusals."""
        row = records.insert_values(intent_id, signed, time.time())
        try:
            with self._conn() as conn, conn.transaction():
                if max_open_per_owner is not None:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(f"keel.owner:{row['owner']}"),))
                    if self._live(conn, row["owner"]) >= max_open_per_owner:
                        raise records.cap_reached(row["owner"], max_open_per_owner)
                stored = conn.execute(
                    f"INSERT INTO intents ({', '.join(row)}) VALUES ({', '.join('%s' for _ in row)})"
                    f" RETURNING {SELECT}",
                    tuple(row.values()),
                ).fetchone()
        except pg_errors.UniqueViolation as exc:
            if exc.diag.constraint_name == "intents_pkey":
                raise records.duplicate_id(intent_id) from None
            raise records.duplicate_nonce(signed) from None
        return records.decode(stored)

    def _transition(self, ids: builtins.list[str], to: IntentStatus, tx_hash: str | None = None,
                    reason: str | None = None, rounds: int = 0) -> builtins.list[str]:
        ids = records.unique(ids)
        with self._conn() as conn, conn.transaction():
            found = dict(conn.execute("SELECT id, status FROM intents WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                                      (ids,)).fetchall())
            for intent_id in ids:
                records.check_transition(intent_id, found.get(intent_id), to)
            conn.execute(
                "UPDATE intents SET status = %s, tx_hash = COALESCE(%s, tx_hash), reason = %s,"
                " rounds = rounds + %s, updated_at = %s WHERE id = ANY(%s)",
                (to.value, tx_hash, reason, rounds, time.time(), ids),
            )
        return ids

    def note_waiting(self, reasons: Mapping[str, str]) -> None:
        """Why each still-open intent was left out of the last snapshot; no status changes."""
        if not reasons:
            return
        now = time.time()
        with self._conn() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany("UPDATE intents SET reason = %s, updated_at = %s WHERE id = %s AND status = %s",
                            [(why, now, i, OPEN.value) for i, why in reasons.items()])

    def expire(self, now_s: int) -> builtins.list[str]:
        """Mark every open or parked intent whose validTo < now as expired; return their ids."""
        with self._conn() as conn:
            rows = conn.execute(
                "UPDATE intents SET status = %s, reason = %s, updated_at = %s"
                " WHERE status = ANY(%s) AND valid_to < %s RETURNING created_at, id",
                (EXPIRED.value, records.EXPIRED_REASON, time.time(), [OPEN.value, PARKED.value], now_s),
            ).fetchall()
        return [r[1] for r in sorted(rows)]

    # ---- reads -----------------------------------------------------------------------

    def get(self, intent_id: str) -> StoredIntent:
        with self._conn() as conn:
            row = conn.execute(f"SELECT {SELECT} FROM intents WHERE id = %s", (intent_id,)).fetchone()
        if row is None:
            raise records.not_found(intent_id)
        return records.decode(row)

    def list(self, status: str | None = None, owner: str | None = None, limit: int = 100) -> builtins.list[StoredIntent]:
        where, args = records.list_filter(status, owner, "%s")
        with self._conn() as conn:
            rows = conn.execute(f"SELECT {SELECT} FROM intents {where} ORDER BY created_at, id LIMIT %s",
                                (*args, limit)).fetchall()
        return [records.decode(r) for r in rows]

    def open_intents(self, now_s: int) -> builtins.list[StoredIntent]:
        """Open and still valid at `now_s`: what the next auction may take."""
        with self._conn() as conn:
            rows = conn.execute(f"SELECT {SELECT} FROM intents WHERE status = %s AND valid_to >= %s"
                                " ORDER BY created_at, id", (OPEN.value, now_s)).fetchall()
        return [records.decode(r) for r in rows]

    def open_count(self, owner: str) -> int:
        """The owner's live intents (open, in an auction, or parked)."""
        with self._conn() as conn:
            return self._live(conn, owner)

    def count(self) -> int:
        with self._conn() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM intents").fetchone()[0])

    # ---- internals -------------------------------------------------------------------

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        """A pooled connection (autocommit; writes open `conn.transaction()`); outages -> DbUnavailable."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise self._unavailable(exc) from None

    @staticmethod
    def _live(conn: Any, owner: str) -> int:
        return int(conn.execute("SELECT COUNT(*) FROM intents WHERE owner = %s AND status = ANY(%s)",
                                (owner, _LIVE)).fetchone()[0])

    def _unavailable(self, exc: BaseException) -> DbUnavailable:
        return DbUnavailable(f"db: {self.location.shown} does not answer ({first_line(exc)})")
