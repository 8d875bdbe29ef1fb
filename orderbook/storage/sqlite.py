"""`IntentStore` on one sqlite file: WAL, synchronous=FULL, the embedded default.

Durability: `add` returns only after its transaction has committed with `synchronous=FULL`,
so an intent the API acknowledged survives a SIGKILL of the process. Every write is one
`BEGIN IMMEDIATE` transaction, so writers from several processes on the same file queue
(busy_timeout 10 s) and each transition's check-then-update cannot interleave with another's.
Readers never block (WAL). Within a process one connection is shared, guarded by a lock, so
callers on several threads see whole transactions. The schema is migrated on open.
"""

from __future__ import annotations

import builtins
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from intents.lifecycle import (
    EXPIRED,
    LIVE,
    OPEN,
    PARKED,
    IntentStatus,
    StoredIntent,
)
from intents.model import SignedIntent
from keel.db.migrations import migrate_sqlite
from orderbook.storage import records
from orderbook.storage.records import COMPONENT, SELECT
from orderbook.storage.schema import MIGRATIONS
from orderbook.storage.transitions import Transitions

_LIVE = tuple(s.value for s in LIVE)


class SqliteStore(Transitions):
    """`IntentStore` on one sqlite file (WAL, synchronous=FULL)."""

    backend = "sqlite"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=10000")
        with self._lock:
            self.schema_version = migrate_sqlite(self._db, COMPONENT, MIGRATIONS)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    # ---- writes ----------------------------------------------------------------------

    def add(self, intent_id: str, signed: SignedIntent, max_open_per_owner: int | None = None) -> StoredIntent:
        """Insert as `open`; committed before returning. See `IntentStore` for the refusals."""
        row = records.insert_values(intent_id, signed, time.time())
        row["nonce"] = str(row["nonce"])  # sqlite INTEGER stops at 2**63; a uint256 nonce is TEXT here
        try:
            with self._tx():
                if max_open_per_owner is not None and self._live(row["owner"]) >= max_open_per_owner:
                    raise records.cap_reached(row["owner"], max_open_per_owner)
                self._db.execute(
                    f"INSERT INTO intents ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                    tuple(row.values()),
                )
        except sqlite3.IntegrityError:
            if self._row(intent_id) is not None:
                raise records.duplicate_id(intent_id) from None
            raise records.duplicate_nonce(signed) from None
        return self.get(intent_id)

    def _transition(self, ids: builtins.list[str], to: IntentStatus, tx_hash: str | None = None,
                    reason: str | None = None, rounds: int = 0) -> builtins.list[str]:
        ids = records.unique(ids)
        with self._tx():
            for intent_id in ids:
                records.check_transition(intent_id, self._status(intent_id), to)
            now = time.time()
            self._db.executemany(
                "UPDATE intents SET status = ?, tx_hash = COALESCE(?, tx_hash), reason = ?, rounds = rounds + ?,"
                " updated_at = ? WHERE id = ?",
                [(to.value, tx_hash, reason, rounds, now, i) for i in ids],
            )
        return ids

    def note_waiting(self, reasons: Mapping[str, str]) -> None:
        """Why each still-open intent was left out of the last snapshot; no status changes."""
        now = time.time()
        with self._tx():
            self._db.executemany("UPDATE intents SET reason = ?, updated_at = ? WHERE id = ? AND status = ?",
                                 [(why, now, i, OPEN.value) for i, why in reasons.items()])

    def expire(self, now_s: int) -> builtins.list[str]:
        """Mark every open or parked intent whose validTo < now as expired; return their ids."""
        with self._tx():
            ids = [r[0] for r in self._db.execute(
                "SELECT id FROM intents WHERE status IN (?, ?) AND valid_to < ? ORDER BY created_at, id",
                (OPEN.value, PARKED.value, now_s))]
            now = time.time()
            self._db.executemany("UPDATE intents SET status = ?, reason = ?, updated_at = ? WHERE id = ?",
                                 [(EXPIRED.value, records.EXPIRED_REASON, now, i) for i in ids])
        return ids

    # ---- reads -----------------------------------------------------------------------

    def get(self, intent_id: str) -> StoredIntent:
        row = self._row(intent_id)
        if row is None:
            raise records.not_found(intent_id)
        return row

    def list(self, status: str | None = None, owner: str | None = None, limit: int = 100) -> builtins.list[StoredIntent]:
        where, args = records.list_filter(status, owner, "?")
        with self._lock:
            rows = self._db.execute(f"SELECT {SELECT} FROM intents {where} ORDER BY created_at, id LIMIT ?",
                                    (*args, limit)).fetchall()
        return [records.decode(r) for r in rows]

    def open_intents(self, now_s: int) -> builtins.list[StoredIntent]:
        """Open and still valid at `now_s`: what the next auction may take."""
        with self._lock:
            rows = self._db.execute(f"SELECT {SELECT} FROM intents WHERE status = ? AND valid_to >= ?"
                                    " ORDER BY created_at, id", (OPEN.value, now_s)).fetchall()
        return [records.decode(r) for r in rows]

    def open_count(self, owner: str) -> int:
        """The owner's live intents (open, in an auction, or parked)."""
        with self._lock:
            return self._live(owner)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM intents").fetchone()[0])

    # ---- internals -------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error): writers serialise, readers never block."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _live(self, owner: str) -> int:
        marks = ", ".join("?" for _ in _LIVE)
        return int(self._db.execute(f"SELECT COUNT(*) FROM intents WHERE owner = ? AND status IN ({marks})",
                                    (owner, *_LIVE)).fetchone()[0])

    def _status(self, intent_id: str) -> str | None:
        row = self._db.execute("SELECT status FROM intents WHERE id = ?", (intent_id,)).fetchone()
        return None if row is None else str(row[0])

    def _row(self, intent_id: str) -> StoredIntent | None:
        with self._lock:
            row = self._db.execute(f"SELECT {SELECT} FROM intents WHERE id = ?", (intent_id,)).fetchone()
        return records.decode(row) if row else None
