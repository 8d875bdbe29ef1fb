"""An oracle-guarded intent end to end on the fork: signed with `maxOracleDeviationBps`, posted
to a real orderbook over HTTP, taken into the auctioneer's snapshot, solved by `milp`, encoded
with the guard flag, and settled — the contract re-hashed the guarded type and checked every
clearing price against its feeds. The twin: the WETH feed moves 150 bps between the snapshot
and the settlement, so the same batch's WETH price is 1.5% from the feed and the settlement
refuses it with `OracleDeviation`, moving nothing; the same trade signed unguarded settles."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auction.settle_call import batch_for
from auction.snapshot import WorldView, take
from contracts import world_spec
from contracts.artifacts import keel
from contracts.revert import SettlementReverted
from contracts.settlement import Settlement
from contracts.world import World
from intents import build
from intents import chain as intents_chain
from intents.model import SignedIntent
from intents.signing import sign_intent
from intents.wire import SignedIntentModel
from orderbook import client
from orderbook.api import OrderbookConfig, make_app
from orderbook.store import SqliteStore
from solver.domain import Auction
from solver.strategies.milp import Milp
from tests.helpers import Server
from tests.integration.auction_support import balances_of

USER = 0  # ETH-heavy: 50/30/20 USDC/WETH/WBTC sells WETH and WBTC for USDC
GUARD_BPS = 100
FEED_MOVE_BPS = 150


@pytest.fixture()
def orderbook(chain: World, w3: Any, tmp_path: Path) -> Iterator[tuple[Server, SqliteStore]]:
    tokens = {chain.token(s): s for s in world_spec.DECIMALS}
    config = OrderbookConfig(chain.chain_id, chain.settlement, tokens,
                             check_1271=intents_chain.make_1271_checker(w3),
                             nonce_spent=intents_chain.make_nonce_checker(w3, chain.settlement),
                             clock=lambda: intents_chain.chain_time(w3))
    store = SqliteStore(tmp_path / "ob.db")
    server = Server(make_app(store, config))
    try:
        yield server, store
    finally:
        server.stop()


def _signed(world: World, w3: Any, guard: int | None, nonce: int) -> SignedIntent:
    owner = world.users[USER]
    states = intents_chain.token_states(w3, world.deployment, owner.address, ["USDC", "WETH", "WBTC"])
    intent, _ = build.weights_intent(owner.address, states, {"USDC": 5000, "WETH": 3000, "WBTC": 2000}, 50, 100, 30,
                                     intents_chain.chain_time(w3) + 3600, nonce, max_oracle_deviation_bps=guard)
    return sign_intent(intent, owner.private_key, world.chain_id, world.settlement)


def _auction(world: World, w3: Any, intent_id: str, signed: SignedIntent) -> Auction:
    deadline_ms = int((max(time.time(), intents_chain.chain_time(w3)) + 10) * 1000)
    auction, left_out = take(w3, WorldView(world.chain_id, world.deployment), [(intent_id, signed)], 1, deadline_ms)
    assert left_out == {}
    return auction


def _move_weth_feed(world: World, w3: Any, bps: int) -> None:
    feed = w3.eth.contract(address=world.deployment.feed("WETH").address, abi=keel("PriceFeed").abi)
    answer = int(feed.functions.latestAnswer().call())
    tx = feed.functions.setAnswer(answer * (10_000 + bps) // 10_000).transact({"from": world.deployer.address})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def test_should_settle_a_guarded_intent_from_the_orderbook_and_refuse_it_once_the_feed_moves(
        chain: World, w3: Any, orderbook: tuple[Server, SqliteStore]) -> None:
    server, store = orderbook
    signed = _signed(chain, w3, GUARD_BPS, nonce=1)
    body = SignedIntentModel.from_signed(signed, chain.chain_id).model_dump(mode="json", exclude_none=True)
    answer = client.request(server.url, "POST", "/intents", body)
    assert answer["id"] == signed.intent.intent_id(chain.chain_id, chain.settlement)
    stored = store.get(answer["id"])
    assert stored.signed.intent.max_oracle_deviation_bps == GUARD_BPS  # the orderbook kept the signed bound

    auction = _auction(chain, w3, stored.id, stored.signed)
    solution = Milp().solve(auction, chain.solvers[0].address)
    batch = batch_for(auction, solution)
    assert [e.max_oracle_deviation_bps for e in batch.executions] == [GUARD_BPS]
    settlement, solver, owner = Settlement(w3, chain.settlement), chain.solvers[0].address, signed.intent.owner

    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    _move_weth_feed(chain, w3, FEED_MOVE_BPS)  # a market move between the snapshot and the settlement
    before = balances_of(chain, owner)
    with pytest.raises(SettlementReverted) as refused:
        settlement.call(solver, batch)
    assert refused.value.name == "OracleDeviation"
    weth_index = list(signed.intent.tokens).index(chain.token("WETH"))
    assert refused.value.revert.args == {"execution": 0, "token": weth_index, "maxDeviationBps": GUARD_BPS}
    assert settlement.send(solver, batch, gas=3_000_000)["status"] == 0
    assert balances_of(chain, owner) == before
    assert w3.provider.make_request("evm_revert", [snapshot])["result"]

    # the acceptance twin: the feed where the auction saw it, the same batch settles
    receipt = settlement.settle(solver, batch)
    (executed,) = settlement.executed(receipt)
    assert "0x" + bytes(executed["intentId"]).hex() == stored.id
    after = balances_of(chain, owner)
    assert after[chain.token("USDC")] > before[chain.token("USDC")]
    assert after[chain.token("WETH")] < before[chain.token("WETH")]


def test_should_settle_the_same_trade_signed_unguarded_after_the_same_feed_move(chain: World, w3: Any) -> None:
    signed = _signed(chain, w3, None, nonce=2)
    intent_id = signed.intent.intent_id(chain.chain_id, chain.settlement)
    auction = _auction(chain, w3, intent_id, signed)
    batch = batch_for(auction, Milp().solve(auction, chain.solvers[0].address))
    assert [e.max_oracle_deviation_bps for e in batch.executions] == [None]
    _move_weth_feed(chain, w3, FEED_MOVE_BPS)
    before = balances_of(chain, signed.intent.owner)
    receipt = Settlement(w3, chain.settlement).settle(chain.solvers[0].address, batch)
    assert receipt["status"] == 1
    assert balances_of(chain, signed.intent.owner)[chain.token("WETH")] < before[chain.token("WETH")]
