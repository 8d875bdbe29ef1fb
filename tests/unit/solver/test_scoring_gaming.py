"""Gaming the score: every attempt scores no better than the honest solution (same gas unless said).

The batch: SELLER holds 10 WETH and wants 50/50 USDC/WETH, BUYER holds 30,000 USDC and wants
50/50; the honest answer trades 5 WETH for 15,000 USDC between them at the oracle price
($3,000). A third user, CALM, already sits inside its band but off its exact target.
"""

from __future__ import annotations

import dataclasses

from eth_account import Account

from intents.signing import sign_intent
from keel.units import BPS
from solver.domain import Auction, BatchIntent, Execution, Solution
from solver.scoring import contribution_e18, distance_e18, gas_cost_e18, score
from tests.unit.auction.test_verify import (
    CHAIN,
    SELLER,
    SETTLEMENT,
    SOLVER,
    USDC,
    USDC_PRICE,
    WETH,
    WETH_PRICE,
    cow,
    half_half,
    make_auction,
)

CALM = Account.from_key("0x" + "33" * 32)
GAS = 200_000
USD = 10**18


def with_calm(auction: Auction) -> Auction:
    """Add CALM: 4,980 USDC and 1.674 WETH ($5,022) — 49.8/50.2, inside its ±0.5% band, off target."""
    signed = sign_intent(half_half(CALM.address, nonce=3), CALM.key, CHAIN, SETTLEMENT)
    calm = BatchIntent(signed.intent.intent_id(CHAIN, SETTLEMENT), signed)
    balances = {**auction.balances, CALM.address: {USDC: 4_980 * 10**6, WETH: 1_674 * 10**15}}
    return dataclasses.replace(auction, intents=(*auction.intents, calm), balances=balances)


def trade(auction: Auction, weth: int, usdc: int, prices: dict[str, int] | None = None,
          fee_usdc: int = 0) -> Solution:
    """SELLER gives `weth` for `usdc` (less `fee_usdc`), BUYER the reverse."""
    seller, buyer = auction.intents[:2]
    executions = (Execution(seller.id, {WETH: -weth, USDC: usdc - fee_usdc}),
                  Execution(buyer.id, {USDC: -usdc, WETH: weth}))
    return Solution(auction.id, "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
                    prices or {WETH: WETH_PRICE, USDC: USDC_PRICE}, executions, (), 0, GAS)


def honest(auction: Auction) -> int:
    return score(auction, cow(auction, GAS), GAS)


