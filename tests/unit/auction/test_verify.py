"""The auctioneer's pre-simulation checks: each rule refuses its breach and accepts its twin."""

from __future__ import annotations

import dataclasses
import time

import pytest
from eth_account import Account

from auction import verify
from intents.model import Intent, IntentKind
from intents.signing import sign_intent
from routing.evaluate import Hop
from routing.execute import v2_swap
from routing.pools import Liquidity, V2Pool
from routing.pools import Token as PoolToken
from solver.domain import Auction, BatchIntent, Execution, Interaction, Solution, Token
from solver.scoring import score

WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
SETTLEMENT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
RELAYER = "0xCafac3dD18aC6c6e92c921884f9E4176737C052c"
SOLVER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
CHAIN = 31337
SELLER = Account.from_key("0x" + "11" * 32)  # holds WETH, wants half in USDC
BUYER = Account.from_key("0x" + "22" * 32)  # holds USDC, wants half in WETH
WETH_PRICE = 3_000 * 10**18  # USD per base unit × 1e36: $3000 per 1e18 base units
USDC_PRICE = 10**30  # $1 per 1e6 base units
# a USDC/WETH pool pushed 3% off the feed before the snapshot (WETH 3% cheaper in it)
PUSHED = V2Pool("0x00000000000000000000000000000000000000A1", USDC, WETH, 30_000_000 * 10**6, 10_300 * 10**18)
V2_ROUTER = "0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D"
POOL_TOKENS = {USDC: PoolToken(USDC, "USDC", 6), WETH: PoolToken(WETH, "WETH", 18)}


def half_half(owner: str, nonce: int = 1) -> Intent:
    return Intent(owner=owner, tokens=(USDC, WETH), min_price=(10**18, 2_900 * 10**6),
                  max_price=(10**18, 3_100 * 10**6), kind=IntentKind.WEIGHTS, target_weight_bps=(5000, 5000),
                  tolerance_bps=50, max_fee_bps=30, valid_to=int(time.time()) + 3600, nonce=nonce)


def make_auction(auction_id: int = 7, deadline_s: float = 5.0) -> Auction:
    intents = []
    for account in (SELLER, BUYER):
        signed = sign_intent(half_half(account.address), account.key, CHAIN, SETTLEMENT)
        intents.append(BatchIntent(signed.intent.intent_id(CHAIN, SETTLEMENT), signed))
    return Auction(
        id=auction_id, chain_id=CHAIN, settlement=SETTLEMENT, block=100,
        deadline_ms=int((time.time() + deadline_s) * 1000),
        tokens={WETH: Token(WETH, "WETH", 18, WETH_PRICE), USDC: Token(USDC, "USDC", 6, USDC_PRICE)},
        intents=tuple(intents),
        balances={SELLER.address: {WETH: 10 * 10**18, USDC: 0}, BUYER.address: {WETH: 0, USDC: 30_000 * 10**6}},
        liquidity=Liquidity(POOL_TOKENS, (PUSHED,)), gas_price_wei=10**9, native_price=WETH_PRICE,
        pool_targets=frozenset({PUSHED.address}),  # the settlement lists the pair (it may be a sink)
    )


def cow(auction: Auction, gas: int = 200_000) -> Solution:
    """The honest answer: the two intents trade 5 WETH for 15,000 USDC with each other at the oracle price."""
    seller, buyer = auction.intents
    executions = (Execution(seller.id, {WETH: -5 * 10**18, USDC: 15_000 * 10**6}),
                  Execution(buyer.id, {USDC: -15_000 * 10**6, WETH: 5 * 10**18}))
    draft = Solution(auction.id, SOLVER, {WETH: WETH_PRICE, USDC: USDC_PRICE}, executions, (), 0, gas)
    return dataclasses.replace(draft, score_e18=score(auction, draft, gas))


