"""Whole rounds on the fork with real solver nodes over HTTP: bad solvers never stop a round.

One round faces an honest `baseline` node and nodes that time out, crash, die mid-round,
answer garbage, inflate their score, quote out-of-bounds prices, steal through an
interaction, revert in simulation, and one (`milp`, the best score) whose transaction
reverts on chain. The honest solution settles; every other verdict says why.
"""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auction.auctioneer import Auctioneer, recover
from auction.node import make_app
from auction.registry import Endpoint, Registry
from auction.rounds import RoundStore
from auction.snapshot import WorldView, take
from auction.verdicts import DropReason
from contracts.anvil import free_port
from contracts.settlement import Settlement
from intents.lifecycle import IN_AUCTION, OPEN, SETTLED
from intents.signing import sign_intent
from orderbook.store import SqliteStore
from solver.domain import Auction, Solution
from solver.strategies.baseline import Baseline
from solver.strategies.milp import Milp
from tests.fakes import strategies as bad
from tests.fakes.auctioneer import AUCTIONEER, trusting
from tests.helpers import Server
from tests.integration.auction_support import (
    auction_for,
    balances_of,
    hedge_intent,
    settle_solution,
    weights_intent,
)
from tests.unit.auction.test_node import call

REPO = Path(__file__).resolve().parents[2]


class Shared:
    """One milp solve per auction, shared by every wrapper below (the machine has two cores)."""

    name = "milp"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cache: dict[int, Solution] = {}

    def solve(self, auction: Auction, solver: str) -> Solution:
        with self.lock:
            if auction.id not in self.cache:
                self.cache[auction.id] = Milp().solve(auction, solver)
            return dataclasses.replace(self.cache[auction.id], solver=solver)


def offsetting_batch(world: Any) -> list[Any]:
    return [
        weights_intent(world, 0, {"USDC": 50, "WETH": 30, "WBTC": 20}),
        weights_intent(world, 1, {"USDC": 40, "WETH": 50, "WBTC": 10}),
        weights_intent(world, 3, {"USDC": 20, "WETH": 60, "DAI": 20}),
        hedge_intent(world, 4, book_delta=-8.0),
    ]


@pytest.fixture()
def stores(tmp_path: Path) -> Iterator[tuple[SqliteStore, RoundStore, Registry]]:
    orderbook, rounds, registry = SqliteStore(tmp_path / "ob.db"), RoundStore(tmp_path / "a.db"), Registry(tmp_path / "a.db")
    yield orderbook, rounds, registry
    for s in (orderbook, rounds, registry):
        s.close()


def submit_all(world: Any, orderbook: SqliteStore, signed: list[Any]) -> list[str]:
    settlement = world.settlement
    ids = []
    for s in signed:
        ids.append(orderbook.add(s.intent.intent_id(world.chain_id, settlement), s).id)
    return ids


def start_dying_node(port: int, solver: str, rpc_url: str, log: Path, settlement: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, str(REPO / "cli.py"), "solver", "serve", "--strategy", "tests.fakes.strategies:Dying",
            "--port", str(port), "--solver", solver, "--rpc-url", rpc_url, "--auctioneer", AUCTIONEER.address,
            "--settlement", settlement]
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if call(f"http://127.0.0.1:{port}/health")[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"the dying node never came up: {log.read_text()}")


