"""Splitting a round into batches that fit a transaction and a block, without a chain.

The planner (`auction.auctioneer.split.plan`) is pure: these tests build auctions of many
signed intents in memory and check that every batch's predicted calldata and gas stay under
the limits, that the block's gas bounds the batches and the rest wait with the reason, that
one owner's intents travel together, and that opposite trades land in the same batch. The
check after simulation (`arbitrate.fits`) refuses, as `does_not_fit`, a solution whose exact
calldata or gas is past a limit.
"""

from __future__ import annotations

import dataclasses

import pytest
from eth_account import Account

from auction.auctioneer import arbitrate, split
from auction.auctioneer.limits import ENVELOPE_BYTES, Limits, gas_limit
from auction.auctioneer.stages import Asked, Proposed, Refused, Simulated, Verified
from auction.endpoint import Endpoint
from auction.verdicts import DropReason
from contracts.settlement import make_batch
from intents.signing import sign_intent
from solver.domain import Auction, BatchIntent
from tests.unit.auction.test_verify import (
    CHAIN,
    SETTLEMENT,
    SOLVER,
    USDC,
    WETH,
    cow,
    half_half,
    make_auction,
)

NODE = Endpoint("http://127.0.0.1:8701", SOLVER, 0.0)
ROOMY = Limits(block_gas=30_000_000, max_tx_gas=2**24, max_tx_bytes=128 * 1024)


def crowd(sellers: int, buyers: int = 0, same_owner_twice: int = 0) -> Auction:
    """`sellers` owners holding WETH and `buyers` holding USDC, each wanting half and half; the
    first `same_owner_twice` sellers sign a second intent (nonce 2)."""
    base = make_auction()
    intents, balances = [], {}
    for k in range(sellers + buyers):
        account = Account.from_key((0x1000 + k).to_bytes(32, "big"))
        holds = {WETH: 10 * 10**18, USDC: 0} if k < sellers else {WETH: 0, USDC: 30_000 * 10**6}
        balances[account.address] = holds
        for nonce in (1, 2) if k < same_owner_twice else (1,):
            signed = sign_intent(half_half(account.address, nonce), account.key, CHAIN, SETTLEMENT)
            intents.append(BatchIntent(signed.intent.intent_id(CHAIN, SETTLEMENT), signed))
    return dataclasses.replace(base, intents=tuple(intents), balances=balances)


def test_a_round_that_fits_one_transaction_is_one_batch_of_every_intent() -> None:
    auction = crowd(20, 20)
    plan = split.plan(auction, ROOMY)
    assert plan.batches == (tuple(bi.id for bi in auction.intents),) and not plan.deferred and not plan.split


def test_should_split_when_the_calldata_passes_the_transaction_size_limit() -> None:
    auction = crowd(100, 100)
    small = dataclasses.replace(ROOMY, max_tx_bytes=20_000)
    plan = split.plan(auction, small)
    assert plan.split and not plan.deferred
    assert sorted(i for b in plan.batches for i in b) == sorted(bi.id for bi in auction.intents)
    assert all(c.calldata <= small.max_calldata for c in plan.predicted)


def test_should_split_when_the_gas_passes_the_per_transaction_cap() -> None:
    auction = crowd(100, 100)
    capped = dataclasses.replace(ROOMY, max_tx_gas=4_000_000)
    plan = split.plan(auction, capped)
    assert len(plan.batches) >= 4 and not plan.deferred
    assert all(gas_limit(c.gas) <= capped.tx_gas for c in plan.predicted)


def test_intents_past_the_block_wait_for_the_next_round_with_the_reason() -> None:
    auction = crowd(100, 100)
    tight = Limits(block_gas=8_000_000, max_tx_gas=4_000_000, max_tx_bytes=128 * 1024)
    plan = split.plan(auction, tight)
    assert plan.deferred and set(plan.deferred.values()) == {split.DID_NOT_FIT}
    assert sum(gas_limit(c.gas) for c in plan.predicted) <= tight.block_gas
    sent = [i for b in plan.batches for i in b]
    assert sorted(sent + list(plan.deferred)) == sorted(bi.id for bi in auction.intents)
    assert not set(sent) & set(plan.deferred)
    # the oldest intents go first: with equal intents, what waits is the tail of the round's order
    order = [bi.id for bi in auction.intents]
    assert max(order.index(i) for i in sent) < min(order.index(i) for i in plan.deferred)


def test_one_owners_intents_travel_in_one_batch() -> None:
    auction = crowd(60, 60, same_owner_twice=30)
    plan = split.plan(auction, dataclasses.replace(ROOMY, max_tx_bytes=12_000))
    assert plan.split
    for batch in plan.batches:
        owners = {auction.intent(i).intent.owner for i in batch}
        for bi in auction.intents:
            if bi.intent.owner in owners:
                assert bi.id in batch


def test_opposite_trades_are_dealt_into_the_same_batches() -> None:
    """Sellers first then buyers in age order: packing alone would put all sellers in one batch
    and all buyers in the other; the deal mixes them so each batch nets internally."""
    auction = crowd(80, 80)
    plan = split.plan(auction, dataclasses.replace(ROOMY, max_tx_bytes=30_000))
    assert plan.split
    sellers = {bi.id for bi in auction.intents if auction.balances[bi.intent.owner][WETH] > 0}
    for batch in plan.batches:
        mine = sum(1 for i in batch if i in sellers)
        assert 0.35 <= mine / len(batch) <= 0.65, (mine, len(batch))


def test_the_predicted_calldata_bounds_the_encoded_execution() -> None:
    auction = make_auction()
    solution = cow(auction)
    rows = [(auction.intent(e.intent_id).intent.as_tuple(), int(auction.intent(e.intent_id).signed.scheme),
             auction.intent(e.intent_id).signed.signature, e.flows) for e in solution.executions]
    real = len(make_batch(solution.prices, rows).calldata())
    predicted = sum(split.cost(bi, auction).calldata for bi in auction.intents) + split.fixed_cost(2).calldata
    assert real <= predicted <= real + split.SWAP_RESERVE * split.SWAP_CALL_BYTES + 64


def simulated(gas: int, calldata: bytes) -> Simulated:
    auction = make_auction()
    return Simulated(Verified(Proposed(Asked(NODE, 1), cow(auction)), 1), calldata, gas, 1)


@pytest.mark.parametrize(("gas", "size", "left", "fits", "fragment"), [
    (1_000_000, 1_000, 30_000_000, True, ""),
    (1_000_000, 128 * 1024 - ENVELOPE_BYTES + 1, 30_000_000, False, "bytes of transaction, the limit is 131,072"),
    (14_000_000, 1_000, 30_000_000, False, "a transaction may have 16,777,216 left"),
    (5_000_000, 1_000, 6_000_000, False, "the block has 6,000,000 left"),
])
def test_a_simulated_solution_is_refused_when_it_does_not_fit(gas: int, size: int, left: int, fits: bool,
                                                            fragment: str) -> None:
    s = simulated(gas, b"\x01" * size)
    out = arbitrate.fits(s, ROOMY, left)
    if fits:
        assert out is s
    else:
        assert isinstance(out, Refused) and out.drop.reason is DropReason.DOES_NOT_FIT
        assert fragment in out.reason and "wait for the next round" in out.reason


def test_limits_refuse_a_non_positive_value_naming_it() -> None:
    from keel.errors import UsageError

    with pytest.raises(UsageError, match="max_tx_bytes: must be positive"):
        Limits(block_gas=1, max_tx_gas=1, max_tx_bytes=0)
