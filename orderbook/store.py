"""The orderbook's storage: sqlite in WAL mode, behind one small interface.

Lifecycle of an intent (each arrow is one method; anything else is a `TransitionError`):

    open ──mark_in_auction──▶ in_auction ──mark_settled(tx)──▶ settled
      │  ◀──────reopen─────────┘    └──mark_failed(reason)──▶ failed
      ├──cancel──▶ cancelled
      └──expire(now)──▶ expired            (in_auction intents expire only after reopen)

Durability: `add` returns only after the transaction has committed with
`synchronous=FULL`, so an intent the API acknowledged survives a SIGKILL of the
process. `UNIQUE(owner, nonce)` makes a replayed nonce a `DuplicateIntent` even under
concurrent writers. The store keeps the wire JSON of the signed intent verbatim.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from intents.errors import DuplicateIntent, IntentError, IntentNotFound, TransitionError
from intents.lifecycle import (
    ALLOWED,
    CANCELLED,
    EXPIRED,
    FAILED,
    IN_AUCTION,
    OPEN,
    SETTLED,
    STATUSES,
    IntentStatus,
    StoredIntent,
)
from intents.model import SignedIntent
from intents.wire import SignedIntentModel

_SCHEMA = """
CREATE TABLE IF NOT EXISTS intents (
    id          TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    nonce       TEXT NOT NULL,
    kind        INTEGER NOT NULL,
    valid_to    INTEGER NOT NULL,
    status      TEXT NOT NULL,
    signed      TEXT NOT NULL,
    tx_hash     TEXT,
    reason      TEXT,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL,
    UNIQUE (owner, nonce)
);
CREATE INDEX IF NOT EXISTS intents_status ON intents (status, created_at);
CREATE INDEX IF NOT EXISTS intents_owner ON intents (owner, created_at);
"""


class SqliteStore:
    """`IntentStore` on one sqlite file (WAL, synchronous=FULL). One connection per store."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def journal_mode(self) -> str:
        return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    # ---- writes ----------------------------------------------------------------------

    def add(self, intent_id: str, signed: SignedIntent) -> StoredIntent:
        """Insert as `open`; committed before returning. Same id or same (owner, nonce): DuplicateIntent."""
        now = time.time()
        body = SignedIntentModel.from_signed(signed).model_dump_json()
        intent = signed.intent
        try:
            with self._tx():
                self._db.execute(
                    "INSERT INTO intents (id, owner, nonce, kind, valid_to, status, signed, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (intent_id, intent.owner, str(intent.nonce), int(intent.kind), min(intent.valid_to, 2**62),
                     OPEN, body, now, now),
                )
        except sqlite3.IntegrityError:
            if self._row(intent_id) is not None:
                raise DuplicateIntent(f"id: intent {intent_id} is already in the orderbook", "id") from None
            raise DuplicateIntent(
                f"nonce: {intent.owner} already used nonce {intent.nonce} (a replayed nonce; pick a fresh one)", "nonce"
            ) from None
        return self.get(intent_id)

    def _transition(self, ids: builtins.list[str], to: str, tx_hash: str | None = None, reason: str | None = None) -> None:
        with self._tx():
            for intent_id in ids:
                current = IntentStatus(self._status(intent_id))
                if to not in ALLOWED[current]:
                    raise TransitionError(f"status: intent {intent_id} is {current}; it cannot become {to}")
                self._db.execute(
                    "UPDATE intents SET status = ?, tx_hash = COALESCE(?, tx_hash), reason = COALESCE(?, reason),"
                    " updated_at = ? WHERE id = ?",
                    (to, tx_hash, reason, time.time(), intent_id),
                )

    def mark_in_auction(self, ids: builtins.list[str]) -> None:
        self._transition(ids, IN_AUCTION)

    def reopen(self, ids: builtins.list[str]) -> None:
        """Back to `open` after an auction that did not settle them."""
        self._transition(ids, OPEN)

    def mark_settled(self, intent_id: str, tx_hash: str) -> None:
        self._transition([intent_id], SETTLED, tx_hash=tx_hash)

    def mark_failed(self, intent_id: str, reason: str) -> None:
        self._transition([intent_id], FAILED, reason=reason)

    def cancel(self, intent_id: str) -> None:
        self._transition([intent_id], CANCELLED, reason="cancelled by owner")

    def expire(self, now_s: int) -> builtins.list[str]:
        """Mark every open intent whose validTo < now as expired; return their ids."""
        with self._tx():
            ids = [r[0] for r in self._db.execute("SELECT id FROM intents WHERE status = ? AND valid_to < ?", (OPEN, now_s))]
            self._db.executemany(
                "UPDATE intents SET status = ?, updated_at = ? WHERE id = ?", [(EXPIRED, time.time(), i) for i in ids]
            )
        return ids

    # ---- reads -----------------------------------------------------------------------

    def get(self, intent_id: str) -> StoredIntent:
        row = self._row(intent_id)
        if row is None:
            raise IntentNotFound(f"id: no intent {intent_id} in the orderbook")
        return row

    def list(self, status: str | None = None, owner: str | None = None, limit: int = 100) -> builtins.list[StoredIntent]:
        if status is not None and status not in STATUSES:
            raise IntentError(f"status: {status!r} is not one of {', '.join(STATUSES)}", "status")
        clauses, args = [], []
        if status is not None:
            clauses.append("status = ?")
            args.append(status)
        if owner is not None:
            clauses.append("owner = ?")
            args.append(owner)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._db.execute(f"SELECT * FROM intents {where} ORDER BY created_at, id LIMIT ?", (*args, limit))
        return [self._decode(r) for r in rows]

    def open_intents(self, now_s: int) -> builtins.list[StoredIntent]:
        """Open and still valid at `now_s`: what the next auction may take."""
        rows = self._db.execute(
            "SELECT * FROM intents WHERE status = ? AND valid_to >= ? ORDER BY created_at, id", (OPEN, now_s)
        )
        return [self._decode(r) for r in rows]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM intents").fetchone()[0])

    # ---- internals -------------------------------------------------------------------

    def _tx(self) -> Any:
        return _Transaction(self._db)

    def _status(self, intent_id: str) -> str:
        row = self._db.execute("SELECT status FROM intents WHERE id = ?", (intent_id,)).fetchone()
        if row is None:
            raise IntentNotFound(f"id: no intent {intent_id} in the orderbook")
        return str(row[0])

    def _row(self, intent_id: str) -> StoredIntent | None:
        row = self._db.execute("SELECT * FROM intents WHERE id = ?", (intent_id,)).fetchone()
        return self._decode(row) if row else None

    def _decode(self, row: tuple[Any, ...]) -> StoredIntent:
        (id_, owner, nonce, _kind, _valid_to, status, signed, tx_hash, reason, created, updated) = row
        model = SignedIntentModel.model_validate(json.loads(signed))
        return StoredIntent(id_, owner, int(nonce), status, model.to_signed(), int(model.intent.validTo),
                            tx_hash, reason, created, updated)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error): writers serialise, readers never block."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def open_store(location: str | Path) -> SqliteStore:
    """A store from a path or a `sqlite:///path` URL (other schemes: not yet)."""
    text = str(location)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    elif "://" in text:
        raise IntentError(f"db: {text!r}: only sqlite paths or sqlite:/// URLs are supported", "db")
    return SqliteStore(text)