def test_the_honest_solution_settles_whatever_the_other_solvers_do(chain: Any, stores: Any, tmp_path: Path) -> None:
    orderbook, rounds, registry = stores
    ids = submit_all(chain, orderbook, offsetting_batch(chain))
    shared = Shared()
    s0, s1, s2 = (a.address for a in chain.solvers)
    rpc = chain.rpc_url
    nodes = {
        "honest": Server(make_app(Baseline(), s0, rpc, **trusting(chain.settlement))),
        "starved": Server(make_app(shared, s1, rpc, submitter=bad.starved_submitter, **trusting(chain.settlement))),
        "inflated": Server(make_app(bad.Inflated(shared), s2, rpc, **trusting(chain.settlement))),
        "out-of-bounds": Server(make_app(bad.OutOfBounds(shared), s2, rpc, **trusting(chain.settlement))),
        "thief": Server(make_app(bad.Thief(shared, chain.deployment.relayer), s2, rpc, **trusting(chain.settlement))),
        "skimmer": Server(make_app(bad.Skimmer(shared), s2, rpc, **trusting(chain.settlement))),
        "reverting": Server(make_app(bad.Reverting(shared), s2, rpc, **trusting(chain.settlement))),
        "crashing": Server(make_app(bad.Crashing(shared), s2, rpc, **trusting(chain.settlement))),
        "late": Server(make_app(bad.Sleepy(shared), s2, rpc, honour_deadline=False, **trusting(chain.settlement))),
        "garbage": Server(bad.garbage_app("wrong-shape")),
        "not-json": Server(bad.garbage_app("not-json")),
    }
    dying_port = free_port()
    dying = start_dying_node(dying_port, s2, rpc, tmp_path / "dying.log", chain.settlement)
    urls = {name: srv.url for name, srv in nodes.items()}
    urls["dying"] = f"http://127.0.0.1:{dying_port}"
    urls["nowhere"] = f"http://127.0.0.1:{free_port()}"
    accounts = {"honest": s0, "starved": s1}
    for name, url in urls.items():
        registry.register(accounts.get(name, s2), url)
    before = {s: balances_of(chain, s) for s in {orderbook.get(i).owner for i in ids}}
    auctioneer = Auctioneer(chain.web3(), WorldView(chain.chain_id, chain.deployment), orderbook, rounds,
                            registry.all, deadline_s=12.0, signer=AUCTIONEER)
    try:
        result = asyncio.run(auctioneer.run_round())
        told = {name: call(nodes[name].url + "/notifications")[1] for name in ("honest", "starved", "inflated")}
    finally:
        for srv in nodes.values():
            srv.stop()
        dying.kill()
        dying.wait(10)
    assert dying.returncode == 70  # it really died mid-round, inside solve

    assert result is not None and result.status == "settled" and result.winner == urls["honest"]
    verdicts = {c.endpoint.url: (c.verdict, c.reason) for c in result.candidates}
    by_name = {name: verdicts[url] for name, url in urls.items()}
    assert by_name["honest"][0] == "settled"
    assert by_name["starved"][0] == "failed" and "reverted on chain" in by_name["starved"][1]
    expected_drops = {
        "inflated": "score mismatch", "out-of-bounds": "outside", "thief": "Relayer", "skimmer": "simulation reverts",
        "reverting": "simulation reverts", "crashing": "HTTP 500", "late": "late", "garbage": "malformed",
        "not-json": "not JSON", "dying": "unreachable", "nowhere": "unreachable",
    }
    for name, fragment in expected_drops.items():
        assert by_name[name][0] == "dropped" and fragment in by_name[name][1], (name, by_name[name])
    reasons = {name: next(c.drop.reason for c in result.candidates if c.endpoint.url == url) if name != "honest"
               else None for name, url in urls.items()}
    assert reasons == {
        "honest": None, "starved": DropReason.REVERTED_ON_CHAIN, "inflated": DropReason.SCORE_MISMATCH,
        "out-of-bounds": DropReason.PRICE_OUT_OF_BOUNDS, "thief": DropReason.CALLS_RELAYER,
        "skimmer": DropReason.SIMULATION_REVERTS, "reverting": DropReason.SIMULATION_REVERTS,
        "crashing": DropReason.SOLVER_ERROR, "late": DropReason.NO_ANSWER_BY_DEADLINE, "garbage": DropReason.MALFORMED,
        "not-json": DropReason.NOT_JSON, "dying": DropReason.UNREACHABLE, "nowhere": DropReason.UNREACHABLE,
    }

    # the winner's intents are settled once, with its transaction; the rest are open again
    w3 = chain.web3()
    receipt = w3.eth.get_transaction_receipt(result.tx_hash)
    assert receipt["status"] == 1
    winner = next(c for c in result.candidates if c.verdict == "settled")
    settled = set(winner.solution.intent_ids)
    assert settled and settled < set(ids)  # baseline leaves conflicting intents for a later round
    settlement = Settlement(w3, chain.settlement)
    for intent_id in ids:
        stored = orderbook.get(intent_id)
        if intent_id in settled:
            assert stored.status == SETTLED and stored.tx_hash == result.tx_hash
            assert settlement.is_nonce_spent(stored.owner, stored.nonce)
            flows = next(e.flows for e in winner.solution.executions if e.intent_id == intent_id)
            after = balances_of(chain, stored.owner)
            assert all(after[t] == before[stored.owner][t] + flows.get(t, 0) for t in flows)
        else:
            assert stored.status == OPEN and not settlement.is_nonce_spent(stored.owner, stored.nonce)

    # every node that can still hear was told its verdict and why
    assert [(n["verdict"], n["txHash"]) for n in told["honest"]] == [("settled", result.tx_hash)]
    assert [n["verdict"] for n in told["starved"]] == ["failed"] and "reverted" in told["starved"][0]["reason"]
    assert [n["verdict"] for n in told["inflated"]] == ["dropped"] and "score mismatch" in told["inflated"][0]["reason"]
    assert [n["dropReason"] for n in told["honest"] + told["starved"] + told["inflated"]] == [
        None, "reverted_on_chain", "score_mismatch"]

    # the round is on disk as `keel auction show` reads it, and the honest node was told it won
    record = rounds.get(result.round_id)
    assert record.status == "settled" and record.tx_hash == result.tx_hash and len(record.candidates) == len(urls)
    assert {c.solver_url: c.verdict for c in record.candidates} == {u: v[0] for u, v in verdicts.items()}
    assert {c.solver_url: c.drop_reason for c in record.candidates} == {u: reasons[n] for n, u in urls.items()}
    ranked = sorted((c for c in record.candidates if c.rank), key=lambda c: c.rank)
    assert [c.solver_url for c in ranked] == [urls["starved"], urls["honest"]]
    assert ranked[0].score > ranked[1].score  # the starved milp outscored the honest baseline


