"""Auction history in sqlite (WAL), behind one small interface: rounds, their intents, candidates.

A round is written in three steps, each committed before the next stage touches the
chain: `open_round` (the intents it took, before any solver is asked), `record_candidates`
(every solver's answer and verdict), `close_round` (winner, tx hash, status). A round
still `running` after a crash is one the auctioneer must reconcile with the chain
(`auction.auctioneer.recover`) before it takes the same intents again. Round id = auction id.

Candidate verdicts: `settled` (won, transaction mined), `failed` (won, transaction
reverted or never sent), `lost` (valid, ranked lower, or not needed), `dropped` (late,
malformed, out of bounds, simulation reverted, ...), `empty` (the solver had no solution).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keel.errors import NotFoundError

RUNNING, SETTLED, UNSETTLED, EMPTY = "running", "settled", "unsettled", "empty"
VERDICTS = ("settled", "failed", "lost", "dropped", "empty")

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
    round_id    INTEGER NOT NULL REFERENCES rounds(id),
    solver_url  TEXT NOT NULL,
    solver      TEXT,
    strategy    TEXT,
    claimed     TEXT,
    score       TEXT,
    gas         INTEGER,
    verdict     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    rank        INTEGER,
    latency_ms  INTEGER,
    tx_hash     TEXT,
    PRIMARY KEY (round_id, solver_url)
);
"""


@dataclass(frozen=True)
class CandidateRow:
    solver_url: str
    solver: str | None
    strategy: str | None
    claimed: int | None
    score: int | None
    gas: int | None
    verdict: str
    reason: str
    rank: int | None = None
    latency_ms: int | None = None
    tx_hash: str | None = None


@dataclass(frozen=True)
class RoundRecord:
    id: int
    block: int
    status: str
    winner: str | None
    tx_hash: str | None
    note: str | None
    started_at: float
    finished_at: float | None
    intents: tuple[str, ...]
    candidates: tuple[CandidateRow, ...]

    def public(self) -> dict[str, Any]:
        """The record as `keel auction show --json` prints it (uint values as decimal strings)."""
        return {
            "round": self.id, "block": self.block, "status": self.status, "winner": self.winner,
            "txHash": self.tx_hash, "note": self.note, "startedAt": self.started_at, "finishedAt": self.finished_at,
            "intents": list(self.intents),
            "candidates": [{
                "solverUrl": c.solver_url, "solver": c.solver, "strategy": c.strategy,
                "claimed": None if c.claimed is None else str(c.claimed),
                "score": None if c.score is None else str(c.score), "gas": c.gas, "verdict": c.verdict,
                "reason": c.reason, "rank": c.rank, "latencyMs": c.latency_ms, "txHash": c.tx_hash,
            } for c in self.candidates],
        }


def connect(path: Path | str) -> sqlite3.Connection:
    """One sqlite connection in WAL mode, autocommit (writes use explicit BEGIN IMMEDIATE)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), timeout=10.0, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=10000")
    return db


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def _int(text: str | None) -> int | None:
    return None if text is None else int(text)


class RoundStore:
    """Rounds on one sqlite file. Amounts (scores) are stored as decimal text: they exceed int64."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db = connect(self.path)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def open_round(self, block: int, intent_ids: list[str]) -> int:
        with _Tx(self._db) as db:
            cur = db.execute("INSERT INTO rounds (block, status, started_at) VALUES (?, ?, ?)",
                             (block, RUNNING, time.time()))
            round_id = int(cur.lastrowid or 0)
            db.executemany("INSERT INTO round_intents (round_id, intent_id) VALUES (?, ?)",
                           [(round_id, i) for i in intent_ids])
        return round_id

    def record_candidates(self, round_id: int, rows: list[CandidateRow]) -> None:
        with _Tx(self._db) as db:
            db.execute("DELETE FROM candidates WHERE round_id = ?", (round_id,))
            db.executemany(
                "INSERT INTO candidates (round_id, solver_url, solver, strategy, claimed, score, gas, verdict, reason,"
                " rank, latency_ms, tx_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(round_id, c.solver_url, c.solver, c.strategy, None if c.claimed is None else str(c.claimed),
                  None if c.score is None else str(c.score), c.gas, c.verdict, c.reason, c.rank, c.latency_ms,
                  c.tx_hash) for c in rows],
            )

    def note_submission(self, round_id: int, winner: str, tx_hash: str) -> None:
        """Record a sent settlement before waiting for it: a crash now leaves a hash to reconcile."""
        with _Tx(self._db) as db:
            db.execute("UPDATE rounds SET winner = ?, tx_hash = ? WHERE id = ?", (winner, tx_hash, round_id))

    def close_round(self, round_id: int, status: str, winner: str | None = None, tx_hash: str | None = None,
                    note: str | None = None) -> None:
        with _Tx(self._db) as db:
            db.execute("UPDATE rounds SET status = ?, winner = COALESCE(?, winner), tx_hash = COALESCE(?, tx_hash),"
                       " note = ?, finished_at = ? WHERE id = ?",
                       (status, winner, tx_hash, note, time.time(), round_id))

    def get(self, round_id: int) -> RoundRecord:
        row = self._db.execute("SELECT id, block, status, winner, tx_hash, note, started_at, finished_at FROM rounds"
                               " WHERE id = ?", (round_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"ROUND: no round {round_id} in {self.path} (see `keel auction list`)")
        intents = tuple(r[0] for r in self._db.execute(
            "SELECT intent_id FROM round_intents WHERE round_id = ? ORDER BY intent_id", (round_id,)))
        candidates = tuple(
            CandidateRow(r[0], r[1], r[2], _int(r[3]), _int(r[4]), r[5], r[6], r[7], r[8], r[9], r[10])
            for r in self._db.execute(
                "SELECT solver_url, solver, strategy, claimed, score, gas, verdict, reason, rank, latency_ms, tx_hash"
                " FROM candidates WHERE round_id = ? ORDER BY rank IS NULL, rank, solver_url", (round_id,)))
        return RoundRecord(*row, intents=intents, candidates=candidates)

    def list(self, limit: int = 20) -> list[RoundRecord]:
        ids = [r[0] for r in self._db.execute("SELECT id FROM rounds ORDER BY id DESC LIMIT ?", (limit,))]
        return [self.get(i) for i in ids]

    def running(self) -> list[RoundRecord]:
        """Rounds a crashed auctioneer left open."""
        return [self.get(r[0]) for r in self._db.execute("SELECT id FROM rounds WHERE status = ?", (RUNNING,))]

    def last_id(self) -> int:
        row = self._db.execute("SELECT MAX(id) FROM rounds").fetchone()
        return int(row[0] or 0)