def through_pushed_pool(auction: Auction) -> Solution:
    """The honest answer plus a swap of 1 WETH for USDC through the pushed pool."""
    swap = v2_swap(V2_ROUTER, Hop(PUSHED.address, "v2", 3000, WETH, USDC, 10**18, 2_900 * 10**6), SETTLEMENT, 2**32 - 1)
    return dataclasses.replace(cow(auction), interactions=(swap,))


def rejected(auction: Auction, solution: Solution) -> verify.Rejected:
    with pytest.raises(verify.Rejected) as err:
        verify.check(auction, solution, SOLVER, RELAYER)
    return err.value


def test_should_accept_an_honest_coincidence_of_wants_and_return_the_recomputed_score() -> None:
    auction = make_auction()
    solution = cow(auction)
    assert verify.check(auction, solution, SOLVER, RELAYER) == solution.score_e18 > 0


def test_rejects_an_answer_to_another_auction_or_from_another_account() -> None:
    auction = make_auction()
    assert rejected(auction, dataclasses.replace(cow(auction), auction_id=8)).field == "auctionId"
    other = dataclasses.replace(cow(auction), solver=BUYER.address)
    assert rejected(auction, other).field == "solver"


def test_rejects_unknown_and_repeated_intents() -> None:
    auction = make_auction()
    honest = cow(auction)
    unknown = Execution("0x" + "ab" * 32, {})
    assert "not in auction" in str(rejected(auction, dataclasses.replace(honest, executions=(unknown,))))
    twice = (honest.executions[0], honest.executions[0])
    assert "executed twice" in str(rejected(auction, dataclasses.replace(honest, executions=twice)))


def test_rejects_a_zero_or_missing_price_for_a_traded_token() -> None:
    auction = make_auction()
    honest = cow(auction)
    assert rejected(auction, dataclasses.replace(honest, prices={**honest.prices, WETH: 0})).field == f"prices.{WETH}"
    assert rejected(auction, dataclasses.replace(honest, prices={USDC: USDC_PRICE})).field == f"prices.{WETH}"


def test_rejects_a_clearing_price_outside_the_signed_bounds_and_accepts_one_at_the_edge() -> None:
    auction = make_auction()
    honest = cow(auction)
    edge = 3_100 * 10**18  # exactly maxPrice: 3100 USDC per WETH
    at_edge = dataclasses.replace(honest, prices={WETH: edge, USDC: USDC_PRICE})
    assert verify.check_bounds(auction, at_edge) is None
    beyond = dataclasses.replace(honest, prices={WETH: edge + 10**16, USDC: USDC_PRICE})
    err = rejected(auction, beyond)
    assert err.field == f"prices.{WETH}" and "outside" in str(err)


def test_rejects_flows_that_pay_out_more_than_they_take_or_pull_more_than_the_owner_holds() -> None:
    auction = make_auction()
    seller, buyer = cow(auction).executions
    generous = Execution(seller.intent_id, {WETH: -5 * 10**18, USDC: 15_001 * 10**6})
    err = rejected(auction, dataclasses.replace(cow(auction), executions=(generous, buyer)))
    assert "more value" in str(err) and err.field == "executions[0].flows"
    greedy = Execution(seller.intent_id, {WETH: -11 * 10**18, USDC: 33_000 * 10**6})
    assert "holds" in str(rejected(auction, dataclasses.replace(cow(auction), executions=(greedy, buyer))))


def test_rejects_a_fee_above_the_intents_cap() -> None:
    auction = make_auction()
    seller, buyer = cow(auction).executions
    fee_40_bps = Execution(seller.intent_id, {WETH: -5 * 10**18, USDC: 14_940 * 10**6})
    assert "maxFeeBps" in str(rejected(auction, dataclasses.replace(cow(auction), executions=(fee_40_bps, buyer))))


def test_rejects_a_swap_through_a_pool_pushed_off_the_feed_whoever_the_solver() -> None:
    auction = make_auction()
    err = rejected(auction, through_pushed_pool(auction))
    assert err.field == "interactions[0]" and PUSHED.address in str(err) and "pool-deviation" in str(err)


