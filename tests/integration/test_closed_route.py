"""A route over V2 pairs the settlement lists as pool targets settles *closed* (`solver.closing`):
the sells go straight into the first pair (a sink), each pair's own `swap` pays the next pair or
the user, and the settlement neither reads nor moves its own holdings. The same solution through
the V2 router is the twin: same flows, same outcome, more gas."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from contracts.mainnet import UNISWAP
from routing.evaluate import Hop
from routing.execute import V2_PAIR_SWAP, interactions, routers
from solver.strategies.milp import Milp
from solver.translate import outcome_met
from tests.integration.auction_support import (
    auction_for,
    balances_of,
    settle_solution,
    weights_intent,
)


def _v2_only(auction: Any) -> Any:
    """The auction with only its V2 pairs: the route a long-tail token would have on mainnet."""
    pools = tuple(p for p in auction.liquidity.pools if p.kind == "v2")
    return replace(auction, liquidity=replace(auction.liquidity, pools=pools))


def _through_the_router(auction: Any, solution: Any) -> Any:
    hops = [Hop(h["pool"], h["kind"], int(h["fee_pips"]), h["token_in"], h["token_out"], int(h["amount_in"]),
                int(h["amount_out"])) for h in solution.stats["hops"]]
    swaps = interactions(hops, routers(UNISWAP), auction.settlement, approve_first=False)
    return replace(solution, interactions=tuple(swaps), sinks={})


def _holdings(chain: Any) -> dict[str, int]:
    return balances_of(chain, chain.settlement)


def test_a_v2_route_settles_closed_and_delivers_the_outcome_for_less_gas_than_the_router(chain) -> None:
    signed = weights_intent(chain, 3, {"DAI": 38, "WETH": 62})  # sells DAI for WETH
    auction = _v2_only(auction_for(chain, [signed]))
    assert auction.pool_targets >= {p.address for p in auction.liquidity.pools}  # the world lists its V2 pairs
    solution = Milp().solve(auction, chain.solvers[0].address)
    assert solution.stats.get("closed") is True
    assert solution.sinks and set(solution.sinks.values()) <= auction.pool_targets
    assert all(i.call_data[:4] == V2_PAIR_SWAP and i.target in auction.pool_targets for i in solution.interactions)
    owner = signed.intent.owner
    w3 = chain.web3()

    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    routed = settle_solution(chain, auction, _through_the_router(auction, solution))
    assert routed["status"] == 1
    routed_after = balances_of(chain, owner)
    assert w3.provider.make_request("evm_revert", [snap])["result"]

    held = _holdings(chain)
    before = balances_of(chain, owner)
    closed = settle_solution(chain, auction, solution)
    assert closed["status"] == 1
    after = balances_of(chain, owner)
    flows = solution.executions[0].flows
    paid = {h["token_out"]: int(h["amount_out"]) for h in solution.stats["hops"]}
    for token in signed.intent.tokens:
        if flows.get(token, 0) <= 0:
            assert after[token] - before[token] == flows.get(token, 0) == routed_after[token] - before[token]
        else:  # the pair pays the user all it swaps out; through the router the contract keeps the rounding
            assert after[token] - before[token] == paid[token] >= flows[token]
            assert routed_after[token] - before[token] == flows[token]
    assert outcome_met(signed.intent, after, {}, solution.prices)
    assert _holdings(chain) == held
    assert closed["gasUsed"] < routed["gasUsed"]


def test_a_route_through_a_pair_the_settlement_does_not_list_keeps_the_router(chain) -> None:
    signed = weights_intent(chain, 3, {"DAI": 38, "WETH": 62})
    auction = replace(_v2_only(auction_for(chain, [signed])), pool_targets=frozenset())
    solution = Milp().solve(auction, chain.solvers[0].address)
    assert not solution.sinks and "closed" not in solution.stats
    assert all(i.target == UNISWAP.v2_router for i in solution.interactions)
    assert settle_solution(chain, auction, solution)["status"] == 1