def test_a_round_left_running_by_a_crash_is_reconciled_with_the_chain(chain: Any, stores: Any) -> None:
    orderbook, rounds, _registry = stores
    ids = submit_all(chain, orderbook, offsetting_batch(chain)[:2])
    round_id = rounds.open_round(int(chain.web3().eth.block_number), ids)
    orderbook.mark_in_auction(ids)  # ... and the auctioneer is killed here, before any settlement
    assert [orderbook.get(i).status for i in ids] == [IN_AUCTION, IN_AUCTION]
    assert recover(chain.web3(), chain.settlement, orderbook, rounds) == [round_id]
    assert [orderbook.get(i).status for i in ids] == [OPEN, OPEN]
    assert rounds.get(round_id).status == "unsettled" and rounds.get(round_id).note == "recovered after a crash"
    assert recover(chain.web3(), chain.settlement, orderbook, rounds) == []


def test_a_crashed_round_whose_settlement_mined_marks_exactly_its_intents_settled(chain: Any, stores: Any) -> None:
    orderbook, rounds, _registry = stores
    ids = submit_all(chain, orderbook, offsetting_batch(chain)[:2])
    auction = auction_for(chain, [orderbook.get(i).signed for i in ids])
    solution = Milp().solve(auction, chain.solvers[0].address)
    round_id = rounds.open_round(auction.block, ids)
    orderbook.mark_in_auction(ids)
    receipt = settle_solution(chain, auction, solution)  # the winner's transaction mines ...
    tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
    rounds.note_submission(round_id, "http://127.0.0.1:1", tx_hash)  # ... and the auctioneer dies here
    recover(chain.web3(), chain.settlement, orderbook, rounds)
    settled = set(solution.intent_ids)
    assert settled
    for intent_id in ids:
        stored = orderbook.get(intent_id)
        assert (stored.status, stored.tx_hash) == ((SETTLED, tx_hash) if intent_id in settled else (OPEN, None))
    assert rounds.get(round_id).status == "settled" and rounds.get(round_id).tx_hash == tx_hash


def test_rejects_a_bad_registration_with_a_one_line_error(stores: Any) -> None:
    from keel.errors import UsageError

    _orderbook, _rounds, registry = stores
    with pytest.raises(UsageError, match="ADDRESS"):
        registry.register("0x12", "http://127.0.0.1:1")
    with pytest.raises(UsageError, match="--url"):
        registry.register("0x" + "11" * 20, "ftp://x")
    assert registry.all() == []
    ok = registry.register("0x" + "11" * 20, "http://127.0.0.1:8701/")
    assert registry.all() == [Endpoint("http://127.0.0.1:8701", ok.address, ok.registered_at)]


def test_the_snapshot_reads_prices_balances_and_pools_at_one_block(chain: Any) -> None:
    signed = offsetting_batch(chain)[:2]
    settlement = chain.settlement
    pairs = [(s.intent.intent_id(chain.chain_id, settlement), s) for s in signed]
    expired = weights_intent(chain, 5, {"USDC": 50, "WETH": 50}, nonce=9)
    stale = sign_intent(dataclasses.replace(expired.intent, valid_to=1), chain.users[5].private_key, chain.chain_id,
                        settlement)
    stale_id = stale.intent.intent_id(chain.chain_id, settlement)
    view = WorldView(chain.chain_id, chain.deployment)
    auction, left_out = take(chain.web3(), view, [*pairs, (stale_id, stale)], 5, 123)
    reference = auction_for(chain, signed)
    assert auction.block == reference.block and auction.id == 5 and auction.deadline_ms == 123
    assert auction.reference_prices() == reference.reference_prices()
    assert auction.balances == reference.balances
    assert set(auction.liquidity.pools) == set(reference.liquidity.pools) and len(auction.liquidity.pools) > 0
    assert [bi.id for bi in auction.intents] == [i for i, _ in pairs]
    assert list(left_out) == [stale_id] and "expired" in left_out[stale_id]