def _with(auction: Auction, call_data: bytes) -> Solution:
    return dataclasses.replace(cow(auction), interactions=(Interaction(V2_ROUTER, 0, call_data),))


def _disguises() -> dict[str, bytes]:
    """The pushed-pool swap written in ways a router still executes but the guard cannot place."""
    from eth_abi import encode
    from eth_utils import keccak

    canonical = bytes(through_pushed_pool(make_auction()).interactions[0].call_data)
    dirty = bytearray(canonical)
    dirty[4 + 32 * 5] = 0xFF  # the top byte of path[0]'s word: the 0.6.6 router masks it, strict decoding refuses it
    path = bytes.fromhex(WETH[2:]) + (500).to_bytes(3, "big") + bytes.fromhex(USDC[2:])
    padded_v3 = keccak(text="exactInput((bytes,address,uint256,uint256,uint256))")[:4] + encode(
        ["(bytes,address,uint256,uint256,uint256)"], [(path + b"\x00" * 5, SETTLEMENT, 2**32 - 1, 10**18, 1)])
    return {
        "multicall": keccak(text="multicall(bytes[])")[:4] + encode(["bytes[]"], [[canonical]]),
        "exact output": keccak(text="swapTokensForExactTokens(uint256,uint256,address[],address,uint256)")[:4]
        + canonical[4:],
        "dirty address word": bytes(dirty),
        "padded V3 path": padded_v3,
        "trailing bytes": canonical + b"\x00" * 32,
    }


@pytest.mark.parametrize("disguise", list(_disguises()))
def test_rejects_a_call_it_cannot_place_while_a_pool_is_left_out(disguise: str) -> None:
    auction = make_auction()
    err = rejected(auction, _with(auction, _disguises()[disguise]))
    assert err.drop.reason is verify.DropReason.UNREADABLE_SWAP and err.field == "interactions[0]", err


def test_rejects_a_hop_through_a_pool_the_auction_does_not_list_while_a_pool_is_left_out() -> None:
    auction = make_auction()
    dai = "0x6B175474E89094C44Da98b954EedeAC495271d0F"
    swap = v2_swap(V2_ROUTER, Hop("0x" + "00" * 19 + "b2", "v2", 3000, WETH, dai, 10**18, 1), SETTLEMENT, 2**32 - 1)
    err = rejected(auction, dataclasses.replace(cow(auction), interactions=(swap,)))
    assert err.drop.reason is verify.DropReason.UNREADABLE_SWAP and "no pool of the auction" in str(err)


def test_does_not_judge_calls_when_the_breaker_leaves_no_pool_out() -> None:
    healed = dataclasses.replace(PUSHED, reserve1=10_000 * 10**18)
    auction = dataclasses.replace(make_auction(), liquidity=Liquidity(POOL_TOKENS, (healed,)))
    assert verify.check(auction, _with(auction, _disguises()["multicall"]), SOLVER, RELAYER) > 0


def test_accepts_the_same_swap_once_the_pool_is_back_at_the_feed() -> None:
    healed = dataclasses.replace(PUSHED, reserve1=10_000 * 10**18)
    auction = dataclasses.replace(make_auction(), liquidity=Liquidity(POOL_TOKENS, (healed,)))
    assert verify.check(auction, through_pushed_pool(auction), SOLVER, RELAYER) > 0


def test_rejects_an_interaction_that_calls_the_relayer_or_the_settlement() -> None:
    auction = make_auction()
    for target in (RELAYER, SETTLEMENT):
        thief = dataclasses.replace(cow(auction), interactions=(Interaction(target, 0, b"\x23\xb8\x72\xdd"),))
        assert rejected(auction, thief).field == "interactions[0].target"