def test_the_honest_solution_scores_its_users_surplus_less_gas_once() -> None:
    auction = make_auction()
    # each user moves $15,000 toward target; each accepted 30 bps fee + ~333 bps band on it
    expected = 2 * (15_000 * USD * (30 + 333) // 10_000) - gas_cost_e18(auction, GAS)
    assert honest(auction) == expected > 0


def test_a_phantom_execution_adds_nothing_and_its_gas_counts_against_it() -> None:
    auction = with_calm(make_auction())
    calm = auction.intents[2]
    assert distance_e18(calm.intent, auction.balances[CALM.address], auction.reference_prices()) > 0
    base = trade(auction, 5 * 10**18, 15_000 * 10**6)
    phantom = dataclasses.replace(base, executions=(*base.executions, Execution(calm.id, {})))
    assert contribution_e18(auction, phantom, phantom.executions[2]) == 0
    assert score(auction, phantom, GAS) == score(auction, base, GAS)
    assert score(auction, phantom, GAS + 30_000) < score(auction, base, GAS)  # the phantom's own gas


def test_trading_only_to_the_band_edge_scores_less_than_reaching_the_target() -> None:
    auction = make_auction()
    short = trade(auction, 49 * 10**17, 14_700 * 10**6)  # 4.9 WETH: both users land 49/51, still outside ±0.5%
    edge = trade(auction, 4_97 * 10**16, 14_910 * 10**6)  # 4.97 WETH: 49.7/50.3, just inside the ±0.5% band
    assert score(auction, short, GAS) < score(auction, edge, GAS) < honest(auction)


def test_over_trading_past_the_target_earns_nothing_for_the_excess() -> None:
    auction = make_auction()
    over = trade(auction, 7 * 10**18, 21_000 * 10**6)  # 30/70 and 70/30: past the target both ways
    assert score(auction, over, GAS) < honest(auction)
    way_over = trade(auction, 10 * 10**18, 30_000 * 10**6)  # swaps the portfolios: no progress at all
    assert score(auction, way_over, GAS) <= -gas_cost_e18(auction, GAS)


def test_fee_games_cannot_raise_the_score() -> None:
    auction = make_auction()
    gas_fee = gas_cost_e18(auction, GAS) * 10**6 // USD  # in USDC units ($1): the fee that pays the gas
    paying_gas = trade(auction, 5 * 10**18, 15_000 * 10**6, fee_usdc=gas_fee)
    # a fee that pays the gas is not counted twice against it: it costs the score only the little
    # progress it undoes, never the fee itself on top of the gas
    assert 0 <= honest(auction) - score(auction, paying_gas, GAS) < 45 * USD * 400 // 10_000
    fee = 45 * 10**6  # SELLER receives $45 less (30 bps of $15,000), far more than the gas
    with_fee = trade(auction, 5 * 10**18, 15_000 * 10**6, fee_usdc=fee)
    # a fee past the gas is the user's loss, counted in full: never credited back
    assert honest(auction) - score(auction, with_fee, GAS) >= 45 * USD - gas_cost_e18(auction, GAS)
    # the same $45 taken through a worse clearing price instead of a fee is a loss to the user
    worse = {WETH: WETH_PRICE * 9_970 // 10_000, USDC: USDC_PRICE}
    skimmed = trade(auction, 5 * 10**18, 14_955 * 10**6, prices=worse)
    assert score(auction, skimmed, GAS) < honest(auction)
    # a fee past what the trade's progress justifies is never rewarded: more fee, no more score
    greedy = trade(auction, 5 * 10**18, 15_000 * 10**6, fee_usdc=10 * fee)
    assert score(auction, greedy, GAS) <= score(auction, with_fee, GAS)


def one_seller(auction: Auction, usdc: int, weth_price: int) -> Solution:
    """SELLER alone sells 5 WETH for `usdc` at clearing price `weth_price` (the rest goes to an AMM)."""
    seller = auction.intents[0]
    execution = (Execution(seller.id, {WETH: -5 * 10**18, USDC: usdc}),)
    return Solution(auction.id, "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
                    {WETH: weth_price, USDC: USDC_PRICE}, execution, (), 0, GAS)


def test_a_clearing_price_skewed_in_the_solvers_favour_never_raises_the_score() -> None:
    # the review's case: WETH's clearing price +20 bps (inside the band and maxFeeBps), the user
    # receives $10 less; before, the paper "fee" at clearing prices scored $573.72 vs honest $543.90
    auction = dataclasses.replace(make_auction(), intents=make_auction().intents[:1])
    fair = one_seller(auction, 15_000 * 10**6, WETH_PRICE)
    for bps in (1, 20, 29):
        skewed = one_seller(auction, 15_000 * 10**6 * (10_000 - bps) // 10_000, WETH_PRICE * (10_000 + bps) // 10_000)
        assert score(auction, skewed, GAS) < score(auction, fair, GAS)
    # the clearing prices alone never move the score: same flows, any prices, same score
    same_flows = one_seller(auction, 15_000 * 10**6, WETH_PRICE * 3_006 // 3_000)
    assert score(auction, same_flows, GAS) == score(auction, fair, GAS)


def test_an_execution_that_moves_its_owner_away_from_the_target_scores_at_most_zero() -> None:
    auction = with_calm(make_auction())
    calm = auction.intents[2]
    away = Execution(calm.id, {USDC: -980 * 10**6, WETH: 326 * 10**15})  # 40/60: further from 50/50
    base = trade(auction, 5 * 10**18, 15_000 * 10**6)
    worse = dataclasses.replace(base, executions=(*base.executions, away))
    assert contribution_e18(auction, worse, away) <= 0
    assert score(auction, worse, GAS) <= score(auction, base, GAS)


def _leaning(owner: Account, usdc_bps: int, nonce: int) -> BatchIntent:
    """A weights intent over (USDC, WETH) at `usdc_bps` / the rest, ±10 points."""
    intent = dataclasses.replace(half_half(owner.address, nonce=nonce), target_weight_bps=(usdc_bps, BPS - usdc_bps),
                                 tolerance_bps=1_000)
    signed = sign_intent(intent, owner.key, CHAIN, SETTLEMENT)
    return BatchIntent(signed.intent.intent_id(CHAIN, SETTLEMENT), signed)


def test_one_owners_two_intents_trading_with_each_other_earn_nothing() -> None:
    """A review's case: one owner holds 50/50 and signs 58/42 and 42/58 (±10 points, so both
    already hold); its two intents swap 2 WETH for 6,000 USDC with each other. Each one's own
    flows move it toward its target, but the owner's balances end where they began, so the
    batch earns nothing (and pays its gas). The twin: the same two intents of two owners, each
    with those holdings, really trade and score."""
    holding = {USDC: 30_000 * 10**6, WETH: 10 * 10**18}
    flows = ({WETH: -2 * 10**18, USDC: 6_000 * 10**6}, {WETH: 2 * 10**18, USDC: -6_000 * 10**6})

    def scored(first: Account, second: Account) -> tuple[int, list[int]]:
        a, b = _leaning(first, 5_800, 1), _leaning(second, 4_200, 2)
        auction = dataclasses.replace(make_auction(), intents=(a, b),
                                      balances={first.address: dict(holding), second.address: dict(holding)})
        solution = Solution(auction.id, SOLVER, {WETH: WETH_PRICE, USDC: USDC_PRICE},
                            (Execution(a.id, flows[0]), Execution(b.id, flows[1])), (), 0, GAS)
        return score(auction, solution, GAS), [contribution_e18(auction, solution, e) for e in solution.executions]

    alone, parts = scored(SELLER, SELLER)
    assert parts == [0, 0]
    assert alone == -gas_cost_e18(make_auction(), GAS)
    apart, parts = scored(SELLER, CALM)
    assert min(parts) > 0 and apart > 0
