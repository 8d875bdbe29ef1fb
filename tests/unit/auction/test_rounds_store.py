"""The auction's records — rounds, their intents, candidates, registered solvers — on both
backends (a sqlite file, a real Postgres database), sharing one database with the orderbook."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from auction.registry import Registry
from auction.rounds import MIGRATIONS, RUNNING, SETTLED, UNSETTLED, CandidateRow, RoundStore
from auction.verdicts import DropReason, Verdict
from keel.db import SchemaTooNew
from keel.errors import NotFoundError
from orderbook.store import open_store
from tests.helpers import run_cli

A, B = "0x" + "aa" * 32, "0x" + "bb" * 32
TX = "0x" + "cd" * 32
HUGE = 2**200  # a score in USD x 1e18 past int64


def rows() -> list[CandidateRow]:
    return [
        CandidateRow("http://127.0.0.1:8701", "0x" + "11" * 20, "milp", HUGE, HUGE - 5, 150_000, Verdict.SETTLED,
                     None, "won", rank=1, latency_ms=40, tx_hash=TX),
        CandidateRow("http://127.0.0.1:8702", None, "baseline", None, None, None, Verdict.DROPPED,
                     DropReason.ANSWERED_LATE, "late: answered 12 ms after the deadline"),
    ]


def test_should_record_a_round_from_open_to_settled(db_location: str) -> None:
    rounds = RoundStore(db_location)
    try:
        first = rounds.open_round(100, [B, A])
        second = rounds.open_round(101, [])
        assert second == first + 1 and rounds.last_id() == second
        rounds.record_candidates(first, rows())
        rounds.note_submission(first, "http://127.0.0.1:8701", TX)
        assert [r.id for r in rounds.running()] == [first, second]
        rounds.close_round(first, SETTLED, "http://127.0.0.1:8701", TX)
        rounds.close_round(second, UNSETTLED, note="recovered after a crash")
        record = rounds.get(first)
        assert (record.status, record.block, record.winner, record.tx_hash, record.intents) == (
            SETTLED, 100, "http://127.0.0.1:8701", TX, (A, B))
        assert record.candidates == tuple(rows())  # every field back, the huge score exactly
        assert [r.id for r in rounds.list()] == [second, first] and rounds.running() == []
        assert rounds.get(second).note == "recovered after a crash"
        rounds.record_candidates(first, rows()[1:])  # a second write replaces, never duplicates
        assert len(rounds.get(first).candidates) == 1
        with pytest.raises(NotFoundError, match="no round 999"):
            rounds.get(999)
    finally:
        rounds.close()


def test_should_register_update_and_remove_solvers(db_location: str) -> None:
    registry = Registry(db_location)
    try:
        registry.register("0x" + "11" * 20, "http://127.0.0.1:8701/")
        registry.register("0x" + "22" * 20, "http://127.0.0.1:8702")
        updated = registry.register("0x" + "33" * 20, "http://127.0.0.1:8701")
        assert updated.address.lower() == "0x" + "33" * 20
        assert [e.url for e in registry.all()] == ["http://127.0.0.1:8701", "http://127.0.0.1:8702"]
        registry.remove("http://127.0.0.1:8702")
        with pytest.raises(NotFoundError, match="no solver registered"):
            registry.remove("http://127.0.0.1:8702")
        assert [e.url for e in registry.all()] == ["http://127.0.0.1:8701"]
    finally:
        registry.close()


def test_should_share_one_database_with_the_orderbook(pg_server: Any) -> None:
    from tests.pg import fresh_database

    url = fresh_database(pg_server)
    store, rounds = open_store(url), RoundStore(url)
    try:
        assert rounds.open_round(7, [A]) == 1 and store.count() == 0
        with psycopg.connect(url) as conn:
            versions = conn.execute("SELECT component, version FROM schema_version ORDER BY component").fetchall()
        assert versions == [("auction", len(MIGRATIONS)), ("orderbook", 2)]
    finally:
        rounds.close()
        store.close()


def test_refuses_an_auction_schema_newer_than_this_keel(pg_server: Any) -> None:
    from tests.pg import fresh_database

    url = fresh_database(pg_server)
    RoundStore(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = 9 WHERE component = 'auction'")
    with pytest.raises(SchemaTooNew, match="auction schema is at version 9"):
        RoundStore(url)


def test_should_show_a_round_kept_in_postgres_from_the_cli(capsys: pytest.CaptureFixture[str], pg_server: Any) -> None:
    from tests.pg import fresh_database

    url = fresh_database(pg_server)
    rounds = RoundStore(url)
    round_id = rounds.open_round(100, [A])
    rounds.record_candidates(round_id, rows())
    rounds.close_round(round_id, SETTLED, "http://127.0.0.1:8701", TX)
    rounds.close()
    shown = run_cli(capsys, "auction", "show", str(round_id), "--db", url, "--json")
    assert shown.code == 0, shown.err
    record = json.loads(shown.out)
    assert (record["status"], record["txHash"], record["candidates"][0]["score"]) == ("settled", TX, str(HUGE - 5))
    assert record["candidates"][1]["dropReason"] == "answered_late"
    assert RUNNING == "running"


def test_refuses_a_second_auctioneer_on_the_same_database(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any, db_location: str
) -> None:
    from keel.db.lease import acquire_lease

    monkeypatch.setenv("KEEL_HOME", str(tmp_path / "home"))  # no chain up here
    monkeypatch.setenv("KEEL_CONFIG", str(tmp_path / "none.toml"))
    with acquire_lease(db_location, "auctioneer"):  # the auctioneer already running
        second = run_cli(capsys, "auction", "run", "--db", db_location)
    assert second.code == 5 and second.err.startswith("keel: lease: another process holds the 'auctioneer' lease")
    alone = run_cli(capsys, "auction", "run", "--db", db_location)  # the lease is free: on to the chain check
    assert alone.code == 2 and "no keel chain is up" in alone.err
    again = run_cli(capsys, "auction", "run", "--db", db_location)  # and it released the lease on the way out
    assert again.code == 2 and "no keel chain is up" in again.err
