"""A settled round's record — clearing prices, route, gas used on chain, fills, savings — on both
backends, and the indexed query of the rounds that held one intent."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from auction.rounds import MIGRATIONS, SETTLED, UNSETTLED, RoundStore
from auction.settled import ClearingPrice, SettlementRecord
from keel.db.migrations import migrate_sqlite
from tests.helpers import run_cli

A, B, C = "0x" + "aa" * 32, "0x" + "bb" * 32, "0x" + "cc" * 32
TX = "0x" + "cd" * 32
WETH, USDC = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
BIG = 10**30  # a UsdPrice for USDC at $1 (USD per base unit x 1e36) is past int64


def record() -> SettlementRecord:
    return SettlementRecord(
        gas_used=714_573,
        prices=(ClearingPrice(WETH, "WETH", 18, 3_000 * 10**18), ClearingPrice(USDC, "USDC", 6, BIG)),
        route=("WETH -> USDC via V3 0.05%",),
        hops=({"pool": "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640", "kind": "v3", "fee_pips": 500, "token_in": WETH,
               "token_out": USDC, "amount_in": 2 * 10**18, "amount_out": 5_990 * 10**6, "ticks_crossed": 1},),
        fills={A: {WETH: -(2 * 10**18), USDC: 5_990 * 10**6}},
        batch_cost_usd=21.44, alone_cost_usd=143.39, alone_unsettled=(B,), score_usd=3_565.41,
        joint_bound_usd=3_566.06)


def test_should_keep_a_settled_rounds_prices_route_gas_fills_and_savings(db_location: str) -> None:
    rounds = RoundStore(db_location)
    try:
        settled = rounds.open_round(100, [A, B])
        rounds.record_settlement(settled, record())
        rounds.close_round(settled, SETTLED, "http://127.0.0.1:8701", TX)
        kept = rounds.get(settled).settlement
        assert kept == record()  # every integer back exactly, the hop amounts as ints
        assert kept is not None and kept.saved_usd is not None and abs(kept.saved_usd - 121.95) < 1e-9
        assert kept.prices[0].usd_per_token == 3_000.0 and kept.symbol(USDC.lower()) == "USDC"
        shown = rounds.get(settled).public()["settlement"]
        assert shown["gasUsed"] == 714_573 and shown["clearingPrices"][1]["price"] == str(BIG)
        assert shown["savings"]["aloneUnsettled"] == [B] and shown["hops"][0]["amount_in"] == str(2 * 10**18)
        rounds.record_settlement(settled, SettlementRecord(1, (), (), (), {}, None, None, savings_note="not computed"))
        again = rounds.get(settled).settlement  # a second write replaces the first
        assert again is not None and again.gas_used == 1 and again.saved_usd is None and again.savings_note
        unsettled = rounds.open_round(101, [A])
        rounds.close_round(unsettled, UNSETTLED)
        assert rounds.get(unsettled).settlement is None and rounds.get(unsettled).public()["settlement"] is None
    finally:
        rounds.close()


def test_should_find_the_rounds_that_held_an_intent_newest_first(db_location: str) -> None:
    rounds = RoundStore(db_location)
    try:
        first = rounds.open_round(100, [A, B])
        second = rounds.open_round(101, [C])
        third = rounds.open_round(102, [A])
        assert [r.id for r in rounds.rounds_of(A)] == [third, first]
        assert [r.id for r in rounds.rounds_of(C)] == [second]
        assert [r.id for r in rounds.rounds_of(A, limit=1)] == [third]
        assert rounds.rounds_of("0x" + "ee" * 32) == []
    finally:
        rounds.close()


def test_should_upgrade_a_version_1_file_keeping_its_rounds(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = sqlite3.connect(path, isolation_level=None)
    assert migrate_sqlite(db, "auction", MIGRATIONS, target=1) == 1
    db.execute("INSERT INTO rounds (block, status, started_at) VALUES (5, 'settled', 1.0)")
    db.execute("INSERT INTO round_intents (round_id, intent_id) VALUES (1, ?)", (A,))
    db.close()
    rounds = RoundStore(path)  # migrates to the latest on open
    try:
        old = rounds.get(1)
        assert (old.block, old.intents, old.settlement) == (5, (A,), None)
        assert [r.id for r in rounds.rounds_of(A)] == [1]
        plan = sqlite3.connect(path).execute(
            "EXPLAIN QUERY PLAN SELECT round_id FROM round_intents WHERE intent_id = ? ORDER BY round_id DESC",
            (A,)).fetchall()
        assert any("round_intents_by_intent" in str(step) for step in plan)
    finally:
        rounds.close()


def test_should_show_the_stored_figures_in_keel_auction_show(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = str(tmp_path / "a.db")
    rounds = RoundStore(path)
    settled = rounds.open_round(100, [A])
    rounds.record_settlement(settled, record())
    rounds.close_round(settled, SETTLED, "http://127.0.0.1:8701", TX)
    rounds.close()
    shown = run_cli(capsys, "auction", "show", str(settled), "--db", path, "--json")
    assert shown.code == 0, shown.err
    kept = json.loads(shown.out)["settlement"]
    assert kept["gasUsed"] == 714_573 and kept["savings"]["savedUsd"] == record().saved_usd
    words = " ".join(run_cli(capsys, "auction", "show", str(settled), "--db", path).out.split())
    assert "714,573 gas used on chain" in words and "$121.95 saved against each intent routed alone" in words
    assert kept["jointBoundUsd"] == 3_566.06 and abs(kept["gapToBoundUsd"] - 0.65) < 1e-9
    assert "score $0.65 below keel's joint bound of $3,566.06" in words


def test_should_keep_the_tightest_joint_bound_any_candidate_carried() -> None:
    from auction.settled import joint_bound_usd
    from solver.domain import Solution

    def answer(bound: object) -> Solution:
        return Solution(7, "0x" + "11" * 20, {}, (), (), 1, 1, {"joint_bound_usd": bound} if bound is not None else {})

    assert joint_bound_usd([answer(12.5), None, answer(None), answer(11.25), answer("n/a")]) == 11.25
    assert joint_bound_usd([answer(None), None]) is None
    # a node writes its own stats: a "bound" under the winner's score is false and is not kept
    assert joint_bound_usd([answer(3_566.0), answer(1.0)], at_least=3_565.41) == 3_566.0


def test_should_build_the_record_from_the_winning_solution_and_say_why_savings_are_missing() -> None:
    import dataclasses

    from auction.settled import SAVINGS_MAX_INTENTS, settlement_record
    from solver.savings import cost_usd
    from tests.unit.auction.test_verify import USDC as V_USDC
    from tests.unit.auction.test_verify import WETH as V_WETH
    from tests.unit.auction.test_verify import cow, make_auction

    auction = make_auction()
    winner = cow(auction)
    kept = settlement_record(auction, winner, 150_000)
    assert kept.gas_used == 150_000 and {p.symbol: p.usd_per_token for p in kept.prices} == {
        "WETH": winner.prices[V_WETH] * 10**18 / 10**36, "USDC": winner.prices[V_USDC] * 10**6 / 10**36}
    assert kept.fills == {e.intent_id: e.flows for e in winner.executions} and kept.hops == ()
    # no pools in this auction: neither intent can be settled alone; the batch cost is its gas
    assert kept.alone_unsettled == winner.intent_ids and kept.alone_cost_usd == 0.0
    assert kept.batch_cost_usd == cost_usd(auction, winner) and kept.savings_note is None
    crowd = dataclasses.replace(winner, executions=winner.executions * (SAVINGS_MAX_INTENTS // 2 + 1))
    big = settlement_record(auction, crowd, 150_000)
    assert big.saved_usd is None and big.savings_note is not None
    assert big.savings_note.startswith(f"not computed: a batch of {len(crowd.executions)} intents")
