"""Auction history in sqlite (WAL), behind one small interface: rounds, their intents, candidates.

A round is written in three steps, each committed before the next stage touches the
chain: `open_round` (the intents it took, before any solver is asked), `record_candidates`
(every solver's answer and verdict), `close_round` (winner, tx hash, status). A round
still `running` after a crash is one the auctioneer must reconcile with the chain
(`auction.auctioneer.recover`) before it takes the same intents again. Round id = auction id.

Each candidate row stores its `Verdict` and, unless it settled, its `DropReason` by enum
value, beside the sentence the operator reads (`reason`); rows are read back by column
name into typed records (an unknown stored value is a `ValueError`, never a silent string).
A database written before `drop_reason` existed gains the column (NULL) when opened.
"""

from __future__ import annotations

import builtins
import sqlite3
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from auction.verdicts import DropReason, Verdict
from keel.errors import NotFoundError


class RoundStatus(StrEnum):
    RUNNING = "running"  # taken intents, not yet closed (or left so by a crash)
    SETTLED = "settled"  # a winner's transaction mined
    UNSETTLED = "unsettled"  # solutions came, none settled
    EMPTY = "empty"  # no node offered a solution


RUNNING, SETTLED, UNSETTLED, EMPTY = RoundStatus.RUNNING, RoundStatus.SETTLED, RoundStatus.UNSETTLED, RoundStatus.EMPTY

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rounds (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    block        INTEGER NOT NULL,
    status       TEXT NOT NULL,
    winner       TEXT,
    tx_hash      TEXT,
    note         TEXT,
    started_at   REAL NOT NULL,
    finished_at  REAL
);
CREATE TABLE IF NOT EXISTS round_intents (
    round_id   INTEGER NOT NULL REFERENCES rounds(id),
    intent_id  TEXT NOT NULL,
    PRIMARY KEY (round_id, intent_id)
);
CREATE TABLE IF NOT EXISTS candidates (
    round_id     INTEGER NOT NULL REFERENCES rounds(id),
    solver_url   TEXT NOT NULL,
    solver       TEXT,
    strategy     TEXT,
    claimed      TEXT,
    score        TEXT,
    gas          INTEGER,
    verdict      TEXT NOT NULL,
    drop_reason  TEXT,
    reason       TEXT NOT NULL,
    rank         INTEGER,
    latency_ms   INTEGER,
    tx_hash      TEXT,
    PRIMARY KEY (round_id, solver_url)
);
"""
_CANDIDATE_COLUMNS = ("solver_url", "solver", "strategy", "claimed", "score", "gas", "verdict", "drop_reason", "reason",
                      "rank", "latency_ms", "tx_hash")


@dataclass(frozen=True)
class CandidateRow:
    """One node's answer in one round, as stored. `claimed` and `score` are USD × 1e18."""

    solver_url: str
    solver: str | None
    strategy: str | None
    claimed: int | None
    score: int | None
    gas: int | None
    verdict: Verdict
    drop_reason: DropReason | None
    reason: str
    rank: int | None = None
    latency_ms: int | None = None
    tx_hash: str | None = None

    def public(self) -> dict[str, Any]:
        """As `keel auction show --json` prints it (uint values as decimal strings)."""
        return {
            "solverUrl": self.solver_url, "solver": self.solver, "strategy": self.strategy,
            "claimed": None if self.claimed is None else str(self.claimed),
            "score": None if self.score is None else str(self.score), "gas": self.gas, "verdict": str(self.verdict),
            "dropReason": None if self.drop_reason is None else str(self.drop_reason), "reason": self.reason,
            "rank": self.rank, "latencyMs": self.latency_ms, "txHash": self.tx_hash,
        }


@dataclass(frozen=True)
class RoundRecord:
    id: int
    block: int
    status: RoundStatus
    winner: str | None
    tx_hash: str | None
    note: str | None
    started_at: float
    finished_at: float | None
    intents: tuple[str, ...]
    candidates: tuple[CandidateRow, ...]

    def public(self) -> dict[str, Any]:
        """The record as `keel auction show --json` prints it."""
        return {
            "round": self.id, "block": self.block, "status": str(self.status), "winner": self.winner,
            "txHash": self.tx_hash, "note": self.note, "startedAt": self.started_at, "finishedAt": self.finished_at,
            "intents": list(self.intents), "candidates": [c.public() for c in self.candidates],
        }