def test_rejects_an_inflated_score_but_accepts_a_modest_one() -> None:
    auction = make_auction()
    honest = cow(auction)
    inflated = dataclasses.replace(honest, score_e18=honest.score_e18 * 2)
    assert "score mismatch" in str(rejected(auction, inflated))
    modest = dataclasses.replace(honest, score_e18=honest.score_e18 // 2)
    assert verify.check(auction, modest, SOLVER, RELAYER) == honest.score_e18


def _pair_swap(pool: str, data: bytes = b"") -> Interaction:
    """A V2 pair's own `swap` paying 2,900 USDC to the seller (a closed batch's interaction)."""
    from eth_abi import encode

    from routing.execute import V2_PAIR_SWAP

    return Interaction(pool, 0, V2_PAIR_SWAP + encode(["uint256", "uint256", "address", "bytes"],
                                                      [0, 2_900 * 10**6, SELLER.address, data]))


def test_reads_a_pair_swap_as_a_swap_through_that_pair_and_refuses_it_when_the_pair_is_pushed() -> None:
    auction = make_auction()
    err = rejected(auction, dataclasses.replace(cow(auction), interactions=(_pair_swap(PUSHED.address),)))
    assert err.drop.reason is verify.DropReason.SWAPS_THROUGH_PUSHED_POOL and PUSHED.address in str(err)
    # the twin: with the pushed pair still left out (the guard on), a swap on a healthy pair passes
    healthy = dataclasses.replace(PUSHED, address="0x00000000000000000000000000000000000000A2",
                                  reserve1=10_000 * 10**18)
    auction = dataclasses.replace(make_auction(), liquidity=Liquidity(POOL_TOKENS, (PUSHED, healthy)))
    assert verify.check(auction, dataclasses.replace(cow(auction), interactions=(_pair_swap(healthy.address),)),
                        SOLVER, RELAYER) > 0


def test_cannot_place_a_pair_swap_with_callback_data_or_on_a_pair_the_auction_does_not_list() -> None:
    auction = make_auction()
    for swap in (_pair_swap(PUSHED.address, b"\x01"), _pair_swap("0x00000000000000000000000000000000000000B3")):
        err = rejected(auction, dataclasses.replace(cow(auction), interactions=(swap,)))
        assert err.drop.reason is verify.DropReason.UNREADABLE_SWAP and err.field == "interactions[0]", err


def test_rejects_a_sink_that_is_not_a_listed_pool_target_is_pushed_unpriced_or_without_interactions() -> None:
    auction = make_auction()
    dai = "0x6B175474E89094C44Da98b954EedeAC495271d0F"
    stranger = "0x00000000000000000000000000000000000000C4"
    swap = (_pair_swap(PUSHED.address),)

    def sunk(sinks: dict[str, str], interactions: tuple[Interaction, ...] = swap) -> Solution:
        return dataclasses.replace(cow(auction), sinks=sinks, interactions=interactions)

    err = rejected(auction, sunk({WETH: stranger}))
    assert err.drop.reason is verify.DropReason.SINK_NOT_A_POOL_TARGET and err.field == f"sinks.{WETH}", err
    err = rejected(auction, sunk({dai: PUSHED.address}))
    assert err.drop.reason is verify.DropReason.SINK_UNPRICED and err.field == f"sinks.{dai}", err
    err = rejected(auction, sunk({WETH: PUSHED.address}))  # WETH sold into the pushed pair: donated to its pusher
    assert err.drop.reason is verify.DropReason.SINK_INTO_PUSHED_POOL and PUSHED.address in str(err), err
    err = rejected(auction, sunk({WETH: PUSHED.address}, ()))
    assert err.drop.reason is verify.DropReason.SINKS_WITHOUT_INTERACTIONS and err.field == "sinks", err
    healed = dataclasses.replace(PUSHED, reserve1=10_000 * 10**18)
    auction = dataclasses.replace(auction, liquidity=Liquidity(POOL_TOKENS, (healed,)))
    assert verify.check(auction, sunk({WETH: PUSHED.address}), SOLVER, RELAYER) > 0  # the pair back at the feed
