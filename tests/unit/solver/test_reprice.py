"""Realising the joint program at uniform prices: one-way volumes, clearing from chosen prices,
re-solving at the clearing's prices, and the price search's box."""

from __future__ import annotations

import time

import pytest

from intents.model import SignedIntent, SigningScheme
from routing.pools import Liquidity
from solver import joint, price_search
from solver.clearing import clear
from solver.domain import Auction, BatchIntent, Token
from solver.joint_wants import joint_want
from solver.routing_port import make_route_fn
from solver.strategies import batch
from solver.translate import translate
from tests.unit.solver.test_clearing import OWNERS, SETTLEMENT, USDC, WETH, intent, liquidity
from tests.unit.solver.test_clearing import PRICES as TWO_PRICES
from tests.unit.solver.test_joint_mixture import DAI, POOLS, PRICES, three_tokens, users


def test_should_trade_each_token_of_an_intent_one_way_in_the_settle_program() -> None:
    intents, balances = three_tokens()
    jis = users(intents, balances)
    # away from the reference a user could be paid in a token it also sells: buying and selling
    # at once would raise the gross value given, which the score does not count
    built = joint.build_model(jis, POOLS, PRICES, joint.SETTLE, {WETH: 0.99, DAI: 1.01}, {}, 60.0)
    values, _, _ = joint.run_model(built)
    traded = 0
    for ji in jis:
        for sell, buy in built.cols[ji.id].values():
            assert min(values[sell], values[buy]) * built.scale < 1e-6
            traded += values[sell] + values[buy] > 0
    assert traded >= 4


def test_should_land_a_weights_intents_buys_as_planned_the_largest_at_the_clearing_prices_taking_the_rest() -> None:
    it = three_tokens()[0]["0xa"]
    held = {USDC: 200_000 * 10**6, WETH: 0, DAI: 0}
    flows = {USDC: -100_000.0, WETH: 51_000.0, DAI: 49_000.0}
    at_reference = joint_want("0xa", it, flows, held, PRICES)
    # the smaller buy an exact leg to the base unit, the larger the balancing token
    assert at_reference.balancing == {WETH: 10_000}
    assert at_reference.exact[USDC] == -100_000 * 10**6 and set(at_reference.exact) == {USDC, DAI}
    assert abs(at_reference.exact[DAI] - 49_000 * 10**18) < 10**8  # the planned amount, to float precision
    # at clearing prices where DAI's planned value is the larger, DAI takes the rest
    at_clearing = joint_want("0xa", it, flows, held, PRICES, {DAI: 1.05})
    assert at_clearing.balancing == {DAI: 10_000} and abs(at_clearing.exact[WETH] - 17 * 10**18) < 10**6
    # what it receives at the reference: the planned 51,000 / 49,000 to a few base units, where
    # shares in whole bps of the value received would miss by up to $10 each
    received = at_reference.flows(PRICES, 0)
    assert received[DAI] == at_reference.exact[DAI]
    assert abs(received[WETH] - 17 * 10**18) <= 10**6