def connect(path: Path | str) -> sqlite3.Connection:
    """One sqlite connection in WAL mode, autocommit (writes use explicit BEGIN IMMEDIATE); rows by name."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), timeout=10.0, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=10000")
    return db


class Tx:
    """`with Tx(db) as db:` one IMMEDIATE transaction: committed on success, rolled back on error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def _int(text: str | None) -> int | None:
    return None if text is None else int(text)


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def _candidate(row: sqlite3.Row) -> CandidateRow:
    return CandidateRow(
        solver_url=row["solver_url"], solver=row["solver"], strategy=row["strategy"], claimed=_int(row["claimed"]),
        score=_int(row["score"]), gas=row["gas"], verdict=Verdict(row["verdict"]),
        drop_reason=None if row["drop_reason"] is None else DropReason.of_value(row["drop_reason"]),
        reason=row["reason"],
        rank=row["rank"], latency_ms=row["latency_ms"], tx_hash=row["tx_hash"])


def _migrate(db: sqlite3.Connection) -> None:
    columns = {r["name"] for r in db.execute("PRAGMA table_info(candidates)")}
    if "drop_reason" not in columns:
        db.execute("ALTER TABLE candidates ADD COLUMN drop_reason TEXT")


class RoundStore:
    """Rounds on one sqlite file. Amounts (scores) are stored as decimal text: they exceed int64."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db = connect(self.path)
        self._db.executescript(_SCHEMA)
        _migrate(self._db)

    def close(self) -> None:
        self._db.close()

    def open_round(self, block: int, intent_ids: list[str]) -> int:
        with Tx(self._db) as db:
            cur = db.execute("INSERT INTO rounds (block, status, started_at) VALUES (?, ?, ?)",
                             (block, str(RUNNING), time.time()))
            round_id = int(cur.lastrowid or 0)
            db.executemany("INSERT INTO round_intents (round_id, intent_id) VALUES (?, ?)",
                           [(round_id, i) for i in intent_ids])
        return round_id

    def record_candidates(self, round_id: int, rows: list[CandidateRow]) -> None:
        names = ", ".join(_CANDIDATE_COLUMNS)
        marks = ", ".join(f":{c}" for c in _CANDIDATE_COLUMNS)
        with Tx(self._db) as db:
            db.execute("DELETE FROM candidates WHERE round_id = ?", (round_id,))
            db.executemany(f"INSERT INTO candidates (round_id, {names}) VALUES (:round_id, {marks})", [{
                "round_id": round_id, "solver_url": c.solver_url, "solver": c.solver, "strategy": c.strategy,
                "claimed": _text(c.claimed), "score": _text(c.score), "gas": c.gas, "verdict": str(Verdict(c.verdict)),
                "drop_reason": None if c.drop_reason is None else str(DropReason.of_value(c.drop_reason)),
                "reason": c.reason,
                "rank": c.rank, "latency_ms": c.latency_ms, "tx_hash": c.tx_hash} for c in rows])

    def note_submission(self, round_id: int, winner: str, tx_hash: str) -> None:
        """Record a sent settlement before waiting for it: a crash now leaves a hash to reconcile."""
        with Tx(self._db) as db:
            db.execute("UPDATE rounds SET winner = ?, tx_hash = ? WHERE id = ?", (winner, tx_hash, round_id))

    def close_round(self, round_id: int, status: RoundStatus, winner: str | None = None, tx_hash: str | None = None,
                    note: str | None = None) -> None:
        with Tx(self._db) as db:
            db.execute("UPDATE rounds SET status = ?, winner = COALESCE(?, winner), tx_hash = COALESCE(?, tx_hash),"
                       " note = ?, finished_at = ? WHERE id = ?",
                       (str(RoundStatus(status)), winner, tx_hash, note, time.time(), round_id))

    def get(self, round_id: int) -> RoundRecord:
        row = self._db.execute("SELECT * FROM rounds WHERE id = ?", (round_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"ROUND: no round {round_id} in {self.path} (see `keel auction list`)")
        intents = tuple(r["intent_id"] for r in self._db.execute(
            "SELECT intent_id FROM round_intents WHERE round_id = ? ORDER BY intent_id", (round_id,)))
        candidates = tuple(_candidate(r) for r in self._db.execute(
            "SELECT * FROM candidates WHERE round_id = ? ORDER BY rank IS NULL, rank, solver_url", (round_id,)))
        return RoundRecord(id=row["id"], block=row["block"], status=RoundStatus(row["status"]), winner=row["winner"],
                           tx_hash=row["tx_hash"], note=row["note"], started_at=row["started_at"],
                           finished_at=row["finished_at"], intents=intents, candidates=candidates)

    def list(self, limit: int = 20) -> list[RoundRecord]:
        ids = [r["id"] for r in self._db.execute("SELECT id FROM rounds ORDER BY id DESC LIMIT ?", (limit,))]
        return [self.get(i) for i in ids]

    def running(self) -> builtins.list[RoundRecord]:
        """Rounds a crashed auctioneer left open."""
        return [self.get(r["id"]) for r in self._db.execute("SELECT id FROM rounds WHERE status = ?", (str(RUNNING),))]

    def last_id(self) -> int:
        row = self._db.execute("SELECT MAX(id) AS last FROM rounds").fetchone()
        return int(row["last"] or 0)
