"""`solver.closing`: a route closes only when the settlement can run it without its holdings."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from eth_abi import decode
from eth_account import Account
from eth_utils import to_checksum_address

from intents.model import Intent, IntentKind
from intents.signing import sign_intent
from routing.execute import V2_PAIR_SWAP
from routing.pools import Liquidity
from solver.closing import close, closed_interactions
from solver.domain import Auction, BatchIntent, Execution, Solution, Token
from solver.gas_model import CLOSED_BATCH_SAVING
from solver.scoring import score

WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
DAI = "0x6B175474E89094C44Da98b954EedeAC495271d0F"
SETTLEMENT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
WETH_USDC = "0x00000000000000000000000000000000000000A1"
WETH_DAI = "0x00000000000000000000000000000000000000A2"
DAI_USDC = "0x00000000000000000000000000000000000000A3"
ROUTER = "0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D"
ALICE, BOB = Account.from_key("0x" + "11" * 32), Account.from_key("0x" + "22" * 32)
E18 = 10**18


HELD = 10_000 * E18  # base units of each token, held by each user
UNBOUNDED = 2**255


def _intent(owner: str, usdc_cap: int = UNBOUNDED) -> Intent:
    """A balances (hedge) intent: any end balance of WETH and DAI, USDC at most `usdc_cap`."""
    return Intent(owner=owner, tokens=(USDC, WETH, DAI), min_price=(E18, 1, 1), max_price=(E18, 10**30, 10**30),
                  kind=IntentKind.BALANCES, min_balance=(0, 0, 0), max_balance=(usdc_cap, UNBOUNDED, UNBOUNDED),
                  max_fee_bps=30, valid_to=int(time.time()) + 3600, nonce=1)


def _auction(targets: frozenset[str] = frozenset({WETH_USDC, WETH_DAI, DAI_USDC}), usdc_cap: int = UNBOUNDED) -> Auction:
    intents = tuple(BatchIntent(f"0x{k:064x}", sign_intent(_intent(a.address, usdc_cap), a.key, 1, SETTLEMENT))
                    for k, a in enumerate((ALICE, BOB), start=1))
    tokens = {t: Token(t, s, d, 10**36 // 10**d) for t, s, d in ((WETH, "WETH", 18), (USDC, "USDC", 6), (DAI, "DAI", 18))}
    balances = {a.address: {t: HELD for t in tokens} for a in (ALICE, BOB)}
    return Auction(1, 1, SETTLEMENT, 1, 0, tokens, intents, balances, Liquidity({}, ()), 1, 10**9,
                   pool_targets=targets)


def _hop(pool: str, token_in: str, token_out: str, amount_in: int, amount_out: int, kind: str = "v2") -> dict[str, Any]:
    return {"pool": pool, "kind": kind, "fee_pips": 3000, "token_in": token_in, "token_out": token_out,
            "amount_in": str(amount_in), "amount_out": str(amount_out)}


def _solution(flows: list[dict[str, int]], hops: list[dict[str, Any]]) -> Solution:
    executions = tuple(Execution(f"0x{k:064x}", f) for k, f in enumerate(flows, start=1))
    return Solution(1, ROUTER, {WETH: 1, USDC: 1, DAI: 1}, executions, (), 1, 1, {"hops": hops})


def _paid(interaction: Any) -> tuple[int, int, str]:
    assert interaction.call_data[:4] == V2_PAIR_SWAP and len(interaction.call_data) == 164
    a0, a1, to, data = decode(["uint256", "uint256", "address", "bytes"], interaction.call_data[4:])
    assert data == b""
    return a0, a1, to_checksum_address(to)


def test_a_lone_sale_through_one_listed_pair_is_paid_up_front_and_the_pair_pays_the_seller() -> None:
    solution = _solution([{WETH: -E18, USDC: 2_990 * 10**6}], [_hop(WETH_USDC, WETH, USDC, E18, 2_995 * 10**6)])
    closed = close(_auction(), solution)
    assert closed.sinks == {WETH: WETH_USDC} and closed.stats["closed"] is True
    (swap,) = closed.interactions
    assert swap.target == WETH_USDC
    assert _paid(swap) == (2_995 * 10**6, 0, ALICE.address)  # USDC is the pair's token0 (the lower address)


def test_a_two_hop_route_pays_the_next_pair_then_the_buyer() -> None:
    hops = [_hop(WETH_DAI, WETH, DAI, E18, 3_000 * E18), _hop(DAI_USDC, DAI, USDC, 3_000 * E18, 2_990 * 10**6)]
    closed = close(_auction(), _solution([{WETH: -E18, USDC: 2_990 * 10**6}], hops))
    assert closed.sinks == {WETH: WETH_DAI}
    first, second = closed.interactions
    assert (first.target, _paid(first)[2]) == (WETH_DAI, DAI_USDC)
    assert (second.target, _paid(second)[2]) == (DAI_USDC, ALICE.address)


def test_two_sellers_paid_into_one_buyer_close_each_from_its_own_sink() -> None:
    flows = [{WETH: -E18}, {DAI: -3_000 * E18, USDC: 5_980 * 10**6}]
    hops = [_hop(WETH_USDC, WETH, USDC, E18, 2_990 * 10**6), _hop(DAI_USDC, DAI, USDC, 3_000 * E18, 2_990 * 10**6)]
    closed = closed_interactions(_auction(), _solution(flows, hops))
    assert closed is not None and closed[1] == {WETH: WETH_USDC, DAI: DAI_USDC}
    assert {_paid(i)[2] for i in closed[0]} == {BOB.address}


def test_keeps_the_router_whenever_the_settlement_would_need_its_holdings() -> None:
    lone = [{WETH: -E18, USDC: 2_990 * 10**6}]
    one_pair = [_hop(WETH_USDC, WETH, USDC, E18, 2_990 * 10**6)]
    split = [_hop(WETH_USDC, WETH, USDC, E18 // 2, 1_495 * 10**6),
             _hop(WETH_DAI, WETH, DAI, E18 // 2, 1_500 * E18), _hop(DAI_USDC, DAI, USDC, 1_500 * E18, 1_495 * 10**6)]
    cases = {
        "a pair the settlement does not list": (_auction(frozenset({WETH_DAI})), lone, one_pair),
        "a V3 pool": (_auction(), lone, [_hop(WETH_USDC, WETH, USDC, E18, 2_990 * 10**6, kind="v3")]),
        "a split (one sink per token)": (_auction(), lone, split),
        "the pair paid less than the sale": (_auction(), [{WETH: -E18 - 1, USDC: 2_990 * 10**6}], one_pair),
        "the pair pays less than the buy": (_auction(), [{WETH: -E18, USDC: 2_990 * 10**6 + 1}], one_pair),
        "a token matched between users": (_auction(), [{WETH: -2 * E18, USDC: 5_980 * 10**6}, {WETH: E18}],
                                          [_hop(WETH_USDC, WETH, USDC, E18, 2_990 * 10**6)]),
        "two buyers of one token": (_auction(), [{WETH: -E18, USDC: 1_000 * 10**6}, {USDC: 1_990 * 10**6}], one_pair),
        "a hop out of a token no hop delivers": (_auction(), lone, [_hop(DAI_USDC, DAI, USDC, E18, 2_990 * 10**6)]),
        "a hop whose output goes nowhere": (_auction(), lone, [_hop(WETH_DAI, WETH, DAI, E18, 3_000 * E18)]),
        "an intermediate hop short of its input": (_auction(), lone, [
            _hop(WETH_DAI, WETH, DAI, E18, 3_000 * E18), _hop(DAI_USDC, DAI, USDC, 3_000 * E18 + 1, 2_990 * 10**6)]),
        "no route at all": (_auction(), lone, []),
    }
    for why, (auction, flows, hops) in cases.items():
        solution = _solution(flows, hops)
        assert closed_interactions(auction, solution) is None, why
        assert close(auction, solution) is solution, why
    assert closed_interactions(_auction(), _solution(lone, one_pair)) is not None  # the twin closes


def test_keeps_the_router_when_what_the_pair_pays_would_overshoot_the_buyers_band() -> None:
    """The pair pays the buyer all it swaps out (2,995 USDC against a flow of 2,990): a buyer whose
    USDC may end at most a base unit short of that keeps the router, which pays exactly the flow."""
    solution = _solution([{WETH: -E18, USDC: 2_990 * 10**6}], [_hop(WETH_USDC, WETH, USDC, E18, 2_995 * 10**6)])
    assert closed_interactions(_auction(usdc_cap=HELD + 2_995 * 10**6 - 1), solution) is None
    assert closed_interactions(_auction(usdc_cap=HELD + 2_995 * 10**6), solution) is not None


def test_the_closed_solution_keeps_its_flows_and_prices_and_declares_the_gas_it_saves() -> None:
    solution = _solution([{WETH: -E18, USDC: 2_990 * 10**6}], [_hop(WETH_USDC, WETH, USDC, E18, 2_990 * 10**6)])
    solution = dataclasses.replace(solution, gas=300_000)
    auction = _auction()
    closed = close(auction, solution)
    assert closed.gas == 300_000 - CLOSED_BATCH_SAVING
    assert closed.score_e18 == score(auction, closed, closed.gas)
    assert closed.score_e18 >= score(auction, solution, solution.gas)  # less gas never scores less
    same = dataclasses.replace(closed, interactions=(), sinks={}, stats=solution.stats, gas=solution.gas,
                               score_e18=solution.score_e18)
    assert same == solution