def test_should_clear_from_the_prices_the_solver_chose() -> None:
    # two intents that offset exactly when WETH is 0.5% above its reference (A holds 100,500 USDC,
    # B 33.3 WETH): started there, the clearing needs no pool and stays; from the reference it
    # must route B's excess and ends elsewhere
    balances = {OWNERS[0]: {USDC: 100_500 * 10**6, WETH: 0}, OWNERS[1]: {USDC: 0, WETH: 100_000 * 10**18 // 3000}}
    intents = {"0xa": intent(OWNERS[0], 5000), "0xb": intent(OWNERS[1], 5000)}
    start = {USDC: TWO_PRICES[USDC], WETH: TWO_PRICES[WETH] * 1005 // 1000}
    wants = {i: translate(i, it, balances[it.owner], TWO_PRICES) for i, it in intents.items()}
    route = make_route_fn("milp", two_token_pools(), TWO_PRICES, 0, SETTLEMENT, 2**32)
    cleared = clear(wants, intents, balances, TWO_PRICES, route, lambda _i: 0, start)
    assert cleared.prices == start
    assert set(cleared.flows) == {"0xa", "0xb"} and cleared.plan.interactions == ()
    assert clear(wants, intents, balances, TWO_PRICES, route, lambda _i: 0).prices != start


def two_token_pools() -> Liquidity:
    return Liquidity.from_json(liquidity())


def auction_of(intents: dict, balances: dict, deadline_s: float = 30.0) -> Auction:
    symbols = {USDC: ("USDC", 6), WETH: ("WETH", 18), DAI: ("DAI", 18)}
    tokens = {t: Token(t, s, d, PRICES[t]) for t, (s, d) in symbols.items()}
    batch_intents = tuple(BatchIntent(i, SignedIntent(it, SigningScheme.EIP1271, b"")) for i, it in intents.items())
    return Auction(1, 1, SETTLEMENT, 1, int((time.time() + deadline_s) * 1000), tokens, batch_intents, balances,
                   POOLS, 1_000_000_000, PRICES[WETH] // 10**18)


def test_should_keep_a_repriced_clearing_only_when_it_scores_more() -> None:
    intents, balances = three_tokens()
    a = auction_of(intents, balances)
    least, _ = batch.wants_for(a, list(intents))
    fee = batch.fee_policy(a, least)
    wants = batch.settle_wants(a, least, fee, {}, 30.0).wants
    route = make_route_fn("milp", POOLS, PRICES, a.gas_price_wei, SETTLEMENT, 2**32)
    first = batch.clear_trimming(intents, balances, PRICES, wants, least, route, fee)
    first_score = batch.build_solution(a, "0x0", first[0], "", {}, {}, {}).score_e18
    cleared, _, won = batch.reprice(a, "0x0", least, fee, intents, route, first, 0.01)
    score = batch.build_solution(a, "0x0", cleared, "", {}, {}, {}).score_e18
    # here the reference prices are not the batch's best: re-solving the volumes at the prices
    # the clearing found scores more, and the repriced clearing is the one kept
    assert won != "" and cleared is not first[0]
    assert score > first_score
    # and with no time left nothing is tried
    late = auction_of(intents, balances, deadline_s=-1.0)
    kept, _, none = batch.reprice(late, "0x0", least, fee, intents, route, first, 0.01)
    assert kept is first[0] and none == ""


def test_the_price_search_climbs_inside_the_allowed_box_and_never_returns_worse() -> None:
    peak = {WETH: 1.006, DAI: 0.997}
    calls: list[dict[str, float]] = []

    def value(relative: dict[str, float]) -> float:
        calls.append(relative)
        return -sum((relative.get(t, 1.0) - p) ** 2 for t, p in peak.items()) * 1e6

    def inside(relative: dict[str, float]) -> bool:
        return all(0.99 <= relative.get(t, 1.0) <= 1.004 for t in (WETH, DAI))  # WETH's peak is outside

    found = price_search.search(value, {}, [WETH, DAI], inside, time.time() + 30, 200)
    assert all(inside(c) for c in calls)  # never evaluated outside
    assert found.value_usd >= found.start_value_usd
    assert found.relative[WETH] == pytest.approx(1.004, abs=price_search.MIN_STEP * 2)  # against the box's edge
    assert found.relative[DAI] == pytest.approx(0.997, abs=price_search.MIN_STEP * 2)


def test_prices_are_allowed_only_inside_every_intents_signed_bounds() -> None:
    intents = {"0xa": intent(OWNERS[0], 5000, slippage=0.01)}  # WETH within ±1% of 3,000 USDC
    assert price_search.allowed(intents, TWO_PRICES, {WETH: 1.009})
    assert not price_search.allowed(intents, TWO_PRICES, {WETH: 1.011})
    assert not price_search.allowed(intents, TWO_PRICES, {USDC: 1.011})  # the numeraire moving is the same move
