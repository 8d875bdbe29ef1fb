"""One vocabulary end to end: each `Verdict` (and its `DropReason`) goes over the wire to a real
node (`/notify`), into the rounds database, and out of `keel auction show`, unchanged."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from auction.auctioneer import candidate_row
from auction.auctioneer.notify import notice, notify_all
from auction.auctioneer.stages import (
    Asked,
    Lost,
    Outcome,
    Proposed,
    Ranked,
    Refused,
    Settled,
    Simulated,
    Verified,
)
from auction.endpoint import Endpoint
from auction.node import make_app
from auction.rounds import RoundStore
from auction.verdicts import Drop, DropReason, Verdict
from tests.fakes.auctioneer import AUCTIONEER, trusting
from tests.helpers import Server, run_cli
from tests.unit.auction.test_node import Fixed, call
from tests.unit.auction.test_verify import SETTLEMENT, SOLVER, cow, make_auction

TX = "0x" + "cd" * 32


def outcomes(url: str) -> dict[Verdict, Outcome]:
    """One outcome per verdict, each from the stage its verdict is reached at."""
    solution = cow(make_auction())
    asked = Asked(Endpoint(url, SOLVER, 0.0), 42)
    proposed = Proposed(asked, solution)
    ranked = Ranked(Simulated(Verified(proposed, solution.score_e18), b"\x01", 180_000, 7 * 10**18), 1)
    return {
        Verdict.SETTLED: Settled(ranked, TX, 150_123),
        Verdict.LOST: Lost(ranked, 9 * 10**18),
        Verdict.FAILED: Refused(ranked, Drop.of(DropReason.REVERTED_ON_CHAIN, tx_hash=TX), tx_hash=TX),
        Verdict.DROPPED: Refused(proposed, Drop.of(DropReason.SCORE_MISMATCH, "score", claimed=9, recomputed=7)),
        Verdict.EMPTY: Refused(asked, Drop.of(DropReason.NO_SOLUTION, why="nothing trades")),
    }


def test_every_verdict_has_an_outcome_here() -> None:
    assert set(outcomes("http://x")) == set(Verdict)
    assert {v: o.verdict for v, o in outcomes("http://x").items()} == {v: v for v in Verdict}


@pytest.mark.parametrize("verdict", list(Verdict))
def test_each_verdict_round_trips_wire_then_database_then_cli(
        verdict: Verdict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    node = Server(make_app(Fixed(), SOLVER, **trusting(SETTLEMENT)))
    try:
        outcome = outcomes(node.url)[verdict]
        asyncio.run(notify_all(7, [outcome], AUCTIONEER))  # the wire: what the auctioneer sends, as the node keeps it
        status, told = call(node.url + "/notifications")
    finally:
        node.stop()
    drop = None if outcome.drop is None else str(outcome.drop.reason)
    assert status == 200 and [(n["auctionId"], n["verdict"], n["dropReason"], n["reason"], n["txHash"])
                              for n in told] == [(7, str(verdict), drop, outcome.reason, outcome.tx_hash)]

    db = tmp_path / "auction.db"  # the database: what the round records
    rounds = RoundStore(db)
    round_id = rounds.open_round(100, ["0x" + "ab" * 32])
    rounds.record_candidates(round_id, [candidate_row(outcome)])
    rounds.close_round(round_id, "settled" if verdict is Verdict.SETTLED else "unsettled")
    (stored,) = rounds.get(round_id).candidates
    rounds.close()
    assert (stored.verdict, stored.drop_reason, stored.reason) == (verdict, outcome.drop and outcome.drop.reason,
                                                                   outcome.reason)
    raw = sqlite3.connect(db).execute("SELECT verdict, drop_reason FROM candidates").fetchone()
    assert raw == (str(verdict), drop)  # the enum's value is what sits in the column

    shown = run_cli(capsys, "auction", "show", str(round_id), "--db", str(db), "--json")  # the CLI
    assert shown.code == 0, shown.err
    (row,) = json.loads(shown.out)["candidates"]
    assert (row["verdict"], row["dropReason"], row["reason"], row["txHash"]) == (str(verdict), drop, outcome.reason,
                                                                                 outcome.tx_hash)
    table = run_cli(capsys, "auction", "show", str(round_id), "--db", str(db))
    assert table.code == 0 and str(verdict) in table.out and (drop or "-") in table.out


def test_the_notice_says_what_the_node_is_told() -> None:
    told = {v: notice(3, o) for v, o in outcomes("http://x").items()}
    assert told[Verdict.SETTLED].dropReason is None and told[Verdict.SETTLED].txHash == TX
    assert told[Verdict.SETTLED].reason == "won with score $7.00 (at the simulated gas); 150,123 gas used on chain"
    assert told[Verdict.LOST].dropReason is DropReason.OUTRANKED and told[Verdict.LOST].txHash is None
    assert told[Verdict.EMPTY].reason == "no solution: nothing trades"


def test_a_row_with_an_unknown_verdict_is_an_error_not_a_string(tmp_path: Path) -> None:
    db = tmp_path / "auction.db"
    rounds = RoundStore(db)
    round_id = rounds.open_round(1, [])
    rounds.record_candidates(round_id, [candidate_row(outcomes("http://x")[Verdict.LOST])])
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE candidates SET verdict = 'won'")
    with pytest.raises(ValueError, match="'won' is not a valid Verdict"):
        rounds.get(round_id)
    rounds.close()


def test_opens_a_database_written_before_drop_reasons_and_reads_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as raw:  # the previous schema: no drop_reason column
        raw.executescript("""
            CREATE TABLE rounds (id INTEGER PRIMARY KEY AUTOINCREMENT, block INTEGER NOT NULL, status TEXT NOT NULL,
                winner TEXT, tx_hash TEXT, note TEXT, started_at REAL NOT NULL, finished_at REAL);
            CREATE TABLE round_intents (round_id INTEGER NOT NULL, intent_id TEXT NOT NULL);
            CREATE TABLE candidates (round_id INTEGER NOT NULL, solver_url TEXT NOT NULL, solver TEXT, strategy TEXT,
                claimed TEXT, score TEXT, gas INTEGER, verdict TEXT NOT NULL, reason TEXT NOT NULL, rank INTEGER,
                latency_ms INTEGER, tx_hash TEXT, PRIMARY KEY (round_id, solver_url));
            INSERT INTO rounds (block, status, started_at) VALUES (5, 'settled', 1.0);
            INSERT INTO candidates (round_id, solver_url, verdict, reason) VALUES (1, 'http://a', 'dropped', 'late');
        """)
    rounds = RoundStore(db)
    (row,) = rounds.get(1).candidates
    rounds.close()
    assert (row.solver_url, row.verdict, row.drop_reason, row.reason) == ("http://a", Verdict.DROPPED, None, "late")
